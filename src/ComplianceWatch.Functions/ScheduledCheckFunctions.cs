using ComplianceWatch.Core.Scheduling;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace ComplianceWatch.Functions;

/// <summary>
/// One timer per kind of source, on the schedule of an app setting. Each finds the sources that fell due since the
/// timer last ran and checks them, or fans them out through the check queue when there are more than the threshold.
/// Thin: the work is <see cref="ScheduledChecks"/>.
/// </summary>
public sealed partial class ScheduledCheckFunctions(ScheduledChecks checks, ILogger<ScheduledCheckFunctions> logger)
{
    /// <summary>
    /// A failed run (the queue or the store unreachable) is retried with the same <see cref="TimerInfo"/>, so it selects
    /// the same due sources; a retry is safe: checks commit with compare-and-swap and a source checked twice announces a
    /// change once.
    /// </summary>
    public const int RetryCount = 2;
    public const string RetryDelay = "00:00:30";

    [Function(FunctionNames.CheckTermsSources)]
    [FixedDelayRetry(RetryCount, RetryDelay)]
    public Task CheckTermsAsync([TimerTrigger("%" + AppSettingNames.TermsSchedule + "%", RunOnStartup = false)] TimerInfo timer, CancellationToken cancellationToken) =>
        RunAsync("terms", timer, cancellationToken);

    [Function(FunctionNames.CheckReachabilitySources)]
    [FixedDelayRetry(RetryCount, RetryDelay)]
    public Task CheckReachabilityAsync([TimerTrigger("%" + AppSettingNames.ReachabilitySchedule + "%", RunOnStartup = false)] TimerInfo timer, CancellationToken cancellationToken) =>
        RunAsync("reachability", timer, cancellationToken);

    [Function(FunctionNames.CheckRegulatorySources)]
    [FixedDelayRetry(RetryCount, RetryDelay)]
    public Task CheckRegulatoryAsync([TimerTrigger("%" + AppSettingNames.RegulatorySchedule + "%", RunOnStartup = false)] TimerInfo timer, CancellationToken cancellationToken) =>
        RunAsync("regulatory", timer, cancellationToken);

    /// <summary>The timer's previous occurrence as UTC, or null when the host kept no schedule status.</summary>
    public static DateTimeOffset? LastRun(TimerInfo timer)
    {
        ArgumentNullException.ThrowIfNull(timer);
        if (timer.ScheduleStatus is not { } status || status.Last == default)
        {
            return null;
        }

        var last = status.Last.Kind switch
        {
            DateTimeKind.Local => status.Last.ToUniversalTime(),
            DateTimeKind.Unspecified => DateTime.SpecifyKind(status.Last, DateTimeKind.Utc),
            _ => status.Last,
        };
        return new DateTimeOffset(last, TimeSpan.Zero);
    }

    private async Task RunAsync(string group, TimerInfo timer, CancellationToken cancellationToken)
    {
        if (timer.IsPastDue)
        {
            LogPastDue(logger, group);
        }

        var result = await checks.RunDueAsync(SourceSchedules.TimerGroups[group], LastRun(timer), cancellationToken);
        if (result.Report is { } report)
        {
            LogChecked(logger, group, result.Due, report.Changes.Count, report.Errors.Count);
        }
        else
        {
            LogEnqueued(logger, group, result.Due, result.Enqueued);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "The {Group} timer is past due: it runs late (host was down or busy); sources due since its last run are checked now")]
    private static partial void LogPastDue(ILogger logger, string group);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "{Group}: {Due} sources due and checked: {Changes} changes, {Errors} errors")]
    private static partial void LogChecked(ILogger logger, string group, int due, int changes, int errors);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "{Group}: {Due} sources due; {Enqueued} check jobs queued")]
    private static partial void LogEnqueued(ILogger logger, string group, int due, int enqueued);
}
