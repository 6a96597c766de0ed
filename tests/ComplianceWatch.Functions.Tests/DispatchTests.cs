using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Infrastructure.ServiceBus;
using ComplianceWatch.Infrastructure.Tables;
using ComplianceWatch.Testing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NSubstitute;

namespace ComplianceWatch.Functions.Tests;

/// <summary>
/// The dispatcher timer, called directly as the worker would call it: the app's own services (delivery ledger on
/// Azurite's Table service), a substitute <see cref="ServiceBusReceiver"/> in place of the subscription, and a loopback
/// fake of Slack. Plus its settings: off unless enabled and configured, and a missing setting named at start-up.
/// </summary>
public sealed class DispatchTests : IAsyncLifetime
{
    private readonly TestApp test = new();
    private readonly ServiceBusReceiver receiver = Substitute.For<ServiceBusReceiver>();
    private readonly ConcurrentQueue<IReadOnlyList<ServiceBusReceivedMessage>> batches = new();
    private readonly DispatchLogs logs = new();
    private FakeSlack slack = null!;

    public DispatchTests()
    {
        test.Settings["ComplianceWatch:Catalog"] = TestApp.Valid["ComplianceWatch:Catalog"]; // the shipped catalog: nothing is checked here
        receiver.ReceiveMessagesAsync(Arg.Any<int>(), Arg.Any<TimeSpan?>(), Arg.Any<CancellationToken>())
            .Returns(_ => Task.FromResult(batches.TryDequeue(out var batch) ? batch : (IReadOnlyList<ServiceBusReceivedMessage>)[]));
    }

    public async Task InitializeAsync() => slack = await FakeSlack.StartAsync();

    public async Task DisposeAsync()
    {
        await slack.DisposeAsync();
        test.Dispose();
        await Azurite.DeleteTableAsync(test.Table + "deliveries");
    }

    private static string ChannelsJson => """
        { "channels": { "slack": { "type": "slack", "webhookUrl": "%SLACK_WEBHOOK_URL%" } },
          "subscriptions": [ { "team": "compliance", "channels": ["slack"] } ] }
        """;

    private void Enable(string? json = null)
    {
        test.Settings["ComplianceWatch:Dispatcher:Enabled"] = "true";
        test.Settings["ComplianceWatch:ServiceBus:Subscription"] = "dispatcher";
        test.Settings["ComplianceWatch:Notifications:Json"] = json ?? ChannelsJson;
        test.Settings["ComplianceWatch:Notifications:MaxWait"] = "00:00:01";
        test.Settings["SLACK_WEBHOOK_URL"] = slack.WebhookUrl.AbsoluteUri;
    }

    private FunctionsApp Build() => test.Build(services =>
    {
        services.AddSingleton<ILoggerProvider>(logs);
        services.AddSingleton(receiver); // the subscription
    });

    private static TimerInfo Timer(bool pastDue = false) => new() { IsPastDue = pastDue };

