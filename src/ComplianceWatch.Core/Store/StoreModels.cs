using System.Text.Json.Serialization;
using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Store;

/// <summary>The last accepted content of a source and how it was obtained.</summary>
public sealed record Snapshot
{
    public required string ContentHash { get; init; }
    public required string Content { get; init; }
    /// <summary>Hash of the rules (select, remove, ignore, extract, normalizer version) that produced <see cref="Content"/>.</summary>
    public required string RulesHash { get; init; }
    public string? Url { get; init; }
    public string? ETag { get; init; }
    public string? LastModified { get; init; }
    public required DateTimeOffset CapturedAt { get; init; }
    /// <summary>The source's version counter: incremented by every baseline, change and rules update.</summary>
    public required long Version { get; init; }
}

/// <summary>
/// What a conditional check needs of the current snapshot, without its text: the validators to send (ETag,
/// Last-Modified), and what decides whether they may be sent (rules hash, URL) and what the text is (hash, version).
/// </summary>
public sealed record SnapshotHead
{
    public required string ContentHash { get; init; }
    public required string RulesHash { get; init; }
    public string? Url { get; init; }
    public string? ETag { get; init; }
    public string? LastModified { get; init; }
    public required long Version { get; init; }

    public static SnapshotHead Of(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new()
        {
            ContentHash = snapshot.ContentHash,
            RulesHash = snapshot.RulesHash,
            Url = snapshot.Url,
            ETag = snapshot.ETag,
            LastModified = snapshot.LastModified,
            Version = snapshot.Version,
        };
    }
}

/// <summary>
/// A source's state as a conditional check first needs it (<see cref="IStateStore.GetHeadAsync"/>): the snapshot's
/// validators and the health, without the snapshot's text, the history or the outbox. A 304 on a healthy source needs
/// nothing more.
/// </summary>
public sealed record SourceHead
{
    public required string SourceId { get; init; }
    public SnapshotHead? Snapshot { get; init; }
    public SourceHealth Health { get; init; } = SourceHealth.Healthy;

    /// <summary>True when the source needs no health transition on a success: no failure counted, not degraded.</summary>
    public bool Healthy => Health.ConsecutiveFailures == 0 && !Health.Degraded;

    public static SourceHead Of(SourceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new() { SourceId = state.SourceId, Snapshot = state.Snapshot is { } s ? SnapshotHead.Of(s) : null, Health = state.Health };
    }
}

/// <summary>Whether a source is being tracked: consecutive failures and the last error.</summary>
public sealed record SourceHealth
{
    public static SourceHealth Healthy { get; } = new();

    public int ConsecutiveFailures { get; init; }
    public string? LastErrorCategory { get; init; }
    public string? LastErrorMessage { get; init; }
    public DateTimeOffset? LastFailureAt { get; init; }
    public DateTimeOffset? LastSuccessAt { get; init; }
    public DateTimeOffset? LastCheckedAt { get; init; }
    /// <summary>True once a "stopped tracking" health event was raised and until "tracking resumed" is.</summary>
    public bool Degraded { get; init; }
    /// <summary>
    /// A terms source whose text lost most of its length without an error text: the hash of that short text while it
    /// is pending (error <c>unavailable</c>), until it has been seen on <c>settings.confirmations</c> consecutive checks.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? PendingShrinkHash { get; init; }
    /// <summary>On how many consecutive checks <see cref="PendingShrinkHash"/> was seen.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int PendingShrinkSeen { get; init; }
}

/// <summary>Everything the store holds for one source. <see cref="ConcurrencyToken"/> guards compare-and-swap commits.</summary>
public sealed record SourceState
{
    public required string SourceId { get; init; }
    public Snapshot? Snapshot { get; init; }
    public SourceHealth Health { get; init; } = SourceHealth.Healthy;
    /// <summary>Number of history entries of this source (the sequence of the last one).</summary>
    public long EntryCount { get; init; }
    /// <summary>Hash of the last history entry: the head of the source's chain.</summary>
    public string? ChainHead { get; init; }
    public IReadOnlyList<ChangeEvent> PendingEvents { get; init; } = [];
    /// <summary>Opaque token of the stored state (null when nothing is stored yet).</summary>
    public string? ConcurrencyToken { get; init; }

    public static SourceState Empty(string sourceId) => new() { SourceId = sourceId };
}

[JsonConverter(typeof(JsonStringEnumConverter<HistoryEntryType>))]
public enum HistoryEntryType
{
    [JsonStringEnumMemberName("baseline")] Baseline,
    [JsonStringEnumMemberName("change")] Change,
    [JsonStringEnumMemberName("rules-update")] RulesUpdate,
    [JsonStringEnumMemberName("health")] Health,
    /// <summary>A reachability verdict that keeps flipping without being confirmed: recorded once, never announced.</summary>
    [JsonStringEnumMemberName("flapping")] Flapping,
}

/// <summary>
/// One entry of a source's history: a baseline, a change, a rules update, a health transition or a flapping note. Entries form a hash
/// chain per source: each carries the previous entry's hash and its own.
/// </summary>
public sealed record HistoryEntry
{
    public required string SourceId { get; init; }
    public required long Sequence { get; init; }
    public required HistoryEntryType Type { get; init; }
    public required DateTimeOffset Time { get; init; }
    public required string Summary { get; init; }
    public string? ContentHash { get; init; }
    /// <summary>The normalized content at this entry (for baselines, changes and rules updates): the evidence.</summary>
    public string? Content { get; init; }
    public ChangeEvent? Event { get; init; }
    public string? PreviousEntryHash { get; init; }
    public string EntryHash { get; init; } = "";
}

/// <summary>One atomic write of a source's state: snapshot, health, new history entries and outbox events together.</summary>
public sealed record SourceCommit
{
    public required string SourceId { get; init; }
    /// <summary>The token read; the commit fails with <see cref="ConcurrencyConflictException"/> when the stored state moved on.</summary>
    public required string? ExpectedToken { get; init; }
    public required Snapshot? Snapshot { get; init; }
    public required SourceHealth Health { get; init; }
    public IReadOnlyList<HistoryEntry> NewEntries { get; init; } = [];
    /// <summary>Events to add to the outbox (each also inside one of <see cref="NewEntries"/>).</summary>
    public IReadOnlyList<ChangeEvent> NewEvents { get; init; } = [];
}

public sealed record PendingEvent(string SourceId, ChangeEvent Event);

public sealed record HistoryQuery
{
    public DateTimeOffset? Since { get; init; }
    public DateTimeOffset? Until { get; init; }
    public IReadOnlyCollection<string>? SourceIds { get; init; }
    public bool IncludeContent { get; init; }
}

public sealed class ConcurrencyConflictException(string sourceId)
    : Exception($"The state of source '{sourceId}' was changed by another run.")
{
    public string SourceId { get; } = sourceId;
}
