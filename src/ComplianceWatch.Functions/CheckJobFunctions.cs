using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Scheduling;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace ComplianceWatch.Functions;

/// <summary>
/// The fan-out's workers: each queued job checks one source through the same pipeline. A job that throws is retried by
/// the host and, after <c>maxDequeueCount</c> attempts (host.json), moved to <c>{CHECK_QUEUE}-poison</c>, where
/// <see cref="ProcessPoisonAsync"/> records it as a failed check in the source's health (and in its audit run).
/// </summary>
public sealed partial class CheckJobFunctions(ScheduledChecks checks, ILogger<CheckJobFunctions> logger)
{
    [Function(FunctionNames.CheckSourceJob)]
    public async Task ProcessAsync(
        [QueueTrigger("%" + AppSettingNames.CheckQueue + "%", Connection = AppSettingNames.Storage)] string message,
        CancellationToken cancellationToken)
    {
        if (CheckJob.TryParse(message) is not { } job)
        {
            LogMalformed(logger, FunctionNames.CheckSourceJob);
            return; // retrying cannot help a message that is not a job
        }

        var result = await checks.ProcessJobAsync(job, cancellationToken);
        if (result is not null)
        {
            LogJobDone(logger, job.SourceId, result.Outcome);
        }
    }

    [Function(FunctionNames.CheckSourceJobPoison)]
    public async Task ProcessPoisonAsync(
        [QueueTrigger("%" + AppSettingNames.CheckQueue + "%-poison", Connection = AppSettingNames.Storage)] string message,
        CancellationToken cancellationToken)
    {
        if (CheckJob.TryParse(message) is not { } job)
        {
            LogMalformed(logger, FunctionNames.CheckSourceJobPoison);
            return;
        }

        await checks.ProcessPoisonJobAsync(job, cancellationToken);
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Check job for source {SourceId}: {Outcome}")]
    private static partial void LogJobDone(ILogger logger, string sourceId, CheckOutcome outcome);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Error, Message = "{Function}: a queue message that is not a check job was dropped")]
    private static partial void LogMalformed(ILogger logger, string function);
}
