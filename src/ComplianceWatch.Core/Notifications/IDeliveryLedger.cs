using System.Text.Json.Serialization;
using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Notifications;

[JsonConverter(typeof(JsonStringEnumConverter<DeliveryState>))]
public enum DeliveryState
{
    /// <summary>Routed and waiting: due now, or not before <see cref="DeliveryRecord.NotBefore"/> (a 429, a cap, a failure's back-off).</summary>
    [JsonStringEnumMemberName("pending")] Pending,
    /// <summary>Taken by a dispatcher run that is about to post (or posting). A claim older than the lease is taken over.</summary>
    [JsonStringEnumMemberName("claimed")] Claimed,
    [JsonStringEnumMemberName("delivered")] Delivered,
    /// <summary>The sink refused the message itself (it would refuse it again): kept, reported, not retried.</summary>
    [JsonStringEnumMemberName("failed")] Failed,
}

/// <summary>
/// One (event, channel) delivery. It is inserted if absent when the event is routed, claimed (compare-and-swap) before
/// the side effect, and finished as delivered or failed; so a redelivered event never posts twice. It carries the event
/// itself: once recorded here, the event may leave the outbox (or the Service Bus message may be completed).
/// </summary>
public sealed record DeliveryRecord
{
    public required string EventId { get; init; }
    public required string Channel { get; init; }
    public required DeliveryState State { get; init; }
    public required ChangeEvent Event { get; init; }
    public IReadOnlyList<string> Teams { get; init; } = [];
    /// <summary>The dependencies the event touches, e.g. "affects ml-platform: OpenAI from HK".</summary>
    public IReadOnlyList<string> Affects { get; init; } = [];
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? NotBefore { get; init; }
    public DateTimeOffset? ClaimedAt { get; init; }
    public string? ClaimedBy { get; init; }
    public int Attempts { get; init; }
    /// <summary>An earlier attempt may have reached the sink (a crash or timeout after sending): reconcile before posting again.</summary>
    public bool MaybeSent { get; init; }
    public string? LastErrorCategory { get; init; }
    /// <summary>Scrubbed of secrets.</summary>
    public string? LastError { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }
    /// <summary>What the sink made of it: an issue number, a message id.</summary>
    public string? Reference { get; init; }
    /// <summary>Opaque concurrency token of the stored record (an ETag in Table Storage); null before it is stored.</summary>
    public string? Version { get; init; }
}

/// <summary>
/// The open alert of a thread on a channel (a health alert, a reachability block): what a later recovery closes.
/// </summary>
public sealed record ThreadRecord
{
    public required string Channel { get; init; }
    public required string Key { get; init; }
    public required string OpenedBy { get; init; }
    public string? Reference { get; init; }
    public bool Open { get; init; } = true;
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>What a dispatcher remembers about a channel between runs: recent content-creating requests, a pause, health.</summary>
public sealed record ChannelState
{
    public required string Channel { get; init; }
    public IReadOnlyList<DateTimeOffset> RecentRequests { get; init; } = [];
    public DateTimeOffset? PausedUntil { get; init; }
    public int ConsecutiveFailures { get; init; }
    public string? LastErrorCategory { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? LastFailureAt { get; init; }
    public DateTimeOffset? LastSuccessAt { get; init; }
}

/// <summary>
/// The delivery ledger port: per (event id, channel) a <see cref="DeliveryRecord"/>, plus per channel its open threads
/// and its state. Implementations: in memory, the embedded file store, and Azure Table Storage (PartitionKey = encoded
/// channel, RowKey = encoded event id; <see cref="TryAddAsync"/> is <c>AddEntityAsync</c>, <see cref="TryUpdateAsync"/>
/// is <c>UpdateEntityAsync</c> with the ETag; the event JSON may exceed 64 KiB and must be split across properties).
/// </summary>
public interface IDeliveryLedger
{
    /// <summary>Inserts the record if none exists for its (event id, channel). False when one exists, whatever its state.</summary>
    Task<bool> TryAddAsync(DeliveryRecord record, CancellationToken cancellationToken = default);

