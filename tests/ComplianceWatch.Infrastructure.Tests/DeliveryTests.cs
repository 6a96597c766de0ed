using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>A ledger that "crashes" (throws) once when a delivery to one channel is about to be recorded as delivered.</summary>
public sealed class CrashingLedger(IDeliveryLedger inner, string crashChannel) : IDeliveryLedger
{
    public bool Crashed { get; private set; }

    public Task<bool> TryAddAsync(DeliveryRecord record, CancellationToken cancellationToken = default) => inner.TryAddAsync(record, cancellationToken);
    public Task<DeliveryRecord?> GetAsync(string eventId, string channel, CancellationToken cancellationToken = default) => inner.GetAsync(eventId, channel, cancellationToken);

    public Task<DeliveryRecord?> TryUpdateAsync(DeliveryRecord record, CancellationToken cancellationToken = default)
    {
        if (!Crashed && record.Channel == crashChannel && record.State == DeliveryState.Delivered)
        {
            Crashed = true;
            throw new IOException("simulated crash between the post and the ledger write");
        }

        return inner.TryUpdateAsync(record, cancellationToken);
    }

    public Task<IReadOnlyList<DeliveryRecord>> GetOpenAsync(CancellationToken cancellationToken = default) => inner.GetOpenAsync(cancellationToken);
    public Task<IReadOnlyList<DeliveryRecord>> ListAsync(string channel, CancellationToken cancellationToken = default) => inner.ListAsync(channel, cancellationToken);
    public Task<ThreadRecord?> GetThreadAsync(string channel, string key, CancellationToken cancellationToken = default) => inner.GetThreadAsync(channel, key, cancellationToken);
    public Task SaveThreadAsync(ThreadRecord thread, CancellationToken cancellationToken = default) => inner.SaveThreadAsync(thread, cancellationToken);
    public Task<ChannelState?> GetChannelStateAsync(string channel, CancellationToken cancellationToken = default) => inner.GetChannelStateAsync(channel, cancellationToken);
    public Task SaveChannelStateAsync(ChannelState state, CancellationToken cancellationToken = default) => inner.SaveChannelStateAsync(state, cancellationToken);
}

/// <summary>Delivery over real HTTP to the loopback fakes of Slack, Teams and GitHub, with the embedded ledger.</summary>
public sealed class DeliveryTests : IAsyncLifetime
{
    private readonly TempDirectory directory = new();
    private readonly FakeTimeProvider clock = new(SampleEvents.Time);
    private FakeSlack slack = null!;
    private FakeTeams teams = null!;
    private FakeGitHub github = null!;

    public async Task InitializeAsync()
    {
        slack = await FakeSlack.StartAsync(clock);
        teams = await FakeTeams.StartAsync(clock);
        github = await FakeGitHub.StartAsync(clock);
    }

    public async Task DisposeAsync()
    {
        await slack.DisposeAsync();
        await teams.DisposeAsync();
        await github.DisposeAsync();
        directory.Dispose();
    }

    private NotificationConfig AllChannels() => TestChannels.Config(slack.WebhookUrl, teams.WebhookUrl, github.ApiUrl);

    private NotificationHost Host(NotificationConfig? config = null, IDeliveryLedger? ledger = null, bool allowPrivateNetwork = true) =>
        new(directory.File("state"), config ?? AllChannels(), clock, ledger, allowPrivateNetwork);

    [Fact]
    public async Task OneChange_ReachesEveryChannelExactlyOnce_AcrossRerunsAndRedelivery()
    {
        var evt = SampleEvents.Terms();
        await using (var host = Host())
        {
            await host.Dispatcher.EnqueueAsync([evt]);
            var report = await Clock.RunAsync(clock, host.Dispatcher.DeliverDueAsync());
            Assert.Equal(3, report.Delivered);
        }

        for (var run = 0; run < 2; run++)
        {
            await using var again = Host();
            await again.Dispatcher.EnqueueAsync([evt, evt]); // redelivered, re-run
            var report = await Clock.RunAsync(clock, again.Dispatcher.DeliverDueAsync());
            Assert.Equal(0, report.Delivered);
        }

        Assert.Single(slack.Messages);
        Assert.Single(teams.Cards);
        var issue = Assert.Single(github.Issues);
        Assert.Equal("[critical] OpenAI: OpenAI API supported countries: removed: China; added: Vietnam", issue.Title);
        Assert.Equal(["compliancewatch", "kind:terms", "severity:critical", "provider:OpenAI"], issue.Labels);
        Assert.Contains("provider:OpenAI", github.LabelNames); // created because it was missing
        Assert.EndsWith("<!-- compliancewatch:event=e1 -->\n", issue.Body, StringComparison.Ordinal);
        await using var check = Host();
        Assert.Equal("1", (await check.Ledger.GetAsync("e1", "github"))!.Reference);
    }

