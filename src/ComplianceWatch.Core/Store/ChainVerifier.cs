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
/// that was altered, removed or reordered.
/// </summary>
public static class ChainVerifier
{
    public static async Task<ChainVerification> VerifyAsync(IStateStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var chains = new List<ChainStatus>();
        foreach (var state in (await store.ListAsync(cancellationToken)).OrderBy(s => s.SourceId, StringComparer.Ordinal))
        {
            var entries = await store.QueryHistoryAsync(new HistoryQuery { SourceIds = [state.SourceId], IncludeContent = true }, cancellationToken);
            var problem = HistoryChain.Verify(entries.OrderBy(e => e.Sequence).ToArray(), state.ChainHead);
            if (problem is null && entries.Count != state.EntryCount)
            {
                problem = $"{state.SourceId}: {state.EntryCount} entries recorded but {entries.Count} found";
            }

            chains.Add(new ChainStatus(state.SourceId, state.EntryCount, state.ChainHead, problem));
        }

        return new ChainVerification(chains);
    }
}
