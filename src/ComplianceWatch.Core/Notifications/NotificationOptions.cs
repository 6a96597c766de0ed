using System.ComponentModel.DataAnnotations;

namespace ComplianceWatch.Core.Notifications;

/// <summary>Settings of delivery, bound from <c>ComplianceWatch:Notifications</c>.</summary>
public sealed class NotificationOptions
{
    public const string SectionName = "ComplianceWatch:Notifications";

    /// <summary>How long one run waits for a sink's slot (pacing, Retry-After) before it leaves the rest pending for the next run.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A claim older than this is taken to belong to a run that died, and is taken over (GitHub reconciles first).</summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A channel with at least this many events due at once gets digests instead of one message per event.</summary>
    [Range(2, 1000)]
    public int DigestThreshold { get; set; } = 4;

    /// <summary>First back-off after a failed delivery; it doubles per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Consecutive failed deliveries after which a channel is reported unhealthy.</summary>
    [Range(1, 1000)]
    public int ChannelFailureThreshold { get; set; } = 3;

    /// <summary>Timeout of one request to a sink.</summary>
    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Link to the audit view of an event: <c>{sourceId}</c> and <c>{eventId}</c> are replaced. Absent: the message names the command.</summary>
    public string? AuditUrl { get; set; }

    public TimeSpan SlackMinInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan TeamsMinInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan GitHubMinInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(1, 10_000)]
    public int GitHubPerMinute { get; set; } = 80;

    [Range(1, 100_000)]
    public int GitHubPerHour { get; set; } = 500;

    public string? AuditLink(string sourceId, string eventId) =>
        string.IsNullOrWhiteSpace(AuditUrl)
            ? null
            : AuditUrl.Replace("{sourceId}", Uri.EscapeDataString(sourceId), StringComparison.Ordinal)
                .Replace("{eventId}", Uri.EscapeDataString(eventId), StringComparison.Ordinal);
}
