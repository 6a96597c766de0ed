using System.Net;
using ComplianceWatch.Core.Net;

namespace ComplianceWatch.Core.Reachability;

/// <summary>How one probe's observation reads before the control is consulted.</summary>
public enum ProbeOutcomeKind
{
    /// <summary>An HTTP response decided by a signature or by being a non-5xx answer of the provider.</summary>
    Response,

    /// <summary>A 5xx response that matched no signature.</summary>
    ServerError,

    /// <summary>No response: DNS, connect, TLS, reset or timeout failure at the target.</summary>
    TargetFailure,

    /// <summary>Nothing measured: our side or the probe network failed.</summary>
    Unmeasured,
}

public sealed record ProbeOutcome(ProbeOutcomeKind Kind, Verdict Verdict, string Reason);

/// <summary>The verdict of one vantage point in one check, with the reason and the evidence of its probes.</summary>
public sealed record VantageVerdict(string VantagePoint, Verdict Verdict, string Reason, IReadOnlyList<ProbeEvidence> Evidence);

/// <summary>
/// Turns observations into verdicts. Responses are read through the signature rules (data); failures to connect are
/// judged against the control: <c>network-blocked</c> when the control reached the endpoint, <c>outage</c> when it
/// failed too, <c>unknown</c> when the control could not be measured. DNS answers that point at private or reserved
/// addresses where the control resolved public ones are interference (<c>network-blocked</c>), whatever answered there.
/// Too few answering probes, or probes that disagree, give <c>unknown</c>.
/// </summary>
public static class ReachabilityClassifier
{
    /// <summary>Reads one probe's observation on its own.</summary>
    public static ProbeOutcome ClassifyProbe(ProbeObservation probe, SignatureSet signatures)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(signatures);
        var evidence = probe.Evidence;
        if (evidence.Failure is { } failure)
        {
            return failure.Side == FailureSide.Target
                ? new ProbeOutcome(ProbeOutcomeKind.TargetFailure, Verdict.NetworkBlocked, $"{failure.Stage}: {failure.Message}")
                : new ProbeOutcome(ProbeOutcomeKind.Unmeasured, Verdict.Unknown, failure.Message);
        }

        if (evidence.Status is not { } status)
        {
            return new ProbeOutcome(ProbeOutcomeKind.Unmeasured, Verdict.Unknown, "the probe recorded no HTTP response");
        }

        if (signatures.Match(status, probe.Headers, probe.Body) is { } rule)
        {
            var verdict = VerdictNames.Parse(rule.Verdict);
            var reason = $"HTTP {status} matches signature {rule.Name ?? "(unnamed)"}";
            return verdict switch
            {
                Verdict.Unknown => new ProbeOutcome(ProbeOutcomeKind.Unmeasured, Verdict.Unknown, reason),
                Verdict.Outage => new ProbeOutcome(ProbeOutcomeKind.ServerError, Verdict.Outage, reason),
                _ => new ProbeOutcome(ProbeOutcomeKind.Response, verdict, reason),
            };
        }

