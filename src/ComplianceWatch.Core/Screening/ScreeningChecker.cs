using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Regulatory;
using ComplianceWatch.Core.Store;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Core.Screening;

/// <summary>A watched entity's listing as a screening source remembers it.</summary>
public sealed record ListedMatch
{
    [JsonPropertyName("entity")] public required string Entity { get; init; }
    /// <summary>The name or alternative name of the entry that matched.</summary>
    [JsonPropertyName("matchedName")] public required string MatchedName { get; init; }
    /// <summary>The watched name or alias it matched.</summary>
    [JsonPropertyName("alias")] public required string Alias { get; init; }
    [JsonPropertyName("fingerprint")] public required string Fingerprint { get; init; }
    [JsonPropertyName("entry")] public required ScreeningEntry Entry { get; init; }
}

/// <summary>The snapshot content of a screening source: the listings of watched entities, by entity, list and entry id.</summary>
public sealed record ScreeningState
{
    public const string Format = "screening/1";

    [JsonPropertyName("format")] public string StateFormat { get; init; } = Format;
    [JsonPropertyName("matches")] public SortedDictionary<string, ListedMatch> Matches { get; init; } = new(StringComparer.Ordinal);

    public static string KeyOf(string entity, ScreeningEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return $"{entity} | {entry.List} | {entry.Id}";
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonDefaults.Options);

    public static ScreeningState? TryParse(string content) =>
        CheckSteps.TryParseState<ScreeningState>(content, s => s.StateFormat, Format) is { } state
            ? state with { Matches = new SortedDictionary<string, ListedMatch>(state.Matches, StringComparer.Ordinal) }
            : null;
}

/// <summary>
/// Checks a <c>screening</c> source: streams the list (Consolidated Screening List JSON or OFAC SDN XML), matches every
/// entry's name and alternative names against the watched entities (see <see cref="NameMatching"/>), and compares the
/// listings with the last ones: a new listing (<c>added</c>, critical), a changed one (new program, list, Federal
/// Register notice, alias: <c>modified</c>, warning) or one gone (<c>removed</c>, notice) is one
/// <c>compliancewatch.screening.changed</c> event naming the vendor, the list and the entry. The first check is the baseline.
/// </summary>
public sealed class ScreeningChecker(IScreeningListReader reader, IStateStore store, TimeProvider time, IOptions<ComplianceWatchOptions> options) : ISourceChecker
{
    public const string Added = "added";
    public const string Modified = "modified";
    public const string Removed = "removed";

    public string Kind => SourceKinds.Screening;

    public async Task<SourceCheckResult> CheckAsync(SourceDefinition source, CatalogSettings settings, CancellationToken cancellationToken = default)
    {
        var screening = source as ScreeningSource ?? throw new ArgumentException($"Source '{source?.Id}' is not a screening source.", nameof(source));
        ArgumentNullException.ThrowIfNull(settings);
        var started = Stopwatch.GetTimestamp();
        var rulesHash = RulesHash(screening);
        var state = await store.GetAsync(screening.Id, cancellationToken);
        var observation = await ObserveAsync(screening, cancellationToken);
        var result = await SourceCommitter.CommitAsync(store, state, current => Decide(screening, rulesHash, current, observation), cancellationToken);
        return result with { Duration = Stopwatch.GetElapsedTime(started) };
    }

    public static string RulesHash(ScreeningSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var entities = source.Entities.Select(e => string.Join("|", e.Aliases.Prepend(e.Name).Select(NameMatching.Key).Order(StringComparer.Ordinal)));
        return Hashing.Sha256(string.Join("\n", [ScreeningState.Format, source.List.Url, source.List.Format, .. entities.Order(StringComparer.Ordinal)]));
    }

    private sealed record Observation(IReadOnlyList<ScreeningMatch> Matches, ScreeningReadResult Read);

