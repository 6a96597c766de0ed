using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using ComplianceWatch.Api;
using ComplianceWatch.Core.Scheduling;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Infrastructure.Tables;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Functions.Tests;

/// <summary>
/// The audit API through its HTTP functions, called directly with ASP.NET Core requests: audits of loopback sources,
/// the change history and exports read back from Table Storage on Azurite, and the requests it refuses.
/// </summary>
public sealed class AuditApiTests : IAsyncLifetime
{
    private readonly TestApp test = new();
    private Scenario scenario = null!;
    private FunctionsApp app = null!;
    private ApiFunctions api = null!;

    public async Task InitializeAsync()
    {
        scenario = await Scenario.StartAsync();
        scenario.Serve("alpha", "Alpha terms apply.", "Service is offered in France.");
        scenario.Serve("beta", "Beta usage policy.", "No weapons.");
        scenario.Serve("gamma", "Gamma licence.", "Attribution required.");
        test.WriteCatalog(scenario.Catalog(("alpha", "OpenAI", null), ("beta", "Anthropic", null), ("gamma", "OpenAI", null)));
        test.Settings["ComplianceWatch:FanOut:MaxSourcesPerRequest"] = "3";
        app = test.Build();
        api = app.Create<ApiFunctions>();
    }

    public async Task DisposeAsync()
    {
        app.Dispose();
        await scenario.DisposeAsync();
        test.Dispose();
    }

    private async Task<JsonElement> AuditAsync(string? body, int expectedStatus = 200)
    {
        var result = Http.Api(await api.RunAuditAsync(Http.Post("/api/audits", body), default));
        Assert.True(result.StatusCode == expectedStatus, $"expected {expectedStatus}, got {result.StatusCode}: {result.Body}");
        using var document = result.ParseBody();
        return document.RootElement.Clone();
    }

    /// <summary>Baselines all three sources, then changes alpha twice and beta once: three change events.</summary>
    private async Task<string[]> MakeThreeChangesAsync()
    {
        await AuditAsync(null);
        scenario.Serve("alpha", "Alpha terms apply.", "Service is offered in France.", "Service is no longer offered in China.");
        scenario.Serve("beta", "Beta usage policy.", "No weapons.", "No surveillance.");
        var first = await AuditAsync("""{"sources": ["alpha", "beta"]}""");
        scenario.Serve("alpha", "Alpha terms apply.", "Service is offered in France and Japan.");
        var second = await AuditAsync("""{"kind": "terms"}""");
        return first.GetProperty("changes").EnumerateArray().Concat(second.GetProperty("changes").EnumerateArray())
            .Select(c => c.GetProperty("id").GetString()!).ToArray();
    }

    [Fact]
    public async Task RunAudit_OfEverySource_ChecksThemAndReturnsTheReport()
    {
        var report = await AuditAsync("{}");
        Assert.Equal(3, report.GetProperty("checked").GetInt32());
        Assert.Equal(3, report.GetProperty("baselined").GetInt32());
        Assert.Empty(report.GetProperty("changes").EnumerateArray());
        Assert.Empty(report.GetProperty("errors").EnumerateArray());
        Assert.All(new[] { "alpha", "beta", "gamma" }, id => Assert.Equal(1, scenario.Server.CountRequests(id)));
        Assert.IsType<TableStateStore>(app.Get<IStateStore>());
    }

