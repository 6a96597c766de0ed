using ComplianceWatch.Core.Reachability;

namespace ComplianceWatch.Core.Tests.Reachability;

/// <summary>Observation sequences through the K-consecutive hysteresis (K = 3 unless stated).</summary>
public sealed class HysteresisTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>U = reachable, D = geo-blocked (down), N = network-blocked, ? = unknown.</summary>
    private static Verdict Parse(char c) => c switch
    {
        'U' => Verdict.Reachable,
        'D' => Verdict.GeoBlocked,
        'N' => Verdict.NetworkBlocked,
        _ => Verdict.Unknown,
    };

    private static List<(int Index, HysteresisStep Step)> Run(string sequence, int k = 3)
    {
        var state = new VantageState();
        var steps = new List<(int, HysteresisStep)>();
        for (var i = 0; i < sequence.Length; i++)
        {
            var step = Hysteresis.Observe(state, Parse(sequence[i]), k, Start.AddMinutes(15 * i));
            steps.Add((i, step));
            state = step.State;
        }

        return steps;
    }

    [Fact]
    public void UUDUDDD_GivesExactlyOneTransition_AtTheThirdConsecutiveD()
    {
        var steps = Run("UUDUDDD");
        Assert.Equal(StepKind.Baseline, steps[0].Step.Kind);
        var transition = Assert.Single(steps, s => s.Step.Kind == StepKind.Transition);
        Assert.Equal(6, transition.Index);
        Assert.Equal(Verdict.Reachable, transition.Step.Previous);
        Assert.Equal(Verdict.GeoBlocked, transition.Step.State.Verdict);
    }

    [Fact]
    public void AlternatingSequence_GivesNoTransition_AndOneFlappingNotice()
    {
        var steps = Run("UDUDUDUDUDUDUDUD");
        Assert.DoesNotContain(steps, s => s.Step.Kind == StepKind.Transition);
        Assert.Single(steps, s => s.Step.Kind == StepKind.Flapping);
        Assert.Equal(Verdict.Reachable, steps[^1].Step.State.Verdict);
    }

    [Fact]
    public void Unknowns_NeitherCountNorBreakAStreak_AndNeverTransition()
    {
        var steps = Run("U?D??D?D");
        var transition = Assert.Single(steps, s => s.Step.Kind == StepKind.Transition);
        Assert.Equal(7, transition.Index);
        Assert.All(steps.Where(s => Parse("U?D??D?D"[s.Index]) == Verdict.Unknown), s => Assert.Equal(StepKind.Unknown, s.Step.Kind));

        var onlyUnknown = Run("U?????????");
        Assert.DoesNotContain(onlyUnknown, s => s.Step.Kind == StepKind.Transition);
        Assert.Equal(9, onlyUnknown[^1].Step.State.Unknowns);
    }

    [Fact]
    public void FirstKnownObservation_IsTheBaseline_EvenAfterUnknowns()
    {
        var steps = Run("??D");
        Assert.Equal(StepKind.Unknown, steps[0].Step.Kind);
        Assert.Null(steps[1].Step.State.Verdict);
        Assert.Equal(StepKind.Baseline, steps[2].Step.Kind);
        Assert.Equal(Verdict.GeoBlocked, steps[2].Step.State.Verdict);
    }

    [Fact]
    public void Recovery_IsConfirmedTheSameWay()
    {
        var steps = Run("UDDDUUU");
        var transitions = steps.Where(s => s.Step.Kind == StepKind.Transition).ToArray();
        Assert.Equal([3, 6], transitions.Select(t => t.Index));
        Assert.Equal(Verdict.GeoBlocked, transitions[1].Step.Previous);
        Assert.Equal(Verdict.Reachable, transitions[1].Step.State.Verdict);
    }

    [Fact]
    public void ADifferentCandidate_RestartsTheStreak()
    {
        var steps = Run("UDDNNN");
        var transition = Assert.Single(steps, s => s.Step.Kind == StepKind.Transition);
        Assert.Equal(5, transition.Index);
        Assert.Equal(Verdict.NetworkBlocked, transition.Step.State.Verdict);
    }

    [Fact]
    public void WithOneConfirmation_EveryChangeIsATransition()
    {
        var steps = Run("UDU", k: 1);
        Assert.Equal(2, steps.Count(s => s.Step.Kind == StepKind.Transition));
    }

    [Fact]
    public void Flapping_IsReportedAgainOnlyAfterTheVerdictWasStable()
    {
        // flapping, then stable for 2K observations, then flapping again: two notices
        var steps = Run("UDUDUDU" + "UUUUUU" + "DUDUDU");
        Assert.Equal(2, steps.Count(s => s.Step.Kind == StepKind.Flapping));
        Assert.DoesNotContain(steps, s => s.Step.Kind == StepKind.Transition);
    }
}
