using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Azure.Messaging.ServiceBus;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Notifications;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Infrastructure.ServiceBus;

/// <summary>Settings of one drain run, bound from <c>ComplianceWatch:Dispatcher</c>.</summary>
public sealed class DispatchDrainOptions
{
    public const string SectionName = "ComplianceWatch:Dispatcher";

    /// <summary>Whether this app drains the dispatcher subscription and delivers (one region does).</summary>
    public bool Enabled { get; set; }

    /// <summary>Messages asked for per receive call.</summary>
    [Range(1, 500)]
    public int BatchSize { get; set; } = 50;

    /// <summary>Receive calls per run at most, so one run ends (the rest waits for the next timer).</summary>
    [Range(1, 1000)]
    public int MaxBatches { get; set; } = 20;

    /// <summary>How long a receive call waits for the first message when the subscription is empty.</summary>
    public TimeSpan ReceiveWait { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>What one drain run did: messages settled, and the dispatcher's delivery report.</summary>
public sealed record DrainReport
{
    public int Received { get; init; }
    /// <summary>Messages completed: their event is in the delivery ledger (or was already).</summary>
    public int Completed { get; init; }
    /// <summary>Messages given back after a transient failure: Service Bus redelivers them, and dead-letters them after its max delivery count.</summary>
    public int Abandoned { get; init; }
    /// <summary>Poison messages moved to the dead-letter queue now (a body that is not a change event).</summary>
    public IReadOnlyList<string> DeadLettered { get; init; } = [];
    /// <summary>(event, channel) deliveries newly recorded.</summary>
    public int Queued { get; init; }
    public DispatchReport Dispatch { get; init; } = new();
}

/// <summary>
/// The Azure half of alerting: drains the dispatcher's Service Bus subscription in peek-lock mode into the delivery
/// ledger, then delivers what is due. Per message (body = the change event as CloudEvent JSON, <c>MessageId</c> = event id):
/// <list type="bullet">
/// <item>a body that is not a change event is poison: <c>DeadLetterMessageAsync</c> with a reason, at once;</item>
/// <item>else <see cref="NotificationDispatcher.EnqueueAsync"/> records its deliveries insert-if-absent, and only then
/// the message is completed: from there the ledger owns the event (a delivery that must wait — a 429, a cap, a failing
/// sink — stays pending in the ledger; the message is never held back for it);</item>
/// <item>a failure while recording (the ledger unreachable) abandons the message: it comes back, and after the
/// subscription's max delivery count Service Bus moves it to the dead-letter queue.</item>
/// </list>
/// A redelivered message (a lock lost after the ledger write) adds nothing: the ledger already has its deliveries, and
/// delivery claims each one before posting, so nothing posts twice.
/// </summary>
public sealed partial class ServiceBusDispatchDrain(
    ServiceBusReceiver receiver,
    NotificationDispatcher dispatcher,
    IOptions<DispatchDrainOptions> options,
    ILogger<ServiceBusDispatchDrain> logger)
{
    public const string PoisonReason = "NotAChangeEvent";

    public ServiceBusReceiver Receiver => receiver;

    public async Task<DrainReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        int received = 0, completed = 0, abandoned = 0, queued = 0;
        var deadLettered = new List<string>();
        for (var batch = 0; batch < settings.MaxBatches && !cancellationToken.IsCancellationRequested; batch++)
        {
            var messages = await receiver.ReceiveMessagesAsync(settings.BatchSize, settings.ReceiveWait, cancellationToken);
            if (messages is not { Count: > 0 })
            {
                break;
            }

            received += messages.Count;
            foreach (var message in messages)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    await SettleQuietlyAsync(() => receiver.AbandonMessageAsync(message, cancellationToken: CancellationToken.None), message);
                    abandoned++;
                    continue;
                }

                if (Parse(message, out var problem) is not { } evt)
                {
                    if (await SettleQuietlyAsync(() => receiver.DeadLetterMessageAsync(message, PoisonReason, Truncate(problem), CancellationToken.None), message))
                    {
                        deadLettered.Add(message.MessageId);
                        LogDeadLettered(logger, message.MessageId, message.DeliveryCount, problem);
                    }

                    continue;
                }

                try
                {
                    queued += await dispatcher.EnqueueAsync([evt], cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogAbandoned(logger, ex, message.MessageId, message.DeliveryCount);
                    await SettleQuietlyAsync(() => receiver.AbandonMessageAsync(message, cancellationToken: CancellationToken.None), message);
                    abandoned++;
                    continue;
                }

                // the ledger has it: settling can no longer lose the event (a lost lock only redelivers it, which adds nothing)
                if (await SettleQuietlyAsync(() => receiver.CompleteMessageAsync(message, CancellationToken.None), message))
                {
                    completed++;
                }
            }

            if (messages.Count < settings.BatchSize)
            {
                break;
            }
        }

        var dispatch = await dispatcher.DeliverDueAsync(cancellationToken);
        if (deadLettered.Count > 0 || abandoned > 0)
        {
            LogSummary(logger, received, completed, abandoned, deadLettered.Count);
        }

        return new DrainReport
        {
            Received = received,
            Completed = completed,
            Abandoned = abandoned,
            DeadLettered = deadLettered,
            Queued = queued,
            Dispatch = dispatch,
        };
    }

