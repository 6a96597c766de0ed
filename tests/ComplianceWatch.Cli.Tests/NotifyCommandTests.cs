using System.Text.Json;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Cli.Tests;

/// <summary><c>check --config</c> delivers; <c>notify test</c> sends; configuration errors exit 2 and never show a secret.</summary>
public sealed class NotifyCommandTests : IAsyncLifetime
{
    private const string Countries = "<html><body><main><ul><li>France</li><li>China</li><li>Japan</li></ul></main></body></html>";

    private readonly TempDirectory directory = new();
    private LoopbackServer server = null!;
    private FakeSlack slack = null!;
    private FakeTeams teams = null!;
    private FakeGitHub github = null!;
    private string catalog = null!;
    private string channels = null!;

    public async Task InitializeAsync()
    {
        server = await LoopbackServer.StartAsync();
        slack = await FakeSlack.StartAsync();
        teams = await FakeTeams.StartAsync();
        github = await FakeGitHub.StartAsync();
        catalog = directory.File("catalog.json");
        await File.WriteAllTextAsync(catalog, Catalogs.Terms(server.Url("countries"), id: "countries", select: "main ul", extract: "list"));
        channels = directory.File("channels.json");
        await File.WriteAllTextAsync(channels, """
            {
              // secrets are references, resolved from the environment
              "channels": {
                "compliance-slack": { "type": "slack",  "webhookUrl": "%SLACK_WEBHOOK_URL%" },
                "ml-teams":         { "type": "teams",  "webhookUrl": "%TEAMS_WEBHOOK_URL%" },
                "tracker":          { "type": "github", "repository": "acme/compliance", "token": "%GITHUB_TOKEN%", "apiUrl": "%GITHUB_API_URL%" }
              },
              "subscriptions": [
                { "team": "ml-platform", "channels": ["compliance-slack", "ml-teams", "tracker"],
                  "filter": { "kinds": ["terms"], "providers": ["TestAI"] } }
              ]
            }
            """);
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        await slack.DisposeAsync();
        await teams.DisposeAsync();
        await github.DisposeAsync();
        directory.Dispose();
    }

    private Dictionary<string, string?> Settings() => new(CliRunner.FastRetries)
    {
        ["SLACK_WEBHOOK_URL"] = slack.WebhookUrl.AbsoluteUri,
        ["TEAMS_WEBHOOK_URL"] = teams.WebhookUrl.AbsoluteUri,
        ["GITHUB_TOKEN"] = github.Token,
        ["GITHUB_API_URL"] = github.ApiUrl.AbsoluteUri,
        ["ComplianceWatch:Notifications:SlackMinInterval"] = "00:00:00.010",
        ["ComplianceWatch:Notifications:GitHubMinInterval"] = "00:00:00.010",
    };

    private async Task<CliResult> RunAsync(Dictionary<string, string?> settings, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, new CliEnvironment(stdout, stderr, settings, interactive: false));
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    private Task<CliResult> CheckAsync(params string[] extra) =>
        RunAsync(Settings(), ["check", "--catalog", catalog, "--state", directory.File("state"), "--config", channels, "--allow-private-network", .. extra]);

    [Fact]
    public async Task CheckWithConfig_DeliversEachChangeOnceToEverySubscribedChannel_AndJsonStaysOneDocument()
    {
        server.Set("countries", Countries);
        Assert.Equal(0, (await CheckAsync("--json")).ExitCode); // baseline: nothing to say
        server.Set("countries", Countries.Replace("China", "Vietnam", StringComparison.Ordinal));

        var changed = await CheckAsync("--json");
        Assert.Equal(0, changed.ExitCode);
        using (var doc = JsonDocument.Parse(changed.Out))
        {
            Assert.Single(doc.RootElement.GetProperty("changes").EnumerateArray());
        }

        var again = await CheckAsync();
        Assert.Equal(0, again.ExitCode);
        var deliver = await RunAsync(Settings(), "notify", "deliver", "--state", directory.File("state"), "--config", channels, "--allow-private-network");
        Assert.Equal(0, deliver.ExitCode);

        Assert.Single(slack.Messages);
        Assert.Single(teams.Cards);
        var issue = Assert.Single(github.Issues);
        Assert.StartsWith("[critical] TestAI: ", issue.Title, StringComparison.Ordinal);

        var status = await RunAsync(Settings(), "notify", "status", "--state", directory.File("state"), "--config", channels, "--json");
        using var statusDoc = JsonDocument.Parse(status.Out);
        Assert.All(statusDoc.RootElement.EnumerateArray(), c => Assert.Equal(1, c.GetProperty("delivered").GetInt32()));
    }

