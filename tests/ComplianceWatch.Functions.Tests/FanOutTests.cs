using System.Collections.Concurrent;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using ComplianceWatch.Core.Scheduling;
using ComplianceWatch.Core.Store;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ComplianceWatch.Functions.Tests;

/// <summary>
/// The timers' fan-out on a real Storage queue (Azurite): more due sources than the threshold become one job each,
/// and the queue function checks one source per job; fewer are checked by the timer itself. Poison jobs count in the
/// source's health; audits larger than one request answer 202 and complete through the same queue.
/// </summary>
public sealed class FanOutTests : IAsyncLifetime
{
    private static readonly string[] Ids = ["s-one", "s-two", "s-three", "s-four", "s-five"];
    private readonly TestApp test = new();
    private readonly LogSink logs = new();
    private Scenario scenario = null!;

    public async Task InitializeAsync()
    {
        scenario = await Scenario.StartAsync();
        foreach (var id in Ids)
        {
            scenario.Serve(id, $"Terms of {id}.");
        }

        test.WriteCatalog(scenario.Catalog(Ids));
    }

    public async Task DisposeAsync()
    {
        await scenario.DisposeAsync();
        test.Dispose();
    }

    private FunctionsApp Build(int threshold, int maxPerRequest = 10)
    {
        test.Settings["ComplianceWatch:FanOut:Threshold"] = threshold.ToString(System.Globalization.CultureInfo.InvariantCulture);
        test.Settings["ComplianceWatch:FanOut:MaxSourcesPerRequest"] = maxPerRequest.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return test.Build(services => services.AddSingleton<ILoggerProvider>(logs));
    }

    private static TimerInfo Timer(DateTime? last = null, bool pastDue = false) => new()
    {
        IsPastDue = pastDue,
        ScheduleStatus = last is { } l ? new ScheduleStatus { Last = l, Next = l.AddHours(6), LastUpdated = l } : null,
    };

