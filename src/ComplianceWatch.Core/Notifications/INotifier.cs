using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Notifications;

/// <summary>One event in a notification, with who it is for and, for a recovery, the alert it closes.</summary>
public sealed record NotificationItem
{
    public required ChangeEvent Event { get; init; }
    public IReadOnlyList<string> Teams { get; init; } = [];
    public IReadOnlyList<string> Affects { get; init; } = [];
    public EventThread? Thread { get; init; }
    /// <summary>For a closing event: the sink's reference of the open alert (an issue number), when known.</summary>
    public string? OpenReference { get; init; }
    /// <summary>An earlier attempt may have reached the sink: reconcile before posting (GitHub lists issues and looks for the marker).</summary>
    public bool MaybeSent { get; init; }
    /// <summary>When the delivery was first recorded: reconciliation need not look at anything older.</summary>
    public DateTimeOffset QueuedAt { get; init; }
}

/// <summary>What a notifier is asked to send: one event, a digest of several, or a test message.</summary>
public sealed record Notification
{
    public required ChannelDefinition Channel { get; init; }
    public IReadOnlyList<NotificationItem> Items { get; init; } = [];
    public bool IsTest { get; init; }
    /// <summary>For a digest: its number and the number of digests of this burst.</summary>
    public int DigestIndex { get; init; } = 1;
    public int DigestCount { get; init; } = 1;
    public bool IsDigest => Items.Count > 1;
}

public enum DeliveryStatus
{
    Delivered,
    /// <summary>The sink asked us to wait (429, a rate-limit reset, the hourly cap): pending until <see cref="DeliveryOutcome.RetryAt"/>.</summary>
    Deferred,
    /// <summary>Failed for now (network, 5xx, bad credentials, a refused address): pending with back-off.</summary>
    Failed,
    /// <summary>The sink refused this message (400 invalid_blocks, 422): resending it cannot help.</summary>
    Rejected,
}

public sealed record DeliveryOutcome
{
    public required DeliveryStatus Status { get; init; }
    public string? Reference { get; init; }
    public DateTimeOffset? RetryAt { get; init; }
    public string? ErrorCategory { get; init; }
    public string? Error { get; init; }
    /// <summary>The request may have reached the sink (a timeout or 5xx after sending).</summary>
    public bool MaybeSent { get; init; }

    public static DeliveryOutcome Delivered(string? reference = null) => new() { Status = DeliveryStatus.Delivered, Reference = reference };

    public static DeliveryOutcome Deferred(DateTimeOffset retryAt, string category, string error) =>
        new() { Status = DeliveryStatus.Deferred, RetryAt = retryAt, ErrorCategory = category, Error = error };

    public static DeliveryOutcome Failed(string category, string error, bool maybeSent = false) =>
        new() { Status = DeliveryStatus.Failed, ErrorCategory = category, Error = error, MaybeSent = maybeSent };

    public static DeliveryOutcome Rejected(string category, string error) =>
        new() { Status = DeliveryStatus.Rejected, ErrorCategory = category, Error = error };
}

/// <summary>Thrown by <see cref="ISendContext.PaceAsync"/> when the sink's next slot lies beyond this run's budget.</summary>
public sealed class DeliveryDeferredException(DateTimeOffset until, string reason) : Exception($"deferred until {until:u}: {reason}")
{
    public DateTimeOffset Until { get; } = until;
    public string Reason { get; } = reason;
}

/// <summary>What a notifier gets from the dispatcher for one send.</summary>
public interface ISendContext
{
    TimeProvider Time { get; }

    /// <summary>
    /// Waits for the sink's next slot for one content-creating request (minimum spacing, per-minute and per-hour caps,
    /// a pause after a 429) and counts it. Throws <see cref="DeliveryDeferredException"/> when the slot lies beyond the
    /// run's budget: nothing is sent, and the delivery stays pending until then. Returns the instant the request was
    /// counted at.
    /// </summary>
    ValueTask<DateTimeOffset> PaceAsync(CancellationToken cancellationToken = default);
}

/// <summary>A sink's rate limits.</summary>
public sealed record SinkLimits(TimeSpan MinInterval, int? PerMinute = null, int? PerHour = null);

/// <summary>The port to a sink (Slack, Teams, GitHub). Adapters render the message, pace themselves through the context, and post.</summary>
public interface INotifier
{
    string ChannelType { get; }

    /// <summary>How many events one message may carry (1: no digests, as for GitHub's one issue per event).</summary>
    int MaxDigestEvents { get; }

    SinkLimits Limits { get; }

    /// <summary>Sends; never throws for the sink's answers or network failures (they are outcomes), only for cancellation.</summary>
    Task<DeliveryOutcome> SendAsync(Notification notification, ISendContext context, CancellationToken cancellationToken = default);
}
