using System.Diagnostics;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Diffing;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Extraction;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Store;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Core.Terms;

/// <summary>
/// Checks a <c>terms</c> source: conditional fetch, extraction, normalization, hash; compares with the stored snapshot
/// and commits snapshot, history and change event in one compare-and-swap write. An error never touches the baseline.
/// </summary>
public sealed class TermsChecker(IContentFetcher fetcher, IStateStore store, TimeProvider time, IOptions<ComplianceWatchOptions> options) : ISourceChecker
{
    public string Kind => SourceKinds.Terms;

    public async Task<SourceCheckResult> CheckAsync(SourceDefinition source, CatalogSettings settings, CancellationToken cancellationToken = default)
    {
        var terms = source as TermsSource ?? throw new ArgumentException($"Source '{source?.Id}' is not a terms source.", nameof(source));
        ArgumentNullException.ThrowIfNull(settings);
        var started = Stopwatch.GetTimestamp();
        var rules = ExtractionRules.From(terms);
        var rulesHash = rules.Hash;
        // The validators first, without the stored text: a 304 on a healthy source needs nothing else (no read of
        // the text, no parse, no write). Anything else reads the whole state and decides from it.
        var head = await store.GetHeadAsync(terms.Id, cancellationToken);
        var observation = await ObserveAsync(terms, rules, rulesHash, head.Snapshot, cancellationToken);
        if (observation.Fetch.NotModified && observation.ErrorCategory is null && head.Snapshot is not null && head.Healthy)
        {
            return new SourceCheckResult(terms.Id, terms.Kind, CheckOutcome.Unchanged, [], null, Stopwatch.GetElapsedTime(started), false, NotModified);
        }

        var state = await store.GetAsync(terms.Id, cancellationToken);
        var result = await SourceCommitter.CommitAsync(store, state, current => Decide(terms, settings, rulesHash, current, observation), cancellationToken);
        return result with { Duration = Stopwatch.GetElapsedTime(started) };
    }

    private const string NotModified = "not modified";

    private sealed record Observation(FetchResult Fetch, ExtractedContent? Content, string? ErrorCategory, string? ErrorMessage);

    private async Task<Observation> ObserveAsync(TermsSource source, ExtractionRules rules, string rulesHash, SnapshotHead? snapshot, CancellationToken cancellationToken)
    {
        // Validators are only worth sending when the stored content was made by the same rules from the same URL:
        // otherwise a 304 would leave nothing to re-extract.
        var conditional = snapshot is not null && snapshot.RulesHash == rulesHash && snapshot.Url == source.Url;
        var request = new FetchRequest(new Uri(source.Url), conditional ? snapshot!.ETag : null, conditional ? snapshot!.LastModified : null, source.Render, source.RenderWaitFor);
        var fetch = await fetcher.FetchAsync(request, cancellationToken);
        if (fetch.IsError)
        {
            return new Observation(fetch, null, fetch.ErrorCategory, fetch.ErrorMessage);
        }

        if (fetch.NotModified)
        {
            return snapshot is null
                ? new Observation(fetch, null, ErrorCategories.InvalidContent, "the server answered 304 Not Modified to an unconditional request")
                : new Observation(fetch, null, null, null);
        }

        try
        {
            var text = fetch.Text ?? "";
            var content = IsPlainText(fetch.MediaType) ? PlainTextExtractor.Extract(text, rules) : HtmlExtractor.Extract(text, rules);
            // the page itself is not needed past extraction: not kept alive through the commit (and its flush to disk)
            return new Observation(fetch with { Text = null }, content, null, null);
        }
        catch (ExtractionException ex)
        {
            return new Observation(fetch, null, ex.Category, ex.Message);
        }
    }

    private static bool IsPlainText(string? mediaType) =>
        mediaType is "text/plain" or "text/markdown" or "text/x-markdown";