    Task<DeliveryRecord?> GetAsync(string eventId, string channel, CancellationToken cancellationToken = default);

    /// <summary>Replaces the record if the stored one still has <see cref="DeliveryRecord.Version"/>; returns the stored record, or null on a conflict.</summary>
    Task<DeliveryRecord?> TryUpdateAsync(DeliveryRecord record, CancellationToken cancellationToken = default);

    /// <summary>Records that are pending or claimed, oldest first.</summary>
    Task<IReadOnlyList<DeliveryRecord>> GetOpenAsync(CancellationToken cancellationToken = default);

    /// <summary>Records of one channel in any state (for status and audits), oldest first.</summary>
    Task<IReadOnlyList<DeliveryRecord>> ListAsync(string channel, CancellationToken cancellationToken = default);

    Task<ThreadRecord?> GetThreadAsync(string channel, string key, CancellationToken cancellationToken = default);

    Task SaveThreadAsync(ThreadRecord thread, CancellationToken cancellationToken = default);

    Task<ChannelState?> GetChannelStateAsync(string channel, CancellationToken cancellationToken = default);

    Task SaveChannelStateAsync(ChannelState state, CancellationToken cancellationToken = default);
}

/// <summary>An in-memory ledger: for tests, and for a run that must not remember anything.</summary>
public sealed class InMemoryDeliveryLedger : IDeliveryLedger
{
    private readonly Lock gate = new();
    private readonly Dictionary<(string, string), DeliveryRecord> records = [];
    private readonly Dictionary<(string, string), ThreadRecord> threads = [];
    private readonly Dictionary<string, ChannelState> channels = new(StringComparer.Ordinal);
    private long version;

    public IReadOnlyList<DeliveryRecord> All
    {
        get
        {
            lock (gate)
            {
                return records.Values.OrderBy(r => r.CreatedAt).ThenBy(r => r.EventId, StringComparer.Ordinal).ToArray();
            }
        }
    }

    public Task<bool> TryAddAsync(DeliveryRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (gate)
        {
            var key = (record.EventId, record.Channel);
            if (records.ContainsKey(key))
            {
                return Task.FromResult(false);
            }

            records[key] = record with { Version = (++version).ToString(System.Globalization.CultureInfo.InvariantCulture) };
            return Task.FromResult(true);
        }
    }

    public Task<DeliveryRecord?> GetAsync(string eventId, string channel, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return Task.FromResult(records.GetValueOrDefault((eventId, channel)));
        }
    }

    public Task<DeliveryRecord?> TryUpdateAsync(DeliveryRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (gate)
        {
            var key = (record.EventId, record.Channel);
            if (!records.TryGetValue(key, out var current) || current.Version != record.Version)
            {
                return Task.FromResult<DeliveryRecord?>(null);
            }

            var stored = record with { Version = (++version).ToString(System.Globalization.CultureInfo.InvariantCulture) };
            records[key] = stored;
            return Task.FromResult<DeliveryRecord?>(stored);
        }
    }

    public Task<IReadOnlyList<DeliveryRecord>> GetOpenAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<DeliveryRecord>>(All.Where(r => r.State is DeliveryState.Pending or DeliveryState.Claimed).ToArray());

    public Task<IReadOnlyList<DeliveryRecord>> ListAsync(string channel, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<DeliveryRecord>>(All.Where(r => r.Channel == channel).ToArray());

    public Task<ThreadRecord?> GetThreadAsync(string channel, string key, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return Task.FromResult(threads.GetValueOrDefault((channel, key)));
        }
    }

    public Task SaveThreadAsync(ThreadRecord thread, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        lock (gate)
        {
            threads[(thread.Channel, thread.Key)] = thread;
        }

        return Task.CompletedTask;
    }

    public Task<ChannelState?> GetChannelStateAsync(string channel, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return Task.FromResult(channels.GetValueOrDefault(channel));
        }
    }

    public Task SaveChannelStateAsync(ChannelState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (gate)
        {
            channels[state.Channel] = state;
        }

        return Task.CompletedTask;
    }
}
