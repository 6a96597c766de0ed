using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Regulatory;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>
/// federal-register sources end to end: a fake Federal Register API on loopback with the real envelope and limits,
/// the real HTTP fetcher and the real embedded store.
/// </summary>
public sealed class FederalRegisterPipelineTests : IAsyncLifetime
{
    private static readonly DateOnly Today = new(2026, 3, 10);
    private readonly TempDirectory directory = new();
    private readonly SettableClock clock = new(new DateTimeOffset(2026, 3, 10, 15, 0, 0, TimeSpan.Zero));
    private FakeFederalRegisterApi api = null!;
    private PipelineHost host = null!;

    public async Task InitializeAsync()
    {
        api = await FakeFederalRegisterApi.StartAsync();
        host = new PipelineHost(directory.File("state"), time: clock);
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await api.DisposeAsync();
        directory.Dispose();
    }

    private string Catalog(bool publicInspection = true) => RegulatoryCatalogs.FederalRegister(api.Endpoint, publicInspection: publicInspection);

    private static FakeDocument[] LookbackDocuments() =>
    [
        FakeDocument.BisRule("2026-03001", Today.AddDays(-20), "Revisions to License Exception ACE"),
        FakeDocument.BisRule("2026-03002", Today.AddDays(-9), "Additions to the Entity List", "BIS adds 11 entities under destinations of China and Iran."),
        FakeDocument.BisRule("2026-03003", Today.AddDays(-2), "Clarification of Controls on Items for Supercomputers"),
    ];

    private async Task<FederalRegisterState> StateAsync(string id = "bis-rules") =>
        FederalRegisterState.TryParse((await host.Store.GetAsync(id)).Snapshot!.Content)!;

    [Fact]
    public async Task FirstCheck_IsABaselineOfTheLookback_ThenTwoNewDocumentsAreTwoEvents_AndTheSameDocumentsAgainAreNothing()
    {
        api.Publish(LookbackDocuments());
        api.Publish(FakeDocument.BisRule("2026-01999", Today.AddDays(-45), "Older than the look-back"));

        var first = await host.CheckAsync(Catalog());
        Assert.Empty(first.Changes);
        Assert.Empty(first.Errors);
        Assert.Equal(1, first.Baselined);
        var baseline = await StateAsync();
        Assert.Equal(["2026-03001", "2026-03002", "2026-03003"], baseline.Documents.Keys.ToArray());
        var entry = Assert.Single(await host.Store.QueryHistoryAsync(new HistoryQuery()));
        Assert.Equal(HistoryEntryType.Baseline, entry.Type);

        // the query asks for the look-back window, the source's conditions and the fields it needs, oldest first
        var query = api.DocumentRequests[0].Query;
        Assert.Equal("2026-02-08", query["conditions[publication_date][gte]"]);
        Assert.Equal(["industry-and-security-bureau"], query["conditions[agencies][]"].Select(v => v!).ToArray());
        Assert.Equal(["RULE"], query["conditions[type][]"].Select(v => v!).ToArray());
        Assert.Equal(FederalRegisterClient.Fields, query["fields[]"].Select(v => v!).ToArray());
        Assert.Equal("oldest", query["order"]);

        clock.AdvanceDays(1);
        var china = FakeDocument.BisRule("2026-04512", Today.AddDays(1), "Additions to the Entity List",
            "This rule adds 20 entities in China that develop advanced AI models to the Entity List.") with { EffectiveOn = Today.AddDays(1) };
        var routine = FakeDocument.BisRule("2026-04513", Today.AddDays(1), "Technical Corrections to the Commerce Control List", "This rule corrects cross-references.") with { EffectiveOn = Today.AddDays(31) };
        api.Publish(china, routine);

        var second = await host.CheckAsync(Catalog());
        Assert.Empty(second.Errors);
        Assert.Equal(2, second.Changes.Count);
        Assert.Equal(CheckOutcome.Changed, second.Results[0].Outcome);
        var critical = second.Changes.Single(e => e.Data.DocumentNumber == "2026-04512");
        Assert.Equal(ChangeEventTypes.RegulatoryPublished, critical.Type);
        Assert.Equal("federal-register", critical.Data.Kind);
        Assert.Null(critical.Data.Provider);
        Assert.Equal("Additions to the Entity List", critical.Data.Title);
        Assert.Equal("Rule", critical.Data.DocumentType);
        Assert.Equal(["Commerce Department", "Industry and Security Bureau"], critical.Data.Agencies);
        Assert.Equal("2026-03-11", critical.Data.PublicationDate);
        Assert.Equal("2026-03-11", critical.Data.EffectiveOn);
        Assert.Equal("https://www.federalregister.gov/documents/2026/03/11/2026-04512/additions-to-the-entity-list", critical.Data.HtmlUrl);
        Assert.Equal("https://www.govinfo.gov/content/pkg/FR-2026-03-11/pdf/2026-04512.pdf", critical.Data.PdfUrl);
        Assert.Equal(critical.Data.HtmlUrl, critical.Data.Url);
        Assert.Equal(DocumentStages.Published, critical.Data.Stage);
        Assert.Null(critical.Data.CorrectionOf);
        Assert.Equal(Severity.Critical, critical.Data.Severity); // a BIS RULE that names China and AI
        Assert.Contains("2026-04512", critical.Data.Summary, StringComparison.Ordinal);
        Assert.Contains("China", critical.Data.Summary, StringComparison.Ordinal);
        Assert.Equal(["export-controls"], critical.Data.Tags);
        var plain = second.Changes.Single(e => e.Data.DocumentNumber == "2026-04513");
        Assert.Equal(Severity.Warning, plain.Data.Severity); // a BIS RULE naming neither
        Assert.Equal("2026-04-10", plain.Data.EffectiveOn);
        Assert.Equal(64, critical.Id.Length);
        Assert.NotEqual(critical.Id, plain.Id);

        // each event is one history entry, chained
        var history = await host.Store.QueryHistoryAsync(new HistoryQuery());
        Assert.Equal(3, history.Count);
        Assert.Equal(history[0].EntryHash, second.Changes[0].Data.PreviousEntryHash);
        Assert.Equal(history[1].EntryHash, second.Changes[1].Data.PreviousEntryHash);
        Assert.Equal(2, (await host.Store.GetAsync("bis-rules")).PendingEvents.Count);

        var third = await host.CheckAsync(Catalog());
        Assert.Empty(third.Changes);
        Assert.Equal(1, third.Unchanged);
        Assert.False(third.Results[0].Written);
        await host.AssertVerifiedAsync();
    }

