using System.Collections.Concurrent;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ComplianceWatch.Core.Tests;

/// <summary>A notifier that records what it was asked to send (on the fake clock) and answers from a script.</summary>
public sealed class RecordingNotifier(string type, int maxDigestEvents, SinkLimits limits) : INotifier
{
    public ConcurrentQueue<(DateTimeOffset At, Notification Notification, DeliveryOutcome Outcome)> Attempts { get; } = new();

    public ConcurrentQueue<Func<DateTimeOffset, DeliveryOutcome>> Script { get; } = new();

    public string ChannelType => type;

    public int MaxDigestEvents => maxDigestEvents;

    public SinkLimits Limits => limits;

    public IReadOnlyList<string> DeliveredEventIds => Attempts.Where(a => a.Outcome.Status == DeliveryStatus.Delivered)
        .SelectMany(a => a.Notification.Items.Select(i => i.Event.Id)).ToArray();

    public async Task<DeliveryOutcome> SendAsync(Notification notification, ISendContext context, CancellationToken cancellationToken = default)
    {
        var at = await context.PaceAsync(cancellationToken); // the instant the pacer counted this request
        var outcome = Script.TryDequeue(out var next) ? next(at) : DeliveryOutcome.Delivered("ref-" + Attempts.Count);
        Attempts.Enqueue((at, notification, outcome));
        return outcome;
    }
}

public sealed class NotificationDispatcherTests
{
    private readonly FakeTimeProvider clock = new(SampleEvents.Time);
    private readonly InMemoryDeliveryLedger ledger = new();
    private readonly RecordingNotifier slack = new(ChannelTypes.Slack, 20, new SinkLimits(TimeSpan.FromSeconds(1)));
    private readonly RecordingNotifier github = new(ChannelTypes.GitHub, 1, new SinkLimits(TimeSpan.FromSeconds(1), 80, 500));

    private static NotificationConfig Config(string subscriptions = """[{ "team": "all", "channels": ["s", "g"] }]""") =>
        NotificationConfigLoader.Parse($$"""
            {
              "channels": {
                "s": { "type": "slack", "webhookUrl": "%HOOK%" },
                "g": { "type": "github", "repository": "acme/compliance", "token": "%TOKEN%" }
              },
              "subscriptions": {{subscriptions}}
            }
            """, "channels.json", name => name == "HOOK" ? "https://hooks.example/services/T/B/X" : "ghp_token");

    private NotificationDispatcher Dispatcher(NotificationConfig? config = null, TimeSpan? maxWait = null) => new(
        config ?? Config(), ledger, [slack, github], clock,
        Options.Create(new NotificationOptions { MaxWait = maxWait ?? TimeSpan.FromMinutes(5) }),
        NullLogger<NotificationDispatcher>.Instance);

    /// <summary>Runs a dispatch while moving the fake clock forward whenever the dispatcher waits.</summary>
    private async Task<T> WithClockAsync<T>(Task<T> task, TimeSpan? step = null)
    {
        while (!task.IsCompleted)
        {
            await Task.Delay(1);
            clock.Advance(step ?? TimeSpan.FromMilliseconds(250));
        }

        return await task;
    }

    [Fact]
    public async Task Redelivery_OfTheSameEvent_ReachesEveryChannelExactlyOnce()
    {
        var dispatcher = Dispatcher();
        var evt = SampleEvents.Terms();
        Assert.Equal(2, await dispatcher.EnqueueAsync([evt]));
        var first = await WithClockAsync(dispatcher.DeliverDueAsync());
        Assert.Equal(2, first.Delivered);

        // the relay re-publishes after a crash, Service Bus redelivers, the tool re-runs
        Assert.Equal(0, await dispatcher.EnqueueAsync([evt]));
        Assert.Equal(0, await Dispatcher().EnqueueAsync([evt, evt]));
        var second = await WithClockAsync(Dispatcher().DeliverDueAsync());
        Assert.Equal(0, second.Delivered);

        Assert.Equal(["e1"], slack.DeliveredEventIds);
        Assert.Equal(["e1"], github.DeliveredEventIds);
        Assert.All(ledger.All, r => Assert.Equal(DeliveryState.Delivered, r.State));
    }

