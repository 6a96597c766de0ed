using System.Text.Json;
using System.Text.Json.Serialization;

namespace ComplianceWatch.Core.Reachability;

/// <summary>
/// The tracked state of one (source, vantage point): the confirmed verdict, and the candidate verdict that has been
/// observed a number of consecutive times without being confirmed yet.
/// </summary>
public sealed record VantageState
{
    /// <summary>The confirmed verdict (null until the first observation that is not <c>unknown</c>: the baseline).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Verdict? Verdict { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public DateTimeOffset? Since { get; init; }
    /// <summary>A different verdict seen <see cref="Count"/> consecutive times (unknowns neither count nor break the streak).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Verdict? Candidate { get; init; }
    public int Count { get; init; }
    /// <summary>Candidate streaks abandoned before confirmation since the verdict was last stable: flips.</summary>
    public int Flips { get; init; }
    /// <summary>Consecutive observations of the confirmed verdict since the last flip (counted up to 2K).</summary>
    public int Stable { get; init; }
    /// <summary>True once flapping was reported, until the verdict is stable again or a transition is confirmed.</summary>
    public bool FlappingReported { get; init; }
    /// <summary>Consecutive <c>unknown</c> observations.</summary>
    public int Unknowns { get; init; }
}

/// <summary>The snapshot content of a reachability source: one <see cref="VantageState"/> per vantage point.</summary>
public sealed record ReachabilityState
{
    public int Format { get; init; } = 1;
    public SortedDictionary<string, VantageState> VantagePoints { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Reads the state from snapshot content (vantage points in ordinal order); throws <see cref="JsonException"/> when it is not JSON.</summary>
    public static ReachabilityState Parse(string content)
    {
        var state = JsonSerializer.Deserialize<ReachabilityState>(content, JsonDefaults.Options);
        return state is null ? new ReachabilityState() : state with { VantagePoints = new SortedDictionary<string, VantageState>(state.VantagePoints, StringComparer.Ordinal) };
    }

    /// <summary>The snapshot's content hash: the confirmed verdict of each vantage point (not the streak counters, which change on every check).</summary>
    public string VerdictHash() => Hashing.Sha256(string.Join('\n', VantagePoints.Select(v => $"{v.Key}={v.Value.Verdict?.ToName()}")));
}

public enum StepKind
{
    /// <summary>Nothing to record beyond the state.</summary>
    None,

    /// <summary>The first verdict of this vantage point: recorded, not announced.</summary>
    Baseline,

    /// <summary>A different verdict held for K consecutive observations: a change event.</summary>
    Transition,

    /// <summary>The verdict keeps flipping without being confirmed: recorded once, never announced.</summary>
    Flapping,

    /// <summary>The observation was <c>unknown</c>: reported as an error, never a transition.</summary>
    Unknown,
}

public sealed record HysteresisStep(VantageState State, StepKind Kind, Verdict? Previous);

/// <summary>
/// K-consecutive confirmation of verdict changes, in either direction. A different verdict must be observed K times in
/// a row (observations of <c>unknown</c> are skipped: they neither count nor break a streak) to become the verdict;
/// returning to the confirmed verdict abandons the streak. After K abandoned streaks without a transition, flapping
/// is reported once, and not again until the verdict has held for 2K observations or a transition is confirmed.
/// </summary>
public static class Hysteresis
{
    public static HysteresisStep Observe(VantageState state, Verdict observed, int confirmations, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var k = Math.Max(1, confirmations);
        if (observed == Verdict.Unknown)
        {
            return new HysteresisStep(state with { Unknowns = state.Unknowns + 1 }, StepKind.Unknown, null);
        }

        state = state with { Unknowns = 0 };
        if (state.Verdict is not { } current)
        {
            return new HysteresisStep(new VantageState { Verdict = observed, Since = now, Stable = 1 }, StepKind.Baseline, null);
        }

        if (observed == current)
        {
            var flipped = state.Candidate is not null;
            var next = state with
            {
                Candidate = null,
                Count = 0,
                Flips = flipped ? state.Flips + 1 : state.Flips,
                Stable = flipped ? 1 : Math.Min(state.Stable + 1, 2 * k), // capped: a steady verdict stops changing the state
            };
            if (next.Stable >= 2 * k && (next.Flips > 0 || next.FlappingReported))
            {
                next = next with { Flips = 0, FlappingReported = false };
            }

            return Flapping(next, k);
        }

        var streak = state.Candidate == observed ? state.Count + 1 : 1;
        var abandoned = state.Candidate is not null && state.Candidate != observed;
        var candidate = state with
        {
            Candidate = observed,
            Count = streak,
            Flips = abandoned ? state.Flips + 1 : state.Flips,
            Stable = 0,
        };
        if (streak >= k)
        {
            return new HysteresisStep(new VantageState { Verdict = observed, Since = now, Stable = 1 }, StepKind.Transition, current);
        }

        return Flapping(candidate, k);
    }

    private static HysteresisStep Flapping(VantageState state, int k) =>
        state.Flips >= Math.Max(2, k) && !state.FlappingReported
            ? new HysteresisStep(state with { FlappingReported = true }, StepKind.Flapping, null)
            : new HysteresisStep(state, StepKind.None, null);
}
