using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Store;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Core.Regulatory;

/// <summary>What a federal-register source remembers of a document: its stage and where in the history it was recorded.</summary>
public sealed record KnownDocument
{
    [JsonPropertyName("stage")] public required string Stage { get; init; }
    [JsonPropertyName("date")] public string? PublicationDate { get; init; }
    /// <summary>The history entry (sequence) that announced the document, or the baseline that recorded it.</summary>
    [JsonPropertyName("entry")] public long Entry { get; init; }
    /// <summary>The event that announced it (absent for documents of a baseline).</summary>
    [JsonPropertyName("event")] public string? EventId { get; init; }
}

/// <summary>The snapshot content of a federal-register source: the documents it knows, by document number.</summary>
public sealed record FederalRegisterState
{
    public const string Format = "federal-register/1";

    [JsonPropertyName("format")] public string StateFormat { get; init; } = Format;
    [JsonPropertyName("documents")] public SortedDictionary<string, KnownDocument> Documents { get; init; } = new(StringComparer.Ordinal);

    public string ToJson() => JsonSerializer.Serialize(this, JsonDefaults.Options);

    public static FederalRegisterState? TryParse(string content) =>
        CheckSteps.TryParseState<FederalRegisterState>(content, s => s.StateFormat, Format) is { } state
            ? state with { Documents = new SortedDictionary<string, KnownDocument>(state.Documents, StringComparer.Ordinal) }
            : null;
}

/// <summary>
/// Checks a <c>federal-register</c> source: the documents of its query over the look-back window (by publication-date
/// windows, never deep pages) and, unless disabled, the documents on public inspection. The first check records them
/// as the baseline; afterwards every new document number is one <c>compliancewatch.regulatory.published</c> event, and a
/// document announced at public inspection is linked, not announced again, when it is published.
/// </summary>
public sealed class FederalRegisterChecker(IContentFetcher fetcher, IStateStore store, TimeProvider time, IOptions<ComplianceWatchOptions> options) : ISourceChecker
{
    private readonly FederalRegisterClient client = new(fetcher);

    public string Kind => SourceKinds.FederalRegister;

    public async Task<SourceCheckResult> CheckAsync(SourceDefinition source, CatalogSettings settings, CancellationToken cancellationToken = default)
    {
        var register = source as FederalRegisterSource ?? throw new ArgumentException($"Source '{source?.Id}' is not a federal-register source.", nameof(source));
        ArgumentNullException.ThrowIfNull(settings);
        var started = Stopwatch.GetTimestamp();
        var rulesHash = RulesHash(register);
        var state = await store.GetAsync(register.Id, cancellationToken);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var observation = await ObserveAsync(register, WindowStart(state, rulesHash, settings, today), today.AddDays(1), cancellationToken);
        var result = await SourceCommitter.CommitAsync(store, state, current => Decide(register, settings, rulesHash, current, observation, today), cancellationToken);
        return result with { Duration = Stopwatch.GetElapsedTime(started) };
    }

    /// <summary>
    /// The first publication date to read: the look-back, or further back to two days before the last successful check
    /// when the source was failing for longer than the look-back (at most a year), so an outage loses nothing.
    /// </summary>
    internal static DateOnly WindowStart(SourceState state, string rulesHash, CatalogSettings settings, DateOnly today)
    {
        var from = today.AddDays(-settings.LookbackDays);
        if (state.Snapshot is { } snapshot && snapshot.RulesHash == rulesHash && state.Health.LastSuccessAt is { } last)
        {
            var resume = DateOnly.FromDateTime(last.UtcDateTime).AddDays(-2);
            var limit = today.AddDays(-366);
            if (resume < from)
            {
                from = resume < limit ? limit : resume;
            }
        }

        return from;
    }

    /// <summary>Documents older than this are forgotten: no later window reaches back to them.</summary>
    internal static DateOnly ForgetBefore(CatalogSettings settings, DateOnly today) => today.AddDays(-Math.Max(settings.LookbackDays, 2) - 1);