    [Fact]
    public async Task Correction_NamesTheDocumentItCorrects()
    {
        api.Publish(LookbackDocuments());
        await host.CheckAsync(Catalog());
        api.Publish(FakeDocument.BisRule("2026-04700", Today, "Additions to the Entity List; Correction") with { CorrectionOf = "2026-03002" });

        var change = Assert.Single((await host.CheckAsync(Catalog())).Changes);
        Assert.Equal("2026-03002", change.Data.CorrectionOf);
        Assert.StartsWith("Correction of 2026-03002: ", change.Data.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DocumentOnPublicInspection_IsAnnouncedOnce_AndItsPublicationLinksToThatEvent()
    {
        api.Publish(LookbackDocuments());
        await host.CheckAsync(Catalog());

        var rule = FakeDocument.BisRule("2026-04888", Today.AddDays(2), "Foreign Direct Product Rule for Advanced AI Model Weights",
            "This rule controls model weights of frontier AI models destined to China.");
        var otherAgency = new FakeDocument
        {
            DocumentNumber = "2026-04889", Title = "Sanctions Regulations; Notice", Type = "Notice", PublicationDate = Today.AddDays(2),
            Agencies = [FakeAgency.Treasury, FakeAgency.Ofac],
        };
        api.PutOnPublicInspection(rule, otherAgency);

        var early = await host.CheckAsync(Catalog());
        var announced = Assert.Single(early.Changes); // the OFAC notice is not this source's agency
        Assert.Equal("2026-04888", announced.Data.DocumentNumber);
        Assert.Equal(DocumentStages.PublicInspection, announced.Data.Stage);
        Assert.Equal("2026-03-12", announced.Data.PublicationDate);
        Assert.Equal("https://www.federalregister.gov/public-inspection/2026-04888/foreign-direct-product-rule-for-advanced-ai-model-weights", announced.Data.HtmlUrl);
        Assert.Equal("https://public-inspection.federalregister.gov/2026-04888.pdf", announced.Data.PdfUrl);
        Assert.Equal(Severity.Critical, announced.Data.Severity);
        Assert.Contains("public inspection", announced.Data.Summary, StringComparison.Ordinal);

        // still on public inspection: nothing
        Assert.Empty((await host.CheckAsync(Catalog())).Changes);

        // publication day: the document is in documents.json (and, that morning, still in current.json)
        clock.AdvanceDays(2);
        api.Publish(rule);
        api.PutOnPublicInspection(rule);
        var published = await host.CheckAsync(Catalog());
        Assert.Empty(published.Changes);
        Assert.Empty(published.Errors);
        Assert.True(published.Results[0].Written);

        var link = (await host.Store.QueryHistoryAsync(new HistoryQuery { IncludeContent = true }))[^1];
        Assert.Equal(HistoryEntryType.Change, link.Type);
        Assert.Null(link.Event);
        Assert.Contains(announced.Id, link.Summary, StringComparison.Ordinal);
        Assert.Contains("not announced again", link.Summary, StringComparison.Ordinal);
        using (var content = JsonDocument.Parse(link.Content!))
        {
            Assert.Equal(announced.Id, content.RootElement.GetProperty("announcedIn").GetProperty("event").GetString());
            Assert.Equal("published", content.RootElement.GetProperty("document").GetProperty("stage").GetString());
        }

        var known = (await StateAsync()).Documents["2026-04888"];
        Assert.Equal(DocumentStages.Published, known.Stage);
        Assert.Equal(announced.Id, known.EventId);

        // and never again, on or off public inspection
        api.ClearPublicInspection();
        Assert.Empty((await host.CheckAsync(Catalog())).Changes);
        Assert.Single((await host.Store.GetAsync("bis-rules")).PendingEvents);
        await host.AssertVerifiedAsync();
    }

    [Fact]
    public async Task MoreThanFiftyPagesInTheLookback_AreAllSeen_ThroughPublicationDateWindows()
    {
        // 620 documents, 10 per page: 62 pages, of which the API serves 50 (page 51+ silently resets to 1)
        api.MaxPerPage = 10;
        var documents = Enumerable.Range(0, 620)
            .Select(i => FakeDocument.BisRule($"2026-{10000 + i}", Today.AddDays(-(i % 30)), $"Entity List additions, batch {i}"))
            .ToArray();
        api.Publish(documents);

        // the fake behaves as the real API does
        using (var http = new HttpClient())
        {
            var url = FederalRegisterClient.DocumentsUrl(new Core.Catalog.FederalRegisterSource { Id = "x", Kind = "federal-register", Title = "x", Endpoint = api.Endpoint, Agencies = ["industry-and-security-bureau"] }, Today.AddDays(-30), Today, 1);
            using var page1 = JsonDocument.Parse(await http.GetStringAsync(url));
            using var page51 = JsonDocument.Parse(await http.GetStringAsync(new Uri(url.ToString().Replace("page=1&", "page=51&", StringComparison.Ordinal))));
            Assert.Equal(620, page1.RootElement.GetProperty("count").GetInt32());
            Assert.Equal(50, page1.RootElement.GetProperty("total_pages").GetInt32());
            Assert.Equal(page1.RootElement.GetProperty("results").GetRawText(), page51.RootElement.GetProperty("results").GetRawText());
        }

        api.Requests.Clear();

        var baseline = await host.CheckAsync(Catalog(publicInspection: false));
        Assert.Empty(baseline.Errors);
        Assert.Equal(620, (await StateAsync()).Documents.Count);
        Assert.All(api.DocumentRequests, r => Assert.InRange(int.Parse(r.Query["page"]!, System.Globalization.CultureInfo.InvariantCulture), 1, 50));
        Assert.True(api.DocumentRequests.Select(r => (string?)r.Query["conditions[publication_date][gte]"]).Distinct().Count() > 1, "the look-back was not split into windows");

        // none was missed: one new document is exactly one event
        clock.AdvanceDays(1);
        api.Publish(FakeDocument.BisRule("2026-20000", Today.AddDays(1), "Entity List additions, next day"));
        var next = await host.CheckAsync(Catalog(publicInspection: false));
        Assert.Equal("2026-20000", Assert.Single(next.Changes).Data.DocumentNumber);
    }

    public static TheoryData<string, string> BrokenResponses => new()
    {
        { "malformed JSON", """{"count": 3, "results": [ {"document_number": "2026-0""" },
        { "changed shape", """{"documents": []}""" },
        { "result without a number", """{"count": 1, "total_pages": 1, "results": [ {"title": "x"} ]}""" },
    };

    [Theory]
    [MemberData(nameof(BrokenResponses))]
    public async Task BrokenApiResponse_IsAnInvalidContentError_AndKeepsTheBaseline(string what, string body)
    {
        api.Publish(LookbackDocuments());
        await host.CheckAsync(Catalog());
        var before = (await host.Store.GetAsync("bis-rules")).Snapshot!;

        api.DocumentsOverride = body;
        var failed = await host.CheckAsync(Catalog());
        Assert.True(failed.Changes.Count == 0, what);
        Assert.Equal(ErrorCategories.InvalidContent, Assert.Single(failed.Errors).Category);
        var state = await host.Store.GetAsync("bis-rules");
        Assert.Equal(before.ContentHash, state.Snapshot!.ContentHash);
        Assert.Equal(1, state.Health.ConsecutiveFailures);

        api.DocumentsOverride = null;
        var recovered = await host.CheckAsync(Catalog());
        Assert.Empty(recovered.Changes);
        Assert.Empty(recovered.Errors);
    }

    [Fact]
    public async Task RoutineTreasuryNotice_IsInfo()
    {
        var catalog = RegulatoryCatalogs.FederalRegister(api.Endpoint, id: "treasury-notices", agencies: ["treasury-department"], types: ["NOTICE"]);
        await host.CheckAsync(catalog);
        api.Publish(new FakeDocument
        {
            DocumentNumber = "2026-05000", Title = "Agency Information Collection Activities; Submission for OMB Review", Type = "Notice",
            Abstract = "The Department of the Treasury will submit information collection requests to OMB.", PublicationDate = Today,
            Agencies = [FakeAgency.Treasury],
        });
        var change = Assert.Single((await host.CheckAsync(catalog)).Changes);
        Assert.Equal(Severity.Info, change.Data.Severity);
        Assert.Equal("Notice", change.Data.DocumentType);
    }

    [Fact]
    public async Task EditedConditions_AreARulesUpdate_NotAnnounced()
    {
        api.Publish(LookbackDocuments());
        await host.CheckAsync(Catalog());
        var report = await host.CheckAsync(RegulatoryCatalogs.FederalRegister(api.Endpoint, types: ["RULE", "NOTICE"]));
        Assert.Empty(report.Changes);
        Assert.Equal(CheckOutcome.RulesUpdated, report.Results[0].Outcome);
    }

    [Fact]
    public async Task CfrCondition_IsSentToTheApi()
    {
        api.Publish(LookbackDocuments());
        api.Publish(FakeDocument.BisRule("2026-03100", Today.AddDays(-1), "Wassenaar Arrangement updates") with { Cfr = [(15, 774)] });
        await host.CheckAsync(RegulatoryCatalogs.FederalRegister(api.Endpoint, id: "entity-list", cfr: (15, 744)));
        var query = api.DocumentRequests[0].Query;
        Assert.Equal("15", query["conditions[cfr][title]"]);
        Assert.Equal("744", query["conditions[cfr][part]"]);
        Assert.DoesNotContain("2026-03100", (await StateAsync("entity-list")).Documents.Keys);
    }

    [Fact]
    public async Task OverlappingRunsOfOneCheck_AnnounceEachDocumentOnce()
    {
        api.Publish(LookbackDocuments());
        await host.CheckAsync(Catalog());
        api.Publish(FakeDocument.BisRule("2026-04600", Today, "Additions to the Entity List", "Entities in China."));
        await using var other = new PipelineHost(directory.File("state"), time: clock);
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => (i % 2 == 0 ? host : other).CheckAsync(Catalog())));
        Assert.Single(runs.SelectMany(r => r.Changes));
        Assert.Single((await host.Store.GetAsync("bis-rules")).PendingEvents);
    }