    private CheckDecision Decide(TermsSource source, CatalogSettings settings, string rulesHash, SourceState state, Observation observation)
    {
        var now = time.GetUtcNow();
        var threshold = options.Value.HealthFailureThreshold;
        var history = new HistoryAppender(state);

        CheckDecision Failure(string category, string message, string? pendingShrinkHash = null, int pendingShrinkSeen = 0)
        {
            var failed = HealthTransitions.AfterFailure(state.Health, category, message, now) with { PendingShrinkHash = pendingShrinkHash, PendingShrinkSeen = pendingShrinkSeen };
            var transition = HealthTransitions.Transition(source, state.Health, ref failed, threshold, history.NextSequence, history.Head, now);
            if (transition is not null)
            {
                history.Add(transition);
            }

            var error = new CheckError(source.Id, category, message);
            return new CheckDecision(
                new SourceCheckResult(source.Id, source.Kind, CheckOutcome.Failed, history.Events, error, default, false),
                history.ToCommit(state.Snapshot, failed));
        }

        if (observation.ErrorCategory is { } category)
        {
            return Failure(category, observation.ErrorMessage ?? category);
        }

        // an outage or a soft 404 (an error page, or most of the text gone): never a baseline, never a change
        if (observation.Content is { } read && Unavailability.Assess(source, settings, rulesHash, state, read) is { } unavailable)
        {
            return Failure(ErrorCategories.Unavailable, unavailable.Message, unavailable.PendingShrinkHash, unavailable.PendingShrinkSeen);
        }

        var health = HealthTransitions.AfterSuccess(state.Health, now);
        var resumed = HealthTransitions.Transition(source, state.Health, ref health, threshold, history.NextSequence, history.Head, now);
        if (resumed is not null)
        {
            history.Add(resumed);
        }

        var healthChanged = state.Health.ConsecutiveFailures > 0 || state.Health.Degraded;
        var snapshot = state.Snapshot;
        var fetch = observation.Fetch;

        if (observation.Content is not { } content)
        {
            // 304 Not Modified: unchanged without a download
            return new CheckDecision(
                new SourceCheckResult(source.Id, source.Kind, CheckOutcome.Unchanged, history.Events, null, default, false, NotModified),
                healthChanged ? history.ToCommit(snapshot, health) : null);
        }

        if (snapshot is null || snapshot.RulesHash != rulesHash || snapshot.Url != source.Url)
        {
            var baseline = snapshot is null;
            var next = NewSnapshot(source, content, rulesHash, fetch, now, (snapshot?.Version ?? 0) + 1);
            var summary = baseline
                ? $"{source.Title}: baseline recorded ({content.EntryCount} {(source.Extract == ExtractMode.List ? "entries" : "lines")})"
                : $"{source.Title}: rules or URL changed; new content recorded as the baseline, not announced";
            history.Add(new HistoryEntry
            {
                SourceId = source.Id,
                Sequence = 0,
                Type = baseline ? HistoryEntryType.Baseline : HistoryEntryType.RulesUpdate,
                Time = now,
                Summary = summary,
                ContentHash = content.Hash,
                Content = content.Content,
            });
            return new CheckDecision(
                new SourceCheckResult(source.Id, source.Kind, baseline ? CheckOutcome.Baselined : CheckOutcome.RulesUpdated, history.Events, null, default, false, summary),
                history.ToCommit(next, health));
        }

        if (snapshot.ContentHash == content.Hash)
        {
            var validatorsChanged = snapshot.ETag != fetch.ETag || snapshot.LastModified != fetch.LastModified;
            var kept = validatorsChanged ? snapshot with { ETag = fetch.ETag, LastModified = fetch.LastModified } : snapshot;
            return new CheckDecision(
                new SourceCheckResult(source.Id, source.Kind, CheckOutcome.Unchanged, history.Events, null, default, false),
                validatorsChanged || healthChanged ? history.ToCommit(kept, health) : null);
        }

        var version = snapshot.Version + 1;
        var diff = source.Extract == ExtractMode.List
            ? ContentDiffer.DiffSet(snapshot.Content, content.Content)
            : ContentDiffer.DiffText(snapshot.Content, content.Content);
        var (severity, _) = SeverityRules.Assess(diff, settings, source.Severity);
        var changeSummary = Summarize(source, diff);
        var evt = ChangeEvent.Create(source, ChangeEvent.ComputeId(source.Id, version, content.Hash), ChangeEventTypes.TermsChanged, now,
            ChangeEventData.For(source, severity, changeSummary, source.Url, history.Head) with
            {
                PreviousHash = snapshot.ContentHash,
                CurrentHash = content.Hash,
                Diff = diff,
            });
        history.Add(new HistoryEntry
        {
            SourceId = source.Id,
            Sequence = 0,
            Type = HistoryEntryType.Change,
            Time = now,
            Summary = changeSummary,
            ContentHash = content.Hash,
            Content = content.Content,
            Event = evt,
        });
        return new CheckDecision(
            new SourceCheckResult(source.Id, source.Kind, CheckOutcome.Changed, history.Events, null, default, false, changeSummary),
            history.ToCommit(NewSnapshot(source, content, rulesHash, fetch, now, version), health));
    }

