using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Cli.Tests;

/// <summary><c>check --kind reachability --json</c> and <c>audit</c> through the tool's entry point, against loopback imitations of a provider and of Globalping.</summary>
public sealed class ReachabilityCommandTests : IAsyncLifetime
{
    private const string MissingKey = """{"error":{"message":"You didn't provide an API key.","type":"invalid_request_error","param":null,"code":null}}""";
    private const string Unsupported = """{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}""";

    private readonly TempDirectory directory = new();
    private LoopbackServer provider = null!;
    private FakeGlobalping globalping = null!;
    private string catalog = null!;

    public async Task InitializeAsync()
    {
        provider = await LoopbackServer.StartAsync();
        globalping = await FakeGlobalping.StartAsync();
        catalog = directory.File("catalog.json");
        var document = JsonNode.Parse(Catalogs.Reachability(provider.Url("v1/models"), ["local", "globalping:HK"], confirmations: 2, id: "openai-api", provider: "OpenAI"))!;
        document["sources"]!.AsArray().Add(JsonNode.Parse(JsonSerializer.Serialize(new { id = "openai-terms", kind = "terms", title = "OpenAI terms", url = provider.Url("terms").ToString() })));
        await File.WriteAllTextAsync(catalog, document.ToJsonString());
    }

    public async Task DisposeAsync()
    {
        await globalping.DisposeAsync();
        await provider.DisposeAsync();
        directory.Dispose();
    }

