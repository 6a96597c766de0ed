using System.Text.Json;
using ComplianceWatch.Core.Feeds;
using ComplianceWatch.Core.Reachability;

namespace ComplianceWatch.Core.Store;

/// <summary>
/// Checks a source's current snapshot (the baseline its next check compares against) against its history chain, so
/// that <c>audit verify</c> finds a snapshot that was edited, deleted or replaced in the store. What binds them:
/// <list type="bullet">
/// <item>a baseline entry exists exactly when a snapshot does (a snapshot is never removed by a check), and the snapshot's
/// version, bumped once per commit that records a baseline, change or rules update, is at most the number of those entries;</item>
/// <item>the snapshot's content hash is the hash of its content (for reachability: of the confirmed verdicts);</item>
/// <item>per kind, what the history recorded last: a <c>terms</c> snapshot is the content of its last baseline, change or
/// rules update (same text, same hash) and its version counts them; a <c>reachability</c> snapshot's confirmed verdict of
/// each vantage point is the one its last baseline or transition recorded (since the last rules update); every item of a
/// <c>federal-register</c>, <c>feed</c> or <c>screening</c> snapshot is in its last baseline or named by an entry recorded since.</item>
/// </list>
/// What legitimately changes without an entry is not compared: health counters, ETag and Last-Modified, capture time,
/// the hysteresis streak counters, items forgotten after the look-back window, feed items that match no keyword, and
/// any pending observation kept beside the snapshot.
/// </summary>
public static class SnapshotVerifier
{
    /// <summary>
    /// The problem with <paramref name="state"/>'s snapshot, naming the source, or null when it is the one the history
    /// recorded. <paramref name="entries"/>: the source's whole chain, verified, in sequence order, with content.
    /// </summary>
    public static string? Verify(SourceState state, IReadOnlyList<HistoryEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(entries);
        var id = state.SourceId;
        var recorded = entries.Where(e => e.Type is HistoryEntryType.Baseline or HistoryEntryType.RulesUpdate or HistoryEntryType.Change).ToArray();
        var firstBaseline = entries.FirstOrDefault(e => e.Type == HistoryEntryType.Baseline);
        if (state.Snapshot is not { } snapshot)
        {
            return firstBaseline is null
                ? null
                : $"{id}: the current snapshot is missing although entry #{firstBaseline.Sequence} recorded a baseline (deleted: the next check would record a new baseline and announce nothing)";
        }

        if (firstBaseline is null)
        {
            return $"{id}: a current snapshot is stored but the history records no baseline (it was not written by a check)";
        }

        if (snapshot.Version < 1 || snapshot.Version > recorded.Length)
        {
            return $"{id}: the current snapshot has version {snapshot.Version} but the history records {recorded.Length} baselines, changes and rules updates (edited or replaced)";
        }

        return TryReadReachability(snapshot.Content) is { } verdicts ? VerifyReachability(id, snapshot, verdicts, recorded)
            : TryReadItems(snapshot.Content) is { } items ? VerifyItems(id, snapshot, items, recorded)
            : VerifyContent(id, snapshot, recorded);
    }

    /// <summary><c>terms</c>: the snapshot is the content of the last baseline, change or rules update, and its version counts them.</summary>
    private static string? VerifyContent(string id, Snapshot snapshot, IReadOnlyList<HistoryEntry> recorded)
    {
        var last = recorded[^1];
        if (Hashing.Sha256(snapshot.Content) != snapshot.ContentHash)
        {
            return $"{id}: the current snapshot's content does not match its content hash (edited)";
        }

        if (snapshot.ContentHash != last.ContentHash || (last.Content is not null && last.Content != snapshot.Content))
        {
            return $"{id}: the current snapshot is not the content that entry #{last.Sequence} recorded (edited or replaced)";
        }

        return snapshot.Version == recorded.Count
            ? null
            : $"{id}: the current snapshot has version {snapshot.Version} but entry #{last.Sequence} recorded version {recorded.Count} (replaced)";
    }

