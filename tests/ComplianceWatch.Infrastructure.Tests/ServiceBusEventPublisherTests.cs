using System.Text.Json;
using Azure.Messaging.ServiceBus;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Infrastructure.Embedded;
using ComplianceWatch.Infrastructure.ServiceBus;
using ComplianceWatch.Infrastructure.Tables;
using ComplianceWatch.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>The Service Bus publisher against a substitute <see cref="ServiceBusSender"/>, alone and behind the outbox relay.</summary>
public sealed class ServiceBusEventPublisherTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 4, 22, 41, TimeSpan.Zero);
    private readonly TempDirectory directory = new();
    private readonly string table = Azurite.NewTableName("sb");
    private readonly ServiceBusSender sender = Substitute.For<ServiceBusSender>();
    private readonly List<List<ServiceBusMessage>> sent = [];
    private readonly Dictionary<ServiceBusMessageBatch, List<ServiceBusMessage>> batches = [];
    private Func<ServiceBusMessage, IReadOnlyList<ServiceBusMessage>, bool> fits = (_, _) => true;
    private Func<IReadOnlyList<ServiceBusMessage>, Exception?> failure = _ => null;

#pragma warning disable CA2012 // NSubstitute's Returns on a ValueTask-returning member
    public ServiceBusEventPublisherTests()
    {
        sender.CreateMessageBatchAsync(Arg.Any<CancellationToken>()).Returns(_ =>
        {
            var store = new List<ServiceBusMessage>();
            var batch = ServiceBusModelFactory.ServiceBusMessageBatch(256 * 1024, store, tryAddCallback: m => fits(m, store));
            lock (batches)
            {
                batches[batch] = store;
            }

            return ValueTask.FromResult(batch);
        });
        sender.SendMessagesAsync(Arg.Any<ServiceBusMessageBatch>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            var messages = batches[call.Arg<ServiceBusMessageBatch>()].ToList();
            if (failure(messages) is { } error)
            {
                return Task.FromException(error);
            }

            sent.Add(messages);
            return Task.CompletedTask;
        });
    }
