using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>
/// The terms pipeline end to end: real HTTP on loopback, real extraction, the real embedded store. Derived classes
/// run the same scenarios on another store (<see cref="TableTermsPipelineTests"/>).
/// </summary>
public class TermsPipelineTests : IAsyncLifetime
{
    protected const string Page1 = """
        <html><head><title>Terms</title><style>p{color:red}</style><script>var t = Date.now();</script></head>
        <body>
          <nav>Home | Pricing</nav>
          <main>
            <h1>Supported countries</h1>
            <p>Our API is available in the following countries and territories.</p>
            <ul><li>France</li><li>Germany</li><li>Japan</li><li>China</li></ul>
            <div class="banner">Updated 3 days ago</div>
          </main>
          <footer>© 2026</footer>
        </body></html>
        """;

    private readonly TempDirectory directory = new();
    private LoopbackServer server = null!;
    private PipelineHost host = null!;

    /// <summary>A host on the store named <paramref name="store"/>: hosts created with the same name share one store.</summary>
    protected virtual PipelineHost CreateHost(string store, IDictionary<string, string?>? settings = null) =>
        new(directory.File(store), settings: settings);

    public virtual async Task InitializeAsync()
    {
        server = await LoopbackServer.StartAsync();
        host = CreateHost("state");
    }

