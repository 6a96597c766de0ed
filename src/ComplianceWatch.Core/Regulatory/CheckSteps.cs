using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Core.Regulatory;

/// <summary>The steps every item-based checker (federal-register, feed, screening) shares with the terms checker.</summary>
internal static class CheckSteps
{
    /// <summary>A failed observation: counts against health (raising "stopped tracking" at the threshold) and never touches the snapshot.</summary>
    public static CheckDecision Failed(SourceDefinition source, SourceState state, string category, string message, int threshold, DateTimeOffset now)
    {
        var history = new HistoryAppender(state);
        var failed = HealthTransitions.AfterFailure(state.Health, category, message, now);
        var transition = HealthTransitions.Transition(source, state.Health, ref failed, threshold, history.NextSequence, history.Head, now);
        if (transition is not null)
        {
            history.Add(transition);
        }

        return new CheckDecision(
            new SourceCheckResult(source.Id, source.Kind, CheckOutcome.Failed, history.Events, new CheckError(source.Id, category, message), default, false),
            history.ToCommit(state.Snapshot, failed));
    }

    /// <summary>A successful observation: the history to append to (with "tracking resumed" when it ends a degraded spell) and the new health.</summary>
    public static (HistoryAppender History, SourceHealth Health, bool HealthChanged) Succeeded(SourceDefinition source, SourceState state, int threshold, DateTimeOffset now)
    {
        var history = new HistoryAppender(state);
        var health = HealthTransitions.AfterSuccess(state.Health, now);
        var resumed = HealthTransitions.Transition(source, state.Health, ref health, threshold, history.NextSequence, history.Head, now);
        if (resumed is not null)
        {
            history.Add(resumed);
        }

        return (history, health, state.Health.ConsecutiveFailures > 0 || state.Health.Degraded);
    }

    /// <summary>
    /// The event id of an item that has its own identity (a Federal Register document, a feed item): a hash of the source
    /// id, the item's id and its stage, so a re-run or an overlapping run never mints a second event for it.
    /// </summary>
    public static string ItemEventId(string sourceId, string itemId, string stage) => Hashing.Sha256($"{sourceId}\n{itemId}\n{stage}");

    public static Snapshot NewSnapshot(string content, string rulesHash, string? url, long version, DateTimeOffset now, string? etag = null, string? lastModified = null) => new()
    {
        Content = content,
        ContentHash = Hashing.Sha256(content),
        RulesHash = rulesHash,
        Url = url,
        ETag = etag,
        LastModified = lastModified,
        CapturedAt = now,
        Version = version,
    };

    public static string Shorten(string? text, int max) =>
        string.IsNullOrEmpty(text) ? "" : text.Length <= max ? text : text[..(max - 1)] + "…";
}