    private async Task<Observation> ObserveAsync(ScreeningSource source, CancellationToken cancellationToken)
    {
        var matcher = new ScreeningMatcher(source.Entities);
        var matches = new List<ScreeningMatch>();
        var read = await reader.ReadAsync(source.List, entry => matches.AddRange(matcher.Match(entry)), cancellationToken);
        if (!read.IsError && read.EntriesRead == 0)
        {
            read = read with { ErrorCategory = ErrorCategories.InvalidContent, ErrorMessage = $"the list at {source.List.Url} has no entries: it is empty or changed shape" };
        }

        return new Observation(matches, read);
    }

    private CheckDecision Decide(ScreeningSource source, string rulesHash, SourceState state, Observation observation)
    {
        var now = time.GetUtcNow();
        var threshold = options.Value.HealthFailureThreshold;
        if (observation.Read.ErrorCategory is { } category)
        {
            return CheckSteps.Failed(source, state, category, observation.Read.ErrorMessage ?? category, threshold, now);
        }

        var (history, health, healthChanged) = CheckSteps.Succeeded(source, state, threshold, now);
        var current = new ScreeningState();
        foreach (var match in observation.Matches)
        {
            current.Matches[ScreeningState.KeyOf(match.Entity, match.Entry)] = new ListedMatch
            {
                Entity = match.Entity, MatchedName = match.MatchedName, Alias = match.Alias, Fingerprint = match.Entry.Fingerprint(), Entry = match.Entry,
            };
        }

        var content = current.ToJson();
        var snapshot = state.Snapshot;
        var known = snapshot is not null && snapshot.RulesHash == rulesHash ? ScreeningState.TryParse(snapshot.Content) : null;
        if (snapshot is null || known is null)
        {
            var baseline = snapshot is null;
            var listed = current.Matches.Values.Select(m => $"{m.Entity} ({m.Entry.List})").Distinct().ToArray();
            var found = listed.Length == 0 ? "no watched entity is listed" : $"listed: {string.Join(", ", listed)}";
            var summary = baseline
                ? $"{source.Title}: baseline recorded ({observation.Read.EntriesRead:N0} entries screened, {found}); nothing announced"
                : $"{source.Title}: list or entities changed; {found}; recorded as the new baseline, not announced";
            return CheckSteps.Rebaseline(source, history, health, snapshot, CheckSteps.NewSnapshot(content, rulesHash, source.List.Url, (snapshot?.Version ?? 0) + 1, now), summary, now);
        }

        if (Hashing.Sha256(content) == snapshot.ContentHash)
        {
            return new CheckDecision(
                new SourceCheckResult(source.Id, source.Kind, CheckOutcome.Unchanged, history.Events, null, default, false),
                healthChanged ? history.ToCommit(snapshot, health) : null);
        }

        var version = snapshot.Version + 1;
        var changes = new List<(string Key, string Change, ListedMatch Match, ListedMatch? Previous)>();
        foreach (var (key, match) in current.Matches)
        {
            if (!known.Matches.TryGetValue(key, out var previous))
            {
                changes.Add((key, Added, match, null));
            }
            else if (previous.Fingerprint != match.Fingerprint)
            {
                changes.Add((key, Modified, match, previous));
            }
        }

        changes.AddRange(known.Matches.Where(m => !current.Matches.ContainsKey(m.Key)).Select(m => (m.Key, Removed, m.Value, (ListedMatch?)null)));
        foreach (var (key, change, match, previous) in changes)
        {
            var severity = SeverityNames.Max(change switch { Added => Severity.Critical, Modified => Severity.Warning, _ => Severity.Notice }, source.Severity);
            var summary = Summarize(change, match, previous);
            var evt = ChangeEvent.Create(source, ChangeEvent.ComputeId(source.Id, version, Hashing.Sha256($"{key}\n{change}\n{match.Fingerprint}")), ChangeEventTypes.ScreeningChanged, now,
                ChangeEventData.For(source, severity, summary, match.Entry.SourceListUrl ?? source.List.Url, history.Head) with
                {
                    Provider = match.Entity,
                    Entity = match.Entity,
                    List = match.Entry.List,
                    Entry = JsonSerializer.SerializeToElement(match.Entry, JsonDefaults.Options),
                    Change = change,
                });
            var evidence = JsonSerializer.Serialize(new { change, match, previous }, JsonDefaults.Options);
            history.Add(new HistoryEntry
            {
                SourceId = source.Id,
                Sequence = 0,
                Type = HistoryEntryType.Change,
                Time = now,
                Summary = summary,
                ContentHash = Hashing.Sha256(evidence),
                Content = evidence,
                Event = evt,
            });
        }

        var outcome = changes.Count > 0 ? CheckOutcome.Changed : CheckOutcome.Unchanged;
        var resultSummary = changes.Count > 0 ? string.Join("; ", changes.Select(c => $"{c.Match.Entity} {c.Change} ({c.Match.Entry.List})")) : null;
        return new CheckDecision(
            new SourceCheckResult(source.Id, source.Kind, outcome, history.Events, null, default, false, resultSummary),
            history.ToCommit(CheckSteps.NewSnapshot(content, rulesHash, source.List.Url, changes.Count > 0 ? version : snapshot.Version, now), health));
    }

