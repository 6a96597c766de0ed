using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Store;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Core.Reachability;

/// <summary>One vantage point's verdict as kept in the history (baselines and transitions): the evidence for auditors.</summary>
public sealed record ReachabilityRecord
{
    public required string VantagePoint { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? PreviousVerdict { get; init; }
    public required string Verdict { get; init; }
    public required string Reason { get; init; }
    public IReadOnlyList<ProbeEvidence> Evidence { get; init; } = [];

    /// <summary>The record a reachability history entry holds, or null when the entry is of another kind (or has no content).</summary>
    public static ReachabilityRecord? TryRead(HistoryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Content is not { Length: > 0 } content || content[0] != '{')
        {
            return null;
        }

        try
        {
            var record = JsonSerializer.Deserialize<ReachabilityRecord>(content, JsonDefaults.Options);
            return record is { VantagePoint.Length: > 0, Verdict.Length: > 0 } ? record : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What one check of a reachability source observed: a verdict per tracked vantage point, and the control's.</summary>
public sealed record ReachabilityObservation(IReadOnlyList<VantageVerdict> Verdicts, VantageVerdict? Control);

/// <summary>
/// Checks a <c>reachability</c> source: probes the endpoint from every vantage point (and the control) at once,
/// classifies each with the signatures and the control comparison, and passes the verdicts through K-consecutive
/// hysteresis per (source, vantage point) kept in the snapshot. A confirmed transition is a change event
/// (<c>compliancewatch.reachability.changed</c>) with both verdicts and the evidence; the first verdict is a baseline;
/// flapping is recorded once and never announced; <c>unknown</c> is reported in <c>errors</c> and never a transition.
/// </summary>
public sealed class ReachabilityChecker(IEnumerable<IProbe> probes, IStateStore store, TimeProvider time, IOptions<ComplianceWatchOptions> options) : ISourceChecker
{
    /// <summary>Bumped when the meaning of the stored state changes; part of the rules hash.</summary>
    public const string RulesVersion = "reachability-rules-1";

    private readonly Dictionary<string, IProbe> byKind = probes.ToDictionary(p => p.Kind, StringComparer.Ordinal);

    public string Kind => SourceKinds.Reachability;

    public async Task<SourceCheckResult> CheckAsync(SourceDefinition source, CatalogSettings settings, CancellationToken cancellationToken = default)
    {
        var reach = source as ReachabilitySource ?? throw new ArgumentException($"Source '{source?.Id}' is not a reachability source.", nameof(source));
        ArgumentNullException.ThrowIfNull(settings);
        var started = Stopwatch.GetTimestamp();
        var observation = await ObserveAsync(reach, cancellationToken);
        var rulesHash = RulesHash(reach);
        var state = await store.GetAsync(reach.Id, cancellationToken);
        var result = await SourceCommitter.CommitAsync(store, state, current => Decide(reach, settings, rulesHash, current, observation), cancellationToken);
        return result with { Duration = Stopwatch.GetElapsedTime(started) };
    }

    /// <summary>The name a vantage point reports as: <c>local</c> reports as <c>local:REGION</c> when the setting <c>Region</c> names one.</summary>
    public string ReportedName(VantagePoint vantagePoint)
    {
        ArgumentNullException.ThrowIfNull(vantagePoint);
        var region = options.Value.Region;
        return vantagePoint.Kind == VantagePointKinds.Local && !string.IsNullOrWhiteSpace(region) && region != VantagePointKinds.Local
            ? $"{VantagePointKinds.Local}:{region}"
            : vantagePoint.Name;
    }

    public static string RulesHash(ReachabilitySource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Hashing.Sha256($"{RulesVersion}\n{source.Url}\n{SignatureSet.BuiltIn.Hash}\n{JsonSerializer.Serialize(source.Signatures, JsonDefaults.Options)}");
    }

    /// <summary>Probes every vantage point and the control at once and classifies them; records nothing.</summary>
    public async Task<ReachabilityObservation> ObserveAsync(ReachabilitySource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var tracked = source.VantagePoints.Select(VantagePoint.Parse).DistinctBy(v => v.Name).ToArray();
        var control = source.Control is { } c ? VantagePoint.Parse(c) : null;
        var all = control is null || tracked.Any(v => v.Name == control.Name) ? tracked : [.. tracked, control];
        var target = new Uri(source.Url);

        var observed = await Task.WhenAll(all.Select(v => ProbeOneAsync(v, target, cancellationToken)));
        var byName = all.Zip(observed).ToDictionary(p => p.First.Name, p => p.Second, StringComparer.Ordinal);
        var signatures = SignatureSet.BuiltIn.With(source.Signatures);

        VantageVerdict Judge(VantagePoint vantage)
        {
            var references = control is not null && control.Name != vantage.Name
                ? [byName[control.Name]]
                : all.Where(v => v.Name != vantage.Name).Select(v => byName[v.Name]).ToArray();
            return ReachabilityClassifier.Decide(byName[vantage.Name], references, signatures);
        }

        var verdicts = tracked.Select(Judge).ToArray();
        var controlVerdict = control is null ? null : tracked.Any(v => v.Name == control.Name) ? verdicts.First(v => v.VantagePoint == ReportedName(control)) : Judge(control);
        return new ReachabilityObservation(verdicts, controlVerdict);
    }

    private async Task<VantageObservation> ProbeOneAsync(VantagePoint vantage, Uri target, CancellationToken cancellationToken)
    {
        var name = ReportedName(vantage);
        VantageObservation observation;
        if (!string.IsNullOrEmpty(target.UserInfo))
        {
            observation = VantageObservation.NotMeasured(name, "the URL carries credentials; probes are unauthenticated requests, so it is not probed");
        }
        else if (!byKind.TryGetValue(vantage.Kind, out var probe))
        {
            observation = VantageObservation.NotMeasured(name, $"no probe for '{vantage.Kind}' vantage points is configured in this host");
        }
        else
        {
            try
            {
                observation = await probe.ProbeAsync(vantage, target, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                observation = VantageObservation.NotMeasured(name, $"the {vantage.Kind} probe failed unexpectedly: {ex.GetType().Name}");
            }
        }

        return observation with
        {
            VantagePoint = name,
            Probes = observation.Probes.Select(p => p with { Evidence = p.Evidence with { VantagePoint = name, Url = p.Evidence.Url ?? target.ToString() } }).ToArray(),
        };
    }

    private sealed record Planned(VantageVerdict Verdict, HysteresisStep Step);

    private CheckDecision Decide(ReachabilitySource source, CatalogSettings settings, string rulesHash, SourceState state, ReachabilityObservation observation)
    {
        var now = time.GetUtcNow();
        var history = new HistoryAppender(state);
        var snapshot = state.Snapshot;
        var rulesChanged = snapshot is not null && (snapshot.RulesHash != rulesHash || snapshot.Url != source.Url);
        var stored = snapshot is not null && !rulesChanged ? ReadState(snapshot.Content) : new ReachabilityState();

        var next = new ReachabilityState();
        var planned = new List<Planned>();
        foreach (var verdict in observation.Verdicts)
        {
            var before = stored.VantagePoints.GetValueOrDefault(verdict.VantagePoint) ?? new VantageState();
            var step = Hysteresis.Observe(before, verdict.Verdict, settings.Confirmations, now);
            next.VantagePoints[verdict.VantagePoint] = step.State;
            planned.Add(new Planned(verdict, step));
        }

        var transitions = planned.Where(p => p.Step.Kind == StepKind.Transition).ToArray();
        var baselines = planned.Where(p => p.Step.Kind == StepKind.Baseline).ToArray();
        var unknowns = planned.Where(p => p.Step.Kind == StepKind.Unknown).ToArray();
        var allUnknown = planned.Count > 0 && unknowns.Length == planned.Count;
        var bump = rulesChanged || transitions.Length > 0 || baselines.Length > 0;
        var version = (snapshot?.Version ?? 0) + (bump ? 1 : 0);

        // health: the source is tracked as long as some vantage point could be measured
        var threshold = options.Value.HealthFailureThreshold;
        var unknownMessage = string.Join("; ", unknowns
            .GroupBy(u => u.Verdict.Reason, StringComparer.Ordinal)
            .Select(g => $"{string.Join(", ", g.Select(u => u.Verdict.VantagePoint))}: {g.Key}"));
        var health = allUnknown
            ? HealthTransitions.AfterFailure(state.Health, ErrorCategories.Unknown, unknownMessage, now)
            : HealthTransitions.AfterSuccess(state.Health, now);
        if (HealthTransitions.Transition(source, state.Health, ref health, threshold, history.NextSequence, history.Head, now) is { } healthEntry)
        {
            history.Add(healthEntry);
        }

        if (rulesChanged)
        {
            history.Add(new HistoryEntry
            {
                SourceId = source.Id,
                Sequence = 0,
                Type = HistoryEntryType.RulesUpdate,
                Time = now,
                Summary = $"{source.Title}: URL or signatures changed; verdicts recorded again as baselines, not announced",
            });
        }

        foreach (var p in planned)
        {
            switch (p.Step.Kind)
            {
                case StepKind.Baseline:
                    history.Add(Entry(source, HistoryEntryType.Baseline, now, $"{source.Title}: {p.Verdict.VantagePoint} baseline: {p.Verdict.Verdict.ToName()} ({p.Verdict.Reason})",
                        Record(p.Verdict, null), null));
                    break;
                case StepKind.Flapping:
                    history.Add(Entry(source, HistoryEntryType.Flapping, now,
                        $"{source.Title}: {p.Verdict.VantagePoint} is flapping: observations keep changing without holding for {settings.Confirmations} checks (verdict stays {p.Step.State.Verdict?.ToName()}, now {p.Verdict.Verdict.ToName()})",
                        Record(p.Verdict, p.Step.State.Verdict), null));
                    break;
                case StepKind.Transition:
                    var previous = p.Step.Previous!.Value;
                    var summary = $"{source.Title}: {p.Verdict.VantagePoint} {previous.ToName()} → {p.Verdict.Verdict.ToName()} ({p.Verdict.Reason})";
                    var evidence = p.Verdict.Evidence.ToList();
                    if (observation.Control is { } control && control.VantagePoint != p.Verdict.VantagePoint)
                    {
                        evidence.AddRange(control.Evidence.Select(e => e with { Role = "control" }));
                    }

                    var record = Record(p.Verdict, previous) with { Evidence = evidence };
                    var evt = ChangeEvent.Create(source, ChangeEvent.ComputeId(source.Id, version, $"reachability:{p.Verdict.VantagePoint}:{p.Verdict.Verdict.ToName()}"), ChangeEventTypes.ReachabilityChanged, now,
                        ChangeEventData.For(source, SeverityOf(p.Verdict.Verdict, source.Severity), summary, source.Url, history.Head) with
                        {
                            VantagePoint = p.Verdict.VantagePoint,
                            PreviousVerdict = previous.ToName(),
                            Verdict = p.Verdict.Verdict.ToName(),
                            Evidence = JsonSerializer.SerializeToElement(evidence, JsonDefaults.Options),
                        });
                    history.Add(Entry(source, HistoryEntryType.Change, now, summary, record, evt));
                    break;
                default:
                    break;
            }
        }

        var content = JsonSerializer.Serialize(next, JsonDefaults.Options);
        var nextSnapshot = new Snapshot
        {
            ContentHash = next.VerdictHash(),
            Content = content,
            RulesHash = rulesHash,
            Url = source.Url,
            CapturedAt = bump || snapshot is null ? now : snapshot.CapturedAt,
            Version = version,
        };

        var error = unknowns.Length > 0 ? new CheckError(source.Id, ErrorCategories.Unknown, unknownMessage) : null;
        var outcome = transitions.Length > 0 ? CheckOutcome.Changed
            : allUnknown ? CheckOutcome.Failed
            : rulesChanged ? CheckOutcome.RulesUpdated
            : baselines.Length > 0 ? CheckOutcome.Baselined
            : CheckOutcome.Unchanged;
        var resultSummary = string.Join("; ", planned.Select(p => Describe(p, settings.Confirmations)));
        var result = new SourceCheckResult(source.Id, source.Kind, outcome, history.Events, error, default, false, resultSummary);

        var stateChanged = snapshot is null || snapshot.Content != content || snapshot.RulesHash != rulesHash || snapshot.Url != source.Url;
        var healthChanged = allUnknown || state.Health.ConsecutiveFailures > 0 || state.Health.Degraded;
        if (history.Entries.Count == 0 && !stateChanged && !healthChanged)
        {
            return new CheckDecision(result, null);
        }

        // nothing measured yet: keep no snapshot, so that the first real observation is the baseline
        var keep = snapshot is null && next.VantagePoints.Values.All(v => v.Verdict is null) ? null : nextSnapshot;
        return new CheckDecision(result, history.ToCommit(keep, health));
    }

    private static string Describe(Planned p, int confirmations)
    {
        var state = p.Step.State;
        var text = $"{p.Verdict.VantagePoint} {p.Verdict.Verdict.ToName()}";
        if (p.Step.Kind == StepKind.Transition)
        {
            return $"{p.Verdict.VantagePoint} {p.Step.Previous?.ToName()} → {p.Verdict.Verdict.ToName()}";
        }

        if (state.Candidate is { } candidate && state.Verdict is { } verdict)
        {
            return $"{p.Verdict.VantagePoint} {verdict.ToName()} ({candidate.ToName()} {state.Count}/{confirmations})";
        }

        return p.Step.Kind == StepKind.Unknown && state.Verdict is { } kept ? $"{p.Verdict.VantagePoint} unknown (stays {kept.ToName()})" : text;
    }

    private static Severity SeverityOf(Verdict verdict, Severity? floor) => verdict switch
    {
        // a recovery is a notice, so that it can close the issue of the event it ends
        Verdict.Reachable => Severity.Notice,
        Verdict.GeoBlocked => SeverityNames.Max(Severity.Critical, floor),
        _ => SeverityNames.Max(Severity.Warning, floor),
    };

    private static ReachabilityRecord Record(VantageVerdict verdict, Verdict? previous) => new()
    {
        VantagePoint = verdict.VantagePoint,
        PreviousVerdict = previous?.ToName(),
        Verdict = verdict.Verdict.ToName(),
        Reason = verdict.Reason,
        Evidence = verdict.Evidence,
    };

    private static HistoryEntry Entry(ReachabilitySource source, HistoryEntryType type, DateTimeOffset now, string summary, ReachabilityRecord record, ChangeEvent? evt)
    {
        var content = JsonSerializer.Serialize(record, JsonDefaults.Options);
        return new HistoryEntry
        {
            SourceId = source.Id,
            Sequence = 0,
            Type = type,
            Time = now,
            Summary = summary,
            ContentHash = Hashing.Sha256(content),
            Content = content,
            Event = evt,
        };
    }

    private static ReachabilityState ReadState(string content)
    {
        try
        {
            return ReachabilityState.Parse(content);
        }
        catch (JsonException)
        {
            return new ReachabilityState();
        }
    }
}