    private async Task<CliResult> RunAsync(params string[] args)
    {
        var settings = new Dictionary<string, string?>(CliRunner.FastRetries)
        {
            ["ComplianceWatch:Region"] = "eastasia",
            ["ComplianceWatch:Globalping:Endpoint"] = globalping.Endpoint.ToString(),
            ["ComplianceWatch:Globalping:PollInterval"] = "00:00:00.5",
        };
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync([.. args, "--catalog", catalog, "--state", directory.File("state"), "--allow-private-network"], new CliEnvironment(stdout, stderr, settings, interactive: false));
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    private void Respond(int status, string body)
    {
        provider.Set("v1/models", new Page { Status = status, Body = body, ContentType = "application/json", Validators = false });
        globalping.Results = c => [FakeGlobalping.Http(c, status, body), FakeGlobalping.Http(c, status, body), FakeGlobalping.Http(c, status, body)];
    }

    [Fact]
    public async Task CheckKindReachabilityJson_PrintsTheConfirmedTransitionsAsChangeEventsWithEvidence_AndAuditShowsTheVerdictsPerRegion()
    {
        Respond(401, MissingKey);
        var baseline = await RunAsync("check", "--kind", "reachability", "--json");
        Assert.Equal(0, baseline.ExitCode);
        using (var doc = JsonDocument.Parse(baseline.Out))
        {
            Assert.Equal(1, doc.RootElement.GetProperty("checked").GetInt32()); // only the reachability source
            Assert.Equal(1, doc.RootElement.GetProperty("baselined").GetInt32());
            Assert.Equal(0, doc.RootElement.GetProperty("changes").GetArrayLength());
        }

        Assert.Equal(0, provider.CountRequests("terms"));

        Respond(403, Unsupported);
        using (var first = JsonDocument.Parse((await RunAsync("check", "--kind", "reachability", "--json")).Out))
        {
            Assert.Equal(0, first.RootElement.GetProperty("changes").GetArrayLength()); // 1 of 2 confirmations
            Assert.Equal(1, first.RootElement.GetProperty("unchanged").GetInt32());
        }

        var confirmed = await RunAsync("check", "--kind", "reachability", "--json");
        Assert.Equal(0, confirmed.ExitCode);
        using (var doc = JsonDocument.Parse(confirmed.Out))
        {
            var changes = doc.RootElement.GetProperty("changes").EnumerateArray().ToArray();
            Assert.Equal(["globalping:HK", "local:eastasia"], changes.Select(c => c.GetProperty("data").GetProperty("vantagePoint").GetString()).Order(StringComparer.Ordinal));
            foreach (var change in changes)
            {
                Assert.Equal("compliancewatch.reachability.changed", change.GetProperty("type").GetString());
                Assert.Equal("/compliancewatch/sources/openai-api", change.GetProperty("source").GetString());
                var data = change.GetProperty("data");
                Assert.Equal("reachability", data.GetProperty("kind").GetString());
                Assert.Equal("OpenAI", data.GetProperty("provider").GetString());
                Assert.Equal("critical", data.GetProperty("severity").GetString());
                Assert.Equal("reachable", data.GetProperty("previousVerdict").GetString());
                Assert.Equal("geo-blocked", data.GetProperty("verdict").GetString());
                var evidence = data.GetProperty("evidence").EnumerateArray().ToArray();
                Assert.NotEmpty(evidence);
                Assert.All(evidence, e =>
                {
                    Assert.Equal(403, e.GetProperty("status").GetInt32());
                    Assert.True(e.TryGetProperty("dnsAnswers", out _));
                    Assert.True(e.TryGetProperty("timings", out _));
                    Assert.Contains("unsupported_country_region_territory", e.GetProperty("bodyExcerpt").GetString(), StringComparison.Ordinal);
                });
            }
        }

        var table = await RunAsync("audit");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("Reachability verdicts per region", table.Out, StringComparison.Ordinal);

        var markdown = await RunAsync("audit", "--format", "md");
        var sections = markdown.Out.Split("## Chain heads");
        Assert.Equal(2, sections.Length);
        Assert.Matches(@"\| openai-api \| \d+ \| `[0-9a-f]{64}` \|", sections[1]); // the chain head travels with the report
        var rows = sections[0].Split('\n').Where(l => l.StartsWith("| openai-api |", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4, rows.Length); // per region: the baseline and the transition
        Assert.Contains(rows, r => r.Contains("| local:eastasia |", StringComparison.Ordinal) && r.Contains("| baseline | reachable |", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains("| local:eastasia |", StringComparison.Ordinal) && r.Contains("| change | reachable → geo-blocked |", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains("| globalping:HK |", StringComparison.Ordinal) && r.Contains("| change | reachable → geo-blocked |", StringComparison.Ordinal));

        var verify = await RunAsync("audit", "verify");
        Assert.Equal(0, verify.ExitCode);
    }

    [Fact]
    public async Task CheckJson_WhenNothingCanBeMeasured_ReportsUnknownInErrors_AndExitsOne()
    {
        Respond(401, MissingKey);
        globalping.Results = c => [FakeGlobalping.Offline(c), FakeGlobalping.Offline(c), FakeGlobalping.Offline(c)];
        provider.Set("v1/models", new Page { Status = 401, Body = MissingKey, ContentType = "application/json", Validators = false });
        var source = JsonNode.Parse(await File.ReadAllTextAsync(catalog))!;
        source["sources"]![0]!["vantagePoints"] = new JsonArray("globalping:CN");
        await File.WriteAllTextAsync(catalog, source.ToJsonString());

        var result = await RunAsync("check", "--kind", "reachability", "--json");

        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Out);
        var error = Assert.Single(doc.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal("unknown", error.GetProperty("category").GetString());
        Assert.Contains("globalping:CN", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, doc.RootElement.GetProperty("changes").GetArrayLength());
    }

    [Fact]
    public async Task SourcesTest_ProbesAReachabilitySource_WithoutRecording()
    {
        Respond(403, Unsupported);
        var result = await RunAsync("sources", "test", "openai-api", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Out);
        var verdicts = doc.RootElement.GetProperty("verdicts").EnumerateArray().ToArray();
        Assert.All(verdicts, v => Assert.Equal("geo-blocked", v.GetProperty("verdict").GetString()));
        Assert.False(Directory.Exists(directory.File("state")) && Directory.EnumerateFiles(directory.File("state"), "*.json", SearchOption.AllDirectories).Any(f => f.Contains("openai-api", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Catalog_WithAnApiKeyInTheUrl_IsRefused()
    {
        var bad = directory.File("bad.json");
        await File.WriteAllTextAsync(bad, Catalogs.Reachability(new Uri("https://generativelanguage.googleapis.com/v1beta/models?key=AIzaSyExample"), ["globalping:HK"]));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["sources", "validate", "--catalog", bad], new CliEnvironment(stdout, stderr, interactive: false));
        Assert.Equal(2, code);
        Assert.Contains("field 'url': must not carry credentials (query parameter 'key')", stderr.ToString(), StringComparison.Ordinal);
    }
}