    [Fact]
    public async Task Burst_Of200EventsForOneSlackChannel_GoesOutAsDigestsWithinTheRateLimit_NoneLost()
    {
        var dispatcher = Dispatcher(Config("""[{ "team": "all", "channels": ["s"] }]"""));
        var events = Enumerable.Range(1, 200).Select(i => SampleEvents.Terms(id: $"e{i:D3}", time: SampleEvents.Time.AddMilliseconds(i))).ToArray();
        await dispatcher.EnqueueAsync(events);

        var report = await WithClockAsync(dispatcher.DeliverDueAsync());

        Assert.Equal(200, report.Delivered);
        Assert.Equal(10, report.Messages);
        var sent = slack.Attempts.ToArray();
        Assert.Equal(10, sent.Length);
        Assert.All(sent, a => Assert.InRange(a.Notification.Items.Count, 2, 20));
        Assert.Equal(events.Select(e => e.Id).Order(StringComparer.Ordinal), slack.DeliveredEventIds.Order(StringComparer.Ordinal)); // each once, none lost
        for (var i = 1; i < sent.Length; i++)
        {
            Assert.True(sent[i].At - sent[i - 1].At >= TimeSpan.FromSeconds(1), $"message {i + 1} came {(sent[i].At - sent[i - 1].At).TotalMilliseconds} ms after the previous one");
        }

        Assert.Equal(Enumerable.Range(1, 10), sent.Select(a => a.Notification.DigestIndex));
        Assert.All(sent, a => Assert.Equal(10, a.Notification.DigestCount));
        Assert.All(ledger.All, r => Assert.Equal(DeliveryState.Delivered, r.State));
    }