    public virtual async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await server.DisposeAsync();
        directory.Dispose();
    }

    protected LoopbackServer Server => server;

    protected PipelineHost Host => host;

    protected string TextCatalog(string select = "main") => Catalogs.Terms(server.Url("terms"), select: select, remove: [".banner"]);

    protected string ListCatalog() => Catalogs.Terms(server.Url("terms"), select: "main ul", extract: "list");

    [Fact]
    public async Task FirstCheck_RecordsBaselineAndReportsNoChange()
    {
        server.Set("terms", Page1);
        var report = await host.CheckAsync(TextCatalog());
        Assert.Empty(report.Changes);
        Assert.Equal(1, report.Baselined);
        var state = await host.Store.GetAsync("test-terms");
        Assert.Equal(1, state.Snapshot!.Version);
        Assert.Equal(HistoryEntryType.Baseline, Assert.Single(await host.Store.QueryHistoryAsync(new HistoryQuery())).Type);
    }

    [Fact]
    public async Task UnchangedPage_WithValidators_Is304AndWritesNothing()
    {
        server.Set("terms", Page1);
        await host.CheckAsync(TextCatalog());
        var before = await host.Store.GetAsync("test-terms");

        var report = await host.CheckAsync(TextCatalog());
        Assert.Equal(1, report.Unchanged);
        Assert.Empty(report.Changes);
        Assert.Equal(1, server.NotModifiedCount);
        Assert.False(report.Results[0].Written);
        Assert.Equal(before.ConcurrencyToken, (await host.Store.GetAsync("test-terms")).ConcurrencyToken);
    }

    /// <summary>Makes the stored text of a source's current snapshot unreadable, leaving its validators (as a damaged store would).</summary>
    protected virtual Task DamageSnapshotTextAsync(string sourceId)
    {
        var root = ((Embedded.EmbeddedStateStore)host.Store).Root;
        File.Delete(Path.Combine(root, "sources", sourceId, "history", "0000000001.json"));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task UnchangedPage_Is304_AndTheCheckReadsOnlyTheValidators_NotTheStoredText()
    {
        // a page long enough that its text is not kept inline beside the validators
        var clauses = string.Concat(Enumerable.Range(0, 300).Select(i => $"<p>Clause {i}: access from unsupported regions may be suspended without notice.</p>"));
        server.Set("terms", Page1.Replace("<ul>", clauses + "<ul>", StringComparison.Ordinal));
        await host.CheckAsync(TextCatalog());
        await DamageSnapshotTextAsync("test-terms");
        var before = await host.Store.GetHeadAsync("test-terms");

        var report = await host.CheckAsync(TextCatalog());

        var result = Assert.Single(report.Results);
        Assert.True(result.Outcome == CheckOutcome.Unchanged, result.Error?.Message);
        Assert.Equal("not modified", result.Summary);
        Assert.Equal(1, server.NotModifiedCount);
        Assert.False(result.Written);
        Assert.Equal(before, await host.Store.GetHeadAsync("test-terms"));
    }

    [Fact]
    public async Task UnchangedPage_WithoutValidators_IsUnchanged()
    {
        server.Set("terms", new Page { Body = Page1, Validators = false });
        await host.CheckAsync(TextCatalog());
        var report = await host.CheckAsync(TextCatalog());
        Assert.Equal(1, report.Unchanged);
        Assert.Empty(report.Changes);
        Assert.False(report.Results[0].Written);
    }

    [Fact]
    public async Task MeaningfulEdit_YieldsExactlyOneEventNamingTheLines_AndRerunReportsNothing()
    {
        server.Set("terms", Page1);
        await host.CheckAsync(TextCatalog());
        server.Set("terms", Page1.Replace("<p>Our API is available", "<p>Access from unsupported regions is prohibited.</p><p>Our API is available", StringComparison.Ordinal));

        var report = await host.CheckAsync(TextCatalog());
        var change = Assert.Single(report.Changes);
        Assert.Equal(ChangeEventTypes.TermsChanged, change.Type);
        Assert.Equal(["Access from unsupported regions is prohibited."], change.Data.Diff!.Added);
        Assert.Empty(change.Data.Diff.Removed);
        Assert.Contains("Access from unsupported regions is prohibited.", change.Data.Summary, StringComparison.Ordinal);
        Assert.Contains("+Access from unsupported regions is prohibited.", change.Data.Diff.Unified, StringComparison.Ordinal);
        Assert.Equal(Severity.Critical, change.Data.Severity); // "unsupported" is a watched term
        Assert.Equal("/compliancewatch/sources/test-terms", change.Source);
        Assert.Equal("test-terms", change.Subject);
        Assert.Equal(64, change.Id.Length);
        Assert.Equal("TestAI", change.Data.Provider);

        var history = await host.Store.QueryHistoryAsync(new HistoryQuery());
        Assert.Equal(history[0].EntryHash, change.Data.PreviousEntryHash);
        Assert.Equal(change.Id, Assert.Single((await host.Store.GetAsync("test-terms")).PendingEvents).Id);

        var again = await host.CheckAsync(TextCatalog());
        Assert.Empty(again.Changes);
        Assert.Equal(1, again.Unchanged);
    }

    [Fact]
    public async Task ListSource_EventNamesRemovedAndAddedEntries()
    {
        server.Set("terms", Page1);
        await host.CheckAsync(ListCatalog());
        server.Set("terms", Page1.Replace("<li>China</li>", "<li>Vietnam</li>", StringComparison.Ordinal));

        var change = Assert.Single((await host.CheckAsync(ListCatalog())).Changes);
        Assert.Equal(["China"], change.Data.Diff!.Removed);
        Assert.Equal(["Vietnam"], change.Data.Diff.Added);
        Assert.Contains("removed: China; added: Vietnam", change.Data.Summary, StringComparison.Ordinal);
        Assert.Equal(Severity.Critical, change.Data.Severity);
    }

    [Fact]
    public async Task ListSource_ReorderedEntries_AreNoChange()
    {
        server.Set("terms", Page1);
        await host.CheckAsync(ListCatalog());
        server.Set("terms", Page1.Replace("<li>France</li><li>Germany</li>", "<li>Germany</li><li>France</li>", StringComparison.Ordinal));
        Assert.Empty((await host.CheckAsync(ListCatalog())).Changes);
    }

    public static TheoryData<string, string> Noise => new()
    {
        { "whitespace and indentation", Page1.Replace("<h1>Supported countries</h1>", "\n\n      <h1>\n   Supported    countries </h1>", StringComparison.Ordinal) },
        { "CRLF", Page1.Replace("\n", "\r\n", StringComparison.Ordinal) },
        { "attribute order", Page1.Replace("<div class=\"banner\">", "<div id=\"b\" class=\"banner\" data-x=\"1\">", StringComparison.Ordinal) },
        { "entity vs literal", Page1.Replace("Our API is available", "Our&#32;API is&nbsp;available", StringComparison.Ordinal).Replace("© 2026", "&copy; 2026", StringComparison.Ordinal) },
        { "HTML comment", Page1.Replace("<h1>", "<!-- build 1234 --><h1>", StringComparison.Ordinal) },
        { "script and style", Page1.Replace("var t = Date.now();", "var t = 42; track();", StringComparison.Ordinal).Replace("color:red", "color:blue", StringComparison.Ordinal) },
        { "outside select", Page1.Replace("Home | Pricing", "Home | Pricing | Blog", StringComparison.Ordinal).Replace("© 2026", "© 2027", StringComparison.Ordinal) },
        { "inside remove", Page1.Replace("Updated 3 days ago", "Updated 4 days ago", StringComparison.Ordinal) },
    };

    [Theory]
    [MemberData(nameof(Noise))]
    public async Task CosmeticEdit_YieldsNoChange(string kind, string edited)
    {
        Assert.NotEqual(Page1, edited);
        server.Set("terms", Page1);
        await host.CheckAsync(TextCatalog());
        server.Set("terms", edited);
        var report = await host.CheckAsync(TextCatalog());
        Assert.True(report.Changes.Count == 0, $"{kind} was reported as a change");
        Assert.Equal(1, report.Unchanged);
    }

    [Fact]
    public async Task NfdInsteadOfNfc_YieldsNoChange()
    {
        var nfc = Page1.Replace("Japan", "Café", StringComparison.Ordinal);
        var nfd = Page1.Replace("Japan", "Cafe\u0301", StringComparison.Ordinal);
        server.Set("terms", nfc);
        await host.CheckAsync(TextCatalog());
        server.Set("terms", nfd);
        Assert.Empty((await host.CheckAsync(TextCatalog())).Changes);
    }

    [Fact]
    public async Task IgnoredVolatileText_YieldsNoChange()
    {
        var catalog = Catalogs.Terms(server.Url("terms"), select: "main", ignore: ["updated \\d+ days ago"]);
        server.Set("terms", Page1);
        await host.CheckAsync(catalog);
        server.Set("terms", Page1.Replace("Updated 3 days ago", "Updated 5 days ago", StringComparison.Ordinal));
        Assert.Empty((await host.CheckAsync(catalog)).Changes);
    }

    public static TheoryData<string, Page> Failures => new()
    {
        { ErrorCategories.BotChallenge, new Page { Status = 403, Headers = new Dictionary<string, string> { ["cf-mitigated"] = "challenge" }, Body = "<html><title>Just a moment...</title></html>" } },
        { ErrorCategories.Http5xx, new Page { Status = 500, Body = "<html><body><main>Internal error</main></body></html>" } },
        { ErrorCategories.EmptyContent, new Page { Body = "", Validators = false } },
        { ErrorCategories.SelectorNotFound, Page.Html("<html><body><div>Maintenance</div></body></html>") },
        { ErrorCategories.EmptyContent, Page.Html("<html><body><main>  <script>x()</script> </main></body></html>") },
        { ErrorCategories.TooLarge, new Page { Body = "<html><body><main>" + new string('x', 300_000) + "</main></body></html>", Validators = false } },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Error_KeepsBaselineRaisesNoEvent_AndRecoveryReportsNoChange(string category, Page failure)
    {
        await using var capped = CreateHost("capped", new Dictionary<string, string?> { ["ComplianceWatch:MaxResponseBytes"] = "200000" });
        server.Set("terms", Page1);
        await capped.CheckAsync(TextCatalog());
        var baseline = (await capped.Store.GetAsync("test-terms")).Snapshot!;

        server.Set("terms", failure);
        var failed = await capped.CheckAsync(TextCatalog());
        Assert.Empty(failed.Changes);
        var error = Assert.Single(failed.Errors);
        Assert.Equal(category, error.Category);
        Assert.Equal("test-terms", error.SourceId);
        var state = await capped.Store.GetAsync("test-terms");
        Assert.Equal(baseline.ContentHash, state.Snapshot!.ContentHash);
        Assert.Equal(1, state.Health.ConsecutiveFailures);
        Assert.Equal(category, state.Health.LastErrorCategory);

        server.Set("terms", Page1);
        var recovered = await capped.CheckAsync(TextCatalog());
        Assert.Empty(recovered.Changes);
        Assert.Empty(recovered.Errors);
        Assert.Equal(0, (await capped.Store.GetAsync("test-terms")).Health.ConsecutiveFailures);
    }

    [Fact]
    public async Task UnreachableHost_IsAConnectErrorAndKeepsBaseline()
    {
        server.Set("terms", Page1);
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var catalog = Catalogs.Terms(new Uri($"http://127.0.0.1:{port}/terms"), select: "main");
        server.Set("terms", Page1);
        var report = await host.CheckAsync(catalog);
        Assert.Equal(ErrorCategories.Connect, Assert.Single(report.Errors).Category);
        Assert.Null((await host.Store.GetAsync("test-terms")).Snapshot);
    }

    [Fact]
    public async Task RepeatedFailures_ReportStoppedTrackingOnce_ThenResumed()
    {
        server.Set("terms", Page1);
        await host.CheckAsync(TextCatalog());
        server.Set("terms", new Page { Status = 500 });
        var reports = new List<CheckReport>();
        for (var i = 0; i < 4; i++)
        {
            reports.Add(await host.CheckAsync(TextCatalog()));
        }

        var healthEvents = reports.SelectMany(r => r.Changes).ToArray();
        var stopped = Assert.Single(healthEvents);
        Assert.Equal(ChangeEventTypes.HealthChanged, stopped.Type);
        Assert.Equal("stopped", stopped.Data.Health);
        Assert.Empty(reports[0].Changes);
        Assert.Single(reports[2].Changes); // the third consecutive failure (default threshold 3)

        server.Set("terms", Page1);
        var resumed = Assert.Single((await host.CheckAsync(TextCatalog())).Changes);
        Assert.Equal("resumed", resumed.Data.Health);
        Assert.Equal(Severity.Notice, resumed.Data.Severity);
    }

    [Fact]
    public async Task EditedSelector_IsARulesUpdateRecordedButNotAnnounced()
    {
        server.Set("terms", Page1);
        await host.CheckAsync(TextCatalog("main"));
        var report = await host.CheckAsync(TextCatalog("main ul"));
        Assert.Empty(report.Changes);
        Assert.Equal(CheckOutcome.RulesUpdated, report.Results[0].Outcome);
        var history = await host.Store.QueryHistoryAsync(new HistoryQuery());
        Assert.Equal([HistoryEntryType.Baseline, HistoryEntryType.RulesUpdate], history.Select(h => h.Type).ToArray());

        server.Set("terms", Page1.Replace("<li>Japan</li>", "", StringComparison.Ordinal));
        Assert.Single((await host.CheckAsync(TextCatalog("main ul"))).Changes);
    }

    private string RootCatalog(string select = "#root") => Catalogs.Terms(server.Url("terms"), select: select);

    private static int TermsChanges(CheckReport report) => report.Changes.Count(c => c.Type == ChangeEventTypes.TermsChanged);

    [Fact]
    public async Task DocumentAndErrorPageAlternatingSixTimes_RaisesNoChangeEvent()
    {
        var document = RealPageShapes.MetaPolicyDocument();
        server.Set("terms", document);
        await host.CheckAsync(RootCatalog());

        var reports = new List<CheckReport>();
        for (var flip = 0; flip < 6; flip++)
        {
            server.Set("terms", flip % 2 == 0 ? (flip % 4 == 0 ? RealPageShapes.MetaErrorPage : RealPageShapes.MetaUnexpectedError) : document);
            reports.Add(await host.CheckAsync(RootCatalog()));
        }

        Assert.All(reports, r => Assert.Empty(r.Changes));
        Assert.All(reports.Where((_, i) => i % 2 == 0), r => Assert.Equal(ErrorCategories.Unavailable, Assert.Single(r.Errors).Category));
        Assert.All(reports.Where((_, i) => i % 2 == 1), r => Assert.Empty(r.Errors));
        var history = await host.Store.QueryHistoryAsync(new HistoryQuery());
        Assert.Equal(HistoryEntryType.Baseline, Assert.Single(history).Type);
    }

    [Fact]
    public async Task ErrorPageHeldKChecks_RaisesExactlyOneHealthEventAndNoTermsChange()
    {
        server.Set("terms", RealPageShapes.MetaPolicyDocument());
        await host.CheckAsync(RootCatalog());
        var baseline = (await host.Store.GetAsync("test-terms")).Snapshot!;

        server.Set("terms", RealPageShapes.MetaErrorPage);
        var reports = new List<CheckReport>();
        for (var i = 0; i < 5; i++) // K = 3 (settings.confirmations and the health threshold), held beyond it
        {
            reports.Add(await host.CheckAsync(RootCatalog()));
        }

        var events = reports.SelectMany(r => r.Changes).ToArray();
        var health = Assert.Single(events);
        Assert.Equal(ChangeEventTypes.HealthChanged, health.Type);
        Assert.Equal("stopped", health.Data.Health);
        Assert.Equal(ErrorCategories.Unavailable, health.Data.ErrorCategory);
        Assert.Single(reports[2].Changes);
        Assert.Equal(baseline.ContentHash, (await host.Store.GetAsync("test-terms")).Snapshot!.ContentHash);

        server.Set("terms", RealPageShapes.MetaPolicyDocument());
        var back = await host.CheckAsync(RootCatalog());
        Assert.Equal(0, TermsChanges(back)); // the document's return is no change, only "tracking resumed"
        Assert.Equal("resumed", Assert.Single(back.Changes).Data.Health);
    }

    public static TheoryData<string, string, string> Soft404s => new()
    {
        { "meta, this page isn't available", "#root", RealPageShapes.MetaErrorPage },
        { "meta, an unexpected error", "#root", RealPageShapes.MetaUnexpectedError },
        { "chinese, page does not exist", ".Policy", RealPageShapes.ChineseSoft404 },
        { "english page not found in the selection", ".Policy", "<html><body><div class=\"Policy\"><h1>Page not found</h1><p>Try the home page.</p></div></body></html>" },
    };

    [Theory]
    [MemberData(nameof(Soft404s))]
    public async Task Soft404_IsUnavailableAndKeepsBaseline(string shape, string select, string errorPage)
    {
        var document = select == "#root" ? RealPageShapes.MetaPolicyDocument()
            : "<html><body><div class=\"Policy\">" + string.Concat(Enumerable.Repeat("<p>我们非常重视您的隐私保护和个人信息保护。本隐私政策适用于您通过任何方式使用我们的产品和服务。</p>", 12)) + "</div></body></html>";
        server.Set("terms", document);
        await host.CheckAsync(RootCatalog(select));
        var baseline = (await host.Store.GetAsync("test-terms")).Snapshot!;

        server.Set("terms", errorPage);
        var report = await host.CheckAsync(RootCatalog(select));
        Assert.Empty(report.Changes);
        var error = Assert.Single(report.Errors);
        Assert.True(error.Category == ErrorCategories.Unavailable, $"{shape}: {error.Category} {error.Message}");
        Assert.Contains("error page", error.Message, StringComparison.Ordinal);
        Assert.Equal(baseline.ContentHash, (await host.Store.GetAsync("test-terms")).Snapshot!.ContentHash);
    }

    [Fact]
    public async Task ShortDocumentSayingAServiceIsUnavailable_IsAChangeNotAnErrorPage()
    {
        server.Set("terms", "<html><body><main><h1>Availability</h1><p>Service available in Hong Kong.</p></main></body></html>");
        await host.CheckAsync(TextCatalog());
        server.Set("terms", "<html><body><main><h1>Availability</h1><p>Service unavailable in Hong Kong.</p></main></body></html>");

        var report = await host.CheckAsync(TextCatalog());
        Assert.Empty(report.Errors);
        Assert.Equal(["Service unavailable in Hong Kong."], Assert.Single(report.Changes).Data.Diff!.Added);
    }

    [Fact]
    public async Task ErrorPageOnTheFirstCheck_IsUnavailableAndRecordsNoBaseline()
    {
        server.Set("terms", RealPageShapes.MetaErrorPage);
        var report = await host.CheckAsync(RootCatalog());
        Assert.Equal(ErrorCategories.Unavailable, Assert.Single(report.Errors).Category);
        Assert.Null((await host.Store.GetAsync("test-terms")).Snapshot);
    }

    [Fact]
    public async Task RealShrinkHeldKChecks_IsExactlyOneChange()
    {
        server.Set("terms", RealPageShapes.MetaPolicyDocument(paragraphs: 6));
        await host.CheckAsync(RootCatalog());
        var shrunk = RealPageShapes.MetaPolicyDocument(paragraphs: 1);
        server.Set("terms", shrunk);

        var reports = new List<CheckReport>();
        for (var i = 0; i < 5; i++)
        {
            reports.Add(await host.CheckAsync(RootCatalog()));
        }

        Assert.Equal(1, reports.Sum(TermsChanges));
        Assert.Equal(0, TermsChanges(reports[0]));
        Assert.Equal(ErrorCategories.Unavailable, Assert.Single(reports[0].Errors).Category);
        Assert.Contains("lost most of its text", reports[0].Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCategories.Unavailable, Assert.Single(reports[1].Errors).Category);
        var change = Assert.Single(reports[2].Changes); // the K-th check (settings.confirmations = 3) with the same short text
        Assert.Equal(ChangeEventTypes.TermsChanged, change.Type);
        Assert.Equal(5, change.Data.Diff!.Removed.Count);
        Assert.Empty(reports[2].Errors);
        Assert.All(reports.Skip(3), r => Assert.Empty(r.Changes));
        var state = await host.Store.GetAsync("test-terms");
        Assert.Equal(0, state.Health.ConsecutiveFailures);
        Assert.Null(state.Health.PendingShrinkHash);
    }

    [Fact]
    public async Task ShrinkInterruptedByTheDocument_StartsCountingAgain()
    {
        var document = RealPageShapes.MetaPolicyDocument(paragraphs: 6);
        var shrunk = RealPageShapes.MetaPolicyDocument(paragraphs: 1);
        server.Set("terms", document);
        await host.CheckAsync(RootCatalog());
        var reports = new List<CheckReport>();
        foreach (var page in new[] { shrunk, shrunk, document, shrunk, shrunk })
        {
            server.Set("terms", page);
            reports.Add(await host.CheckAsync(RootCatalog()));
        }

        Assert.All(reports, r => Assert.Empty(r.Changes));
        var state = await host.Store.GetAsync("test-terms");
        Assert.Equal(2, state.Health.PendingShrinkSeen); // kept in the store between checks
        Assert.NotNull(state.Health.PendingShrinkHash);
    }

    [Fact]
    public async Task OneWordEditInALongParagraph_EventNamesTheOneChangedSentence()
    {
        static string Page(string word) => "<html><body><main><h1>Terms of Use</h1><p>" + string.Join(' ', Enumerable.Range(1, 14).Select(i => i == 9
            ? $"You must not use the Services to develop models that compete with us, except where {word} by applicable law."
            : $"Clause {i} of these terms explains how we process the information you give us, why we keep it and for how long.")) + "</p></main></body></html>";
        server.Set("terms", Page("permitted"));
        await host.CheckAsync(TextCatalog());
        server.Set("terms", Page("required"));

        var change = Assert.Single((await host.CheckAsync(TextCatalog())).Changes);
        var diff = change.Data.Diff!;
        Assert.True(Assert.Single(diff.Added).Length > 1_500);
        Assert.Equal(["You must not use the Services to develop models that compete with us, except where required by applicable law."], diff.Sentences!.Added);
        Assert.Equal(["You must not use the Services to develop models that compete with us, except where permitted by applicable law."], diff.Sentences.Removed);
        var json = System.Text.Json.JsonSerializer.Serialize(change, ComplianceWatch.Core.JsonDefaults.Options);
        Assert.Contains("\"sentences\":{\"added\":[\"You must not", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SnapshotOfThePreviousNormalizerVersion_GluedWords_IsARulesUpdateNotAChange()
    {
        // what version 2 recorded for spans laid out as blocks: the words glued at the element boundary
        const string Page = "<html><body><main><span class='a'>Llama API Terms.</span><span class='b'>Prohibited Uses</span></main></body></html>";
        var version2Hash = ComplianceWatch.Core.Hashing.Sha256(System.Text.Json.JsonSerializer.Serialize(new
        {
            select = new[] { "main" }, remove = Array.Empty<string>(), ignore = Array.Empty<string>(), extract = "text", normalizer = 2,
        }));
        await host.Store.CommitAsync(new SourceCommit
        {
            SourceId = "test-terms",
            ExpectedToken = null,
            Health = SourceHealth.Healthy,
            Snapshot = new Snapshot
            {
                ContentHash = ComplianceWatch.Core.Hashing.Sha256("Llama API Terms.Prohibited Uses"), Content = "Llama API Terms.Prohibited Uses",
                RulesHash = version2Hash, Url = server.Url("terms").ToString(), CapturedAt = DateTimeOffset.UnixEpoch, Version = 1,
            },
        });
        server.Set("terms", Page);

        var report = await host.CheckAsync(Catalogs.Terms(server.Url("terms"), select: "main"));
        Assert.Empty(report.Changes);
        Assert.Equal(CheckOutcome.RulesUpdated, report.Results[0].Outcome);
        Assert.Equal("Llama API Terms.\nProhibited Uses", (await host.Store.GetAsync("test-terms")).Snapshot!.Content);
    }

    [Fact]
    public async Task ABAB_IsTwoChangesWithDistinctIds()
    {
        var pageB = Page1.Replace("<li>China</li>", "", StringComparison.Ordinal);
        server.Set("terms", Page1);
        await host.CheckAsync(ListCatalog());
        var ids = new List<string>();
        foreach (var page in new[] { pageB, Page1, pageB })
        {
            server.Set("terms", page);
            ids.Add(Assert.Single((await host.CheckAsync(ListCatalog())).Changes).Id);
        }

        Assert.Equal(3, ids.Distinct().Count());
    }

    [Fact]
    public async Task OverlappingRunsOfOneCheck_YieldExactlyOneEvent()
    {
        server.Set("terms", Page1);
        await host.CheckAsync(TextCatalog());
        server.Set("terms", Page1.Replace("<li>China</li>", "<li>Vietnam</li>", StringComparison.Ordinal));

        await using var other = CreateHost("state");
        var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? host : other).CheckAsync(TextCatalog())));
        Assert.Single(runs.SelectMany(r => r.Changes));
        Assert.Single((await host.Store.GetAsync("test-terms")).PendingEvents);
        Assert.Equal(2, (await host.Store.QueryHistoryAsync(new HistoryQuery())).Count);
    }

    [Fact]
    public async Task PlainTextLicence_IsComparedLineByLine()
    {
        server.Set("licence", new Page { Body = "LICENSE\r\n\r\n1. You may use it.\n2. Not in the EU.\n", ContentType = "text/plain; charset=utf-8" });
        var catalog = Catalogs.Terms(server.Url("licence"), id: "licence");
        await host.CheckAsync(catalog);
        server.Set("licence", new Page { Body = "LICENSE\n\n1. You may use it.\n2. Not in the EU or China.\n", ContentType = "text/plain; charset=utf-8" });
        var change = Assert.Single((await host.CheckAsync(catalog)).Changes);
        Assert.Equal(["2. Not in the EU or China."], change.Data.Diff!.Added);
        Assert.Equal(["2. Not in the EU."], change.Data.Diff.Removed);
    }
}

public sealed class CheckRunnerPolitenessTests : IAsyncLifetime
{
    private readonly TempDirectory directory = new();
    private LoopbackServer server = null!;

    public async Task InitializeAsync() => server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        directory.Dispose();
    }

    [Fact]
    public async Task ManySourcesOnOneHost_AreCheckedAtMostPerHostLimitAtOnce_AndAllRecorded()
    {
        for (var i = 0; i < 20; i++)
        {
            server.Set($"p/{i}", new Page { Body = $"<html><body><main><p>Page {i}</p></main></body></html>", Delay = TimeSpan.FromMilliseconds(100) });
        }

        await using var host = new PipelineHost(directory.File("state"), settings: new Dictionary<string, string?>
        {
            ["ComplianceWatch:MaxConcurrency"] = "8",
            ["ComplianceWatch:MaxConnectionsPerHost"] = "2",
        });
        var report = await host.CheckAsync(Catalogs.Many(Enumerable.Range(0, 20).Select(i => ($"page-{i}", server.Url($"p/{i}")))));
        Assert.Equal(20, report.Baselined);
        Assert.InRange(server.MaxInFlight, 1, 2);
        Assert.Equal(20, (await host.Store.ListAsync()).Count);
    }
}