    public static string RulesHash(FederalRegisterSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        static string Sorted(IEnumerable<string> values) => string.Join(",", values.Select(v => v.ToLowerInvariant()).Order(StringComparer.Ordinal));
        return Hashing.Sha256(string.Join("\n",
            FederalRegisterState.Format, source.Endpoint.TrimEnd('/'), Sorted(source.Agencies), Sorted(source.Types), Sorted(source.Terms),
            source.Cfr is { } cfr ? $"{cfr.Title}/{cfr.Part}" : "", source.PublicInspection ? "pi" : ""));
    }

    private sealed record Observation(IReadOnlyList<RegulatoryDocument> Published, IReadOnlyList<RegulatoryDocument> PublicInspection, string? ErrorCategory, string? ErrorMessage);

    private async Task<Observation> ObserveAsync(FederalRegisterSource source, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        try
        {
            var published = await client.FetchPublishedAsync(source, from, to, cancellationToken);
            var inspection = source.PublicInspection ? (await client.FetchPublicInspectionAsync(source, cancellationToken)).Documents : [];
            return new Observation(published.Documents, inspection, null, null);
        }
        catch (RegulatoryFetchException ex)
        {
            return new Observation([], [], ex.Category, ex.Message);
        }
    }

    private CheckDecision Decide(FederalRegisterSource source, CatalogSettings settings, string rulesHash, SourceState state, Observation observation, DateOnly today)
    {
        var now = time.GetUtcNow();
        var threshold = options.Value.HealthFailureThreshold;
        if (observation.ErrorCategory is { } category)
        {
            return CheckSteps.Failed(source, state, category, observation.ErrorMessage ?? category, threshold, now);
        }

        var (history, health, healthChanged) = CheckSteps.Succeeded(source, state, threshold, now);
        var snapshot = state.Snapshot;
        var published = observation.Published.Select(d => d.DocumentNumber).ToHashSet(StringComparer.Ordinal);
        var early = observation.PublicInspection.Where(d => !published.Contains(d.DocumentNumber)).ToArray();
        var known = snapshot is not null && snapshot.RulesHash == rulesHash ? FederalRegisterState.TryParse(snapshot.Content) : null;

        if (snapshot is null || known is null)
        {
            var baseline = snapshot is null;
            var recorded = new FederalRegisterState();
            foreach (var document in observation.Published.Concat(early))
            {
                recorded.Documents[document.DocumentNumber] = new KnownDocument { Stage = document.Stage, PublicationDate = document.PublicationDate, Entry = history.NextSequence };
            }

            var content = recorded.ToJson();
            var summary = baseline
                ? $"{source.Title}: baseline recorded ({observation.Published.Count} documents of the last {settings.LookbackDays} days, {early.Length} on public inspection); nothing announced"
                : $"{source.Title}: conditions changed; {observation.Published.Count + early.Length} documents recorded as the new baseline, not announced";
            return CheckSteps.Rebaseline(source, history, health, snapshot, CheckSteps.NewSnapshot(content, rulesHash, source.Endpoint, (snapshot?.Version ?? 0) + 1, now), summary, now);
        }

        var documents = known.Documents;
        var announced = 0;
        var linked = 0;
        foreach (var document in observation.Published)
        {
            if (documents.TryGetValue(document.DocumentNumber, out var seen))
            {
                if (seen.Stage == DocumentStages.PublicInspection)
                {
                    Link(document, seen);
                    linked++;
                }

                continue;
            }

            Announce(document);
            announced++;
        }

        foreach (var document in early.Where(d => !documents.ContainsKey(d.DocumentNumber)))
        {
            Announce(document);
            announced++;
        }

        var forgetBefore = ForgetBefore(settings, today);
        var forgotten = documents.Where(d => IsBefore(d.Value.PublicationDate, forgetBefore)).Select(d => d.Key).ToArray();
        foreach (var number in forgotten)
        {
            documents.Remove(number);
        }

        if (announced == 0 && linked == 0 && forgotten.Length == 0)
        {
            return new CheckDecision(
                new SourceCheckResult(source.Id, source.Kind, CheckOutcome.Unchanged, history.Events, null, default, false),
                healthChanged ? history.ToCommit(snapshot, health) : null);
        }

        var next = known.ToJson();
        var version = announced + linked > 0 ? snapshot.Version + 1 : snapshot.Version;
        var outcome = announced > 0 ? CheckOutcome.Changed : CheckOutcome.Unchanged;
        var resultSummary = announced > 0
            ? $"{announced} new document{(announced == 1 ? "" : "s")}" + (linked > 0 ? $", {linked} published after public inspection" : "")
            : linked > 0 ? $"{linked} document{(linked == 1 ? "" : "s")} published after public inspection (announced then)" : null;
        return new CheckDecision(
            new SourceCheckResult(source.Id, source.Kind, outcome, history.Events, null, default, false, resultSummary),
            history.ToCommit(CheckSteps.NewSnapshot(next, rulesHash, source.Endpoint, version, now), health));

        void Announce(RegulatoryDocument document)
        {
            var relevance = RelevanceRules.Default.Assess(document.TypeCode, document.Agencies.Select(a => a.Slug),
                document.Title + "\n" + document.Abstract, settings, source.Terms, source.Severity);
            var summary = Summarize(document, relevance);
            var evt = ChangeEvent.Create(source, CheckSteps.ItemEventId(source.Id, document.DocumentNumber, document.Stage), ChangeEventTypes.RegulatoryPublished, now,
                ChangeEventData.For(source, relevance.Severity, summary, document.HtmlUrl ?? source.Endpoint, history.Head) with
                {
                    Provider = null,
                    DocumentNumber = document.DocumentNumber,
                    Title = document.Title,
                    DocumentType = document.Type,
                    Agencies = document.Agencies.Select(a => a.Name).ToArray(),
                    PublicationDate = document.PublicationDate,
                    EffectiveOn = document.EffectiveOn,
                    HtmlUrl = document.HtmlUrl,
                    PdfUrl = document.PdfUrl,
                    CorrectionOf = document.CorrectionOf,
                    Stage = document.Stage,
                });
            var content = JsonSerializer.Serialize(new { document, relevance = new { relevance.Score, severity = relevance.Severity.ToName(), relevance.Mentions } }, JsonDefaults.Options);
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
            documents[document.DocumentNumber] = new KnownDocument { Stage = document.Stage, PublicationDate = document.PublicationDate, Entry = entry.Sequence, EventId = evt.Id };
        }

        void Link(RegulatoryDocument document, KnownDocument seen)
        {
            var announcedBy = seen.EventId is null ? $"recorded at public inspection in entry #{seen.Entry}" : $"announced at public inspection in entry #{seen.Entry} (event {seen.EventId})";
            var summary = $"{document.DocumentNumber} published on {document.PublicationDate}: {CheckSteps.Shorten(document.Title, 160)}; {announcedBy}, not announced again";
            var content = JsonSerializer.Serialize(new { document, announcedIn = new { entry = seen.Entry, @event = seen.EventId } }, JsonDefaults.Options);
            history.Add(new HistoryEntry
            {
                SourceId = source.Id,
                Sequence = 0,
                Type = HistoryEntryType.Change,
                Time = now,
                Summary = summary,
                ContentHash = Hashing.Sha256(content),
                Content = content,
            });
            documents[document.DocumentNumber] = seen with { Stage = DocumentStages.Published, PublicationDate = document.PublicationDate };
        }
    }

