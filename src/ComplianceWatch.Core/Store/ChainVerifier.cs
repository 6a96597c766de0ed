namespace ComplianceWatch.Core.Store;

/// <summary>One source's chain as verified: its recorded head and, when broken, the first bad entry.</summary>
public sealed record ChainStatus(string SourceId, long EntryCount, string? Head, string? Problem)
{
    public bool Intact => Problem is null;
}

/// <summary>The head of a source's chain: the hash of its last entry and how many entries it has.</summary>
public sealed record ChainHead(string SourceId, long EntryCount, string Hash);

/// <summary>The result of recomputing every chain of a store.</summary>
public sealed record ChainVerification(IReadOnlyList<ChainStatus> Chains)
{
    public bool Intact => Chains.All(c => c.Intact);

    public IReadOnlyList<string> Problems => Chains.Where(c => !c.Intact).Select(c => c.Problem!).ToArray();
}

/// <summary>
/// Recomputes each source's history chain from the store (<c>audit verify</c> and <c>GET /api/audits/verify</c>): every
/// entry's hash, every link, the contiguous sequence and the head recorded in the source's state. Names the first entry
/// that was altered, removed or reordered. Then checks the source's current snapshot against the chain
/// (<see cref="SnapshotVerifier"/>), and finds history whose source state is gone.
/// </summary>
public static class ChainVerifier
{
    public static async Task<ChainVerification> VerifyAsync(IStateStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var chains = new List<ChainStatus>();
        var states = await store.ListAsync(cancellationToken);
        foreach (var state in states.OrderBy(s => s.SourceId, StringComparer.Ordinal))
        {
            var entries = (await store.QueryHistoryAsync(new HistoryQuery { SourceIds = [state.SourceId], IncludeContent = true }, cancellationToken))
                .OrderBy(e => e.Sequence).ToArray();
            var problem = HistoryChain.Verify(entries, state.ChainHead);
            if (problem is null && entries.Length != state.EntryCount)
            {
                problem = $"{state.SourceId}: {state.EntryCount} entries recorded but {entries.Length} found";
            }

            problem ??= SnapshotVerifier.Verify(state, entries);
            chains.Add(new ChainStatus(state.SourceId, state.EntryCount, state.ChainHead, problem));
        }

        var stated = states.Select(s => s.SourceId).ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in (await store.ListSourcesWithHistoryAsync(cancellationToken)).Where(id => !stated.Contains(id)).Order(StringComparer.Ordinal))
        {
            chains.Add(new ChainStatus(orphan, 0, null,
                $"{orphan}: history entries are stored but the source's current state (snapshot and chain head) is not (deleted, or in the embedded store a crash interrupted its first commit: the next check records a new baseline over it)"));
        }

        return new ChainVerification(chains);
    }
}
