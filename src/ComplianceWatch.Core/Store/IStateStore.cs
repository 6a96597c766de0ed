namespace ComplianceWatch.Core.Store;

/// <summary>
/// The port to where ComplianceWatch keeps its state: per source the current snapshot, health, history and the outbox
/// of change events not yet published. Implemented by the embedded file store and by Azure Table Storage; one contract
/// test suite runs against both.
/// </summary>
public interface IStateStore
{
    /// <summary>The stored state of a source, or <see cref="SourceState.Empty"/> when nothing is stored.</summary>
    Task<SourceState> GetAsync(string sourceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The validators of a source's current snapshot and its health, without the snapshot's text (see
    /// <see cref="SourceHead"/>): what a conditional request needs, read without loading the text. A store that cannot
    /// read less answers from <see cref="GetAsync"/>.
    /// </summary>
    async Task<SourceHead> GetHeadAsync(string sourceId, CancellationToken cancellationToken = default) =>
        SourceHead.Of(await GetAsync(sourceId, cancellationToken));

    /// <summary>
    /// Commits snapshot, health, history entries and outbox events atomically, if the stored state still has
    /// <see cref="SourceCommit.ExpectedToken"/>; otherwise throws <see cref="ConcurrencyConflictException"/>.
    /// </summary>
    Task<SourceState> CommitAsync(SourceCommit commit, CancellationToken cancellationToken = default);

    /// <summary>All sources with stored state.</summary>
    Task<IReadOnlyList<SourceState>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Outbox events not yet marked published, oldest first.</summary>
    Task<IReadOnlyList<PendingEvent>> GetPendingEventsAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes events from a source's outbox after they were published. Unknown ids are ignored.</summary>
    Task MarkPublishedAsync(string sourceId, IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken = default);

    /// <summary>History entries matching the query, ordered by time then source and sequence.</summary>
    Task<IReadOnlyList<HistoryEntry>> QueryHistoryAsync(HistoryQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ids of every source that has history entries stored, whether or not its state is: <c>audit verify</c> compares them
    /// with <see cref="ListAsync"/> to find a source whose state (current snapshot and chain head) was deleted. A store
    /// that cannot tell answers the sources of <see cref="ListAsync"/>.
    /// </summary>
    async Task<IReadOnlyList<string>> ListSourcesWithHistoryAsync(CancellationToken cancellationToken = default) =>
        (await ListAsync(cancellationToken)).Where(s => s.EntryCount > 0).Select(s => s.SourceId).ToArray();
}