#pragma warning restore CA2012

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Azurite.DeleteTableAsync(table);
        directory.Dispose();
    }

    private IStateStore Store(string kind) => kind == "table" ? new TableStateStore(Azurite.Table(table)) : new EmbeddedStateStore(directory.File("state"));

    private static ChangeEvent Event(string sourceId, int version, string? provider = "OpenAI", IReadOnlyList<string>? tags = null, ContentDiff? diff = null) => new()
    {
        Id = ChangeEvent.ComputeId(sourceId, version, Hashing.Sha256($"{sourceId} v{version}")),
        Source = ChangeEvent.SourceUri(sourceId),
        Type = ChangeEventTypes.TermsChanged,
        Subject = sourceId,
        Time = T0.AddMinutes(version),
        Data = new ChangeEventData
        {
            SourceId = sourceId, Kind = "terms", Provider = provider, Severity = Severity.Critical, Summary = $"{sourceId}: removed: China",
            Url = "https://example.com/terms", PreviousEntryHash = "c547", Tags = tags,
            PreviousHash = "1c8b", CurrentHash = "f7ea", Diff = diff ?? new ContentDiff(["Vietnam"], ["China"], "--- previous\n+++ current\n-China\n+Vietnam\n"),
        },
    };

    /// <summary>Commits a change of <paramref name="sourceId"/> with its event in the outbox.</summary>
    private static async Task<ChangeEvent> CommitChangeAsync(IStateStore store, string sourceId, int minutes)
    {
        var state = await store.GetAsync(sourceId);
        var version = (state.Snapshot?.Version ?? 0) + 1;
        var content = $"{sourceId} v{version}";
        var evt = Event(sourceId, (int)version) with { Time = T0.AddMinutes(minutes) };
        var history = new HistoryAppender(state);
        history.Add(new HistoryEntry { SourceId = sourceId, Sequence = 0, Type = HistoryEntryType.Change, Time = evt.Time, Summary = evt.Data.Summary, ContentHash = Hashing.Sha256(content), Content = content, Event = evt });
        var snapshot = new Snapshot { ContentHash = Hashing.Sha256(content), Content = content, RulesHash = "rules", CapturedAt = evt.Time, Version = version };
        await store.CommitAsync(history.ToCommit(snapshot, SourceHealth.Healthy));
        return evt;
    }

    [Fact]
    public async Task Publish_SendsOneMessagePerEvent_WithIdContentTypeSubjectPropertiesAndCloudEventBody()
    {
        var tagged = Event("openai-supported-countries", 7, tags: ["supported-regions", "china"]);
        var regulatory = Event("bis-entity-list", 1, provider: null);
        await new ServiceBusEventPublisher(sender).PublishAsync([tagged, regulatory]);

        var messages = Assert.Single(sent);
        Assert.Equal(2, messages.Count);
        var message = messages[0];
        Assert.Equal(tagged.Id, message.MessageId);
        Assert.Equal("application/cloudevents+json", message.ContentType);
        Assert.Equal("openai-supported-countries", message.Subject);
        Assert.Equal(new Dictionary<string, object>
        {
            ["kind"] = "terms", ["provider"] = "OpenAI", ["severity"] = "critical", ["sourceId"] = "openai-supported-countries",
            ["type"] = "compliancewatch.terms.changed", ["tags"] = ",supported-regions,china,",
        }, message.ApplicationProperties.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary());

        Assert.Equal(JsonSerializer.Serialize(tagged, JsonDefaults.Options), message.Body.ToString());
        using var body = JsonDocument.Parse(message.Body);
        Assert.Equal("1.0", body.RootElement.GetProperty("specversion").GetString());
        Assert.Equal(tagged.Id, body.RootElement.GetProperty("id").GetString());
        Assert.Equal("/compliancewatch/sources/openai-supported-countries", body.RootElement.GetProperty("source").GetString());
        Assert.Equal(["China"], body.RootElement.GetProperty("data").GetProperty("diff").GetProperty("removed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(tagged, JsonSerializer.Deserialize<ChangeEvent>(message.Body.ToString(), JsonDefaults.Options)! with { Data = tagged.Data });

        var untagged = messages[1];
        Assert.Equal("bis-entity-list", untagged.Subject);
        Assert.False(untagged.ApplicationProperties.ContainsKey("provider"));
        Assert.Equal(",", untagged.ApplicationProperties["tags"]);
    }

    [Fact]
    public async Task Publish_FillsBatchesUpToTheSizeLimit_AndSendsEveryEventOnce()
    {
        const long Limit = 4000; // bytes of body per batch, as the sender would size it
        fits = (m, store) => store.Sum(x => x.Body.ToMemory().Length) + m.Body.ToMemory().Length <= Limit;
        var events = Enumerable.Range(1, 10).Select(i => Event("many", i)).ToArray();
        await new ServiceBusEventPublisher(sender).PublishAsync(events);

        Assert.True(sent.Count > 1, "expected several batches");
        Assert.All(sent, batch => Assert.True(batch.Sum(m => m.Body.ToMemory().Length) <= Limit));
        Assert.Equal(events.Select(e => e.Id), sent.SelectMany(b => b).Select(m => m.MessageId));
    }

    [Fact]
    public async Task Publish_EventTooLargeForAMessage_IsSentWithAShortenedDiffAndMarkedTruncated()
    {
        fits = (m, _) => m.Body.ToMemory().Length <= 64 * 1024;
        var lines = Enumerable.Range(0, 5000).Select(i => $"Line {i} of the new terms that nobody will read in a message").ToArray();
        var huge = Event("huge", 1, diff: new ContentDiff(lines, [], string.Join('\n', lines.Select(l => "+" + l))));
        await new ServiceBusEventPublisher(sender).PublishAsync([huge]);

        var message = Assert.Single(Assert.Single(sent));
        Assert.Equal(huge.Id, message.MessageId);
        Assert.Equal(true, message.ApplicationProperties["truncated"]);
        var body = JsonSerializer.Deserialize<ChangeEvent>(message.Body.ToString(), JsonDefaults.Options)!;
        Assert.Equal(ServiceBusEventPublisher.TruncatedLines + 1, body.Data.Diff!.Added.Count);
        Assert.Contains("full diff in the history", body.Data.Diff.Added[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_WhenEvenTheShortenedEventDoesNotFit_Throws()
    {
        fits = (_, _) => false;
        await Assert.ThrowsAsync<InvalidOperationException>(() => new ServiceBusEventPublisher(sender).PublishAsync([Event("x", 1)]));
        Assert.Empty(sent);
    }

    [Theory]
    [InlineData("embedded")]
    [InlineData("table")]
    public async Task Relay_WhenASendFailsTransiently_LeavesThoseEventsPending_NextRunPublishesThemOnce_AndNeverResendsTheOthers(string storeKind)
    {
        var store = Store(storeKind);
        var a1 = await CommitChangeAsync(store, "source-a", 1);
        var b1 = await CommitChangeAsync(store, "source-b", 2);
        var a2 = await CommitChangeAsync(store, "source-a", 3);
        var relay = new OutboxRelay(store, new ServiceBusEventPublisher(sender), NullLogger<OutboxRelay>.Instance);

        failure = messages => messages.Any(m => m.Subject == "source-b")
            ? new ServiceBusException("The service is busy", ServiceBusFailureReason.ServiceBusy)
            : null;
        var first = await relay.RelayAsync();
        Assert.Equal(2, first.Published);
        Assert.Equal(1, first.Pending);
        Assert.Contains("source-b", Assert.Single(first.Failures), StringComparison.Ordinal);
        Assert.Equal([a1.Id, a2.Id], sent.SelectMany(b => b).Select(m => m.MessageId));
        Assert.Equal(b1.Id, Assert.Single(await store.GetPendingEventsAsync()).Event.Id);

        failure = _ => null;
        var second = await relay.RelayAsync();
        Assert.Equal(1, second.Published);
        Assert.Equal(0, second.Pending);
        var third = await relay.RelayAsync();
        Assert.Equal(0, third.Published);

        var ids = sent.SelectMany(b => b).Select(m => m.MessageId).ToArray();
        Assert.Equal([a1.Id, a2.Id, b1.Id], ids); // each exactly once; the failed attempt sent nothing
        Assert.Empty(await store.GetPendingEventsAsync());
        Assert.Equal(3, (await store.QueryHistoryAsync(new HistoryQuery())).Count); // publishing never removes evidence
        await sender.Received(3).SendMessagesAsync(Arg.Any<ServiceBusMessageBatch>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public void Exception_ServiceBusy_IsTransient() =>
        Assert.True(new ServiceBusException("busy", ServiceBusFailureReason.ServiceBusy).IsTransient);

    [Fact]
    public async Task CreateClient_AcceptsAConnectionStringOrANamespace()
    {
        await using var byString = ServiceBusEventPublisher.CreateClient("Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0");
        Assert.Equal("contoso.servicebus.windows.net", byString.FullyQualifiedNamespace);
        await using var byNamespace = ServiceBusEventPublisher.CreateClient("contoso.servicebus.windows.net");
        Assert.Equal("contoso.servicebus.windows.net", byNamespace.FullyQualifiedNamespace);
        await using var byUri = ServiceBusEventPublisher.CreateClient("sb://contoso.servicebus.windows.net/");
        Assert.Equal("contoso.servicebus.windows.net", byUri.FullyQualifiedNamespace);
    }
}