    private static ServiceBusReceivedMessage Message(string id, int deliveryCount = 1) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: ServiceBusEventPublisher.ToMessage(SampleEvents.Terms(id: id)).Body, messageId: id, deliveryCount: deliveryCount, lockTokenGuid: Guid.NewGuid());

    [Fact]
    public async Task Timer_DrainsTheSubscription_IntoTheTableLedger_AndDeliversOnce_EvenWhenRedelivered()
    {
        Enable();
        using var app = Build();
        app.ValidateOnStart();
        var ledger = Assert.IsType<TableDeliveryLedger>(app.Get<IDeliveryLedger>());
        Assert.Equal(test.Table + "deliveries", ledger.Table.Name);
        var functions = app.Create<DispatchFunctions>();

        var first = Message("e1");
        batches.Enqueue([first]);
        await functions.DispatchAsync(Timer(pastDue: true), CancellationToken.None);

        await receiver.Received(1).CompleteMessageAsync(first, Arg.Any<CancellationToken>());
        Assert.Single(slack.Messages);
        Assert.Equal(DeliveryState.Delivered, (await ledger.GetAsync("e1", "slack"))!.State);
        Assert.Contains(logs.Messages, m => m.Contains("dispatch timer is past due", StringComparison.Ordinal));

        // the same message again (its lock was lost after the ledger write), and a poison one
        var again = Message("e1", deliveryCount: 2);
        var poison = ServiceBusModelFactory.ServiceBusReceivedMessage(body: BinaryData.FromString("{ not json"), messageId: "p1", lockTokenGuid: Guid.NewGuid());
        batches.Enqueue([again, poison]);
        await app.Create<DispatchFunctions>().DispatchAsync(Timer(), CancellationToken.None);

        await receiver.Received(1).CompleteMessageAsync(again, Arg.Any<CancellationToken>());
        await receiver.Received(1).DeadLetterMessageAsync(poison, ServiceBusDispatchDrain.PoisonReason, Arg.Any<string>(), Arg.Any<CancellationToken>());
        Assert.Single(slack.Requests);
        Assert.Contains(logs.Messages, m => m.Contains("1 dead-lettered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Timer_WhenTheDispatcherIsNotEnabled_TouchesNothing()
    {
        using var app = Build();
        app.ValidateOnStart();
        Assert.Null(app.Services.GetService<ServiceBusDispatchDrain>());
        batches.Enqueue([Message("e1")]);
        await app.Create<DispatchFunctions>().DispatchAsync(Timer(), CancellationToken.None);
        await receiver.DidNotReceiveWithAnyArgs().ReceiveMessagesAsync(default, default, default);
        Assert.Empty(slack.Requests);
    }

    [Fact]
    public async Task Timer_EnabledWithoutNotifications_StartsButWarnsAndDeliversNothing()
    {
        Enable();
        test.Settings["ComplianceWatch:Notifications:Json"] = null;
        using var app = Build();
        app.ValidateOnStart();
        Assert.Null(app.Services.GetService<ServiceBusDispatchDrain>());
        await app.Create<DispatchFunctions>().DispatchAsync(Timer(), CancellationToken.None);
        await receiver.DidNotReceiveWithAnyArgs().ReceiveMessagesAsync(default, default, default);
        Assert.Contains(logs.Messages, m => m.Contains("ComplianceWatch__Notifications__ConfigFile", StringComparison.Ordinal));
    }

    [Fact]
    public void Notifications_FromAFileShippedWithTheApp_BindTheSameModel()
    {
        Enable();
        test.Settings["ComplianceWatch:Notifications:Json"] = null;
        var file = Path.Combine(Path.GetDirectoryName(test.Catalog)!, "channels.json");
        File.WriteAllText(file, ChannelsJson);
        test.Settings["ComplianceWatch:Notifications:ConfigFile"] = file;
        using var app = Build();
        app.ValidateOnStart();
        var config = app.Get<NotificationConfig>();
        Assert.Equal(slack.WebhookUrl, Assert.IsType<SlackChannelDefinition>(config.Channels["slack"]).WebhookUrl);
        Assert.Same(receiver, app.Get<ServiceBusDispatchDrain>().Receiver);
    }

    [Theory]
    [InlineData("ComplianceWatch:ServiceBus:Subscription", null, "ComplianceWatch__ServiceBus__Subscription: missing")]
    [InlineData("SLACK_WEBHOOK_URL", null, "ComplianceWatch__Notifications__Json:")]
    [InlineData("ComplianceWatch:Notifications:Json", "{ not json", "ComplianceWatch__Notifications__Json:")]
    [InlineData("ComplianceWatch:Notifications:ConfigFile", "no-such-channels.json", "ComplianceWatch__Notifications__ConfigFile: cannot read")]
    [InlineData("DISPATCH_SCHEDULE", null, "DISPATCH_SCHEDULE: missing")]
    [InlineData("ComplianceWatch:Dispatcher:BatchSize", "0", "BatchSize")]
    public void Startup_WithADispatcherSettingMissingOrBad_FailsNamingIt(string setting, string? value, string message)
    {
        Enable();
        if (setting == "ComplianceWatch:Notifications:ConfigFile")
        {
            test.Settings["ComplianceWatch:Notifications:Json"] = null;
        }

        test.Settings[setting] = value;
        using var app = Build();
        var error = Record.Exception(app.ValidateOnStart);
        Assert.NotNull(error);
        var text = error is AggregateException aggregate ? string.Join("; ", aggregate.InnerExceptions.Select(e => e.Message)) : error.Message;
        Assert.Contains(message, text, StringComparison.Ordinal);
        Assert.IsAssignableFrom<OptionsValidationException>(error is AggregateException a ? a.InnerExceptions[0] : error);
    }

    [Fact]
    public void Startup_WithTheDispatcherEnabled_WithoutServiceBus_NamesTheConnectionOnce()
    {
        Enable();
        test.Settings["ServiceBusConnection"] = null;
        using var app = Build();
        var error = Record.Exception(app.ValidateOnStart);
        Assert.NotNull(error);
        var text = error is AggregateException aggregate ? string.Join("; ", aggregate.InnerExceptions.Select(e => e.Message)) : error.Message;
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, "ServiceBusConnection__fullyQualifiedNamespace: missing"));
    }

    /// <summary>Collects every log message of the app.</summary>
    private sealed class DispatchLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> messages = new();

        public IReadOnlyCollection<string> Messages => messages.ToArray();

        public ILogger CreateLogger(string categoryName) => new Logger(messages);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception));
        }
    }
}