    [Fact]
    public async Task RunAudit_OfListedSources_ChecksOnlyThose_AndReportsTheirChanges()
    {
        await AuditAsync(null);
        scenario.Serve("beta", "Beta usage policy.", "No weapons.", "No use in China.");
        var report = await AuditAsync("""{"sources": ["beta"]}""");
        Assert.Equal(1, report.GetProperty("checked").GetInt32());
        var change = Assert.Single(report.GetProperty("changes").EnumerateArray());
        Assert.Equal("compliancewatch.terms.changed", change.GetProperty("type").GetString());
        Assert.Equal("critical", change.GetProperty("data").GetProperty("severity").GetString());
        Assert.Equal(["No use in China."], change.GetProperty("data").GetProperty("diff").GetProperty("added").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(1, scenario.Server.CountRequests("alpha"));
        Assert.Equal(2, scenario.Server.CountRequests("beta"));
    }

    public static TheoryData<string, string> RefusedBodies => new()
    {
        { """{"sources": ["https://attacker.example/ssrf"]}""", "sources" },
        { """{"sources": ["http://127.0.0.1/evil"]}""", "sources" },
        { """{"sources": ["//127.0.0.1/evil"]}""", "sources" },
        { """{"sources": ["file:///etc/passwd"]}""", "sources" },
        { """{"url": "http://127.0.0.1/evil"}""", "url" },
        { """{"sources": ["alpha"], "urls": ["http://127.0.0.1/evil"]}""", "urls" },
        { """{"sources": ["alpha", "no-such-source"]}""", "sources" },
        { """{"sources": []}""", "sources" },
        { """{"sources": "alpha"}""", "sources" },
        { """{"kind": "podcast"}""", "kind" },
        { """{"kind": "feed", "sources": ["alpha"]}""", "sources" },
        { """{"source": ["alpha"]}""", "source" },
        { """["alpha"]""", "body" },
        { """{"sources": [""", "body" },
    };

    [Theory]
    [MemberData(nameof(RefusedBodies))]
    public async Task RunAudit_NamingAUrlOrAnUnknownSource_Is400_AndFetchesNothing(string body, string parameter)
    {
        scenario.Server.Set("evil", "<html><body><main><p>secret</p></main></body></html>");
        var problem = await AuditAsync(body, 400);
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Empty(scenario.Server.Requests);
    }

    [Fact]
    public async Task RunAudit_WithAUrlInTheQuery_Is400()
    {
        var request = Http.Request("POST", "/api/audits", "url=http%3A%2F%2F127.0.0.1%2Fevil", "{}");
        var result = Http.Api(await api.RunAuditAsync(request, default));
        Assert.Equal(400, result.StatusCode);
        Assert.Empty(scenario.Server.Requests);
    }

    [Fact]
    public async Task Changes_ReadFromTableStorage_AreWhatTheChecksFound()
    {
        var ids = await MakeThreeChangesAsync();
        Assert.Equal(3, ids.Length);
        var page = Http.Json(await api.ListChangesAsync(Http.Get("/api/changes"), default));
        var items = page.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(ids.Order(), items.Select(i => i.GetProperty("id").GetString()).Order());
        Assert.Equal(items.OrderBy(i => i.GetProperty("time").GetDateTimeOffset()).Select(i => i.GetProperty("id").GetString()), items.Select(i => i.GetProperty("id").GetString()));
        Assert.True(page.GetProperty("next").ValueKind == JsonValueKind.Null);
        Assert.All(items, i => Assert.Equal(ApiRoutes.ChangePath(i.GetProperty("id").GetString()!), i.GetProperty("href").GetString()));
    }

    [Theory]
    [InlineData("source=alpha", 2)]
    [InlineData("source=alpha,beta", 3)]
    [InlineData("provider=anthropic", 1)]
    [InlineData("provider=Mistral", 0)]
    [InlineData("kind=terms", 3)]
    [InlineData("kind=feed", 0)]
    [InlineData("severity=critical", 2)] // alpha added, then removed, a line naming China
    [InlineData("severity=warning", 3)]
    [InlineData("since=2999-01-01", 0)]
    [InlineData("until=2000-01-01", 0)]
    public async Task Changes_AreFiltered(string query, int expected)
    {
        await MakeThreeChangesAsync();
        var page = Http.Json(await api.ListChangesAsync(Http.Get("/api/changes", query), default));
        Assert.Equal(expected, page.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Changes_ArePaged_WithACursorThatResumesAfterThePage()
    {
        var ids = await MakeThreeChangesAsync();
        var first = Http.Json(await api.ListChangesAsync(Http.Get("/api/changes", "limit=2&source=alpha&source=beta"), default));
        Assert.Equal(2, first.GetProperty("items").GetArrayLength());
        var next = new Uri("https://compliancewatch.example" + first.GetProperty("next").GetString());
        Assert.Equal("/api/changes", next.AbsolutePath);
        Assert.Contains("source=alpha", next.Query, StringComparison.Ordinal);
        var second = Http.Json(await api.ListChangesAsync(Http.Get(next.AbsolutePath, next.Query), default));
        var all = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).Select(i => i.GetProperty("id").GetString()).ToArray();
        Assert.Equal(ids.Order(), all.Order());
        Assert.True(second.GetProperty("next").ValueKind == JsonValueKind.Null);
    }

    [Theory]
    [InlineData("since=yesterday", "since")]
    [InlineData("until=13/45/2026", "until")]
    [InlineData("kind=podcast", "kind")]
    [InlineData("severity=loud", "severity")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("source=no-such-source", "source")]
    [InlineData("provider=a&provider=b", "provider")]
    public async Task Changes_WithABadParameter_Are400NamingIt(string query, string parameter)
    {
        var result = Http.Api(await api.ListChangesAsync(Http.Get("/api/changes", query), default));
        Assert.Equal(400, result.StatusCode);
        Assert.StartsWith("application/problem+json", result.ContentType, StringComparison.Ordinal);
        using var problem = result.ParseBody();
        Assert.Equal(parameter, problem.RootElement.GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task Change_ById_HasItsDiffAndEvidence()
    {
        await AuditAsync(null);
        scenario.Serve("gamma", "Gamma licence.", "Attribution required.", "No use for export-controlled end users.");
        var report = await AuditAsync("""{"sources": ["gamma"]}""");
        var id = report.GetProperty("changes")[0].GetProperty("id").GetString()!;

        var detail = Http.Json(await api.GetChangeAsync(Http.Get($"/api/changes/{id}"), id, default));
        Assert.Equal(id, detail.GetProperty("change").GetProperty("id").GetString());
        Assert.Equal("gamma", detail.GetProperty("change").GetProperty("sourceId").GetString());
        Assert.Equal(["No use for export-controlled end users."], detail.GetProperty("diff").GetProperty("added").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("+No use for export-controlled end users.", detail.GetProperty("diff").GetProperty("unified").GetString(), StringComparison.Ordinal);
        var evidence = detail.GetProperty("evidence");
        Assert.Contains("No use for export-controlled end users.", evidence.GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Equal(detail.GetProperty("event").GetProperty("data").GetProperty("currentHash").GetString(), evidence.GetProperty("contentHash").GetString());
        Assert.Equal(detail.GetProperty("event").GetProperty("data").GetProperty("previousHash").GetString(), evidence.GetProperty("previousContentHash").GetString());
        Assert.Equal(64, evidence.GetProperty("entryHash").GetString()!.Length);
        Assert.Equal(evidence.GetProperty("previousEntryHash").GetString(), detail.GetProperty("event").GetProperty("data").GetProperty("previousEntryHash").GetString());

        var missing = Http.Api(await api.GetChangeAsync(Http.Get("/api/changes/0000"), "0000", default));
        Assert.Equal(404, missing.StatusCode);
    }

    [Fact]
    public async Task AuditReport_CsvAndMarkdown_ContainEveryChangeOfThePeriod()
    {
        var ids = await MakeThreeChangesAsync();
        var since = DateTimeOffset.UtcNow.AddHours(-1).ToString("O");
        var entries = await app.Get<IStateStore>().QueryHistoryAsync(new HistoryQuery());
        Assert.Equal(6, entries.Count); // three baselines, three changes

        var csv = Http.Api(await api.GetAuditReportAsync(Http.Get("/api/audits/report", $"since={Uri.EscapeDataString(since)}&format=csv"), default));
        Assert.Equal(200, csv.StatusCode);
        Assert.StartsWith("text/csv", csv.ContentType, StringComparison.Ordinal);
        Assert.Contains("attachment", csv.Headers["Content-Disposition"], StringComparison.Ordinal);
        var rows = csv.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("time,sourceId,sequence,type", rows[0], StringComparison.Ordinal);
        Assert.All(ids, id => Assert.Single(rows, r => r.Contains(id, StringComparison.Ordinal)));
        Assert.All(entries, e => Assert.Contains(e.EntryHash, csv.Body, StringComparison.Ordinal));
        Assert.Contains("Service is no longer offered in China.", csv.Body, StringComparison.Ordinal);

        var md = Http.Api(await api.GetAuditReportAsync(Http.Get("/api/audits/report", $"since={Uri.EscapeDataString(since)}&format=md"), default));
        Assert.StartsWith("text/markdown", md.ContentType, StringComparison.Ordinal);
        Assert.All(ids, id => Assert.Contains(id, md.Body, StringComparison.Ordinal));
        Assert.Contains("+No surveillance.", md.Body, StringComparison.Ordinal);
        Assert.Contains("+Service is offered in France and Japan.", md.Body, StringComparison.Ordinal);
        Assert.Equal(3, md.Body.Split("```diff", StringSplitOptions.None).Length - 1);

        var json = Http.Api(await api.GetAuditReportAsync(Http.Get("/api/audits/report", $"since={Uri.EscapeDataString(since)}"), default));
        using (var document = json.ParseBody())
        {
            Assert.Equal(6, document.RootElement.GetArrayLength()); // still the array of entries: each carries its source's chain head
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                var state = await app.Get<IStateStore>().GetAsync(entry.GetProperty("sourceId").GetString()!);
                Assert.Equal(state.ChainHead, entry.GetProperty("chainHead").GetProperty("hash").GetString());
                Assert.Equal(state.EntryCount, entry.GetProperty("chainHead").GetProperty("entries").GetInt64());
            }
        }

        var later = Http.Api(await api.GetAuditReportAsync(Http.Get("/api/audits/report", "since=2999-01-01&format=csv"), default));
        Assert.Single(later.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task VerifyChains_IntactStore_Is200WithEachHead_AndADeletedEntryIs409NamingIt()
    {
        await MakeThreeChangesAsync();
        var intact = Http.Api(await api.VerifyChainsAsync(Http.Get("/api/audits/verify"), default));
        Assert.Equal(200, intact.StatusCode);
        using (var document = intact.ParseBody())
        {
            Assert.True(document.RootElement.GetProperty("intact").GetBoolean());
            var chains = document.RootElement.GetProperty("chains").EnumerateArray().ToArray();
            Assert.Equal(["alpha", "beta", "gamma"], chains.Select(c => c.GetProperty("sourceId").GetString()));
            var alpha = (await app.Get<IStateStore>().GetAsync("alpha")).ChainHead;
            Assert.Equal(alpha, chains[0].GetProperty("head").GetString());
        }

        await Azurite.Table(test.Table).DeleteEntityAsync(TableKeys.SourcePartition("alpha"), TableKeys.History(2));
        var broken = Http.Api(await api.VerifyChainsAsync(Http.Get("/api/audits/verify"), default));
        Assert.Equal(409, broken.StatusCode);
        using (var document = broken.ParseBody())
        {
            Assert.False(document.RootElement.GetProperty("intact").GetBoolean());
            Assert.StartsWith("alpha#2: missing or reordered", Assert.Single(document.RootElement.GetProperty("problems").EnumerateArray()).GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task VerifyChains_CurrentSnapshotEditedReplacedOrDeleted_Is409NamingTheSource()
    {
        await MakeThreeChangesAsync();
        var table = Azurite.Table(test.Table);
        var original = Copy((await table.GetEntityAsync<TableEntity>(TableKeys.SourcePartition("alpha"), TableKeys.State)).Value);
        var beta = (await table.GetEntityAsync<TableEntity>(TableKeys.SourcePartition("beta"), TableKeys.State)).Value;
        string[] snapshotColumns = ["Snapshot", .. TableBlobs.Columns("C")];

        async Task<string> ProblemAfterAsync(Action<TableEntity> tamper)
        {
            var row = Copy(original);
            tamper(row);
            await table.UpsertEntityAsync(row, TableUpdateMode.Replace);
            var result = Http.Api(await api.VerifyChainsAsync(Http.Get("/api/audits/verify"), default));
            Assert.Equal(409, result.StatusCode);
            using var document = result.ParseBody();
            return Assert.Single(document.RootElement.GetProperty("problems").EnumerateArray()).GetString()!;
        }

        // edited: the recorded content hash of alpha's snapshot changed by hand
        var edited = await ProblemAfterAsync(row =>
        {
            var snapshot = JsonNode.Parse(row.GetString("Snapshot"))!.AsObject();
            snapshot["contentHash"] = new string('0', 64);
            row["Snapshot"] = snapshot.ToJsonString();
        });
        Assert.StartsWith("alpha: the current snapshot's content does not match its content hash", edited, StringComparison.Ordinal);

        // replaced: beta's snapshot, metadata and content, put in alpha's place
        var replaced = await ProblemAfterAsync(row =>
        {
            foreach (var column in snapshotColumns)
            {
                row.Remove(column);
                if (beta.TryGetValue(column, out var value))
                {
                    row[column] = value;
                }
            }
        });
        Assert.StartsWith("alpha: the current snapshot is not the content that entry #3 recorded", replaced, StringComparison.Ordinal);

        // deleted
        var deleted = await ProblemAfterAsync(row =>
        {
            foreach (var column in snapshotColumns)
            {
                row.Remove(column);
            }
        });
        Assert.StartsWith("alpha: the current snapshot is missing although entry #1 recorded a baseline", deleted, StringComparison.Ordinal);

        await table.UpsertEntityAsync(original, TableUpdateMode.Replace);
        Assert.Equal(200, Http.Api(await api.VerifyChainsAsync(Http.Get("/api/audits/verify"), default)).StatusCode);

        static TableEntity Copy(TableEntity row) =>
            new(row.Where(p => p.Key is not ("odata.etag" or "Timestamp")).ToDictionary(p => p.Key, p => p.Value));
    }

    [Fact]
    public void Dashboard_IsOneSelfContainedPage_BehindTheFunctionKey()
    {
        var result = Http.Api(ApiFunctions.GetDashboard(Http.Get("/api/dashboard")));
        Assert.Equal(200, result.StatusCode);
        Assert.StartsWith("text/html", result.ContentType, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", result.Headers["Content-Security-Policy"], StringComparison.Ordinal);
        Assert.DoesNotContain("src=\"http", result.Body, StringComparison.Ordinal); // no script, style or image from elsewhere
        Assert.DoesNotContain("<link", result.Body, StringComparison.Ordinal);
        Assert.Contains("code=", result.Body, StringComparison.Ordinal); // the page passes its function key on to the API it reads
    }

    [Theory]
    [InlineData("format=csv", "since")]
    [InlineData("since=2026-01-01&format=pdf", "format")]
    [InlineData("since=2026-01-01&source=https://x.example/", "source")]
    public async Task AuditReport_WithABadParameter_Is400NamingIt(string query, string parameter)
    {
        var result = Http.Api(await api.GetAuditReportAsync(Http.Get("/api/audits/report", query), default));
        Assert.Equal(400, result.StatusCode);
        using var problem = result.ParseBody();
        Assert.Equal(parameter, problem.RootElement.GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task Sources_ShowLastCheckVerdictAndHealth()
    {
        scenario.Server.Set("gamma", new ComplianceWatch.Demo.Fakes.Page { Status = 404, Body = "gone" });
        await AuditAsync(null);
        var sources = Http.Json(await api.ListSourcesAsync(Http.Get("/api/sources"), default)).GetProperty("sources").EnumerateArray()
            .ToDictionary(s => s.GetProperty("id").GetString()!);
        Assert.Equal(["alpha", "beta", "gamma"], sources.Keys.Order());
        var alpha = sources["alpha"];
        Assert.Equal("tracked", alpha.GetProperty("verdict").GetString());
        Assert.Equal("healthy", alpha.GetProperty("health").GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.String, alpha.GetProperty("lastCheck").ValueKind);
        Assert.Equal("OpenAI", alpha.GetProperty("provider").GetString());
        Assert.Equal(SourceSchedules.Defaults["terms"], alpha.GetProperty("schedule").GetString());
        var gamma = sources["gamma"];
        Assert.Equal("failed", gamma.GetProperty("verdict").GetString());
        Assert.Equal("failing", gamma.GetProperty("health").GetProperty("status").GetString());
        Assert.Equal("http-4xx", gamma.GetProperty("health").GetProperty("lastErrorCategory").GetString());
        Assert.Equal(1, gamma.GetProperty("health").GetProperty("consecutiveFailures").GetInt32());
    }

    [Fact]
    public async Task Health_AnswersWithoutAKey_AndSaysNothingMore()
    {
        var health = Http.Json(await api.HealthAsync(Http.Get("/api/health"), default));
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal(3, health.GetProperty("sources").GetInt32());
    }

    [Fact]
    public async Task ApiResult_WritesItsStatusHeadersAndBody_ToTheResponse()
    {
        var request = Http.Post("/api/audits", """{"sources": ["nope"]}""");
        var result = await api.RunAuditAsync(request, default);
        await result.ExecuteResultAsync(new Microsoft.AspNetCore.Mvc.ActionContext { HttpContext = request.HttpContext });
        var response = request.HttpContext.Response;
        Assert.Equal(400, response.StatusCode);
        Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
        response.Body.Position = 0;
        Assert.Contains("no source 'nope' in the catalog", await new StreamReader(response.Body).ReadToEndAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sources_ShowAReachabilitySourcesVerdictPerVantagePoint()
    {
        var catalog = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(scenario.Catalog(("alpha", "OpenAI", null)))!;
        var sourcesJson = catalog["sources"].GetRawText().TrimEnd(']') +
            """,{"id": "openai-api", "kind": "reachability", "title": "OpenAI API", "provider": "OpenAI", "url": "https://api.openai.example/v1/models", "vantagePoints": ["local", "proxy:hk"]}]""";
        test.WriteCatalog($$"""{"sources": {{sourcesJson}}}""");
        var store = app.Get<IStateStore>();
        await store.CommitAsync(new SourceCommit
        {
            SourceId = "openai-api",
            ExpectedToken = null,
            Health = SourceHealth.Healthy,
            Snapshot = new Snapshot
            {
                ContentHash = "h", RulesHash = "r", CapturedAt = DateTimeOffset.UtcNow, Version = 1,
                Content = """{"vantagePoints": {"local": {"verdict": "reachable", "count": 0}, "proxy:hk": {"verdict": "blocked-by-provider", "count": 0}}}""",
            },
        });

        var sources = Http.Json(await api.ListSourcesAsync(Http.Get("/api/sources"), default)).GetProperty("sources").EnumerateArray();
        var verdict = sources.Single(s => s.GetProperty("id").GetString() == "openai-api").GetProperty("verdict");
        Assert.Equal("reachable", verdict.GetProperty("local").GetString());
        Assert.Equal("blocked-by-provider", verdict.GetProperty("proxy:hk").GetString());
        Assert.Equal("unchecked", sources.Single(s => s.GetProperty("id").GetString() == "alpha").GetProperty("verdict").GetString());
    }
}