    internal static string Summarize(string change, ListedMatch match, ListedMatch? previous)
    {
        var entry = match.Entry;
        var programs = entry.Programs.Count > 0 ? $"; programs {string.Join(", ", entry.Programs)}" : "";
        var notice = entry.FederalRegisterNotice is { Length: > 0 } fr ? $"; {fr}" : "";
        var via = new List<string>();
        if (!string.Equals(match.MatchedName, entry.Name, StringComparison.Ordinal))
        {
            via.Add($"under \"{match.MatchedName}\"");
        }

        if (!string.Equals(match.Alias, match.Entity, StringComparison.Ordinal))
        {
            via.Add($"matched \"{match.Alias}\"");
        }

        var matched = via.Count > 0 ? $" ({string.Join(", ", via)})" : "";
        return change switch
        {
            Added => $"{match.Entity}: listed on {entry.List} as \"{entry.Name}\"{matched}{programs}{notice}",
            Removed => $"{match.Entity}: no longer on {entry.List} (was listed as \"{entry.Name}\")",
            _ => $"{match.Entity}: listing on {entry.List} changed: {Describe(previous!.Entry, entry)}",
        };
    }

    /// <summary>What differs between two listings, e.g. "programs +IEEPA; Federal Register notice 89 FR 1 → 90 FR 2".</summary>
    internal static string Describe(ScreeningEntry before, ScreeningEntry after)
    {
        var parts = new List<string>();
        void Set(string what, IReadOnlyList<string> a, IReadOnlyList<string> b)
        {
            var added = b.Except(a, StringComparer.Ordinal).ToArray();
            var removed = a.Except(b, StringComparer.Ordinal).ToArray();
            if (added.Length + removed.Length > 0)
            {
                parts.Add($"{what} {string.Join(" ", added.Select(x => "+" + x).Concat(removed.Select(x => "−" + x)))}");
            }
        }

        void Value(string what, string? a, string? b)
        {
            if (!string.Equals(a, b, StringComparison.Ordinal))
            {
                parts.Add($"{what} {a ?? "(none)"} → {b ?? "(none)"}");
            }
        }

        Value("name", before.Name, after.Name);
        Set("programs", before.Programs, after.Programs);
        Value("Federal Register notice", before.FederalRegisterNotice, after.FederalRegisterNotice);
        Set("aliases", before.AltNames, after.AltNames);
        Value("type", before.Type, after.Type);
        Value("start date", before.StartDate, after.StartDate);
        return parts.Count > 0 ? string.Join("; ", parts) : "details changed";
    }
}