    /// <summary>Why a page that was read is nevertheless not the document (error <c>unavailable</c>).</summary>
    private sealed record Unavailability(string Message, string? PendingShrinkHash, int PendingShrinkSeen)
    {
        public static Unavailability? Assess(TermsSource source, CatalogSettings settings, string rulesHash, SourceState state, ExtractedContent content)
        {
            var signatures = ErrorPageSignatures.BuiltIn;
            if (signatures.ErrorText(content.Content) is { } errorText)
            {
                return new Unavailability($"the selected part of {source.Url} reads as an error page (\"{errorText}\"): an outage or a soft 404; the baseline is kept", null, 0);
            }

            var snapshot = state.Snapshot;
            if (snapshot is null || snapshot.RulesHash != rulesHash || snapshot.Url != source.Url || snapshot.ContentHash == content.Hash
                || !signatures.LostMostOfText(snapshot.Content, content.Content))
            {
                return null;
            }

            var seen = state.Health.PendingShrinkHash == content.Hash ? state.Health.PendingShrinkSeen + 1 : 1;
            return seen >= settings.Confirmations
                ? null // the same short text held: a real change, announced once
                : new Unavailability(
                    $"the selected part of {source.Url} lost most of its text ({content.Content.Length:N0} of {snapshot.Content.Length:N0} characters) without an error text; " +
                    $"it is announced as a change once the same text holds for {settings.Confirmations} consecutive checks (seen {seen})",
                    content.Hash, seen);
        }
    }

    private static Snapshot NewSnapshot(TermsSource source, ExtractedContent content, string rulesHash, FetchResult fetch, DateTimeOffset now, long version) => new()
    {
        ContentHash = content.Hash,
        Content = content.Content,
        RulesHash = rulesHash,
        Url = source.Url,
        ETag = fetch.ETag,
        LastModified = fetch.LastModified,
        CapturedAt = now,
        Version = version,
    };

    /// <summary>One line naming what was removed and added, e.g. "removed: China; added: Vietnam".</summary>
    internal static string Summarize(TermsSource source, ContentDiff diff)
    {
        const int MaxItems = 3;
        const int MaxLength = 120;
        static string Quote(string line) => line.Length <= MaxLength ? $"\"{line}\"" : $"\"{line[..(MaxLength - 1)]}…\"";
        string Part(string verb, IReadOnlyList<string> lines)
        {
            var shown = string.Join(source.Extract == ExtractMode.List ? ", " : "; ", lines.Take(MaxItems).Select(l => source.Extract == ExtractMode.List ? l : Quote(l)));
            var more = lines.Count > MaxItems ? $" and {lines.Count - MaxItems} more" : "";
            return $"{verb}: {shown}{more}";
        }

        // a one-word edit in a long paragraph is named by its sentence, not by the paragraph's first 120 characters
        var (removed, added) = ContentDiffer.SentencesSayMore(diff) ? (diff.Sentences!.Removed, diff.Sentences.Added) : (diff.Removed, diff.Added);
        var parts = new List<string>();
        if (removed.Count > 0) { parts.Add(Part("removed", removed)); }
        if (added.Count > 0) { parts.Add(Part("added", added)); }
        if (parts.Count == 0) { parts.Add("lines reordered"); }
        return $"{source.Title}: {string.Join("; ", parts)}";
    }
}
