using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Store;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Core.Pipeline;

/// <summary>
/// Records a failed check that no checker could record itself (a check job that kept failing and ended in the poison
/// queue): it counts against the source's health like any other error, with the same threshold and health events, and
/// never touches the baseline.
/// </summary>
public sealed class SourceHealthRecorder(IStateStore store, TimeProvider time, IOptions<ComplianceWatchOptions> options)
{
    public async Task<SourceCheckResult> RecordFailureAsync(SourceDefinition source, string category, string message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var state = await store.GetAsync(source.Id, cancellationToken);
        return await SourceCommitter.CommitAsync(store, state, current =>
        {
            var now = time.GetUtcNow();
            var history = new HistoryAppender(current);
            var failed = HealthTransitions.AfterFailure(current.Health, category, message, now);
            if (HealthTransitions.Transition(source, current.Health, ref failed, options.Value.HealthFailureThreshold, history.NextSequence, history.Head, now) is { } transition)
            {
                history.Add(transition);
            }

            var error = new CheckError(source.Id, category, message);
            return new CheckDecision(
                new SourceCheckResult(source.Id, source.Kind, CheckOutcome.Failed, history.Events, error, TimeSpan.Zero, false),
                history.ToCommit(current.Snapshot, failed));
        }, cancellationToken);
    }
}
