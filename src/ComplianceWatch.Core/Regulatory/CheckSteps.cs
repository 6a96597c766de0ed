using System.Text.Json;
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

    /// <summary>
    /// The first observation of a source, or the first after its rules changed (<paramref name="previous"/> is then the
    /// old snapshot): <paramref name="next"/> is recorded as the baseline or as a rules update, and nothing is announced.
    /// </summary>
    public static CheckDecision Rebaseline(SourceDefinition source, HistoryAppender history, SourceHealth health, Snapshot? previous, Snapshot next, string summary, DateTimeOffset now)
    {
        var baseline = previous is null;
        history.Add(new HistoryEntry
        {
            SourceId = source.Id,
            Sequence = 0,
            Type = baseline ? HistoryEntryType.Baseline : HistoryEntryType.RulesUpdate,
            Time = now,
            Summary = summary,
            ContentHash = next.ContentHash,
            Content = next.Content,
        });
        return new CheckDecision(
            new SourceCheckResult(source.Id, source.Kind, baseline ? CheckOutcome.Baselined : CheckOutcome.RulesUpdated, history.Events, null, default, false, summary),
            history.ToCommit(next, health));
    }

    /// <summary>
    /// Reads a kind's state kept as snapshot content (JSON with a <c>format</c> marker); null when the content is not
    /// that format (another version, or not JSON), which the checkers treat as "re-baseline".
    /// </summary>
    public static T? TryParseState<T>(string content, Func<T, string> format, string expected)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(content, JsonDefaults.Options) is { } state && format(state) == expected ? state : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string Shorten(string? text, int max) =>
        string.IsNullOrEmpty(text) ? "" : text.Length <= max ? text : text[..(max - 1)] + "…";
}
