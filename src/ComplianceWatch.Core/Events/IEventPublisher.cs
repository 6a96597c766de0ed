namespace ComplianceWatch.Core.Events;

/// <summary>
/// The port through which committed change events leave the store's outbox: Azure Service Bus in production, the
/// local dispatcher in the tool. A publisher that throws leaves the events pending; the relay tries again later.
/// Publishing the same event twice must be harmless (Service Bus duplicate detection on <c>MessageId</c>, the
/// delivery ledger locally).
/// </summary>
public interface IEventPublisher
{
    Task PublishAsync(IReadOnlyList<ChangeEvent> events, CancellationToken cancellationToken = default);
}