    [Fact]
    public async Task RetryAfter_WithinTheRunsBudget_IsWaitedOut_AndTheRetryComesNoSooner()
    {
        var dispatcher = Dispatcher(Config("""[{ "team": "all", "channels": ["s"] }]"""));
        slack.Script.Enqueue(now => DeliveryOutcome.Deferred(now.AddSeconds(7), "rate-limited", "429"));
        await dispatcher.EnqueueAsync([SampleEvents.Terms()]);

        var report = await WithClockAsync(dispatcher.DeliverDueAsync(), TimeSpan.FromMilliseconds(100));

        var attempts = slack.Attempts.ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromSeconds(7), $"retried after {(attempts[1].At - attempts[0].At).TotalSeconds} s");
        Assert.Equal(1, report.Delivered);
    }

    [Fact]
    public async Task RetryAfter_BeyondTheRunsBudget_StaysPendingAndTheNextRunDeliversIt()
    {
        var dispatcher = Dispatcher(Config("""[{ "team": "all", "channels": ["s"] }]"""), maxWait: TimeSpan.FromSeconds(30));
        slack.Script.Enqueue(now => DeliveryOutcome.Deferred(now.AddMinutes(10), "rate-limited", "429"));
        await dispatcher.EnqueueAsync([SampleEvents.Terms(id: "a"), SampleEvents.Terms(id: "b")]);

        var first = await WithClockAsync(dispatcher.DeliverDueAsync());
        Assert.Equal(0, first.Delivered);
        Assert.Equal(2, first.Deferred);
        Assert.All(ledger.All, r => Assert.Equal(DeliveryState.Pending, r.State));
        var waiting = await ledger.GetAsync("a", "s");
        Assert.Equal(SampleEvents.Time.AddMinutes(10), waiting!.NotBefore);

        var early = await WithClockAsync(Dispatcher(Config("""[{ "team": "all", "channels": ["s"] }]"""), maxWait: TimeSpan.FromSeconds(30)).DeliverDueAsync());
        Assert.Equal(0, early.Delivered); // the pause is remembered across runs
        Assert.Single(slack.Attempts);

        clock.Advance(TimeSpan.FromMinutes(10));
        var later = await WithClockAsync(Dispatcher(Config("""[{ "team": "all", "channels": ["s"] }]"""), maxWait: TimeSpan.FromSeconds(30)).DeliverDueAsync());
        Assert.Equal(2, later.Delivered);
        Assert.Equal(["a", "b"], slack.DeliveredEventIds);
    }

    [Fact]
    public async Task FailingChannel_IsRecordedAsHealth_NeverRoutedBackIntoItself_AndRetriedUntilItWorks()
    {
        for (var i = 0; i < 3; i++)
        {
            slack.Script.Enqueue(_ => DeliveryOutcome.Failed("http-5xx", "slack channel 's' answered HTTP 503"));
        }

        await Dispatcher().EnqueueAsync([SampleEvents.Terms()]);
        DispatchReport report = null!;
        for (var run = 0; run < 3; run++)
        {
            report = await WithClockAsync(Dispatcher().DeliverDueAsync());
            clock.Advance(TimeSpan.FromHours(1)); // past the back-off
        }

        var state = await ledger.GetChannelStateAsync("s");
        Assert.Equal(3, state!.ConsecutiveFailures);
        Assert.Equal("http-5xx", state.LastErrorCategory);
        var problem = Assert.Single(report.Problems);
        Assert.True(problem.Unhealthy);
        Assert.Equal("s", problem.Channel);
        // the only things ever sent to Slack are attempts at the one event: no alert about Slack went to Slack
        Assert.All(slack.Attempts, a => Assert.Equal(["e1"], a.Notification.Items.Select(i => i.Event.Id)));
        Assert.Equal(["e1"], github.DeliveredEventIds);
        Assert.Equal(DeliveryState.Pending, (await ledger.GetAsync("e1", "s"))!.State); // never dropped

        var recovered = await WithClockAsync(Dispatcher().DeliverDueAsync());
        Assert.Equal(1, recovered.Delivered);
        Assert.Equal(0, (await ledger.GetChannelStateAsync("s"))!.ConsecutiveFailures);
    }

    [Fact]
    public async Task RejectedMessage_IsKeptAsFailed_AndNotRetried()
    {
        slack.Script.Enqueue(_ => DeliveryOutcome.Rejected("rejected", "slack refused the message with HTTP 400: invalid_blocks"));
        await Dispatcher().EnqueueAsync([SampleEvents.Terms()]);
        var report = await WithClockAsync(Dispatcher().DeliverDueAsync());
        Assert.Equal(1, report.Rejected);
        var record = await ledger.GetAsync("e1", "s");
        Assert.Equal(DeliveryState.Failed, record!.State);
        Assert.Contains("invalid_blocks", record.LastError, StringComparison.Ordinal);
        clock.Advance(TimeSpan.FromDays(1));
        await WithClockAsync(Dispatcher().DeliverDueAsync());
        Assert.Single(slack.Attempts);
    }

    [Fact]
    public async Task Recovery_ReachesEveryChannelThatGotTheAlert_EvenBelowItsMinSeverity_AndCarriesTheIssueToClose()
    {
        var config = Config("""[{ "team": "ops", "channels": ["s", "g"], "filter": { "minSeverity": "warning" } }]""");
        github.Script.Enqueue(_ => DeliveryOutcome.Delivered("42"));
        await Dispatcher(config).EnqueueAsync([SampleEvents.Health("stopped", id: "stop")]);
        await WithClockAsync(Dispatcher(config).DeliverDueAsync());

        var resumed = SampleEvents.Health("resumed", id: "resume");
        Assert.Equal(Severity.Notice, resumed.Data.Severity); // the filter alone would drop it
        Assert.Empty(new EventRouter(config).Route(resumed));
        Assert.Equal(2, await Dispatcher(config).EnqueueAsync([resumed]));
        await WithClockAsync(Dispatcher(config).DeliverDueAsync());

        var close = github.Attempts.Last().Notification.Items.Single();
        Assert.Equal("resume", close.Event.Id);
        Assert.Equal(ThreadRole.Closes, close.Thread!.Role);
        Assert.Equal("42", close.OpenReference);
        Assert.Equal(["stop", "resume"], slack.DeliveredEventIds);
        Assert.False((await ledger.GetThreadAsync("g", "health:openai-terms"))!.Open);
    }

    [Fact]
    public async Task StaleClaim_OfARunThatDied_IsTakenOverAfterTheLease_AsMaybeSent()
    {
        await Dispatcher().EnqueueAsync([SampleEvents.Terms()]);
        var record = await ledger.GetAsync("e1", "g");
        await ledger.TryUpdateAsync(record! with { State = DeliveryState.Claimed, ClaimedAt = clock.GetUtcNow(), ClaimedBy = "dead-run", Attempts = 1 });

        await WithClockAsync(Dispatcher().DeliverDueAsync());
        Assert.Empty(github.Attempts); // a live claim is left alone

        clock.Advance(TimeSpan.FromMinutes(6));
        await WithClockAsync(Dispatcher().DeliverDueAsync());
        var attempt = Assert.Single(github.Attempts);
        Assert.True(attempt.Notification.Items.Single().MaybeSent); // GitHub reconciles before posting
        Assert.Equal(DeliveryState.Delivered, (await ledger.GetAsync("e1", "g"))!.State);
    }

    [Fact]
    public async Task GitHub_IsSerialAndPaced_AndTheHourlyCapDefersTheRest()
    {
        var dispatcher = Dispatcher(Config("""[{ "team": "all", "channels": ["g"] }]"""), maxWait: TimeSpan.FromHours(2));
        var capped = new RecordingNotifier(ChannelTypes.GitHub, 1, new SinkLimits(TimeSpan.FromSeconds(1), 80, 100));
        var paced = new NotificationDispatcher(Config("""[{ "team": "all", "channels": ["g"] }]"""), ledger, [slack, capped], clock,
            Options.Create(new NotificationOptions { MaxWait = TimeSpan.FromMinutes(10) }), NullLogger<NotificationDispatcher>.Instance);
        await dispatcher.EnqueueAsync(Enumerable.Range(1, 150).Select(i => SampleEvents.Terms(id: $"g{i:D3}", time: SampleEvents.Time.AddSeconds(i))).ToArray());

        var report = await WithClockAsync(paced.DeliverDueAsync(), TimeSpan.FromSeconds(1));

        var sent = capped.Attempts.ToArray();
        Assert.Equal(100, sent.Length); // the hourly cap (100 here)
        Assert.Equal(50, report.Deferred);
        Assert.All(sent, a => Assert.Single(a.Notification.Items)); // one issue per event, no digests
        for (var i = 1; i < sent.Length; i++)
        {
            Assert.True(sent[i].At - sent[i - 1].At >= TimeSpan.FromSeconds(1));
        }

        for (var i = 80; i < sent.Length; i++)
        {
            Assert.True(sent[i].At - sent[i - 80].At >= TimeSpan.FromMinutes(1), "more than 80 in a minute");
        }

        Assert.Equal(50, ledger.All.Count(r => r.State == DeliveryState.Pending));
    }
}

