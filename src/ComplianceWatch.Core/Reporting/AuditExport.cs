using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Reachability;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Core.Reporting;

/// <summary>
/// The auditor's exports of a period's history (baselines, changes, rules updates, health transitions), shared by the
/// <c>audit</c> command and the HTTP API so both hosts produce byte-identical files. Every row carries its entry hash and
/// the previous entry's, so a copy kept outside the store can expose an edit inside it.
/// </summary>
public static class AuditExport
{
    public const string Json = "json";
    public const string Csv = "csv";
    public const string Markdown = "md";

    public static IReadOnlyList<string> Formats { get; } = [Json, Csv, Markdown];

    public static string MediaType(string format) => format switch
    {
        Csv => "text/csv; charset=utf-8",
        Markdown => "text/markdown; charset=utf-8",
        _ => "application/json; charset=utf-8",
    };

    /// <summary>
    /// Whether <paramref name="format"/> reads the entries' content (query the history with <c>IncludeContent</c>): the
    /// Markdown export and the tool's table list reachability verdicts per region, which are read from it.
    /// </summary>
    public static bool NeedsContent(string format) => format is Markdown or "table";

    /// <summary>Renders <paramref name="entries"/> in <paramref name="format"/> (<c>json</c>, <c>csv</c> or <c>md</c>).</summary>
    public static string Render(IReadOnlyList<HistoryEntry> entries, string format, IReadOnlyList<ChainHead>? heads = null) => format switch
    {
        Csv => ToCsv(entries, heads),
        Markdown => ToMarkdown(entries, heads),
        Json => ToJson(entries, heads),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, $"expected one of: {string.Join(", ", Formats)}"),
    };

    /// <summary>
    /// A JSON array of history entries, each with its change event (what <c>audit --json</c> prints). When
    /// <paramref name="heads"/> are given, each entry also carries its source's chain head when the report was made,
    /// <c>"chainHead": {"entries": N, "hash": "…"}</c>: an added property, so the document stays the array of entries
    /// that readers of <c>audit --json</c> parse (the CSV's <c>chain-head</c> rows and the Markdown's table carry the same).
    /// </summary>
    public static string ToJson(IReadOnlyList<HistoryEntry> entries, IReadOnlyList<ChainHead>? heads = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (heads is not { Count: > 0 })
        {
            return JsonSerializer.Serialize(entries, JsonDefaults.Indented);
        }

        var bySource = heads.ToDictionary(h => h.SourceId, StringComparer.Ordinal);
        var array = new JsonArray();
        foreach (var entry in entries)
        {
            var node = JsonSerializer.SerializeToNode(entry, JsonDefaults.Options)!.AsObject();
            if (bySource.TryGetValue(entry.SourceId, out var head))
            {
                node["chainHead"] = new JsonObject { ["entries"] = head.EntryCount, ["hash"] = head.Hash };
            }

            array.Add(node);
        }

        return array.ToJsonString(JsonDefaults.Indented);
    }

    public static string TypeName(HistoryEntryType type) => type switch
    {
        HistoryEntryType.Baseline => "baseline",
        HistoryEntryType.Change => "change",
        HistoryEntryType.RulesUpdate => "rules-update",
        HistoryEntryType.Flapping => "flapping",
        _ => "health",
    };

    /// <summary>
    /// The chain heads of the sources in <paramref name="entries"/>, read from the store's state: what a copy of the
    /// report kept elsewhere proves the stored history against (a later edit, removal or reorder changes the head).
    /// </summary>
    public static async Task<IReadOnlyList<ChainHead>> HeadsAsync(IStateStore store, IReadOnlyList<HistoryEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(entries);
        var heads = new List<ChainHead>();
        foreach (var sourceId in entries.Select(e => e.SourceId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var state = await store.GetAsync(sourceId, cancellationToken);
            if (state.ChainHead is { } head)
            {
                heads.Add(new ChainHead(sourceId, state.EntryCount, head));
            }
        }

        return heads;
    }

    /// <summary>One row per entry, then (when <paramref name="heads"/> are given) one <c>chain-head</c> row per source: sequence = entries recorded, entryHash = the head.</summary>
    public static string ToCsv(IReadOnlyList<HistoryEntry> entries, IReadOnlyList<ChainHead>? heads = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        static string Field(string? value) =>
            value is null ? "" : value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
        var csv = new StringBuilder("time,sourceId,sequence,type,severity,eventId,summary,contentHash,previousEntryHash,entryHash,added,removed\n");
        foreach (var e in entries)
        {
            var diff = e.Event?.Data.Diff;
            csv.AppendJoin(',', [
                Field(e.Time.ToString("o", CultureInfo.InvariantCulture)), Field(e.SourceId), e.Sequence.ToString(CultureInfo.InvariantCulture),
                TypeName(e.Type), e.Event?.Data.Severity.ToName() ?? "", Field(e.Event?.Id), Field(e.Summary), Field(e.ContentHash),
                Field(e.PreviousEntryHash), Field(e.EntryHash), Field(diff is null ? null : string.Join('\n', diff.Added)),
                Field(diff is null ? null : string.Join('\n', diff.Removed)),
            ]).Append('\n');
        }

        foreach (var head in heads ?? [])
        {
            csv.AppendJoin(',', ["", Field(head.SourceId), head.EntryCount.ToString(CultureInfo.InvariantCulture), "chain-head", "", "", "", "", "", head.Hash, "", ""]).Append('\n');
        }

        return csv.ToString();
    }

    public static string ToMarkdown(IReadOnlyList<HistoryEntry> entries, IReadOnlyList<ChainHead>? heads = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        static string Cell(string? value) => (value ?? "").Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        var md = new StringBuilder("# ComplianceWatch audit\n\n| Time (UTC) | Source | Type | Severity | Summary | Event | Entry hash |\n|---|---|---|---|---|---|---|\n");
        foreach (var e in entries)
        {
            var eventId = e.Event is null ? "" : $"`{e.Event.Id}`";
            md.Append(CultureInfo.InvariantCulture, $"| {e.Time.UtcDateTime:u} | {Cell(e.SourceId)} | {TypeName(e.Type)} | {e.Event?.Data.Severity.ToName()} | {Cell(e.Summary)} | {eventId} | `{e.EntryHash[..Math.Min(16, e.EntryHash.Length)]}` |\n");
        }

        var records = entries.Select(e => (Entry: e, Record: ReachabilityRecord.TryRead(e))).Where(x => x.Record is not null).ToArray();
        if (records.Length > 0)
        {
            md.Append("\n## Reachability verdicts per region\n\n| Source | Vantage point | Time (UTC) | Type | Verdict | Reason |\n|---|---|---|---|---|---|\n");
            foreach (var (e, r) in records.OrderBy(x => x.Entry.SourceId, StringComparer.Ordinal).ThenBy(x => x.Record!.VantagePoint, StringComparer.Ordinal).ThenBy(x => x.Entry.Sequence))
            {
                var verdict = e.Type == HistoryEntryType.Change ? $"{r!.PreviousVerdict} → {r.Verdict}" : r!.Verdict;
                md.Append(CultureInfo.InvariantCulture, $"| {Cell(e.SourceId)} | {Cell(r.VantagePoint)} | {e.Time.UtcDateTime:u} | {TypeName(e.Type)} | {Cell(verdict)} | {Cell(r.Reason)} |\n");
            }
        }

        if (heads is { Count: > 0 })
        {
            md.Append("\n## Chain heads\n\nThe hash of each source's last history entry when this report was made; `compliancewatch audit verify` recomputes the chains.\n\n| Source | Entries | Head |\n|---|---|---|\n");
            foreach (var head in heads)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {Cell(head.SourceId)} | {head.EntryCount} | `{head.Hash}` |\n");
            }
        }

        foreach (var e in entries.Where(x => x.Event?.Data.Diff is not null))
        {
            var unified = e.Event!.Data.Diff!.Unified;
            var fence = new string('`', Math.Max(3, LongestBacktickRun(unified) + 1));
            md.Append(CultureInfo.InvariantCulture, $"\n## {Cell(e.SourceId)} #{e.Sequence} ({e.Time.UtcDateTime:u})\n\n{fence}diff\n{unified}{(unified.EndsWith('\n') ? "" : "\n")}{fence}\n");
        }

        return md.ToString();
    }

    private static int LongestBacktickRun(string text)
    {
        int longest = 0, run = 0;
        foreach (var c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return longest;
    }
}
