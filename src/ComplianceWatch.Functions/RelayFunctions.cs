using ComplianceWatch.Core.Pipeline;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace ComplianceWatch.Functions;

/// <summary>
/// Publishes the outbox: change events committed with their snapshots are sent to the Service Bus topic
/// (<c>MessageId</c> = event id, so duplicate detection absorbs a re-send) and marked published. Events whose publish
/// fails stay pending for the next run.
/// </summary>
public sealed partial class RelayFunctions(OutboxRelay relay, ILogger<RelayFunctions> logger)
{
    [Function(FunctionNames.RelayOutbox)]
    public async Task RelayAsync([TimerTrigger("%" + AppSettingNames.RelaySchedule + "%", RunOnStartup = false)] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        if (timer.IsPastDue)
        {
            LogPastDue(logger);
        }

        var result = await relay.RelayAsync(cancellationToken);
        if (result.Failures.Count > 0)
        {
            LogPending(logger, result.Published, result.Pending);
        }
        else if (result.Published > 0)
        {
            LogPublished(logger, result.Published);
        }
    }

    [LoggerMessage(EventId = 7201, Level = LogLevel.Warning, Message = "The relay timer is past due")]
    private static partial void LogPastDue(ILogger logger);

    [LoggerMessage(EventId = 7202, Level = LogLevel.Information, Message = "Relay: {Published} events published")]
    private static partial void LogPublished(ILogger logger, int published);

    [LoggerMessage(EventId = 7203, Level = LogLevel.Warning, Message = "Relay: {Published} events published, {Pending} stay pending after publish failures")]
    private static partial void LogPending(ILogger logger, int published, int pending);
}
