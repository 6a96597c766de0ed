using System.Text.Json;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Infrastructure.ServiceBus;

/// <summary>
/// Publishes change events on a Service Bus topic: one message per event, as a CloudEvent in structured JSON mode.
/// <list type="bullet">
/// <item><c>MessageId</c> = event id, so the topic's duplicate detection absorbs a re-send (the relay re-sends a
/// source's events when a previous attempt failed part-way);</item>
/// <item><c>ContentType</c> <c>application/cloudevents+json</c>, <c>Subject</c> = source id;</item>
/// <item>application properties <c>kind</c>, <c>provider</c> (absent when the event has none), <c>severity</c>,
/// <c>sourceId</c>, <c>type</c> and <c>tags</c> joined as <c>,a,b,</c> (<c>,</c> when there are none), so a SQL filter
/// such as <c>severity = 'critical' AND tags LIKE '%,china,%'</c> routes them.</item>
/// </list>
/// Messages go out in batches that the sender sizes to the entity's limit (<c>CreateMessageBatchAsync</c> /
/// <c>TryAddMessage</c>). An event too large for a message on its own (a huge diff) is sent with its diff shortened and
/// the property <c>truncated</c> = true; the full diff stays in the history. Any failure (a transient
/// <see cref="ServiceBusException"/> included) propagates: the relay then leaves the events pending for its next run.
/// </summary>
public sealed class ServiceBusEventPublisher(ServiceBusSender sender) : IEventPublisher
{
    public const string ContentType = "application/cloudevents+json";

    /// <summary>Lines of <c>added</c>/<c>removed</c> and characters of <c>unified</c> kept in a shortened diff.</summary>
    internal const int TruncatedLines = 100;
    internal const int TruncatedUnifiedChars = 16 * 1024;

    public async Task PublishAsync(IReadOnlyList<ChangeEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var pending = new Queue<ChangeEvent>(events);
        while (pending.Count > 0)
        {
            using var batch = await sender.CreateMessageBatchAsync(cancellationToken);
            while (pending.Count > 0 && batch.TryAddMessage(ToMessage(pending.Peek())))
            {
                pending.Dequeue();
            }

            if (batch.Count == 0)
            {
                var evt = pending.Dequeue();
                if (!batch.TryAddMessage(ToMessage(Shorten(evt), truncated: true)))
                {
                    throw new InvalidOperationException($"Change event {evt.Id} of source '{evt.Data.SourceId}' does not fit a Service Bus message (limit {batch.MaxSizeInBytes} bytes), even with its diff shortened.");
                }
            }

            await sender.SendMessagesAsync(batch, cancellationToken);
        }
    }

    /// <summary>The message for one event (see the class remarks for the mapping).</summary>
    public static ServiceBusMessage ToMessage(ChangeEvent evt, bool truncated = false)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var data = evt.Data;
        var message = new ServiceBusMessage(BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(evt, JsonDefaults.Options)))
        {
            MessageId = evt.Id,
            ContentType = ContentType,
            Subject = data.SourceId,
        };
        var properties = message.ApplicationProperties;
        properties["kind"] = data.Kind;
        if (data.Provider is { } provider)
        {
            properties["provider"] = provider;
        }

        properties["severity"] = data.Severity.ToName();
        properties["sourceId"] = data.SourceId;
        properties["type"] = evt.Type;
        properties["tags"] = "," + string.Concat((data.Tags ?? []).Select(t => t + ","));
        if (truncated)
        {
            properties["truncated"] = true;
        }

        return message;
    }

    /// <summary>The event with its diff cut to <see cref="TruncatedLines"/> lines per side and <see cref="TruncatedUnifiedChars"/> characters of unified diff.</summary>
    internal static ChangeEvent Shorten(ChangeEvent evt)
    {
        if (evt.Data.Diff is not { } diff)
        {
            return evt;
        }

        static IReadOnlyList<string> Cut(IReadOnlyList<string> lines) =>
            lines.Count <= TruncatedLines ? lines : [.. lines.Take(TruncatedLines), $"… and {lines.Count - TruncatedLines} more lines (full diff in the history)"];
        var unified = diff.Unified.Length <= TruncatedUnifiedChars
            ? diff.Unified
            : diff.Unified[..TruncatedUnifiedChars] + "\n… (shortened; the full diff is in the history)";
        var shortSummary = evt.Data.Summary.Length <= 1024 ? evt.Data.Summary : evt.Data.Summary[..1023] + "…";
        return evt with { Data = evt.Data with { Summary = shortSummary, Diff = new ContentDiff(Cut(diff.Added), Cut(diff.Removed), unified)
        {
            Sentences = diff.Sentences is { } sentences ? new SentenceDiff(Cut(sentences.Added), Cut(sentences.Removed)) : null,
        } } };
    }

    /// <summary>
    /// A client for <paramref name="connection"/>: a connection string (<c>Endpoint=sb://…;SharedAccessKeyName=…</c>),
    /// or the namespace (<c>NAME.servicebus.windows.net</c>), which authenticates with <see cref="DefaultAzureCredential"/>.
    /// </summary>
    public static ServiceBusClient CreateClient(string connection, ServiceBusClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        options ??= new ServiceBusClientOptions();
        if (connection.Contains("Endpoint=", StringComparison.OrdinalIgnoreCase))
        {
            return new ServiceBusClient(connection, options);
        }

        var fullyQualifiedNamespace = Uri.TryCreate(connection, UriKind.Absolute, out var uri) ? uri.Host : connection.Trim().TrimEnd('/');
        return new ServiceBusClient(fullyQualifiedNamespace, new DefaultAzureCredential(), options);
    }
}
