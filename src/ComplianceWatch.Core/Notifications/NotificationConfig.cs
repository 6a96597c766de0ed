using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Notifications;

/// <summary>The channel types a configuration may declare.</summary>
public static class ChannelTypes
{
    public const string Slack = "slack";
    public const string Teams = "teams";
    public const string GitHub = "github";

    public static IReadOnlyList<string> All { get; } = [Slack, Teams, GitHub];
}

/// <summary>A named place notifications go to. Secret members hold resolved values: never log or store them.</summary>
public abstract record ChannelDefinition
{
    public required string Name { get; init; }
    public abstract string Type { get; }

    /// <summary>
    /// A stable, secret-free identity of the sink behind the channel (a hash of its webhook URL or of its API URL and
    /// credential): channels that share a sink share its rate limit.
    /// </summary>
    public abstract string SinkKey { get; }
}

public sealed record SlackChannelDefinition : ChannelDefinition
{
    public required Uri WebhookUrl { get; init; }
    public override string Type => ChannelTypes.Slack;
    public override string SinkKey => "slack:" + Hashing.Sha256(WebhookUrl.AbsoluteUri)[..16];
}

public sealed record TeamsChannelDefinition : ChannelDefinition
{
    public required Uri WebhookUrl { get; init; }
    public override string Type => ChannelTypes.Teams;
    public override string SinkKey => "teams:" + Hashing.Sha256(WebhookUrl.AbsoluteUri)[..16];
}

public sealed record GitHubChannelDefinition : ChannelDefinition
{
    public const string DefaultApiUrl = "https://api.github.com/";

    /// <summary><c>owner/name</c>.</summary>
    public required string Repository { get; init; }
    public required string Token { get; init; }
    public Uri ApiUrl { get; init; } = new(DefaultApiUrl);
    public override string Type => ChannelTypes.GitHub;
    public string Owner => Repository.Split('/')[0];
    public string RepositoryName => Repository.Split('/')[1];
    public override string SinkKey => "github:" + Hashing.Sha256(ApiUrl.AbsoluteUri + "\n" + Token)[..16];
}

/// <summary>Which events a subscription takes. Every field is optional; an empty filter takes everything.</summary>
public sealed record SubscriptionFilter
{
    public IReadOnlyList<string> Kinds { get; init; } = [];
    /// <summary>Case-insensitive; an event without a provider does not match a providers filter.</summary>
    public IReadOnlyList<string> Providers { get; init; } = [];
    public IReadOnlyList<string> Sources { get; init; } = [];
    /// <summary>Matches when the event carries at least one of the tags (case-insensitive).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Region codes (case-insensitive); an event without a region (see <see cref="EventRegions"/>) does not match.</summary>
    public IReadOnlyList<string> Regions { get; init; } = [];
    public Severity? MinSeverity { get; init; }

    public static SubscriptionFilter Everything { get; } = new();
}

/// <summary>Something a team depends on: a provider, and the regions it serves users from.</summary>
public sealed record Dependency(string Provider, IReadOnlyList<string> Regions);

/// <summary>A team, what it wants to hear about, where, and what it depends on.</summary>
public sealed record Subscription
{
    public required string Team { get; init; }
    public required IReadOnlyList<string> Channels { get; init; }
    public SubscriptionFilter Filter { get; init; } = SubscriptionFilter.Everything;
    public IReadOnlyList<Dependency> DependsOn { get; init; } = [];
}

/// <summary>Channels and subscriptions: who hears what (ARCHITECTURE.md, "Channels and subscriptions").</summary>
public sealed record NotificationConfig
{
    public string File { get; init; } = "";
    public required IReadOnlyDictionary<string, ChannelDefinition> Channels { get; init; }
    public required IReadOnlyList<Subscription> Subscriptions { get; init; }

    /// <summary>The resolved secret values (webhook URLs, tokens), so that messages can be scrubbed of them.</summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    public SecretRedactor Redactor => new(Secrets);
}

/// <summary>Removes secret values (and the path and query of secret URLs) from text that is logged, printed or stored.</summary>
public sealed class SecretRedactor
{
    private readonly string[] fragments;

    public SecretRedactor(IEnumerable<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var all = new List<string>();
        foreach (var secret in secrets.Where(s => !string.IsNullOrEmpty(s)))
        {
            all.Add(secret);
            if (Uri.TryCreate(secret, UriKind.Absolute, out var uri) && uri.PathAndQuery.Length > 1)
            {
                all.Add(uri.PathAndQuery);
                all.Add(Uri.UnescapeDataString(uri.PathAndQuery));
            }
        }

        fragments = all.Where(f => f.Length >= 4).Distinct(StringComparer.Ordinal).OrderByDescending(f => f.Length).ToArray();
    }

    public static SecretRedactor None { get; } = new([]);

    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        foreach (var fragment in fragments)
        {
            text = text.Replace(fragment, "***", StringComparison.Ordinal);
        }

        return text;
    }
}
