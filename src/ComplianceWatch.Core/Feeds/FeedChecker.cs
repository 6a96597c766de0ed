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

namespace ComplianceWatch.Core.Feeds;

/// <summary>What a feed source remembers of an item: when it was first seen and, when it was announced, where.</summary>
public sealed record KnownItem
{
    [JsonPropertyName("first")] public required string FirstSeen { get; init; }
    [JsonPropertyName("entry")] public long? Entry { get; init; }
    [JsonPropertyName("event")] public string? EventId { get; init; }
}

/// <summary>The snapshot content of a feed source: the item ids it has seen.</summary>
public sealed record FeedState
{
    public const string Format = "feed/1";

    [JsonPropertyName("format")] public string StateFormat { get; init; } = Format;
    [JsonPropertyName("items")] public SortedDictionary<string, KnownItem> Items { get; init; } = new(StringComparer.Ordinal);

    public string ToJson() => JsonSerializer.Serialize(this, JsonDefaults.Options);

    public static FeedState? TryParse(string content) =>
        CheckSteps.TryParseState<FeedState>(content, s => s.StateFormat, Format) is { } state
            ? state with { Items = new SortedDictionary<string, KnownItem>(state.Items, StringComparer.Ordinal) }
            : null;
}

/// <summary>
/// Checks a <c>feed</c> source (RSS 2.0 or Atom): items are identified by guid (Atom id), else link, so reordered or
/// re-dated items are nothing new. The first check records every item as the baseline; afterwards a new item that
/// the source's <c>match</c> keywords select (all, when there are none) is one <c>compliancewatch.regulatory.published</c>
/// event. A malformed feed is an <c>invalid-content</c> error that keeps the baseline.
/// </summary>
public sealed class FeedChecker(IContentFetcher fetcher, IFeedParser parser, IStateStore store, TimeProvider time, IOptions<ComplianceWatchOptions> options) : ISourceChecker
{
    /// <summary>Ids of items no longer in the feed are forgotten after this long, and at most this many are kept.</summary>
    public static readonly TimeSpan Memory = TimeSpan.FromDays(400);
    public const int MaxRemembered = 5000;

    public string Kind => SourceKinds.Feed;

    public async Task<SourceCheckResult> CheckAsync(SourceDefinition source, CatalogSettings settings, CancellationToken cancellationToken = default)
    {
        var feed = source as FeedSource ?? throw new ArgumentException($"Source '{source?.Id}' is not a feed source.", nameof(source));
        ArgumentNullException.ThrowIfNull(settings);
        var started = Stopwatch.GetTimestamp();
        var rulesHash = Hashing.Sha256(FeedState.Format + "\n" + feed.Url);
        var state = await store.GetAsync(feed.Id, cancellationToken);
        var observation = await ObserveAsync(feed, rulesHash, state.Snapshot, cancellationToken);
        var result = await SourceCommitter.CommitAsync(store, state, current => Decide(feed, settings, rulesHash, current, observation), cancellationToken);
        return result with { Duration = Stopwatch.GetElapsedTime(started) };
    }

    private sealed record Observation(FetchResult Fetch, FeedDocument? Document, string? ErrorCategory, string? ErrorMessage);

    private async Task<Observation> ObserveAsync(FeedSource source, string rulesHash, Snapshot? snapshot, CancellationToken cancellationToken)
    {
        var conditional = snapshot is not null && snapshot.RulesHash == rulesHash && FeedState.TryParse(snapshot.Content) is not null;
        var fetch = await fetcher.FetchAsync(new FetchRequest(new Uri(source.Url), conditional ? snapshot!.ETag : null, conditional ? snapshot!.LastModified : null), cancellationToken);
        if (fetch.IsError)
        {
            return new Observation(fetch, null, fetch.ErrorCategory, fetch.ErrorMessage);
        }

        if (fetch.NotModified)
        {
            return conditional
                ? new Observation(fetch, null, null, null)
                : new Observation(fetch, null, ErrorCategories.InvalidContent, "the server answered 304 Not Modified to an unconditional request");
        }

        if (string.IsNullOrWhiteSpace(fetch.Text))
        {
            return new Observation(fetch, null, ErrorCategories.EmptyContent, $"the feed at {source.Url} is empty");
        }

        try
        {
            return new Observation(fetch, parser.Parse(fetch.Text, fetch.FinalUrl ?? new Uri(source.Url)), null, null);
        }
        catch (FeedFormatException ex)
        {
            return new Observation(fetch, null, ErrorCategories.InvalidContent, $"not a well-formed RSS or Atom feed: {ex.Message}");
        }
    }