public sealed class SinkPacerTests
{
    [Fact]
    public void TryTake_KeepsSpacingAndBothWindows()
    {
        var pacer = new SinkPacer(new SinkLimits(TimeSpan.FromSeconds(1), 80, 500));
        var now = SampleEvents.Time;
        var slots = new List<DateTimeOffset>();
        while (slots.Count < 600)
        {
            if (pacer.TryTake(now) is { } next)
            {
                Assert.True(next > now);
                now = next; // a sender waits until the next slot and asks again
            }
            else
            {
                slots.Add(now);
            }
        }

        for (var i = 1; i < slots.Count; i++)
        {
            Assert.True(slots[i] - slots[i - 1] >= TimeSpan.FromSeconds(1));
        }

        for (var i = 80; i < slots.Count; i++)
        {
            Assert.True(slots[i] - slots[i - 80] >= TimeSpan.FromMinutes(1));
        }

        for (var i = 500; i < slots.Count; i++)
        {
            Assert.True(slots[i] - slots[i - 500] >= TimeSpan.FromHours(1));
        }

        var count = pacer.Recent.Count;
        Assert.NotNull(pacer.TryTake(slots[^1])); // no slot now: nothing counted
        Assert.Equal(count, pacer.Recent.Count);
    }

    [Fact]
    public void Pause_PushesTheNextSlot()
    {
        var pacer = new SinkPacer(new SinkLimits(TimeSpan.FromSeconds(1)));
        pacer.Pause(SampleEvents.Time.AddSeconds(7));
        Assert.Equal(SampleEvents.Time.AddSeconds(7), pacer.NextSlot(SampleEvents.Time));
    }
}