    [Fact]
    public async Task ForgottenDocuments_AreThoseOutsideEveryFutureWindow_SoNoneIsAnnouncedTwice()
    {
        api.Publish(LookbackDocuments());
        await host.CheckAsync(Catalog());
        clock.AdvanceDays(15); // 2026-03001 (20 days old at baseline) leaves the look-back and is forgotten
        var report = await host.CheckAsync(Catalog());
        Assert.Empty(report.Changes);
        Assert.DoesNotContain("2026-03001", (await StateAsync()).Documents.Keys);
        Assert.Contains("2026-03002", (await StateAsync()).Documents.Keys);
        await host.AssertVerifiedAsync(); // forgetting changes the snapshot without an entry, legitimately
    }

    [Fact]
    public async Task AuditVerify_FindsADocumentSlippedIntoTheCurrentSnapshot_SoItWouldNeverBeAnnounced()
    {
        api.Publish(LookbackDocuments());
        await host.CheckAsync(Catalog());
        await host.AssertVerifiedAsync();

        await PipelineHost.EditSnapshotAsync(directory.File("state"), "bis-rules", snapshot =>
        {
            var state = JsonNode.Parse(snapshot["content"]!.GetValue<string>())!;
            state["documents"]!["2026-04512"] = new JsonObject { ["stage"] = "published", ["publicationDate"] = "2026-03-11", ["entry"] = 1 };
            snapshot["content"] = state.ToJsonString();
            snapshot["contentHash"] = Hashing.Sha256(state.ToJsonString());
        });

        var problem = Assert.Single((await ChainVerifier.VerifyAsync(host.Store)).Problems);
        Assert.StartsWith("bis-rules: the current snapshot holds '2026-04512', which neither its last baseline (entry #1) nor a later entry recorded", problem, StringComparison.Ordinal);
    }
}