    [Fact]
    public async Task GitHub_CrashAfterThePostBeforeTheLedgerWrite_CreatesNoSecondIssue()
    {
        var evt = SampleEvents.Terms();
        await using (var host = Host(ledger: new CrashingLedger(new Embedded.EmbeddedDeliveryLedger(directory.File("state")), "github")))
        {
            await host.Dispatcher.EnqueueAsync([evt]);
            await Assert.ThrowsAsync<IOException>(() => Clock.RunAsync(clock, host.Dispatcher.DeliverDueAsync()));
        }

        Assert.Single(github.Issues); // the issue exists, the ledger still says "claimed"
        await using (var rerun = Host())
        {
            Assert.Equal(DeliveryState.Claimed, (await rerun.Ledger.GetAsync("e1", "github"))!.State);
            clock.Advance(TimeSpan.FromMinutes(6)); // the dead run's claim lease runs out
            await rerun.Dispatcher.EnqueueAsync([evt]); // and the event comes again
            var report = await Clock.RunAsync(clock, rerun.Dispatcher.DeliverDueAsync());
            Assert.Equal(1, report.Delivered);
            var record = await rerun.Ledger.GetAsync("e1", "github");
            Assert.Equal(DeliveryState.Delivered, record!.State);
            Assert.Equal("1", record.Reference);
        }

        Assert.Single(github.Issues);
        // it found the issue by listing issues with the label, not by searching
        Assert.Contains(github.Requests, r => r.Method == "GET" && r.Path.EndsWith("/issues", StringComparison.Ordinal) && r.Query.Contains("labels=compliancewatch", StringComparison.Ordinal));
        Assert.DoesNotContain(github.Requests, r => r.Path.Contains("/search/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Slack_429WithRetryAfter7_IsRetriedNoSoonerThan7SecondsLater()
    {
        slack.AnswerNext(FakeSlack.TooManyRequests(7));
        await using var host = Host(TestChannels.Config(slack: slack.WebhookUrl));
        await host.Dispatcher.EnqueueAsync([SampleEvents.Terms()]);

        var report = await Clock.RunAsync(clock, host.Dispatcher.DeliverDueAsync(), TimeSpan.FromMilliseconds(100));

        Assert.Equal(1, report.Delivered);
        var requests = slack.Requests;
        Assert.Equal([429, 200], requests.Select(r => r.Status));
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromSeconds(7), $"retried after {(requests[1].At - requests[0].At).TotalSeconds} s");
    }

    [Fact]
    public async Task Teams_429WithRetryAfter_IsHonoured_And202IsDelivered()
    {
        teams.AnswerNext(new ScriptedAnswer(429, "", new Dictionary<string, string> { ["Retry-After"] = "3" }));
        await using var host = Host(TestChannels.Config(teams: teams.WebhookUrl));
        await host.Dispatcher.EnqueueAsync([SampleEvents.Terms()]);
        var report = await Clock.RunAsync(clock, host.Dispatcher.DeliverDueAsync(), TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, report.Delivered);
        Assert.Equal([429, 202], teams.Requests.Select(r => r.Status));
        Assert.True(teams.Requests[1].At - teams.Requests[0].At >= TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task GitHub_429_HonoursRetryAfter()
    {
        github.AddLabel("compliancewatch");
        github.AnswerNext(FakeGitHub.TooManyRequests(retryAfterSeconds: 7));
        await using var host = Host(TestChannels.Config(githubApi: github.ApiUrl));
        await host.Dispatcher.EnqueueAsync([SampleEvents.Terms(id: "a"), SampleEvents.Terms(id: "b")]);

        var report = await Clock.RunAsync(clock, host.Dispatcher.DeliverDueAsync(), TimeSpan.FromMilliseconds(100));

        Assert.Equal(2, report.Delivered);
        Assert.Equal(2, github.Issues.Count);
        var posts = github.ContentRequests;
        Assert.Equal(429, posts[0].Status);
        Assert.True(posts[1].At - posts[0].At >= TimeSpan.FromSeconds(7));
        // the pacer's spacing (serial, ≥ 1 s, 80/min, 500/h) is shown exactly in Core:
        // NotificationDispatcherTests.GitHub_IsSerialAndPaced_AndTheHourlyCapDefersTheRest (arrival times here jitter
        // because the fake clock moves while a request is in flight)
    }

    [Fact]
    public async Task GitHub_RateLimitReset_DefersTheDeliveryToTheNextRun()
    {
        github.AnswerNext(FakeGitHub.TooManyRequests(resetEpoch: clock.GetUtcNow().AddMinutes(30).ToUnixTimeSeconds()));
        await using var host = Host(TestChannels.Config(githubApi: github.ApiUrl));
        await host.Dispatcher.EnqueueAsync([SampleEvents.Terms()]);
        var report = await Clock.RunAsync(clock, host.Dispatcher.DeliverDueAsync());
        Assert.Equal(1, report.Deferred);
        var record = await host.Ledger.GetAsync("e1", "github");
        Assert.Equal(DeliveryState.Pending, record!.State);
        Assert.Equal(SampleEvents.Time.AddMinutes(30).ToUnixTimeSeconds(), record.NotBefore!.Value.ToUnixTimeSeconds());
        Assert.Empty(github.Issues);

        clock.Advance(TimeSpan.FromMinutes(31));
        await using var later = Host(TestChannels.Config(githubApi: github.ApiUrl));
        Assert.Equal(1, (await Clock.RunAsync(clock, later.Dispatcher.DeliverDueAsync())).Delivered);
        Assert.Single(github.Issues);
    }

    [Fact]
    public async Task Slack_InvalidBlocks_IsKeptAsRefused()
    {
        slack.AnswerNext(new ScriptedAnswer(400, "invalid_blocks"));
        await using var host = Host(TestChannels.Config(slack: slack.WebhookUrl));
        await host.Dispatcher.EnqueueAsync([SampleEvents.Terms()]);
        var report = await Clock.RunAsync(clock, host.Dispatcher.DeliverDueAsync());
        Assert.Equal(1, report.Rejected);
        var record = await host.Ledger.GetAsync("e1", "slack");
        Assert.Equal(DeliveryState.Failed, record!.State);
        Assert.Contains("invalid_blocks", record.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeSlack.HookPath, record.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sinks_OnLoopback_AreRefusedWithoutAllowPrivateNetwork_AndTheSecretIsNotInTheError()
    {
        await using var host = Host(allowPrivateNetwork: false);
        await host.Dispatcher.EnqueueAsync([SampleEvents.Terms()]);
        var report = await Clock.RunAsync(clock, host.Dispatcher.DeliverDueAsync());
        Assert.Equal(3, report.Failed);
        Assert.Empty(slack.Requests);
        Assert.Empty(teams.Requests);
        Assert.Empty(github.Requests);
        foreach (var channel in new[] { "slack", "teams", "github" })
        {
            var record = await host.Ledger.GetAsync("e1", channel);
            Assert.Equal(DeliveryState.Pending, record!.State); // kept: fixing the setting delivers it
            Assert.Equal("blocked-address", record.LastErrorCategory);
            Assert.DoesNotContain("XXXXXXXX", record.LastError, StringComparison.Ordinal);
            Assert.DoesNotContain("SECRETSIGNATURE", record.LastError, StringComparison.Ordinal);
            Assert.DoesNotContain("ghp_", record.LastError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TestMessage_ReachesEachKindOfChannel()
    {
        await using var host = Host();
        foreach (var channel in new[] { "slack", "teams", "github" })
        {
            var outcome = await Clock.RunAsync(clock, host.Dispatcher.SendTestAsync(channel));
            Assert.True(outcome.Status == DeliveryStatus.Delivered, $"{channel}: {outcome.ErrorCategory}: {outcome.Error}");
        }

        Assert.Single(slack.Messages);
        Assert.Single(teams.Cards);
        var issue = Assert.Single(github.Issues);
        Assert.Equal("closed", issue.State);
    }

    [Fact]
    public async Task ReachabilityRecovery_CommentsOnAndClosesTheIssueOfTheBlockItEnds()
    {
        await using var host = Host(TestChannels.Config(githubApi: github.ApiUrl));
        await host.Dispatcher.EnqueueAsync([SampleEvents.Reachability("blocked", id: "block-hk")]);
        await Clock.RunAsync(clock, host.Dispatcher.DeliverDueAsync());
        await host.Dispatcher.EnqueueAsync([SampleEvents.Reachability("blocked", id: "block-jp", vantagePoint: "globalping:JP")]);
        await Clock.RunAsync(clock, host.Dispatcher.DeliverDueAsync());
        await host.Dispatcher.EnqueueAsync([SampleEvents.Reachability("reachable", id: "recover-hk", previous: "blocked", severity: Severity.Notice)]);
        await Clock.RunAsync(clock, host.Dispatcher.DeliverDueAsync());

        Assert.Equal(2, github.Issues.Count); // the recovery opened nothing
        var hk = github.Issues.Single(i => i.Body!.Contains("event=block-hk", StringComparison.Ordinal));
        Assert.Equal("closed", hk.State);
        Assert.Contains("event=recover-hk", Assert.Single(hk.Comments), StringComparison.Ordinal);
        Assert.Equal("open", github.Issues.Single(i => i.Body!.Contains("event=block-jp", StringComparison.Ordinal)).State);
    }
}
