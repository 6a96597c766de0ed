using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Notifications;

namespace ComplianceWatch.Core.Tests;

public sealed class NotificationConfigLoaderTests
{
    private static readonly Dictionary<string, string?> Env = new()
    {
        ["SLACK_WEBHOOK_URL"] = "https://hooks.slack.com/services/T1/B1/SECRETPART",
        ["TEAMS_WEBHOOK_URL"] = "https://prod.westus.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sig=TEAMSSECRET",
        ["GITHUB_TOKEN"] = "ghp_secretsecretsecret",
        ["VAULT"] = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x)",
        ["NOT_A_URL"] = "hooks-secret-value",
    };

    private static NotificationConfig Parse(string json) => NotificationConfigLoader.Parse(json, "channels.json", name => Env.GetValueOrDefault(name));

    private static IReadOnlyList<string> Errors(string json) => Assert.Throws<NotificationConfigException>(() => Parse(json)).Errors;

    [Fact]
    public void Parse_TheArchitectureExample_ResolvesReferencesAndKeepsSecretsForRedaction()
    {
        var config = Parse("""
            {
              "channels": {
                "compliance-slack": { "type": "slack",  "webhookUrl": "%SLACK_WEBHOOK_URL%" },
                "ml-teams":         { "type": "teams",  "webhookUrl": "%TEAMS_WEBHOOK_URL%" },
                "tracker":          { "type": "github", "repository": "acme/compliance", "token": "%GITHUB_TOKEN%",
                                      "apiUrl": "https://api.github.com/" }          // a GitHub Enterprise URL works too
              },
              "subscriptions": [
                { "team": "ml-platform", "channels": ["compliance-slack", "tracker"],
                  "filter": { "kinds": ["terms", "reachability"], "providers": ["OpenAI"], "minSeverity": "warning" },
                  "dependsOn": [ { "provider": "OpenAI", "regions": ["HK", "CN"] } ] }
              ]
            }
            """);
        Assert.Equal(3, config.Channels.Count);
        var slack = Assert.IsType<SlackChannelDefinition>(config.Channels["compliance-slack"]);
        Assert.Equal("https://hooks.slack.com/services/T1/B1/SECRETPART", slack.WebhookUrl.AbsoluteUri);
        var github = Assert.IsType<GitHubChannelDefinition>(config.Channels["tracker"]);
        Assert.Equal(("acme", "compliance"), (github.Owner, github.RepositoryName));
        var sub = Assert.Single(config.Subscriptions);
        Assert.Equal(Severity.Warning, sub.Filter.MinSeverity);
        Assert.Equal(["HK", "CN"], sub.DependsOn[0].Regions);
        Assert.Equal("see *** and ***", config.Redactor.Redact("see ghp_secretsecretsecret and https://hooks.slack.com/services/T1/B1/SECRETPART"));
        Assert.DoesNotContain("SECRETPART", config.Redactor.Redact("POST /services/T1/B1/SECRETPART failed"), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnresolvedReference_IsAnErrorNamingIt()
    {
        var error = Assert.Single(Errors("""{ "channels": { "s": { "type": "slack", "webhookUrl": "%MISSING_HOOK%" } } }"""));
        Assert.Contains("channels.json", error, StringComparison.Ordinal);
        Assert.Contains("channel 's'", error, StringComparison.Ordinal);
        Assert.Contains("%MISSING_HOOK%", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LiteralSecret_IsRefusedWithoutEchoingIt()
    {
        var error = Assert.Single(Errors("""{ "channels": { "s": { "type": "slack", "webhookUrl": "https://hooks.slack.com/services/T/B/LITERALSECRET" } } }"""));
        Assert.Contains("%NAME% reference", error, StringComparison.Ordinal);
        Assert.DoesNotContain("LITERALSECRET", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ResolvedValueThatIsNotAUrl_IsRefusedWithoutEchoingIt()
    {
        var error = Assert.Single(Errors("""{ "channels": { "s": { "type": "teams", "webhookUrl": "%NOT_A_URL%" } } }"""));
        Assert.Contains("%NOT_A_URL%", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hooks-secret-value", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnresolvedKeyVaultReference_IsRefused() =>
        Assert.Contains("Key Vault", Assert.Single(Errors("""{ "channels": { "g": { "type": "github", "repository": "a/b", "token": "%VAULT%" } } }""")), StringComparison.Ordinal);

    [Fact]
    public void Parse_EveryProblemIsReportedAtOnce()
    {
        var errors = Errors("""
            {
              "channels": { "s": { "type": "pager", "url": "x" }, "g": { "type": "github", "repository": "nope", "token": "%GITHUB_TOKEN%", "extra": 1 } },
              "subscriptions": [
                { "team": "a", "channels": ["s", "unknown-channel"], "filter": { "kinds": ["terms", "weather"], "minSeverity": "loud", "colour": "red" } },
                { "channels": ["g"], "dependsOn": [ { "regions": ["HK"] } ] }
              ],
              "other": true
            }
            """);
        Assert.Contains(errors, e => e.Contains("field 'other'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'pager' is not a channel type", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'nope' is not 'owner/name'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("field 'extra'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'unknown-channel' is not a channel declared", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'weather' is not a source kind", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("field 'minSeverity'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("field 'colour'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("subscriptions[1]: field 'team': required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("dependsOn[0]: field 'provider': required", StringComparison.Ordinal));
        Assert.All(errors, e => Assert.DoesNotContain("ghp_secret", e, StringComparison.Ordinal));
    }
}