    private async Task<QueueMessage[]> ReceiveAllAsync(string? queue = null)
    {
        var client = test.QueueClient(queue);
        if (!await client.ExistsAsync())
        {
            return [];
        }

        var messages = new List<QueueMessage>();
        while (true)
        {
            QueueMessage[] batch = (await client.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
            if (batch.Length == 0)
            {
                return messages.ToArray();
            }

            messages.AddRange(batch);
        }
    }

    private static CheckJob Job(QueueMessage message) => CheckJob.TryParse(message.Body.ToString()) ?? throw new InvalidOperationException(message.Body.ToString());

    [Fact]
    public async Task Timer_WithMoreDueSourcesThanTheThreshold_EnqueuesOneJobEach_AndTheQueueFunctionChecksOneSourcePerJob()
    {
        using var app = Build(threshold: 2);
        await app.Create<ScheduledCheckFunctions>().CheckTermsAsync(Timer(), default);

        Assert.Empty(scenario.Server.Requests); // the timer fetched nothing itself
        var messages = await ReceiveAllAsync();
        Assert.Equal(Ids.Order(), messages.Select(m => Job(m).SourceId).Order());
        Assert.All(messages, m => Assert.Null(Job(m).AuditId));

        var store = app.Get<IStateStore>();
        var jobs = app.Create<CheckJobFunctions>();
        var done = new List<string>();
        foreach (var message in messages)
        {
            await jobs.ProcessAsync(message.Body.ToString(), default);
            done.Add(Job(message).SourceId);
            Assert.All(Ids, id => Assert.Equal(done.Contains(id) ? 1 : 0, scenario.Server.CountRequests(id)));
            Assert.Equal(done.Order(), (await store.ListAsync()).Select(s => s.SourceId).Order());
        }

        Assert.Equal(5, (await store.QueryHistoryAsync(new HistoryQuery())).Count(e => e.Type == HistoryEntryType.Baseline));
    }

    [Fact]
    public async Task Timer_WithNoMoreDueSourcesThanTheThreshold_ChecksThemItself()
    {
        using var app = Build(threshold: 5);
        await app.Create<ScheduledCheckFunctions>().CheckTermsAsync(Timer(), default);

        Assert.Empty(await ReceiveAllAsync());
        Assert.All(Ids, id => Assert.Equal(1, scenario.Server.CountRequests(id)));
        Assert.Equal(5, (await app.Get<IStateStore>().ListAsync()).Count);
    }

    [Fact]
    public async Task Timer_SelectsTheSourcesWhoseScheduleFellDueSinceItsLastRun()
    {
        test.WriteCatalog(scenario.Catalog(
            ("every-second", "TestAI", "* * * * * *"),
            ("leap-day", "TestAI", "0 0 0 29 2 *"),
            ("default-six-hourly", "TestAI", null)));
        using var app = Build(threshold: 0); // fan everything out, so the queue shows the selection
        var now = DateTime.UtcNow;

        await app.Create<ScheduledCheckFunctions>().CheckTermsAsync(Timer(now.AddSeconds(-30)), default);
        Assert.Equal(["every-second"], (await ReceiveAllAsync()).Select(m => Job(m).SourceId));

        await app.Create<ScheduledCheckFunctions>().CheckTermsAsync(Timer(now.AddHours(-6).AddMinutes(-1)), default);
        Assert.Equal(["default-six-hourly", "every-second"], (await ReceiveAllAsync()).Select(m => Job(m).SourceId).Order());

        await app.Create<ScheduledCheckFunctions>().CheckReachabilityAsync(Timer(now.AddDays(-1)), default);
        Assert.Empty(await ReceiveAllAsync()); // no reachability sources in this catalog
    }

    [Fact]
    public async Task Timer_PastDue_IsLogged()
    {
        using var app = Build(threshold: 5);
        await app.Create<ScheduledCheckFunctions>().CheckTermsAsync(Timer(DateTime.UtcNow.AddHours(-7), pastDue: true), default);
        Assert.Contains(logs.Messages, m => m.Contains("terms timer is past due", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PoisonJob_CountsAsAFailedCheck_InTheSourcesHealth()
    {
        using var app = Build(threshold: 0);
        var jobs = app.Create<CheckJobFunctions>();
        var api = app.Create<ApiFunctions>();
        var poison = new CheckJob { SourceId = "s-two", EnqueuedAt = DateTimeOffset.UtcNow }.ToJson();
        for (var i = 0; i < 3; i++)
        {
            await jobs.ProcessPoisonAsync(poison, default);
        }

        var sources = Http.Json(await api.ListSourcesAsync(Http.Get("/api/sources"), default)).GetProperty("sources").EnumerateArray();
        var health = sources.Single(s => s.GetProperty("id").GetString() == "s-two").GetProperty("health");
        Assert.Equal("not-tracked", health.GetProperty("status").GetString());
        Assert.Equal(3, health.GetProperty("consecutiveFailures").GetInt32());
        Assert.Equal("internal", health.GetProperty("lastErrorCategory").GetString());
        Assert.Equal(ScheduledChecks.PoisonMessage, health.GetProperty("lastErrorMessage").GetString());
        Assert.Empty(scenario.Server.Requests);

        var entries = await app.Get<IStateStore>().QueryHistoryAsync(new HistoryQuery { SourceIds = ["s-two"] });
        var stopped = Assert.Single(entries);
        Assert.Equal("compliancewatch.health.changed", stopped.Event!.Type);
    }

    [Fact]
    public async Task MalformedQueueMessage_IsDropped_WithoutTouchingAnySource()
    {
        using var app = Build(threshold: 0);
        await app.Create<CheckJobFunctions>().ProcessAsync("not a job", default);
        await app.Create<CheckJobFunctions>().ProcessAsync("""{"sourceId": "no-such-source"}""", default);
        Assert.Empty(scenario.Server.Requests);
        Assert.Empty(await app.Get<IStateStore>().ListAsync());
        Assert.Contains(logs.Messages, m => m.Contains("not a check job", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Audit_LargerThanOneRequest_Answers202_AndCompletesThroughTheQueue()
    {
        using var app = Build(threshold: 100, maxPerRequest: 2);
        var api = app.Create<ApiFunctions>();
        var accepted = Http.Api(await api.RunAuditAsync(Http.Post("/api/audits", null), default));
        Assert.Equal(202, accepted.StatusCode);
        using var body = accepted.ParseBody();
        var id = body.RootElement.GetProperty("id").GetString()!;
        var statusUrl = body.RootElement.GetProperty("statusUrl").GetString()!;
        Assert.Equal($"https://compliancewatch.example/api/audits/runs/{id}", statusUrl);
        Assert.Equal(statusUrl, accepted.Headers["Location"]);
        Assert.Equal(5, body.RootElement.GetProperty("sources").GetInt32());
        Assert.Empty(scenario.Server.Requests);

        var running = Http.Json(await api.GetAuditRunAsync(Http.Get(new Uri(statusUrl).AbsolutePath), id, default));
        Assert.Equal("running", running.GetProperty("status").GetString());
        Assert.Equal(5, running.GetProperty("pending").GetArrayLength());

        var messages = await ReceiveAllAsync();
        Assert.Equal(5, messages.Length);
        Assert.All(messages, m => Assert.Equal(id, Job(m).AuditId));
        var jobs = app.Create<CheckJobFunctions>();
        // the job of the last source kept failing (chosen by source, not by queue order, which is not guaranteed)
        var poison = messages.Single(m => Job(m).SourceId == Ids[^1]);
        foreach (var message in messages.Where(m => m != poison))
        {
            await jobs.ProcessAsync(message.Body.ToString(), default);
        }

        await jobs.ProcessPoisonAsync(poison.Body.ToString(), default);

        var status = Http.Json(await api.GetAuditRunAsync(Http.Get(new Uri(statusUrl).AbsolutePath), id, default));
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.Equal(5, status.GetProperty("checked").GetInt32());
        Assert.Equal(4, status.GetProperty("baselined").GetInt32());
        var error = Assert.Single(status.GetProperty("errors").EnumerateArray());
        Assert.Equal(Ids[^1], error.GetProperty("sourceId").GetString());
        Assert.Empty(status.GetProperty("pending").EnumerateArray());

        foreach (var id2 in Ids.Take(2))
        {
            scenario.Serve(id2, $"Terms of {id2}.", "New clause.");
        }

        var second = Http.Api(await api.RunAuditAsync(Http.Post("/api/audits", $$"""{"sources": ["{{Ids[0]}}", "{{Ids[1]}}", "{{Ids[2]}}"]}"""), default));
        using var secondBody = second.ParseBody();
        var secondId = secondBody.RootElement.GetProperty("id").GetString()!;
        foreach (var message in await ReceiveAllAsync())
        {
            await jobs.ProcessAsync(message.Body.ToString(), default);
        }

        var changed = Http.Json(await api.GetAuditRunAsync(Http.Get($"/api/audits/runs/{secondId}"), secondId, default));
        Assert.Equal(2, changed.GetProperty("changes").GetArrayLength());
        Assert.Equal(1, changed.GetProperty("unchanged").GetInt32());

        Assert.Equal(404, Http.Api(await api.GetAuditRunAsync(Http.Get("/api/audits/runs/x"), "x", default)).StatusCode);
        Assert.Equal(404, Http.Api(await api.GetAuditRunAsync(Http.Get("/api/audits/runs/0"), new string('0', 32), default)).StatusCode);
    }

    [Fact]
    public async Task Relay_PublishesTheOutbox_AndLeavesNothingPending()
    {
        using var app = Build(threshold: 10);
        var timers = app.Create<ScheduledCheckFunctions>();
        await timers.CheckTermsAsync(Timer(), default);
        scenario.Serve("s-three", "Terms of s-three.", "Export to China is restricted.");
        await timers.CheckTermsAsync(Timer(), default);
        Assert.Single(await app.Get<IStateStore>().GetPendingEventsAsync());

        await app.Create<RelayFunctions>().RelayAsync(Timer(), default);
        var published = Assert.Single(test.Published.Events);
        Assert.Equal("s-three", published.Data.SourceId);
        Assert.Empty(await app.Get<IStateStore>().GetPendingEventsAsync());
    }

    /// <summary>Collects every log message of the app.</summary>
    private sealed class LogSink : ILoggerProvider
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
