using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Reachability;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>
/// Reachability end to end: the real probes against loopback endpoints that imitate each provider, a fake Globalping
/// API as the control, the real checker and the real embedded store.
/// </summary>
public sealed class ReachabilityPipelineTests : IAsyncLifetime
{
    private const string OpenAiUnsupported = """{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}""";
    private const string OpenAiMissingKey = """{"error":{"message":"You didn't provide an API key.","type":"invalid_request_error","param":null,"code":null}}""";
    private const string OpenAiInvalidKey = """{"error":{"message":"Incorrect API key provided: sk-test.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""";
    private const string AnthropicForbidden = """{"type":"error","error":{"type":"forbidden","message":"Request not allowed"}}""";
    private const string GeminiLocation = """{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}""";
    private const string ChallengePage = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><script src=\"/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1\"></script></body></html>";

    private static readonly Page Reachable = new() { Status = 401, Body = OpenAiMissingKey, ContentType = "application/json", Validators = false };
    private static readonly Page GeoBlocked = new() { Status = 403, Body = OpenAiUnsupported, ContentType = "application/json", Validators = false };

    private readonly TempDirectory directory = new();
    private LoopbackServer provider = null!;
    private FakeGlobalping globalping = null!;
    private PipelineHost host = null!;

    public async Task InitializeAsync()
    {
        provider = await LoopbackServer.StartAsync();
        globalping = await FakeGlobalping.StartAsync();
        host = NewHost();
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await globalping.DisposeAsync();
        await provider.DisposeAsync();
        directory.Dispose();
    }

    private PipelineHost NewHost(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ComplianceWatch:Globalping:Endpoint"] = globalping.Endpoint.ToString(),
            ["ComplianceWatch:Globalping:PollInterval"] = "00:00:00.5",
            ["ComplianceWatch:Globalping:Retries"] = "0",
            ["ComplianceWatch:Region"] = "westeurope",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return new PipelineHost(directory.File("state"), settings: settings);
    }

    private string LocalCatalog(int confirmations = 3, string? control = null) =>
        Catalogs.Reachability(provider.Url("v1/models"), ["local"], control: control, confirmations: confirmations);

    // ---------------------------------------------------------------- Done means 1: each verdict from realistic responses

    public static TheoryData<string, int, string, string?, string> ProviderResponses => new()
    {
        { "OpenAI 403 unsupported_country_region_territory", 403, OpenAiUnsupported, null, "geo-blocked" },
        { "OpenAI 401 invalid API key", 401, OpenAiInvalidKey, null, "reachable" },
        { "Anthropic 403 forbidden", 403, AnthropicForbidden, null, "geo-blocked" },
        { "Gemini 400 FAILED_PRECONDITION", 400, GeminiLocation, null, "geo-blocked" },
        { "Cloudflare challenge header", 403, ChallengePage, "challenge", "bot-challenge" },
        { "503 from the provider", 503, "upstream connect error", null, "outage" },
    };

    [Theory]
    [MemberData(nameof(ProviderResponses))]
    public async Task LocalProbe_ProviderResponse_IsClassified_AndRecordedAsTheBaselineWithEvidence(string shape, int status, string body, string? mitigated, string verdict)
    {
        provider.Set("v1/models", new Page
        {
            Status = status, Body = body, Validators = false,
            ContentType = body.StartsWith('{') ? "application/json" : "text/html",
            Headers = mitigated is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["cf-mitigated"] = mitigated, ["Set-Cookie"] = "__cf_bm=secret-cookie-value; path=/" },
        });

        var report = await host.CheckAsync(LocalCatalog());

