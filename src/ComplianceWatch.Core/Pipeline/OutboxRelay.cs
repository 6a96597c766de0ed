using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Store;
using Microsoft.Extensions.Logging;

namespace ComplianceWatch.Core.Pipeline;

public sealed record RelayResult(int Published, int Pending, IReadOnlyList<string> Failures);

/// <summary>
/// Takes pending outbox entries, publishes them and marks them published, source by source. It runs after every
/// check and on its own, so a crash between commit and publish is healed by the next run. A publish that fails
/// leaves that source's events pending.
/// </summary>
public sealed partial class OutboxRelay(IStateStore store, IEventPublisher publisher, ILogger<OutboxRelay> logger)
{
    public async Task<RelayResult> RelayAsync(CancellationToken cancellationToken = default)
    {
        var pending = await store.GetPendingEventsAsync(cancellationToken);
        var published = 0;
        var failures = new List<string>();
        foreach (var group in pending.GroupBy(p => p.SourceId, StringComparer.Ordinal))
        {
            var events = group.Select(p => p.Event).ToArray();
            try
            {
                await publisher.PublishAsync(events, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogPublishFailed(logger, ex, group.Key, events.Length);
                failures.Add($"{group.Key}: {ex.Message}");
                continue;
            }

            await store.MarkPublishedAsync(group.Key, events.Select(e => e.Id).ToArray(), cancellationToken);
            published += events.Length;
        }

        return new RelayResult(published, pending.Count - published, failures);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Publishing {Count} events of source {SourceId} failed; they stay pending")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string sourceId, int count);
}