        return status >= 500
            ? new ProbeOutcome(ProbeOutcomeKind.ServerError, Verdict.Outage, $"HTTP {status} from the endpoint")
            : new ProbeOutcome(ProbeOutcomeKind.Response, Verdict.Reachable, $"HTTP {status}: the provider answered");
    }

    /// <summary>Whether a vantage point reached the endpoint, as seen by another vantage point that compares with it.</summary>
    public enum ReferenceStatus
    {
        Unknown,
        Up,
        Down,
    }

    /// <summary>Up when some answering probe got the provider's (or its CDN's) answer; down when all that answered failed or got 5xx.</summary>
    public static ReferenceStatus StatusOf(VantageObservation observation, SignatureSet signatures)
    {
        ArgumentNullException.ThrowIfNull(observation);
        if (observation.Unmeasured is not null)
        {
            return ReferenceStatus.Unknown;
        }

        var outcomes = observation.Probes.Select(p => ClassifyProbe(p, signatures)).Where(o => o.Kind != ProbeOutcomeKind.Unmeasured).ToArray();
        if (outcomes.Length < Math.Max(1, observation.RequiredAnswers))
        {
            return ReferenceStatus.Unknown;
        }

        return outcomes.Any(o => o.Kind == ProbeOutcomeKind.Response && o.Verdict is Verdict.Reachable or Verdict.GeoBlocked or Verdict.BotChallenge)
            ? ReferenceStatus.Up
            : ReferenceStatus.Down;
    }

    /// <summary>
    /// The verdict of <paramref name="target"/>, comparing with <paramref name="references"/> (the control, or the
    /// source's other vantage points when there is no control).
    /// </summary>
    public static VantageVerdict Decide(VantageObservation target, IReadOnlyList<VantageObservation> references, SignatureSet signatures)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(signatures);
        if (target.Unmeasured is { } why)
        {
            return new VantageVerdict(target.VantagePoint, Verdict.Unknown, why, target.Probes.Select(p => p.Evidence).ToArray());
        }

        var statuses = references.Select(r => (Observation: r, Status: StatusOf(r, signatures))).ToArray();
        var reference = statuses.Any(s => s.Status == ReferenceStatus.Up) ? ReferenceStatus.Up
            : statuses.Any(s => s.Status == ReferenceStatus.Down) ? ReferenceStatus.Down
            : ReferenceStatus.Unknown;
        var referenceNames = references.Count == 0 ? "no control" : string.Join(", ", references.Select(r => r.VantagePoint));
        var referenceAnswers = statuses.Where(s => s.Status == ReferenceStatus.Up)
            .SelectMany(s => s.Observation.Probes)
            .SelectMany(p => p.Evidence.DnsAnswers ?? [])
            .Select(a => IPAddress.TryParse(a, out var ip) ? ip : null)
            .OfType<IPAddress>()
            .ToArray();

        var judged = new List<(ProbeEvidence Evidence, Verdict? Verdict, string Reason)>();
        foreach (var probe in target.Probes)
        {
            var outcome = ClassifyProbe(probe, signatures);
            (Verdict? verdict, string reason) = outcome.Kind switch
            {
                ProbeOutcomeKind.Unmeasured => ((Verdict?)null, outcome.Reason),
                ProbeOutcomeKind.ServerError => (Verdict.Outage, outcome.Reason),
                ProbeOutcomeKind.TargetFailure => reference switch
                {
                    ReferenceStatus.Up => (Verdict.NetworkBlocked, $"{outcome.Reason}; the control ({referenceNames}) reached the endpoint"),
                    ReferenceStatus.Down => (Verdict.Outage, $"{outcome.Reason}; the control ({referenceNames}) failed too"),
                    _ => (Verdict.Unknown, $"{outcome.Reason}; no control answered ({referenceNames}), so a network block cannot be told from an outage"),
                },
                _ => (outcome.Verdict, outcome.Reason),
            };

            if (verdict is not null && reference == ReferenceStatus.Up &&
                Interference(probe.Evidence, referenceAnswers, target.PrivateAnswersExpected) is { } interference)
            {
                (verdict, reason) = (Verdict.NetworkBlocked, $"{interference} (and then {reason})");
            }

            var outcomeText = verdict is { } v ? $"{v.ToName()}: {reason}" : $"not answered: {reason}";
            judged.Add((probe.Evidence with { Outcome = outcomeText }, verdict, reason));
        }

        var evidence = judged.Select(j => j.Evidence).ToArray();
        var answered = judged.Where(j => j.Verdict is not null).ToArray();
        var required = Math.Max(1, target.RequiredAnswers);
        if (answered.Length < required)
        {
            var reasons = judged.Where(j => j.Verdict is null).Select(j => j.Reason).Distinct(StringComparer.Ordinal).Take(3);
            var detail = string.Join("; ", reasons);
            if (target.Probes.Count == 1 && detail.Length > 0)
            {
                return new VantageVerdict(target.VantagePoint, Verdict.Unknown, detail, evidence);
            }

            var text = target.Probes.Count == 0
                ? "no probe answered"
                : $"only {answered.Length} of {target.Probes.Count} probe{(target.Probes.Count == 1 ? "" : "s")} answered (at least {required} needed)";
            return new VantageVerdict(target.VantagePoint, Verdict.Unknown, detail.Length > 0 ? $"{text}: {detail}" : text, evidence);
        }

        var groups = answered.GroupBy(j => j.Verdict!.Value).OrderByDescending(g => g.Count()).ToArray();
        var top = groups[0];
        if (top.Count() * 2 <= answered.Length && groups.Length > 1)
        {
            var split = string.Join(", ", groups.Select(g => $"{g.Count()} {g.Key.ToName()}"));
            return new VantageVerdict(target.VantagePoint, Verdict.Unknown, $"the probes disagree ({split})", evidence);
        }

        var prefix = answered.Length > 1 ? $"{top.Count()} of {answered.Length} probes: " : "";
        return new VantageVerdict(target.VantagePoint, top.Key, prefix + top.First().Reason, evidence);
    }

    /// <summary>
    /// A DNS answer pointing at interference: a private, loopback or reserved address where the control resolved only
    /// public addresses (unless private answers are legitimate for this vantage point).
    /// </summary>
    private static string? Interference(ProbeEvidence evidence, IReadOnlyList<IPAddress> referenceAnswers, bool privateAnswersExpected)
    {
        if (evidence.DnsAnswers is not { Count: > 0 } answers || referenceAnswers.Count == 0 ||
            referenceAnswers.Any(a => AddressGuard.Classify(a) != AddressVerdict.Public) ||
            (evidence.Url is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6))
        {
            return null;
        }

        var bogus = answers
            .Select(a => IPAddress.TryParse(a, out var ip) ? ip : null)
            .OfType<IPAddress>()
            .Where(ip => AddressGuard.Classify(ip) switch
            {
                AddressVerdict.Forbidden => true,
                AddressVerdict.Private => !privateAnswersExpected,
                _ => false,
            })
            .ToArray();
        return bogus.Length == 0
            ? null
            : $"DNS answered {string.Join(", ", bogus.Select(b => b.ToString()))} (private or reserved) where the control resolved public addresses ({string.Join(", ", referenceAnswers.Take(3))})";
    }
}
