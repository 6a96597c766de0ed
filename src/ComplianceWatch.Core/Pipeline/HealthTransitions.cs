using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Core.Pipeline;

/// <summary>
/// Source health shared by every kind: a failure counts, and after <c>threshold</c> consecutive failures the source is
/// reported as no longer tracked (a <c>compliancewatch.health.changed</c> event); the first success after that
/// reports "tracking resumed" (severity notice).
/// </summary>
public static class HealthTransitions
{
    public static SourceHealth AfterFailure(SourceHealth health, string category, string message, DateTimeOffset now) => health with
    {
        ConsecutiveFailures = health.ConsecutiveFailures + 1,
        LastErrorCategory = category,
        LastErrorMessage = message,
        LastFailureAt = now,
        LastCheckedAt = now,
        PendingShrinkHash = null,
        PendingShrinkSeen = 0,
    };

    public static SourceHealth AfterSuccess(SourceHealth health, DateTimeOffset now) => health with
    {
        ConsecutiveFailures = 0,
        Degraded = false,
        LastSuccessAt = now,
        LastCheckedAt = now,
        PendingShrinkHash = null,
        PendingShrinkSeen = 0,
    };

    /// <summary>The health entry to record when <paramref name="before"/> → <paramref name="after"/> crosses the threshold either way, else null.</summary>
    public static HistoryEntry? Transition(SourceDefinition source, SourceHealth before, ref SourceHealth after, int threshold, long sequence, string? chainHead, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(source);
        string? state = null;
        Severity severity;
        string summary;
        if (!before.Degraded && after.ConsecutiveFailures >= threshold)
        {
            after = after with { Degraded = true };
            state = "stopped";
            severity = Severity.Warning;
            summary = $"{source.Title}: no longer tracked after {after.ConsecutiveFailures} failed checks ({after.LastErrorCategory}: {after.LastErrorMessage})";
        }
        else if (before.Degraded && after.ConsecutiveFailures == 0)
        {
            state = "resumed";
            severity = Severity.Notice;
            summary = $"{source.Title}: tracking resumed";
        }
        else
        {
            return null;
        }

        var evt = ChangeEvent.Create(source, ChangeEvent.ComputeId(source.Id, sequence, "health:" + state), ChangeEventTypes.HealthChanged, now,
            ChangeEventData.For(source, severity, summary, source.PrimaryUrl, chainHead) with
            {
                Health = state,
                ErrorCategory = state == "stopped" ? after.LastErrorCategory : null,
            });
        return new HistoryEntry
        {
            SourceId = source.Id,
            Sequence = sequence,
            Type = HistoryEntryType.Health,
            Time = now,
            Summary = summary,
            Event = evt,
        };
    }
}