    private CheckDecision Decide(FeedSource source, CatalogSettings settings, string rulesHash, SourceState state, Observation observation)
    {
        var now = time.GetUtcNow();
        var threshold = options.Value.HealthFailureThreshold;
        if (observation.ErrorCategory is { } category)
        {
            return CheckSteps.Failed(source, state, category, observation.ErrorMessage ?? category, threshold, now);
        }

        var (history, health, healthChanged) = CheckSteps.Succeeded(source, state, threshold, now);
        var snapshot = state.Snapshot;
        var fetch = observation.Fetch;
        if (observation.Document is not { } document)
        {
            // 304 Not Modified
            return new CheckDecision(
                new SourceCheckResult(source.Id, source.Kind, CheckOutcome.Unchanged, history.Events, null, default, false, "not modified"),
                healthChanged ? history.ToCommit(snapshot, health) : null);
        }

        var today = now.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var items = document.Items.DistinctBy(i => i.Id, StringComparer.Ordinal).ToArray();
        var known = snapshot is not null && snapshot.RulesHash == rulesHash ? FeedState.TryParse(snapshot.Content) : null;
        if (snapshot is null || known is null)
        {
            var baseline = snapshot is null;
            var recorded = new FeedState();
            foreach (var item in items)
            {
                recorded.Items[item.Id] = new KnownItem { FirstSeen = today, Entry = history.NextSequence };
            }

            var content = recorded.ToJson();
            var summary = baseline
                ? $"{source.Title}: baseline recorded ({items.Length} items); nothing announced"
                : $"{source.Title}: URL changed; {items.Length} items recorded as the new baseline, not announced";
            return CheckSteps.Rebaseline(source, history, health, snapshot, CheckSteps.NewSnapshot(content, rulesHash, source.Url, (snapshot?.Version ?? 0) + 1, now, fetch.ETag, fetch.LastModified), summary, now);
        }

        var announced = 0;
        var silent = 0;
        foreach (var item in items.Where(i => !known.Items.ContainsKey(i.Id)).OrderBy(i => i.Published ?? DateTimeOffset.MaxValue).ThenBy(i => i.Id, StringComparer.Ordinal))
        {
            var text = item.Title + "\n" + item.Summary;
            if (source.Match.Count > 0 && !source.Match.Any(keyword => RelevanceRules.IsMentioned(text, keyword)))
            {
                known.Items[item.Id] = new KnownItem { FirstSeen = today };
                silent++;
                continue;
            }

            var relevance = RelevanceRules.Default.Assess("FEED", [], text, settings, source.Match, source.Severity);
            var summary = $"{source.Title}: {CheckSteps.Shorten(item.Title, 200)}" + (relevance.Mentions.Count > 0 ? $" — names {string.Join(", ", relevance.Mentions)}" : "");
            var evt = ChangeEvent.Create(source, CheckSteps.ItemEventId(source.Id, item.Id, DocumentStages.Published), ChangeEventTypes.RegulatoryPublished, now,
                ChangeEventData.For(source, relevance.Severity, summary, item.Link ?? source.Url, history.Head) with
                {
                    DocumentNumber = item.Id,
                    Title = item.Title,
                    PublicationDate = item.Published?.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                    HtmlUrl = item.Link,
                    Stage = DocumentStages.Published,
                });
            var content = JsonSerializer.Serialize(new { item, relevance = new { relevance.Score, severity = relevance.Severity.ToName(), relevance.Mentions } }, JsonDefaults.Options);
            var entry = history.Add(new HistoryEntry
            {
                SourceId = source.Id,
                Sequence = 0,
                Type = HistoryEntryType.Change,
                Time = now,
                Summary = summary,
                ContentHash = Hashing.Sha256(content),
                Content = content,
                Event = evt,
            });
            known.Items[item.Id] = new KnownItem { FirstSeen = today, Entry = entry.Sequence, EventId = evt.Id };
            announced++;
        }

        var forgotten = Forget(known, items, now);
        var validatorsChanged = snapshot.ETag != fetch.ETag || snapshot.LastModified != fetch.LastModified;
        if (announced == 0 && silent == 0 && forgotten == 0)
        {
            var kept = validatorsChanged ? snapshot with { ETag = fetch.ETag, LastModified = fetch.LastModified } : snapshot;
            return new CheckDecision(
                new SourceCheckResult(source.Id, source.Kind, CheckOutcome.Unchanged, history.Events, null, default, false),
                validatorsChanged || healthChanged ? history.ToCommit(kept, health) : null);
        }

        var next = known.ToJson();
        var resultSummary = announced > 0 || silent > 0
            ? $"{announced} new item{(announced == 1 ? "" : "s")} announced" + (silent > 0 ? $", {silent} not matching {string.Join("/", source.Match)}" : "")
            : null;
        return new CheckDecision(
            new SourceCheckResult(source.Id, source.Kind, announced > 0 ? CheckOutcome.Changed : CheckOutcome.Unchanged, history.Events, null, default, false, resultSummary),
            history.ToCommit(CheckSteps.NewSnapshot(next, rulesHash, source.Url, announced > 0 ? snapshot.Version + 1 : snapshot.Version, now, fetch.ETag, fetch.LastModified), health));
    }

    /// <summary>Forgets ids that left the feed long ago (and the oldest beyond <see cref="MaxRemembered"/>); returns how many.</summary>
    private static int Forget(FeedState known, IReadOnlyList<FeedItem> current, DateTimeOffset now)
    {
        var present = current.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
        var limit = now.UtcDateTime.Add(-Memory).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var absent = known.Items.Where(i => !present.Contains(i.Key)).OrderBy(i => i.Value.FirstSeen, StringComparer.Ordinal).ToList();
        var excess = Math.Max(0, known.Items.Count - MaxRemembered);
        var forgotten = absent.Where((item, index) => index < excess || string.CompareOrdinal(item.Value.FirstSeen, limit) < 0).Select(i => i.Key).ToArray();
        foreach (var id in forgotten)
        {
            known.Items.Remove(id);
        }

        return forgotten.Length;
    }
}