    /// <summary>The change event in a message body, or null with the reason it is poison.</summary>
    public static ChangeEvent? Parse(ServiceBusReceivedMessage message, out string problem)
    {
        ArgumentNullException.ThrowIfNull(message);
        ChangeEvent? evt;
        try
        {
            evt = message.Body is null ? null : JsonSerializer.Deserialize<ChangeEvent>(message.Body.ToMemory().Span, JsonDefaults.Options);
        }
        catch (JsonException ex)
        {
            problem = $"the body is not a change event (CloudEvent JSON): {ex.Message}";
            return null;
        }
        catch (NotSupportedException ex)
        {
            problem = $"the body is not a change event (CloudEvent JSON): {ex.Message}";
            return null;
        }

        if (evt is null || string.IsNullOrWhiteSpace(evt.Id) || evt.Data is null || string.IsNullOrWhiteSpace(evt.Data.SourceId) || string.IsNullOrWhiteSpace(evt.Data.Kind))
        {
            problem = "the body is not a change event: id, data.sourceId or data.kind is missing";
            return null;
        }

        problem = "";
        return evt;
    }

    /// <summary>Dead-letter descriptions are capped at 4,096 characters by the service.</summary>
    private static string Truncate(string text) => text.Length <= 1024 ? text : text[..1023] + "…";

    private async Task<bool> SettleQuietlyAsync(Func<Task> settle, ServiceBusReceivedMessage message)
    {
        try
        {
            await settle();
            return true;
        }
        catch (ServiceBusException ex)
        {
            // the lock expired or the link dropped: Service Bus redelivers the message later
            LogSettleFailed(logger, ex, message.MessageId);
            return false;
        }
    }

    [LoggerMessage(EventId = 7301, Level = LogLevel.Error, Message = "Dispatcher: message {MessageId} (delivery {DeliveryCount}) is poison and was dead-lettered: {Problem}")]
    private static partial void LogDeadLettered(ILogger logger, string messageId, int deliveryCount, string problem);

    [LoggerMessage(EventId = 7302, Level = LogLevel.Warning, Message = "Dispatcher: message {MessageId} (delivery {DeliveryCount}) could not be recorded in the delivery ledger and was abandoned; it will be redelivered")]
    private static partial void LogAbandoned(ILogger logger, Exception exception, string messageId, int deliveryCount);

    [LoggerMessage(EventId = 7303, Level = LogLevel.Warning, Message = "Dispatcher: settling message {MessageId} failed; Service Bus will redeliver it (its deliveries are already recorded)")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 7304, Level = LogLevel.Warning, Message = "Dispatcher: {Received} messages received, {Completed} completed, {Abandoned} abandoned, {DeadLettered} dead-lettered")]
    private static partial void LogSummary(ILogger logger, int received, int completed, int abandoned, int deadLettered);
}
