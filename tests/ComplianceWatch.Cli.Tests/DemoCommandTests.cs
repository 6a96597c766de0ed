using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Cli.Tests;

/// <summary>
/// <c>compliancewatch demo</c> run once as a real process, with output redirected, no <c>--state</c> (so its state goes
/// to a new directory under the temp folder, here pointed inside the test's own directory) and a proxy in the
/// environment; and what it leaves: the store that <c>audit</c> and <c>serve</c> read, and the inbox's files.
/// </summary>
public sealed class DemoRun : IAsyncLifetime
{
    private readonly TempDirectory directory = new();

    public CliResult Result { get; private set; } = null!;

    /// <summary>The directory the tool ran in (no <c>.compliancewatch/</c> may appear there).</summary>
    public string WorkingDirectory => directory.File("work");

    public string Temp => directory.File("tmp");

    /// <summary>The state directory the demo printed in its <c>serve</c> line.</summary>
    public string State { get; private set; } = null!;

    public string Catalog { get; private set; } = null!;

    /// <summary>The history entries of <c>audit --state STATE --json</c>.</summary>
    public JsonArray Audit { get; private set; } = null!;

    public IReadOnlyList<JsonObject> Events => Audit.Select(e => e!["event"]).OfType<JsonObject>().ToArray();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(WorkingDirectory);
        Directory.CreateDirectory(Temp);
        // a proxy in the environment (here one that answers nothing) must not stand between the demo and its 127.0.0.1
        var environment = new Dictionary<string, string>
        {
            ["TMPDIR"] = Temp, ["TEMP"] = Temp, ["TMP"] = Temp,
            ["HTTP_PROXY"] = "http://127.0.0.1:9", ["HTTPS_PROXY"] = "http://127.0.0.1:9",
        };
        Result = await CliRunner.RunProcessAsync(environment, WorkingDirectory, "demo");
        var serve = Result.Out.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith("Dashboard: compliancewatch serve --state ", StringComparison.Ordinal));
        if (Result.ExitCode != 0 || serve is null)
        {
            throw new InvalidOperationException($"demo exited {Result.ExitCode}\n{Result.Out}\n{Result.Error}");
        }

        var words = serve.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        State = words[Array.IndexOf(words, "--state") + 1];
        Catalog = words[Array.IndexOf(words, "--catalog") + 1];
        var audit = await CliRunner.RunProcessAsync(WorkingDirectory, "audit", "--state", State, "--json");
        Assert.True(audit.ExitCode == 0, audit.Error);
        Audit = JsonNode.Parse(audit.Out)!.AsArray();
    }

    public Task DisposeAsync()
    {
        directory.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class DemoCommandTests(DemoRun demo) : IClassFixture<DemoRun>
{
    private static string Data(JsonObject evt, string property) => evt["data"]![property]?.GetValue<string>() ?? "";

    private IEnumerable<JsonObject> EventsOfType(string type) => demo.Events.Where(e => e["type"]!.GetValue<string>() == type);

    [Fact]
    public void Demo_EndsWithExit0_ShowingEachStepUnderAHeading_InPlainTextWhenRedirected_AndHowToOpenTheDashboard()
    {
        var output = demo.Result.Out;
        Assert.Equal(0, demo.Result.ExitCode);
        foreach (var heading in new[]
        {
            "Step 0 · Before", "Step 1 · OpenAI announces", "Step 2 · The API answers 403", "Step 3 · Chinese vendors publish migration offers",
            "Step 4 · Treasury's Outbound Investment Security Program", "Step 5 · An AI vendor is added to the Entity List",
        })
        {
            Assert.Contains(heading, output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain('\u001b', output); // NO_COLOR and redirected: no escape sequences
        Assert.Contains("Change events", output, StringComparison.Ordinal);
        Assert.Contains("Deliveries (captured by the inbox)", output, StringComparison.Ordinal);
        Assert.Contains($"Dashboard: compliancewatch serve --state {demo.State} --catalog {demo.Catalog}", output, StringComparison.Ordinal);
        Assert.StartsWith(demo.Temp, demo.State, StringComparison.Ordinal); // a new directory under the temp folder
        Assert.False(Directory.Exists(Path.Combine(demo.WorkingDirectory, ".compliancewatch")), "the demo must not touch the user's own state");
    }

    [Fact]
    public void Step1_RecordsTermsChanges_ThatNameChinaAndHongKong()
    {
        var terms = EventsOfType("compliancewatch.terms.changed").Where(e => Data(e, "provider") == "OpenAI").ToArray();
        Assert.Equal(["openai-supported-countries-help", "openai-usage-policies"], terms.Select(e => e["subject"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        foreach (var change in terms)
        {
            var added = string.Join("\n", change["data"]!["diff"]!["added"]!.AsArray().Select(l => l!.GetValue<string>()));
            Assert.Contains("China", added, StringComparison.Ordinal);
            Assert.Contains("Hong Kong", added, StringComparison.Ordinal);
            Assert.Equal("critical", Data(change, "severity")); // a watched jurisdiction is named
        }
    }

    [Fact]
    public void Step2_RecordsGeoBlockTransitionsFromChinaAndHongKong_WithTheUsControlReachable()
    {
        var transitions = EventsOfType("compliancewatch.reachability.changed").ToArray();
        Assert.Equal(["globalping:CN", "globalping:HK"], transitions.Select(e => Data(e, "vantagePoint")).Order(StringComparer.Ordinal));
        foreach (var transition in transitions)
        {
            Assert.Equal("reachable", Data(transition, "previousVerdict"));
            Assert.Equal("geo-blocked", Data(transition, "verdict"));
            var evidence = transition["data"]!["evidence"]!.AsArray().Select(e => e!.AsObject()).ToArray();
            var own = evidence.Where(e => e["role"] is null).ToArray();
            Assert.NotEmpty(own);
            Assert.All(own, e =>
            {
                Assert.Equal(403, e["status"]!.GetValue<int>());
                Assert.Contains("unsupported_country_region_territory", e["bodyExcerpt"]!.GetValue<string>(), StringComparison.Ordinal);
            });
            var control = evidence.Where(e => e["role"]?.GetValue<string>() == "control").ToArray();
            Assert.NotEmpty(control);
            Assert.All(control, e =>
            {
                Assert.Equal("globalping:US", e["vantagePoint"]!.GetValue<string>());
                Assert.StartsWith("reachable", e["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
            });
        }

        // K = 2: the first check after the block only counted (1 of 2), the second confirmed it
        Assert.Contains("geo-blocked 1/2", demo.Result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Step3_RecordsTheVendorsMigrationOffers()
    {
        var offers = demo.Events.Where(e => e["subject"]!.GetValue<string>() is "zhipu-bigmodel-news" or "baidu-qianfan-announcements").ToArray();
        Assert.Equal(2, offers.Length);
        Assert.All(offers, e => Assert.Contains("migration programme", e.ToJsonString(), StringComparison.Ordinal));
    }

    [Fact]
    public void Step4_RecordsTheOutboundInvestmentFinalRule_31Cfr850()
    {
        var rule = Assert.Single(EventsOfType("compliancewatch.regulatory.published"), e => e["subject"]!.GetValue<string>() == "treasury-31-cfr-850");
        Assert.Equal("2024-25422", Data(rule, "documentNumber"));
        Assert.Equal("Rule", Data(rule, "documentType"));
        Assert.Equal("published", Data(rule, "stage"));
        Assert.Equal("critical", Data(rule, "severity"));
        Assert.Contains("Countries of Concern", Data(rule, "title"), StringComparison.Ordinal);
        // the proposed rule was in the baseline: announced never
        Assert.DoesNotContain(demo.Events, e => Data(e, "documentNumber") == "2024-13923");
    }

    [Fact]
    public void Step5_RecordsTheScreeningHit_ZhipuAiAddedToTheEntityList()
    {
        var hit = Assert.Single(EventsOfType("compliancewatch.screening.changed"));
        Assert.Equal("Zhipu AI", Data(hit, "entity"));
        Assert.Equal("added", Data(hit, "change"));
        Assert.Contains("Entity List", hit["data"]!["list"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("critical", Data(hit, "severity"));
    }

    [Fact]
    public void TheInbox_HoldsEachRequestAsSent_AtLeastOnePerChannel_AndOneGitHubIssuePerEvent()
    {
        var files = Directory.GetFiles(Path.Combine(demo.State, "demo", "inbox"), "*.http").Order(StringComparer.Ordinal).ToArray();
        var requests = files.Select(f => (Name: Path.GetFileName(f), Text: File.ReadAllText(f))).ToArray();
        static string Body(string text) => text[(text.IndexOf("\n\n", StringComparison.Ordinal) + 2)..];

        var slack = requests.Where(r => r.Name.EndsWith("-slack.http", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(slack);
        Assert.All(slack, r =>
        {
            Assert.StartsWith("POST /services/", r.Text, StringComparison.Ordinal);
            Assert.NotNull(JsonNode.Parse(Body(r.Text))!["blocks"]);
        });

        var teams = requests.Where(r => r.Name.EndsWith("-teams.http", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(teams);
        Assert.All(teams, r => Assert.Equal("application/vnd.microsoft.card.adaptive", JsonNode.Parse(Body(r.Text))!["attachments"]![0]!["contentType"]!.GetValue<string>()));

        var issues = requests.Where(r => r.Text.StartsWith("POST /repos/acme/compliance/issues HTTP/1.1", StringComparison.Ordinal)).ToArray();
        Assert.All(issues, r => Assert.Contains("Authorization: ", r.Text, StringComparison.OrdinalIgnoreCase));
        var bodies = issues.Select(r => JsonNode.Parse(Body(r.Text))!["body"]!.GetValue<string>()).ToArray();
        // every change event is warning or critical, so the compliance team's tracker opened exactly one issue for each
        var ids = demo.Events.Select(e => e["id"]!.GetValue<string>()).ToArray();
        Assert.Equal(8, ids.Length);
        Assert.Equal(ids.Length, issues.Length);
        Assert.All(ids, id => Assert.Single(bodies, b => b.Contains($"<!-- compliancewatch:event={id} -->", StringComparison.Ordinal)));

        // ml-platform (Slack) hears of OpenAI's terms and reachability: 4 events, whether one message each or digested
        var slackText = string.Join("\n", slack.Select(r => Body(r.Text)));
        Assert.Contains("globalping:CN", slackText, StringComparison.Ordinal);
        Assert.Contains("globalping:HK", slackText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_OnTheDemoState_ListsTheEpisodesChanges()
    {
        using var serve = CliRunner.Start(demo.WorkingDirectory, "serve", "--port", "0", "--state", demo.State, "--catalog", demo.Catalog);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            string? line;
            do
            {
                line = await serve.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("serve exited: " + await serve.StandardError.ReadToEndAsync(timeout.Token));
            }
            while (!line.StartsWith("Serving the dashboard at ", StringComparison.Ordinal));

            var dashboard = new Uri(line["Serving the dashboard at ".Length..].Split(' ')[0]);
            using var http = new HttpClient();
            var changes = await http.GetStringAsync(new Uri(dashboard, "/api/changes"), timeout.Token);
            foreach (var source in new[] { "openai-supported-countries-help", "openai-api-reachability", "treasury-31-cfr-850", "csl-chinese-ai-vendors" })
            {
                Assert.Contains(source, changes, StringComparison.Ordinal);
            }
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
        }
    }
}

/// <summary>What <c>demo</c> refuses (exit 2, nothing run), in process; and its <c>--json</c> document.</summary>
public sealed class DemoCommandUsageTests : IDisposable
{
    private readonly TempDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public async Task Demo_WithANonEmptyStateDirectory_ExitsWith2_NamingIt_AndWritesNothingThere()
    {
        var state = directory.File("existing");
        Directory.CreateDirectory(state);
        await File.WriteAllTextAsync(Path.Combine(state, "keep.txt"), "mine");

        var result = await CliRunner.RunAsync("demo", "--state", state);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(state, result.Error, StringComparison.Ordinal);
        Assert.Contains("not empty", result.Error, StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(state).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("--storage", "UseDevelopmentStorage=true")]
    [InlineData("--config", "channels.json")]
    [InlineData("--catalog", "catalog.json")]
    public async Task Demo_WithAnOptionItDoesNotUse_ExitsWith2_NamingTheOption(string option, string value)
    {
        var result = await CliRunner.RunAsync("demo", option, value, "--state", directory.File("new"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(option, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(directory.File("new")));
    }

    [Fact]
    public async Task DemoJson_PrintsOneDocument_WithEachStepsEventsAndDeliveries()
    {
        var state = directory.File("state");
        var result = await CliRunner.RunProcessAsync(directory.Path, "demo", "--state", state, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        using var document = JsonDocument.Parse(result.Out); // nothing else on stdout
        var root = document.RootElement;
        Assert.Equal(Path.GetFullPath(state), root.GetProperty("state").GetString());
        Assert.StartsWith("compliancewatch serve --state ", root.GetProperty("serve").GetString(), StringComparison.Ordinal);
        var steps = root.GetProperty("steps").EnumerateArray().ToArray();
        Assert.Equal([0, 1, 2, 3, 4, 5], steps.Select(s => s.GetProperty("step").GetInt32()));
        Assert.Empty(steps[0].GetProperty("changes").EnumerateArray()); // baselines announce nothing
        Assert.Equal(2, steps[2].GetProperty("checks").GetArrayLength()); // K = 2
        Assert.All(steps.Skip(1), s =>
        {
            Assert.NotEmpty(s.GetProperty("changes").EnumerateArray());
            Assert.Contains(s.GetProperty("deliveries").EnumerateArray(), d => d.GetProperty("channel").GetString() == "github" && d.GetProperty("posted").GetString()!.StartsWith("opened an issue", StringComparison.Ordinal));
            Assert.Empty(s.GetProperty("errors").EnumerateArray());
        });
        Assert.Equal(["github", "slack", "teams"], steps.SelectMany(s => s.GetProperty("deliveries").EnumerateArray()).Select(d => d.GetProperty("channel").GetString()).Distinct().Order(StringComparer.Ordinal));
    }
}