    [Fact]
    public async Task ASourceFailingThreeTimes_OpensOneHealthAlert_AndItsRecoveryClosesIt()
    {
        server.Set("countries", Countries);
        await CheckAsync();
        server.Set("countries", new Page { Status = 503, Body = "down" });
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(1, (await CheckAsync()).ExitCode);
        }

        var alert = Assert.Single(github.Issues);
        Assert.Contains("no longer tracked", alert.Title, StringComparison.Ordinal);
        Assert.Contains("compliancewatch:health", alert.Labels);
        Assert.Equal("open", alert.State);
        Assert.Single(slack.Messages);
        Assert.Single(teams.Cards);

        server.Set("countries", Countries);
        Assert.Equal(0, (await CheckAsync()).ExitCode);

        Assert.Single(github.Issues);
        Assert.Equal("closed", alert.State);
        Assert.Contains("tracking resumed", Assert.Single(alert.Comments), StringComparison.Ordinal);
        Assert.Equal(2, slack.Messages.Count);
        Assert.Contains("tracking resumed", slack.Messages[1].ToJsonString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("compliance-slack")]
    [InlineData("ml-teams")]
    [InlineData("tracker")]
    public async Task NotifyTest_SendsATestMessage_ExitZero(string channel)
    {
        var result = await RunAsync(Settings(), "notify", "test", "--channel", channel, "--config", channels, "--allow-private-network");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains($"Test message sent to channel '{channel}'", result.Out, StringComparison.Ordinal);
        Assert.Equal(1, slack.Messages.Count + teams.Cards.Count + github.Issues.Count);
    }

    [Fact]
    public async Task NotifyTest_WhenTheSinkRefuses_ExitsOne_WithoutTheSecret()
    {
        slack.AnswerNext(new ScriptedAnswer(404, "no_service"));
        var result = await RunAsync(Settings(), "notify", "test", "--channel", "compliance-slack", "--config", channels, "--allow-private-network");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("HTTP 404", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeSlack.HookPath, result.Error + result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotifyTest_UnknownChannel_ExitsTwo()
    {
        var result = await RunAsync(Settings(), "notify", "test", "--channel", "nope", "--config", channels);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no channel 'nope'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnresolvedReference_ExitsTwoNamingIt_AndNothingIsChecked()
    {
        server.Set("countries", Countries);
        var settings = Settings();
        settings.Remove("GITHUB_TOKEN");
        var result = await RunAsync(settings, "check", "--catalog", catalog, "--state", directory.File("state"), "--config", channels, "--allow-private-network");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("%GITHUB_TOKEN%", result.Error, StringComparison.Ordinal);
        Assert.Contains("channels.json", result.Error, StringComparison.Ordinal);
        Assert.Contains("tracker", result.Error, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
        Assert.False(Directory.Exists(directory.File("state")));
        Assert.DoesNotContain(FakeSlack.HookPath, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LiteralSecretInTheFile_ExitsTwo_WithoutEchoingIt()
    {
        var file = directory.File("literal.json");
        await File.WriteAllTextAsync(file, """{ "channels": { "s": { "type": "slack", "webhookUrl": "https://hooks.slack.com/services/T/B/PASTEDSECRET" } }, "subscriptions": [] }""");
        var result = await RunAsync(Settings(), "notify", "test", "--channel", "s", "--config", file);
        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain("PASTEDSECRET", result.Error + result.Out, StringComparison.Ordinal);
        Assert.Contains("%NAME% reference", result.Error, StringComparison.Ordinal);
    }
}