    private static bool IsBefore(string? date, DateOnly limit) =>
        DateOnly.TryParseExact(date, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var d) && d < limit;

    /// <summary>One line: "Industry and Security Bureau Rule: Additions to the Entity List (2026-04512; published 2026-03-06; effective 2026-03-06) — names China, Entity List".</summary>
    internal static string Summarize(RegulatoryDocument document, Relevance relevance)
    {
        var agency = document.Agencies.Count > 0 ? document.Agencies[^1].Name + " " : "";
        var what = $"{agency}{document.Type ?? "document"}: {CheckSteps.Shorten(document.Title, 200)}";
        var details = new List<string> { document.DocumentNumber };
        if (document.Stage == DocumentStages.PublicInspection)
        {
            details.Add($"on public inspection, to be published {document.PublicationDate}");
        }
        else
        {
            details.Add($"published {document.PublicationDate}");
        }

        if (document.EffectiveOn is { } effective)
        {
            details.Add($"effective {effective}");
        }

        var correction = document.CorrectionOf is { } corrected ? $"Correction of {corrected}: " : "";
        var mentions = relevance.Mentions.Count > 0 ? $" — names {string.Join(", ", relevance.Mentions)}" : "";
        return $"{correction}{what} ({string.Join("; ", details)}){mentions}";
    }
}