    /// <summary><c>reachability</c>: each confirmed verdict is the one the last baseline or transition of its vantage point recorded.</summary>
    private static string? VerifyReachability(string id, Snapshot snapshot, ReachabilityState verdicts, IReadOnlyList<HistoryEntry> recorded)
    {
        if (verdicts.VerdictHash() != snapshot.ContentHash)
        {
            return $"{id}: the current snapshot's verdicts do not match its content hash (edited)";
        }

        // a rules update starts every vantage point afresh: the verdicts are recorded again as baselines after it
        var since = recorded.LastOrDefault(e => e.Type == HistoryEntryType.RulesUpdate)?.Sequence ?? 0;
        var latest = new Dictionary<string, (string Verdict, long Sequence)>(StringComparer.Ordinal);
        foreach (var entry in recorded.Where(e => e.Sequence > since))
        {
            if (ReachabilityRecord.TryRead(entry) is { } record)
            {
                latest[record.VantagePoint] = (record.Verdict, entry.Sequence);
            }
        }

        foreach (var (vantagePoint, tracked) in verdicts.VantagePoints)
        {
            if (tracked.Verdict is not { } verdict)
            {
                continue; // never measured yet: nothing recorded, nothing to compare
            }

            if (!latest.TryGetValue(vantagePoint, out var last))
            {
                return $"{id}: the current snapshot holds the verdict {verdict.ToName()} for {vantagePoint}, which no baseline or transition recorded (edited or replaced)";
            }

            if (last.Verdict != verdict.ToName())
            {
                return $"{id}: the current snapshot holds the verdict {verdict.ToName()} for {vantagePoint} but entry #{last.Sequence} recorded {last.Verdict} (edited or replaced)";
            }
        }

        return null;
    }

    /// <summary>Item kinds: every item of the snapshot is in the last baseline (or rules update) or named by a change recorded since.</summary>
    private static string? VerifyItems(string id, Snapshot snapshot, ItemState items, IReadOnlyList<HistoryEntry> recorded)
    {
        if (Hashing.Sha256(snapshot.Content) != snapshot.ContentHash)
        {
            return $"{id}: the current snapshot's content does not match its content hash (edited)";
        }

        // one version per baseline or rules update, and one more per commit of changes (at least one when any came since)
        var rebaselines = recorded.Count(e => e.Type is HistoryEntryType.Baseline or HistoryEntryType.RulesUpdate);
        var rebaseline = recorded.Last(e => e.Type is HistoryEntryType.Baseline or HistoryEntryType.RulesUpdate);
        var least = rebaselines + (recorded[^1].Sequence > rebaseline.Sequence ? 1 : 0);
        if (snapshot.Version < least)
        {
            return $"{id}: the current snapshot has version {snapshot.Version} but the history records at least {least} (replaced)";
        }

        if (rebaseline.Content is null || TryReadItems(rebaseline.Content) is not { } baseline || baseline.Format != items.Format)
        {
            return $"{id}: the current snapshot is a {items.Format} state but entry #{rebaseline.Sequence}, its last baseline, is not (replaced)";
        }

        var since = recorded.Where(e => e.Sequence > rebaseline.Sequence && e.Content is not null).ToArray();
        foreach (var (key, item) in items.Items)
        {
            if (baseline.Items.ContainsKey(key) || since.Any(e => Names(e.Content!, key)))
            {
                continue;
            }

            if (items.Format == FeedState.Format && (!item.TryGetProperty("entry", out var entry) || entry.ValueKind == JsonValueKind.Null))
            {
                continue; // a feed item that matched no keyword is remembered without an entry
            }

            return $"{id}: the current snapshot holds '{key}', which neither its last baseline (entry #{rebaseline.Sequence}) nor a later entry recorded (edited or replaced: it would never be announced)";
        }

        return null;
    }

    /// <summary>Whether an entry's content names the item: each part of its key (a screening key is "entity | list | id") as a JSON string.</summary>
    private static bool Names(string content, string key) =>
        key.Split(" | ").All(part => content.Contains(JsonSerializer.Serialize(part, JsonDefaults.Options), StringComparison.Ordinal));

    private sealed record ItemState(string Format, IReadOnlyDictionary<string, JsonElement> Items);

    /// <summary>The state of an item kind: a JSON object with a <c>format</c> and one object of items by key.</summary>
    private static ItemState? TryReadItems(string content)
    {
        if (!LooksLikeJson(content))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(content);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            var items = root.EnumerateObject().FirstOrDefault(p => p.Value.ValueKind == JsonValueKind.Object).Value;
            var byKey = items.ValueKind == JsonValueKind.Object
                ? items.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal)
                : new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            return new ItemState(format.GetString()!, byKey);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The state of a reachability source: a JSON object with <c>vantagePoints</c>.</summary>
    private static ReachabilityState? TryReadReachability(string content)
    {
        if (!LooksLikeJson(content))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(content);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("vantagePoints", out var v) && v.ValueKind == JsonValueKind.Object
                ? ReachabilityState.Parse(content)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool LooksLikeJson(string content) => content.Length > 1 && content[0] == '{';
}
