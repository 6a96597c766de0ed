using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Core.Pipeline;

/// <summary>What a checker decided for one observation: its result, and the commit to make (null: nothing to write).</summary>
public sealed record CheckDecision(SourceCheckResult Result, SourceCommit? Commit);

/// <summary>
/// The compare-and-swap loop every checker shares: decide from the stored state, commit, and on a conflict re-read
/// and decide again from the same observation (so two overlapping runs of one check yield exactly one event).
/// </summary>
public static class SourceCommitter
{
    private const int MaxAttempts = 5;

    public static async Task<SourceCheckResult> CommitAsync(IStateStore store, SourceState state, Func<SourceState, CheckDecision> decide, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(decide);
        for (var attempt = 1; ; attempt++)
        {
            var decision = decide(state);
            if (decision.Commit is null)
            {
                return decision.Result;
            }

            try
            {
                await store.CommitAsync(decision.Commit, cancellationToken);
                return decision.Result with { Written = true };
            }
            catch (ConcurrencyConflictException) when (attempt < MaxAttempts)
            {
                state = await store.GetAsync(state.SourceId, cancellationToken);
            }
        }
    }
}

/// <summary>Appends history entries to a source's chain: numbers them and seals each with the previous entry's hash.</summary>
public sealed class HistoryAppender(SourceState state)
{
    private readonly List<HistoryEntry> entries = [];

    /// <summary>The chain head: the hash the next entry (and its event's <c>previousEntryHash</c>) links to.</summary>
    public string? Head { get; private set; } = state.ChainHead;

    /// <summary>The sequence number the next entry gets.</summary>
    public long NextSequence { get; private set; } = state.EntryCount + 1;

    public IReadOnlyList<HistoryEntry> Entries => entries;

    public IReadOnlyList<ChangeEvent> Events => entries.Where(e => e.Event is not null).Select(e => e.Event!).ToArray();

    public HistoryEntry Add(HistoryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var sealedEntry = HistoryChain.Seal(entry with { Sequence = NextSequence }, Head);
        Head = sealedEntry.EntryHash;
        NextSequence++;
        entries.Add(sealedEntry);
        return sealedEntry;
    }

    /// <summary>A commit of this state's source with the entries appended so far.</summary>
    public SourceCommit ToCommit(Snapshot? snapshot, SourceHealth health) => new()
    {
        SourceId = state.SourceId,
        ExpectedToken = state.ConcurrencyToken,
        Snapshot = snapshot,
        Health = health,
        NewEntries = entries.ToArray(),
        NewEvents = Events,
    };
}
