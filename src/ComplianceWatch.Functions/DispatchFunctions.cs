using ComplianceWatch.Infrastructure;
using ComplianceWatch.Infrastructure.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace ComplianceWatch.Functions;

/// <summary>
/// The dispatcher: drains the Service Bus subscription (<c>ComplianceWatch__ServiceBus__Subscription</c>) into the
/// delivery ledger and delivers what is due to Slack, Teams and GitHub, once per (event, channel); see
/// <see cref="ServiceBusDispatchDrain"/>. It does nothing unless <c>ComplianceWatch__Dispatcher__Enabled</c> is true
/// and the notifications are configured (<see cref="DispatcherSetup"/>), so probe regions leave the subscription to the primary.
/// </summary>
public sealed partial class DispatchFunctions(DispatcherSetup setup, ILogger<DispatchFunctions> logger, ServiceBusDispatchDrain? drain = null)
{
    [Function(FunctionNames.DispatchChanges)]
    public async Task DispatchAsync([TimerTrigger("%" + AppSettingNames.DispatchSchedule + "%", RunOnStartup = false)] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        if (timer.IsPastDue)
        {
            LogPastDue(logger);
        }

        if (!setup.Enabled)
        {
            LogDisabled(logger);
            return;
        }

        if (drain is null)
        {
            LogNotConfigured(logger, AzureSettings.AppSetting(DispatcherSetup.ConfigFileKey), AzureSettings.AppSetting(DispatcherSetup.JsonKey));
            return;
        }

        var report = await drain.RunAsync(cancellationToken);
        var dispatch = report.Dispatch;
        LogRun(logger, report.Received, report.Completed, report.Abandoned, report.DeadLettered.Count, report.Queued,
            dispatch.Delivered, dispatch.Messages, dispatch.Deferred, dispatch.Failed, dispatch.Rejected);
        foreach (var problem in dispatch.Problems)
        {
            LogChannelProblem(logger, problem.Channel, problem.Category, problem.Message, problem.Unhealthy);
        }
    }

    [LoggerMessage(EventId = 7401, Level = LogLevel.Warning, Message = "The dispatch timer is past due")]
    private static partial void LogPastDue(ILogger logger);

    [LoggerMessage(EventId = 7402, Level = LogLevel.Debug, Message = "Dispatch: disabled here (ComplianceWatch__Dispatcher__Enabled is not true)")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(EventId = 7403, Level = LogLevel.Warning, Message = "Dispatch: enabled but no notifications are configured ({ConfigFile} or {Json}): nothing is delivered and changes wait in the subscription")]
    private static partial void LogNotConfigured(ILogger logger, string configFile, string json);

    [LoggerMessage(EventId = 7404, Level = LogLevel.Information, Message = "Dispatch: {Received} messages ({Completed} completed, {Abandoned} abandoned, {DeadLettered} dead-lettered), {Queued} deliveries queued; {Delivered} delivered in {Messages} messages, {Deferred} deferred, {Failed} failing, {Rejected} refused")]
    private static partial void LogRun(ILogger logger, int received, int completed, int abandoned, int deadLettered, int queued, int delivered, int messages, int deferred, int failed, int rejected);

    [LoggerMessage(EventId = 7405, Level = LogLevel.Warning, Message = "Dispatch: channel '{Channel}' {Category}: {Problem} (unhealthy: {Unhealthy})")]
    private static partial void LogChannelProblem(ILogger logger, string channel, string category, string problem, bool unhealthy);
}
