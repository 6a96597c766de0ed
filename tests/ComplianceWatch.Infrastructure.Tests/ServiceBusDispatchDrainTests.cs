using Azure;
using Azure.Messaging.ServiceBus;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Infrastructure.ServiceBus;
using ComplianceWatch.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>
/// The dispatcher's drain of the Service Bus subscription against a substitute <see cref="ServiceBusReceiver"/>, with
/// the real dispatcher and notifiers posting to a loopback fake of Slack.
/// </summary>
public sealed class ServiceBusDispatchDrainTests : IAsyncLifetime
{
    private readonly TempDirectory directory = new();
    private readonly ServiceBusReceiver receiver = Substitute.For<ServiceBusReceiver>();
    private readonly Queue<IReadOnlyList<ServiceBusReceivedMessage>> batches = new();
    private FakeSlack slack = null!;

    public ServiceBusDispatchDrainTests() =>
        receiver.ReceiveMessagesAsync(Arg.Any<int>(), Arg.Any<TimeSpan?>(), Arg.Any<CancellationToken>())
            .Returns(_ => Task.FromResult(batches.Count > 0 ? batches.Dequeue() : (IReadOnlyList<ServiceBusReceivedMessage>)[]));

    public async Task InitializeAsync() => slack = await FakeSlack.StartAsync();

    public async Task DisposeAsync()
    {
        await slack.DisposeAsync();
        directory.Dispose();
    }