        Assert.Equal(1, report.Baselined);
        Assert.Empty(report.Changes);
        var entry = Assert.Single(await host.Store.QueryHistoryAsync(new HistoryQuery { IncludeContent = true }));
        var record = ReachabilityRecord.TryRead(entry)!;
        Assert.True(verdict == record.Verdict, $"{shape}: {record.Verdict} ({record.Reason})");
        Assert.Equal("local:westeurope", record.VantagePoint);
        var evidence = Assert.Single(record.Evidence);
        Assert.Equal(status, evidence.Status);
        Assert.Equal(["127.0.0.1"], evidence.DnsAnswers);
        Assert.True(evidence.Connect!.Connected);
        Assert.StartsWith("127.0.0.1:", evidence.Connect.Address, StringComparison.Ordinal);
        Assert.NotNull(evidence.Timings!.Total);
        Assert.Equal(body.Length <= 1024 ? body : body[..1024] + "…", evidence.BodyExcerpt);
        Assert.DoesNotContain("secret-cookie-value", entry.Content, StringComparison.Ordinal);
        if (mitigated is not null)
        {
            Assert.Equal("challenge", evidence.Headers!["cf-mitigated"]);
            Assert.Equal("__cf_bm", evidence.Headers["set-cookie (names)"]);
        }
    }

    [Fact]
    public async Task LocalProbe_SendsAnUnauthenticatedRequest()
    {
        provider.Set("v1/models", Reachable);
        await host.CheckAsync(LocalCatalog());
        var headers = Assert.Single(provider.RequestHeaders);
        Assert.False(headers.ContainsKey("Authorization"));
        Assert.False(headers.ContainsKey("x-api-key"));
        Assert.False(headers.ContainsKey("Cookie"));
        Assert.StartsWith("ComplianceWatch/", headers["User-Agent"], StringComparison.Ordinal);
    }

    public enum Failure
    {
        ClosedPort,
        UnresolvableHost,
        SilentListener,
        CertificateForAnotherName,
    }

    [Theory]
    [InlineData(Failure.ClosedPort, "connect")]
    [InlineData(Failure.UnresolvableHost, "dns")]
    [InlineData(Failure.SilentListener, "timeout")]
    [InlineData(Failure.CertificateForAnotherName, "tls")]
    public async Task NetworkFailure_IsNetworkBlockedWhenTheControlSucceeds_AndOutageWhenTheControlFailsToo(Failure failure, string stage)
    {
        await using var target = await FailingTargetAsync(failure);

        // the control (Globalping probes in the US) reaches the endpoint: the failure is the local network's
        globalping.Results = c => [FakeGlobalping.Http(c, 401, OpenAiMissingKey), FakeGlobalping.Http(c, 401, OpenAiMissingKey), FakeGlobalping.Http(c, 401, OpenAiMissingKey)];
        var catalog = Catalogs.Reachability(target.Url, ["local"], control: "globalping:US", id: "blocked");
        await host.CheckAsync(catalog);
        var blocked = await VerdictOf("blocked");
        Assert.Equal("network-blocked", blocked.Verdict);
        Assert.Equal(stage, blocked.Evidence.Single().Failure!.Stage);

        // the control fails too: an outage
        globalping.Results = c => [FakeGlobalping.Failed(c, "connect ECONNREFUSED 104.18.33.45:443"), FakeGlobalping.Failed(c, "connect ECONNREFUSED 104.18.33.45:443"), FakeGlobalping.Failed(c, "connect ECONNREFUSED 104.18.33.45:443")];
        var outageCatalog = Catalogs.Reachability(target.Url, ["local"], control: "globalping:US", id: "down");
        await host.CheckAsync(outageCatalog);
        Assert.Equal("outage", (await VerdictOf("down")).Verdict);
    }

    [Fact]
    public async Task CertificateForAnotherName_IsRecordedAsTlsEvidence()
    {
        await using var target = await FailingTargetAsync(Failure.CertificateForAnotherName);
        await host.CheckAsync(Catalogs.Reachability(target.Url, ["local"], control: "globalping:US"));
        var tls = (await VerdictOf("test-reach")).Evidence.Single().Tls!;
        Assert.Equal("CN=wrong.example", tls.Subject);
        Assert.Equal(["wrong.example"], tls.AlternativeNames);
        Assert.False(tls.Valid);
        Assert.Contains("RemoteCertificateNameMismatch", tls.Error, StringComparison.Ordinal);
        Assert.NotNull(tls.NotAfter);
    }

    [Fact]
    public async Task GlobalpingMeasurementFailedInternally_IsUnknown_ReportedInErrors_AndNoBaseline()
    {
        globalping.Results = c => [FakeGlobalping.Failed(c, "Internal error", "internal"), FakeGlobalping.Failed(c, "Internal error", "internal"), FakeGlobalping.Failed(c, "Internal error", "internal")];
        var report = await host.CheckAsync(Catalogs.Reachability(new Uri("https://api.openai.com/v1/models"), ["globalping:CN"]));

        var error = Assert.Single(report.Errors);
        Assert.Equal("unknown", error.Category);
        Assert.Contains("globalping:CN", error.Message, StringComparison.Ordinal);
        Assert.Empty(report.Changes);
        Assert.Equal(CheckOutcome.Failed, report.Results[0].Outcome);
        Assert.Null((await host.Store.GetAsync("test-reach")).Snapshot);
    }

    // ---------------------------------------------------------------- Done means 2: observation sequences

    [Fact]
    public async Task Sequence_UUDUDDD_GivesExactlyOneTransition_AtTheThirdConsecutiveD()
    {
        var changes = new List<ChangeEvent>();
        var sequence = "UUDUDDD";
        for (var i = 0; i < sequence.Length; i++)
        {
            provider.Set("v1/models", sequence[i] == 'U' ? Reachable : GeoBlocked);
            var report = await host.CheckAsync(LocalCatalog());
            Assert.Empty(report.Errors);
            if (i < sequence.Length - 1)
            {
                Assert.Empty(report.Changes);
            }

            changes.AddRange(report.Changes);
        }

        var change = Assert.Single(changes);
        Assert.Equal(ChangeEventTypes.ReachabilityChanged, change.Type);
        Assert.Equal("local:westeurope", change.Data.VantagePoint);
        Assert.Equal("reachable", change.Data.PreviousVerdict);
        Assert.Equal("geo-blocked", change.Data.Verdict);
        Assert.Equal(Severity.Critical, change.Data.Severity);
        Assert.Equal("reachability", change.Data.Kind);
        Assert.Equal(64, change.Id.Length);
        var evidence = change.Data.Evidence!.Value.EnumerateArray().Single();
        Assert.Equal(403, evidence.GetProperty("status").GetInt32());
        Assert.Contains("unsupported_country_region_territory", evidence.GetProperty("bodyExcerpt").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("geo-blocked: HTTP 403 matches signature openai-unsupported-region", evidence.GetProperty("outcome").GetString(), StringComparison.Ordinal);

        var state = await host.Store.GetAsync("test-reach");
        Assert.Equal(change.Id, Assert.Single(state.PendingEvents).Id);
        var history = await host.Store.QueryHistoryAsync(new HistoryQuery());
        Assert.Equal([HistoryEntryType.Baseline, HistoryEntryType.Change], history.Select(h => h.Type));
        Assert.Equal(history[0].EntryHash, change.Data.PreviousEntryHash);
        await host.AssertVerifiedAsync(); // the streak counters changed on every check without an entry
    }

    [Fact]
    public async Task AuditVerify_FindsAConfirmedVerdictEditedInTheCurrentSnapshot()
    {
        provider.Set("v1/models", Reachable);
        await host.CheckAsync(LocalCatalog(confirmations: 1));
        provider.Set("v1/models", GeoBlocked);
        Assert.Single((await host.CheckAsync(LocalCatalog(confirmations: 1))).Changes);
        await host.AssertVerifiedAsync();

        // the block turned back into "reachable" by hand, hash recomputed: the next check would announce a second block
        await PipelineHost.EditSnapshotAsync(directory.File("state"), "test-reach", snapshot =>
        {
            var state = JsonNode.Parse(snapshot["content"]!.GetValue<string>())!;
            state["vantagePoints"]!["local:westeurope"]!["verdict"] = "reachable";
            snapshot["content"] = state.ToJsonString();
            snapshot["contentHash"] = ReachabilityState.Parse(state.ToJsonString()).VerdictHash();
        });

        var problem = Assert.Single((await ChainVerifier.VerifyAsync(host.Store)).Problems);
        Assert.Equal("test-reach: the current snapshot holds the verdict reachable for local:westeurope but entry #2 recorded geo-blocked (edited or replaced)", problem);
    }

    [Fact]
    public async Task Sequence_Alternating_GivesNoEvent_AndOneFlappingNote()
    {
        var events = 0;
        foreach (var c in "UDUDUDUDUD")
        {
            provider.Set("v1/models", c == 'U' ? Reachable : GeoBlocked);
            var report = await host.CheckAsync(LocalCatalog());
            events += report.Changes.Count;
        }

        Assert.Equal(0, events);
        var history = await host.Store.QueryHistoryAsync(new HistoryQuery());
        Assert.Equal([HistoryEntryType.Baseline, HistoryEntryType.Flapping], history.Select(h => h.Type));
        Assert.Contains("flapping", history[1].Summary, StringComparison.Ordinal);
        Assert.Null(history[1].Event);
        await host.AssertVerifiedAsync(); // a flapping note records the observation, not a new verdict
    }

    [Fact]
    public async Task Recovery_IsAChangeEventOfSeverityNotice()
    {
        foreach (var c in "UDDDUUU")
        {
            provider.Set("v1/models", c == 'U' ? Reachable : GeoBlocked);
            await host.CheckAsync(LocalCatalog());
        }

        var events = (await host.Store.GetAsync("test-reach")).PendingEvents;
        Assert.Equal(2, events.Count);
        Assert.Equal(("reachable", "geo-blocked", Severity.Critical), (events[0].Data.PreviousVerdict, events[0].Data.Verdict, events[0].Data.Severity));
        Assert.Equal(("geo-blocked", "reachable", Severity.Notice), (events[1].Data.PreviousVerdict, events[1].Data.Verdict, events[1].Data.Severity));
        Assert.NotEqual(events[0].Id, events[1].Id);
    }

    [Fact]
    public async Task NetworkErrorsOnOurSide_AreUnknown_AndRaiseNoEvent()
    {
        // a proxy vantage point whose proxy is down: our side failed, nothing is said about the endpoint
        await using var ours = NewHost(new() { ["ComplianceWatch:Proxies:hk"] = $"http://127.0.0.1:{FailingEndpoints.ClosedPort()}" });
        provider.Set("v1/models", Reachable);
        var catalog = Catalogs.Reachability(provider.Url("v1/models"), ["proxy:hk"], confirmations: 1);
        for (var i = 0; i < 3; i++)
        {
            var report = await ours.CheckAsync(catalog);
            Assert.DoesNotContain(report.Changes, c => c.Type == ChangeEventTypes.ReachabilityChanged);
            var error = Assert.Single(report.Errors);
            Assert.Equal("unknown", error.Category);
            Assert.Contains("cannot connect to the proxy", error.Message, StringComparison.Ordinal);
        }

        var state = await ours.Store.GetAsync("test-reach");
        Assert.Null(state.Snapshot);
        Assert.Equal(3, state.Health.ConsecutiveFailures);
        // no verdict was recorded or announced; after the health threshold the source is reported as no longer
        // tracked (the health event every kind has), never as a reachability transition
        var pending = Assert.Single(state.PendingEvents);
        Assert.Equal(ChangeEventTypes.HealthChanged, pending.Type);
        Assert.Equal("unknown", pending.Data.ErrorCategory);
        Assert.Equal([HistoryEntryType.Health], (await ours.Store.QueryHistoryAsync(new HistoryQuery())).Select(h => h.Type));
    }

    [Fact]
    public async Task UnknownInTheMiddle_IsReportedInErrors_AndNeitherTransitionsNorBreaksTheStreak()
    {
        var catalog = Catalogs.Reachability(new Uri("https://api.openai.com/v1/models"), ["globalping:HK"], confirmations: 2);
        static Func<string, IReadOnlyList<System.Text.Json.Nodes.JsonObject>> Three(Func<string, System.Text.Json.Nodes.JsonObject> result) => c => [result(c), result(c), result(c)];

        globalping.Results = Three(c => FakeGlobalping.Http(c, 401, OpenAiMissingKey));
        Assert.Equal(1, (await host.CheckAsync(catalog)).Baselined);                 // reachable: the baseline
        globalping.Results = Three(c => FakeGlobalping.Http(c, 403, OpenAiUnsupported));
        Assert.Empty((await host.CheckAsync(catalog)).Changes);                      // geo-blocked 1/2
        globalping.Results = Three(c => FakeGlobalping.Failed(c, "Internal error", "internal"));
        var unknown = await host.CheckAsync(catalog);                                // unknown: an error, no event
        Assert.Empty(unknown.Changes);
        Assert.Equal("unknown", Assert.Single(unknown.Errors).Category);
        globalping.Results = Three(c => FakeGlobalping.Http(c, 403, OpenAiUnsupported));
        var confirmed = await host.CheckAsync(catalog);                              // geo-blocked 2/2: confirmed
        var change = Assert.Single(confirmed.Changes);
        Assert.Equal(("globalping:HK", "reachable", "geo-blocked"), (change.Data.VantagePoint, change.Data.PreviousVerdict, change.Data.Verdict));
        Assert.Equal(3, change.Data.Evidence!.Value.GetArrayLength());               // one entry per probe
    }

    [Fact]
    public async Task ControlThatCannotBeMeasured_DoesNotHideAResponseOfTheProvider()
    {
        provider.Set("v1/models", GeoBlocked);
        globalping.CreateAnswers.Enqueue(new CreateAnswer(500, Body: "{\"error\":{\"message\":\"Internal Server Error\"}}"));
        var report = await host.CheckAsync(Catalogs.Reachability(provider.Url("v1/models"), ["local"], control: "globalping:US"));
        Assert.Empty(report.Errors); // the control is not a tracked vantage point
        Assert.Equal("geo-blocked", (await VerdictOf("test-reach")).Verdict);
    }

    [Fact]
    public async Task Rerun_WithTheSameObservation_AddsNoEvent_AndEventIdsAreDeterministic()
    {
        provider.Set("v1/models", Reachable);
        await host.CheckAsync(LocalCatalog(confirmations: 1));
        provider.Set("v1/models", GeoBlocked);
        var change = Assert.Single((await host.CheckAsync(LocalCatalog(confirmations: 1))).Changes);
        Assert.Empty((await host.CheckAsync(LocalCatalog(confirmations: 1))).Changes);
        var version = (await host.Store.GetAsync("test-reach")).Snapshot!.Version;
        Assert.Equal(ChangeEvent.ComputeId("test-reach", version, "reachability:local:westeurope:geo-blocked"), change.Id);
    }

    [Fact]
    public async Task SteadyVerdict_StopsWritingTheStore()
    {
        provider.Set("v1/models", Reachable);
        var written = new List<bool>();
        for (var i = 0; i < 8; i++)
        {
            written.Add((await host.CheckAsync(LocalCatalog(confirmations: 2))).Results[0].Written);
        }

        Assert.True(written[0]);
        Assert.All(written.Skip(4), Assert.False);
        Assert.Single(await host.Store.QueryHistoryAsync(new HistoryQuery()));
    }

    [Fact]
    public async Task OverlappingRuns_OfOneCheck_YieldExactlyOneEvent()
    {
        provider.Set("v1/models", Reachable);
        await host.CheckAsync(LocalCatalog(confirmations: 1));
        provider.Set("v1/models", GeoBlocked);
        var catalog = CatalogLoader.Parse(LocalCatalog(confirmations: 1), "test.json");
        var reports = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => host.CheckAsync(catalog)));
        Assert.Single(reports.SelectMany(r => r.Changes));
        Assert.Single((await host.Store.GetAsync("test-reach")).PendingEvents);
    }

    [Fact]
    public async Task ChangedSignatures_AreARulesUpdate_NotAnnounced()
    {
        provider.Set("v1/models", new Page { Status = 451, Body = """{"error":"not available in your region"}""", ContentType = "application/json", Validators = false });
        await host.CheckAsync(LocalCatalog(confirmations: 1));
        Assert.Equal("reachable", (await VerdictOf("test-reach")).Verdict);

        var withSignature = Catalogs.Reachability(provider.Url("v1/models"), ["local"], confirmations: 1,
            signatures: [new { name = "example-451", verdict = "geo-blocked", status = new[] { 451 } }]);
        var report = await host.CheckAsync(withSignature);
        Assert.Empty(report.Changes);
        Assert.Equal(CheckOutcome.RulesUpdated, report.Results[0].Outcome);
        var history = await host.Store.QueryHistoryAsync(new HistoryQuery());
        Assert.Equal([HistoryEntryType.Baseline, HistoryEntryType.RulesUpdate, HistoryEntryType.Baseline], history.Select(h => h.Type));
        Assert.Equal("geo-blocked", (await VerdictOf("test-reach")).Verdict);
        await host.AssertVerifiedAsync();
    }

    [Fact]
    public async Task SeveralVantagePoints_AreProbedAtOnce_EachWithItsOwnState()
    {
        provider.Set("v1/models", Reachable);
        globalping.Results = c => c == "HK"
            ? [FakeGlobalping.Http(c, 403, OpenAiUnsupported), FakeGlobalping.Http(c, 403, OpenAiUnsupported), FakeGlobalping.Http(c, 403, OpenAiUnsupported)]
            : [FakeGlobalping.Http(c, 401, OpenAiMissingKey), FakeGlobalping.Http(c, 401, OpenAiMissingKey), FakeGlobalping.Http(c, 401, OpenAiMissingKey)];
        var catalog = Catalogs.Reachability(provider.Url("v1/models"), ["local", "globalping:HK", "globalping:US"], control: "globalping:US");

        var report = await host.CheckAsync(catalog);

        Assert.Equal(1, report.Baselined);
        var content = JsonDocument.Parse((await host.Store.GetAsync("test-reach")).Snapshot!.Content).RootElement.GetProperty("vantagePoints");
        Assert.Equal("reachable", content.GetProperty("local:westeurope").GetProperty("verdict").GetString());
        Assert.Equal("geo-blocked", content.GetProperty("globalping:HK").GetProperty("verdict").GetString());
        Assert.Equal("reachable", content.GetProperty("globalping:US").GetProperty("verdict").GetString());
        Assert.Contains("globalping:HK geo-blocked", report.Results[0].Summary, StringComparison.Ordinal);
        Assert.Equal(2, globalping.Posts.Count()); // the control, also tracked, is measured once
    }

    private async Task<ReachabilityRecord> VerdictOf(string sourceId)
    {
        var entries = await host.Store.QueryHistoryAsync(new HistoryQuery { SourceIds = [sourceId], IncludeContent = true });
        return entries.Select(ReachabilityRecord.TryRead).Last(r => r is not null)!;
    }

    private sealed class Target(Uri url, IAsyncDisposable? resource) : IAsyncDisposable
    {
        public Uri Url { get; } = url;

        public ValueTask DisposeAsync() => resource?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    private sealed class ListenerResource(System.Net.Sockets.TcpListener listener) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            listener.Stop();
            listener.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static async Task<Target> FailingTargetAsync(Failure failure)
    {
        switch (failure)
        {
            case Failure.ClosedPort:
                return new Target(new Uri($"http://127.0.0.1:{FailingEndpoints.ClosedPort()}/v1/models"), null);
            case Failure.UnresolvableHost:
                return new Target(new Uri("https://api.compliancewatch-test.invalid/v1/models"), null);
            case Failure.SilentListener:
                var listener = FailingEndpoints.SilentListener();
                return new Target(new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}/v1/models"), new ListenerResource(listener));
            default:
                var server = await LoopbackServer.StartAsync(FailingEndpoints.CertificateFor("wrong.example"));
                server.Set("v1/models", Reachable);
                return new Target(new Uri($"https://127.0.0.1:{server.BaseUrl.Port}/v1/models"), server);
        }
    }
}