    private static ServiceBusReceivedMessage Message(ChangeEvent evt, int deliveryCount = 1) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: ServiceBusEventPublisher.ToMessage(evt).Body, messageId: evt.Id, contentType: ServiceBusEventPublisher.ContentType,
            deliveryCount: deliveryCount, lockTokenGuid: Guid.NewGuid());

    private static ServiceBusReceivedMessage Raw(string body, string id) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(body: BinaryData.FromString(body), messageId: id, deliveryCount: 1, lockTokenGuid: Guid.NewGuid());

    private NotificationHost Host(IDeliveryLedger ledger, string maxWait = "00:00:01") =>
        new(directory.Path, TestChannels.Config(slack: slack.WebhookUrl), ledger: ledger,
            settings: new Dictionary<string, string?> { ["ComplianceWatch:Notifications:MaxWait"] = maxWait });

    private ServiceBusDispatchDrain Drain(NotificationHost host) =>
        new(receiver, host.Dispatcher, Options.Create(new DispatchDrainOptions { BatchSize = 10, ReceiveWait = TimeSpan.Zero }), NullLogger<ServiceBusDispatchDrain>.Instance);

    [Fact]
    public async Task AMessage_IsCompleted_OnlyAfterItsEventIsInTheLedger_ThenDelivered()
    {
        var ledger = new InMemoryDeliveryLedger();
        await using var host = Host(ledger);
        var message = Message(SampleEvents.Terms(id: "e1"));
        var inLedgerAtCompletion = -1;
        receiver.When(r => r.CompleteMessageAsync(message, Arg.Any<CancellationToken>())).Do(_ => inLedgerAtCompletion = ledger.All.Count);
        batches.Enqueue([message]);

        var report = await Drain(host).RunAsync();

        Assert.Equal(1, inLedgerAtCompletion);
        await receiver.Received(1).CompleteMessageAsync(message, Arg.Any<CancellationToken>());
        await receiver.DidNotReceiveWithAnyArgs().AbandonMessageAsync(default!, default, default);
        Assert.Equal((1, 1, 0, 1), (report.Received, report.Completed, report.Abandoned, report.Queued));
        Assert.Equal(1, report.Dispatch.Delivered);
        Assert.Single(slack.Messages);
        Assert.Equal(DeliveryState.Delivered, (await ledger.GetAsync("e1", "slack"))!.State);
    }

    [Fact]
    public async Task ATransientLedgerFailure_AbandonsTheMessage_AndItsRedeliveryIsDeliveredOnce()
    {
        var ledger = new FailingLedger(new InMemoryDeliveryLedger()) { Failure = new RequestFailedException(503, "Server Busy") };
        await using var host = Host(ledger);
        var evt = SampleEvents.Terms(id: "e1");
        var first = Message(evt, deliveryCount: 1);
        batches.Enqueue([first]);

        var report = await Drain(host).RunAsync();

        await receiver.Received(1).AbandonMessageAsync(first, Arg.Any<IDictionary<string, object>>(), Arg.Any<CancellationToken>());
        await receiver.DidNotReceiveWithAnyArgs().CompleteMessageAsync(default!, default);
        await receiver.DidNotReceiveWithAnyArgs().DeadLetterMessageAsync(default!, default(string)!, default, default);
        Assert.Equal((1, 0, 1), (report.Received, report.Completed, report.Abandoned));
        Assert.Empty(slack.Requests);

        ledger.Failure = null;
        var second = Message(evt, deliveryCount: 2);
        batches.Enqueue([second]);
        report = await Drain(host).RunAsync();
        await receiver.Received(1).CompleteMessageAsync(second, Arg.Any<CancellationToken>());
        Assert.Equal(1, report.Dispatch.Delivered);
        Assert.Single(slack.Messages);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{ "id": "x1", "type": "com.example.other" }""")]
    [InlineData("""{ "specversion": "1.0", "id": "", "source": "s", "type": "t", "subject": "s", "time": "2026-11-29T04:22:41Z", "data": { "sourceId": "", "kind": "terms", "severity": "info", "summary": "" } }""")]
    public async Task APoisonMessage_IsDeadLettered_WithAReason_AndTheRestOfTheBatchGoesOn(string body)
    {
        var ledger = new InMemoryDeliveryLedger();
        await using var host = Host(ledger);
        var poison = Raw(body, "poison-1");
        var good = Message(SampleEvents.Terms(id: "e2"));
        batches.Enqueue([poison, good]);

        var report = await Drain(host).RunAsync();

        await receiver.Received(1).DeadLetterMessageAsync(poison, ServiceBusDispatchDrain.PoisonReason, Arg.Is<string>(d => d.Contains("not a change event", StringComparison.Ordinal)), Arg.Any<CancellationToken>());
        await receiver.DidNotReceive().CompleteMessageAsync(poison, Arg.Any<CancellationToken>());
        await receiver.Received(1).CompleteMessageAsync(good, Arg.Any<CancellationToken>());
        Assert.Equal(["poison-1"], report.DeadLettered);
        Assert.Equal("e2", Assert.Single(ledger.All).EventId);
    }

    [Fact]
    public async Task ARedeliveredMessage_PostsNothingTwice()
    {
        var ledger = new InMemoryDeliveryLedger();
        await using var host = Host(ledger);
        var evt = SampleEvents.Terms(id: "e1");
        batches.Enqueue([Message(evt, 1)]);
        await Drain(host).RunAsync();

        // the lock was lost after the ledger write: Service Bus delivers the same message again (twice, even in one batch)
        var again = Message(evt, 2);
        var onceMore = Message(evt, 3);
        batches.Enqueue([again, onceMore]);
        var report = await Drain(host).RunAsync();

        await receiver.Received(1).CompleteMessageAsync(again, Arg.Any<CancellationToken>());
        await receiver.Received(1).CompleteMessageAsync(onceMore, Arg.Any<CancellationToken>());
        Assert.Equal(0, report.Queued);
        Assert.Equal(0, report.Dispatch.Delivered);
        Assert.Single(slack.Requests);
        Assert.Single(slack.Messages);
    }

    [Fact]
    public async Task A429_LeavesTheDeliveryPending_AndStillCompletesTheMessage()
    {
        slack.AnswerNext(FakeSlack.TooManyRequests(7));
        var ledger = new InMemoryDeliveryLedger();
        await using var host = Host(ledger, maxWait: "00:00:01");
        var message = Message(SampleEvents.Terms(id: "e1"));
        batches.Enqueue([message]);

        var report = await Drain(host).RunAsync();

        await receiver.Received(1).CompleteMessageAsync(message, Arg.Any<CancellationToken>());
        await receiver.DidNotReceiveWithAnyArgs().AbandonMessageAsync(default!, default, default);
        var record = (await ledger.GetAsync("e1", "slack"))!;
        Assert.Equal(DeliveryState.Pending, record.State);
        Assert.True(record.NotBefore >= slack.Requests[0].At.AddSeconds(6), $"not before {record.NotBefore}, 429 at {slack.Requests[0].At}");
        Assert.Equal(0, report.Dispatch.Delivered);
        Assert.Equal([429], slack.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task ALostLock_WhenCompleting_IsLogged_NotThrown()
    {
        var ledger = new InMemoryDeliveryLedger();
        await using var host = Host(ledger);
        var message = Message(SampleEvents.Terms(id: "e1"));
        receiver.CompleteMessageAsync(message, Arg.Any<CancellationToken>()).ThrowsAsync(new ServiceBusException("lock lost", ServiceBusFailureReason.MessageLockLost));
        batches.Enqueue([message]);

        var report = await Drain(host).RunAsync();

        Assert.Equal((1, 0, 0), (report.Received, report.Completed, report.Abandoned));
        Assert.Equal(1, report.Dispatch.Delivered); // recorded before completion: delivered anyway, and a redelivery adds nothing
    }

    [Fact]
    public async Task ARun_StopsAfterMaxBatches_AndStopsAtAShortBatch()
    {
        await using var host = Host(new InMemoryDeliveryLedger());
        for (var i = 0; i < 5; i++)
        {
            batches.Enqueue([.. Enumerable.Range(0, 10).Select(j => Message(SampleEvents.Terms(id: $"e{i}-{j}")))]);
        }

        var drain = new ServiceBusDispatchDrain(receiver, host.Dispatcher,
            Options.Create(new DispatchDrainOptions { BatchSize = 10, MaxBatches = 3, ReceiveWait = TimeSpan.Zero }), NullLogger<ServiceBusDispatchDrain>.Instance);
        var report = await drain.RunAsync();
        Assert.Equal(30, report.Received);
        Assert.Equal(2, batches.Count);
    }
}

/// <summary>A ledger whose inserts fail while <see cref="Failure"/> is set (Table Storage busy or unreachable).</summary>
public sealed class FailingLedger(IDeliveryLedger inner) : IDeliveryLedger
{
    public Exception? Failure { get; set; }

    public Task<bool> TryAddAsync(DeliveryRecord record, CancellationToken cancellationToken = default) =>
        Failure is { } failure ? Task.FromException<bool>(failure) : inner.TryAddAsync(record, cancellationToken);

    public Task<DeliveryRecord?> GetAsync(string eventId, string channel, CancellationToken cancellationToken = default) => inner.GetAsync(eventId, channel, cancellationToken);
    public Task<DeliveryRecord?> TryUpdateAsync(DeliveryRecord record, CancellationToken cancellationToken = default) => inner.TryUpdateAsync(record, cancellationToken);
    public Task<IReadOnlyList<DeliveryRecord>> GetOpenAsync(CancellationToken cancellationToken = default) => inner.GetOpenAsync(cancellationToken);
    public Task<IReadOnlyList<DeliveryRecord>> ListAsync(string channel, CancellationToken cancellationToken = default) => inner.ListAsync(channel, cancellationToken);
    public Task<ThreadRecord?> GetThreadAsync(string channel, string key, CancellationToken cancellationToken = default) => inner.GetThreadAsync(channel, key, cancellationToken);
    public Task SaveThreadAsync(ThreadRecord thread, CancellationToken cancellationToken = default) => inner.SaveThreadAsync(thread, cancellationToken);
    public Task<ChannelState?> GetChannelStateAsync(string channel, CancellationToken cancellationToken = default) => inner.GetChannelStateAsync(channel, cancellationToken);
    public Task SaveChannelStateAsync(ChannelState state, CancellationToken cancellationToken = default) => inner.SaveChannelStateAsync(state, cancellationToken);
}
