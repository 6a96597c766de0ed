using System.Collections.Concurrent;
using ComplianceWatch.Core.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Core.Notifications;

/// <summary>A channel's trouble in one run (never sent through the channel itself).</summary>
public sealed record ChannelProblem(string Channel, string Category, string Message, bool Unhealthy);

/// <summary>What a dispatch run did.</summary>
public sealed record DispatchReport
{
    /// <summary>(event, channel) deliveries newly recorded by routing.</summary>
    public int Queued { get; init; }
    /// <summary>(event, channel) deliveries completed in this run.</summary>
    public int Delivered { get; init; }
    /// <summary>Messages posted (a digest is one message for many deliveries).</summary>
    public int Messages { get; init; }
    /// <summary>Deliveries left pending for a later run (rate limits, Retry-After beyond the run's budget).</summary>
    public int Deferred { get; init; }
    /// <summary>Deliveries that failed for now and stay pending with back-off.</summary>
    public int Failed { get; init; }
    /// <summary>Deliveries the sink refused outright (kept as failed).</summary>
    public int Rejected { get; init; }
    public IReadOnlyList<ChannelProblem> Problems { get; init; } = [];
}

/// <summary>
/// Routes change events to the subscribed channels and delivers them through the delivery ledger, exactly once per
/// (event, channel): <see cref="EnqueueAsync"/> records each routed delivery insert-if-absent (a redelivered event adds
/// nothing); <see cref="DeliverDueAsync"/> claims each due delivery (compare-and-swap) before posting, groups a burst for
/// one channel into digests, paces each sink within its limits, honours Retry-After, and leaves what must wait pending
/// for the next run. A failing channel is recorded as that channel's health, never announced through itself.
/// </summary>
public sealed partial class NotificationDispatcher : IEventPublisher
{
    private readonly NotificationConfig config;
    private readonly IDeliveryLedger ledger;
    private readonly Dictionary<string, INotifier> notifiers;
    private readonly TimeProvider time;
    private readonly NotificationOptions options;
    private readonly ILogger logger;
    private readonly EventRouter router;
    private readonly SecretRedactor redactor;
    private readonly ConcurrentDictionary<string, SinkPacer> pacers = new(StringComparer.Ordinal);
    private readonly string runId = Guid.NewGuid().ToString("N")[..12];

    public NotificationDispatcher(
        NotificationConfig config,
        IDeliveryLedger ledger,
        IEnumerable<INotifier> notifiers,
        TimeProvider time,
        IOptions<NotificationOptions> options,
        ILogger<NotificationDispatcher> logger,
        string? localRegion = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        this.config = config;
        this.ledger = ledger;
        this.notifiers = notifiers.ToDictionary(n => n.ChannelType, StringComparer.Ordinal);
        this.time = time;
        this.options = options.Value;
        this.logger = logger;
        router = new EventRouter(config, localRegion);
        redactor = config.Redactor;
    }

    public NotificationConfig Config => config;

    /// <summary>The local publisher: the relay hands the outbox's events over, and they are routed into the ledger.</summary>
    public async Task PublishAsync(IReadOnlyList<ChangeEvent> events, CancellationToken cancellationToken = default) =>
        await EnqueueAsync(events, cancellationToken);

    /// <summary>Routes each event and records one pending delivery per (event, channel) unless one exists. Returns how many were new.</summary>
    public async Task<int> EnqueueAsync(IReadOnlyList<ChangeEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var now = time.GetUtcNow();
        var queued = 0;
        foreach (var evt in events)
        {
            var routes = router.Route(evt).Where(r => config.Channels.ContainsKey(r.Channel)).ToList();
            if (EventThread.Of(evt) is { Role: ThreadRole.Closes } thread)
            {
                // a recovery reaches every channel that got the alert it ends, whatever the filters say
                foreach (var channel in config.Channels.Keys.Where(c => routes.All(r => r.Channel != c)))
                {
                    if (await ledger.GetThreadAsync(channel, thread.Key, cancellationToken) is { Open: true })
                    {
                        routes.Add(new ChannelRoute(channel, [], []));
                    }
                }
            }

            foreach (var route in routes)
            {
                var record = new DeliveryRecord
                {
                    EventId = evt.Id,
                    Channel = route.Channel,
                    State = DeliveryState.Pending,
                    Event = evt,
                    Teams = route.Teams,
                    Affects = route.Affects,
                    CreatedAt = now,
                };
                if (await ledger.TryAddAsync(record, cancellationToken))
                {
                    queued++;
                }
            }
        }

        return queued;
    }

    /// <summary>Delivers every due delivery of every channel (channels in parallel, each channel serially), within the run's budget.</summary>
    public async Task<DispatchReport> DeliverDueAsync(CancellationToken cancellationToken = default)
    {
        var start = time.GetUtcNow();
        var deadline = start + options.MaxWait;
        var open = await ledger.GetOpenAsync(cancellationToken);
        var due = open.Where(r => IsDue(r, start, deadline)).GroupBy(r => r.Channel, StringComparer.Ordinal).ToArray();
        var tally = new Tally();
        tally.Add(deferred: open.Count(r => r.State == DeliveryState.Pending && r.NotBefore > deadline));
        await Task.WhenAll(due.Select(g => DeliverChannelAsync(g.Key, g.ToList(), deadline, tally, cancellationToken)));
        return tally.ToReport();
    }

    /// <summary>Sends a test message to one channel (not recorded in the ledger), waiting out a 429 within the run's budget.</summary>
    public async Task<DeliveryOutcome> SendTestAsync(string channelName, CancellationToken cancellationToken = default)
    {
        var channel = config.Channels[channelName];
        var notifier = notifiers[channel.Type];
        var pacer = pacers.GetOrAdd(channel.SinkKey, _ => new SinkPacer(notifier.Limits));
        var deadline = time.GetUtcNow() + options.MaxWait;
        var context = new SendContext(pacer, time, deadline);
        for (var attempt = 1; ; attempt++)
        {
            DeliveryOutcome outcome;
            try
            {
                outcome = await notifier.SendAsync(new Notification { Channel = channel, IsTest = true }, context, cancellationToken);
            }
            catch (DeliveryDeferredException ex)
            {
                outcome = DeliveryOutcome.Deferred(ex.Until, "rate-limit", ex.Reason);
            }

            outcome = outcome with { Error = redactor.Redact(outcome.Error) };
            if (outcome.Status == DeliveryStatus.Deferred && outcome.RetryAt is { } retry && retry <= deadline && attempt < 5)
            {
                pacer.Pause(retry);
                continue;
            }

            return outcome;
        }
    }

    private bool IsDue(DeliveryRecord record, DateTimeOffset now, DateTimeOffset deadline) => record.State switch
    {
        DeliveryState.Pending => (record.NotBefore ?? DateTimeOffset.MinValue) <= deadline,
        DeliveryState.Claimed => (record.ClaimedAt ?? DateTimeOffset.MinValue) + options.ClaimLease <= now,
        _ => false,
    };

    private async Task DeliverChannelAsync(string name, List<DeliveryRecord> records, DateTimeOffset deadline, Tally tally, CancellationToken cancellationToken)
    {
        if (!config.Channels.TryGetValue(name, out var channel) || !notifiers.TryGetValue(channel.Type, out var notifier))
        {
            tally.Problem(new ChannelProblem(name, "unknown-channel", $"{records.Count} deliveries wait for channel '{name}', which the configuration does not declare", false));
            return;
        }

        var state = await ledger.GetChannelStateAsync(name, cancellationToken) ?? new ChannelState { Channel = name };
        var pacer = pacers.GetOrAdd(channel.SinkKey, _ => new SinkPacer(notifier.Limits));
        pacer.Restore(state.RecentRequests, state.PausedUntil);
        var queue = new LinkedList<DeliveryRecord>(records
            .OrderBy(r => r.Event.Time).ThenBy(r => r.CreatedAt).ThenBy(r => r.EventId, StringComparer.Ordinal));
        var size = queue.Count >= options.DigestThreshold ? Math.Max(1, notifier.MaxDigestEvents) : 1;
        var digestCount = (queue.Count + size - 1) / size;
        var digestIndex = 0;
        try
        {
            while (queue.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = new List<DeliveryRecord>();
                while (batch.Count < size && queue.First is { } first)
                {
                    batch.Add(first.Value);
                    queue.RemoveFirst();
                }

                var notBefore = batch.Max(r => r.NotBefore ?? DateTimeOffset.MinValue);
                if (notBefore > deadline)
                {
                    tally.Add(deferred: batch.Count + queue.Count);
                    break;
                }

                var now = time.GetUtcNow();
                if (notBefore > now)
                {
                    await Task.Delay(notBefore - now, time, cancellationToken);
                }

                var claimed = new List<DeliveryRecord>();
                foreach (var record in batch)
                {
                    if (await ClaimAsync(record, cancellationToken) is { } c)
                    {
                        claimed.Add(c);
                    }
                }

                if (claimed.Count == 0)
                {
                    continue;
                }

                var items = new List<NotificationItem>();
                foreach (var record in claimed)
                {
                    items.Add(await ItemAsync(record, cancellationToken));
                }

                digestIndex++;
                var notification = new Notification
                {
                    Channel = channel,
                    Items = items,
                    DigestIndex = digestIndex,
                    DigestCount = Math.Max(digestCount, digestIndex),
                };
                var outcome = await SendAsync(notifier, notification, new SendContext(pacer, time, deadline), claimed, cancellationToken);
                now = time.GetUtcNow();
                switch (outcome.Status)
                {
                    case DeliveryStatus.Delivered:
                        foreach (var record in claimed)
                        {
                            await FinishAsync(record with
                            {
                                State = DeliveryState.Delivered, DeliveredAt = now, Reference = outcome.Reference,
                                LastError = null, LastErrorCategory = null, NotBefore = null,
                            }, cancellationToken);
                        }

                        await RecordThreadsAsync(name, items, outcome.Reference, now, cancellationToken);
                        tally.Add(delivered: claimed.Count, messages: 1);
                        state = state with { ConsecutiveFailures = 0, LastSuccessAt = now };
                        LogDelivered(logger, name, claimed.Count, outcome.Reference ?? "-");
                        break;

                    case DeliveryStatus.Deferred:
                    {
                        var retryAt = outcome.RetryAt ?? now + options.RetryDelay;
                        pacer.Pause(retryAt);
                        var back = new List<DeliveryRecord>();
                        foreach (var record in claimed)
                        {
                            if (await FinishAsync(record with
                                {
                                    State = DeliveryState.Pending, NotBefore = retryAt, ClaimedAt = null, ClaimedBy = null,
                                    MaybeSent = record.MaybeSent || outcome.MaybeSent,
                                    LastErrorCategory = outcome.ErrorCategory, LastError = outcome.Error,
                                }, cancellationToken) is { } stored)
                            {
                                back.Add(stored);
                            }
                        }

                        LogDeferred(logger, name, claimed.Count, retryAt, outcome.Error ?? "");
                        digestIndex--;
                        if (retryAt <= deadline)
                        {
                            for (var i = back.Count - 1; i >= 0; i--)
                            {
                                queue.AddFirst(back[i]);
                            }

                            continue;
                        }

                        tally.Add(deferred: claimed.Count + queue.Count);
                        queue.Clear();
                        break;
                    }

                    case DeliveryStatus.Failed:
                    {
                        var attempts = claimed.Max(r => r.Attempts);
                        var delay = TimeSpan.FromTicks(Math.Min(options.MaxRetryDelay.Ticks, options.RetryDelay.Ticks * (1L << Math.Min(20, Math.Max(0, attempts - 1)))));
                        foreach (var record in claimed)
                        {
                            await FinishAsync(record with
                            {
                                State = DeliveryState.Pending, NotBefore = now + delay, ClaimedAt = null, ClaimedBy = null,
                                MaybeSent = record.MaybeSent || outcome.MaybeSent,
                                LastErrorCategory = outcome.ErrorCategory, LastError = outcome.Error,
                            }, cancellationToken);
                        }

                        tally.Add(failed: claimed.Count + queue.Count);
                        state = Failure(name, state, outcome, now, tally);
                        queue.Clear(); // the sink is failing: leave the rest pending, do not hammer it
                        break;
                    }

                    default:
                        foreach (var record in claimed)
                        {
                            await FinishAsync(record with
                            {
                                State = DeliveryState.Failed, ClaimedAt = null, ClaimedBy = null,
                                LastErrorCategory = outcome.ErrorCategory, LastError = outcome.Error,
                            }, cancellationToken);
                        }

                        tally.Add(rejected: claimed.Count);
                        state = Failure(name, state, outcome, now, tally);
                        break;
                }
            }
        }
        finally
        {
            state = state with { RecentRequests = pacer.Recent, PausedUntil = pacer.PausedUntil };
            await ledger.SaveChannelStateAsync(state, CancellationToken.None);
        }
    }

    private async Task<DeliveryOutcome> SendAsync(INotifier notifier, Notification notification, SendContext context, List<DeliveryRecord> claimed, CancellationToken cancellationToken)
    {
        DeliveryOutcome outcome;
        try
        {
            outcome = await notifier.SendAsync(notification, context, cancellationToken);
        }
        catch (DeliveryDeferredException ex)
        {
            outcome = DeliveryOutcome.Deferred(ex.Until, "rate-limit", ex.Reason);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopped: hand the claims back so the next run need not wait for the lease
            foreach (var record in claimed)
            {
                await ledger.TryUpdateAsync(record with { State = DeliveryState.Pending, ClaimedAt = null, ClaimedBy = null, MaybeSent = true }, CancellationToken.None);
            }

            throw;
        }
        catch (Exception ex)
        {
            outcome = DeliveryOutcome.Failed("internal", $"{ex.GetType().Name}: {ex.Message}", maybeSent: true);
        }

        return outcome with { Error = outcome.Error is null ? null : redactor.Redact(outcome.Error) };
    }

    private ChannelState Failure(string name, ChannelState state, DeliveryOutcome outcome, DateTimeOffset now, Tally tally)
    {
        var next = state with
        {
            ConsecutiveFailures = state.ConsecutiveFailures + 1,
            LastErrorCategory = outcome.ErrorCategory,
            LastError = outcome.Error,
            LastFailureAt = now,
        };
        var unhealthy = next.ConsecutiveFailures >= options.ChannelFailureThreshold;
        tally.Problem(new ChannelProblem(name, outcome.ErrorCategory ?? "error", outcome.Error ?? "", unhealthy));
        if (unhealthy)
        {
            LogChannelUnhealthy(logger, name, next.ConsecutiveFailures, outcome.ErrorCategory ?? "error", outcome.Error ?? "");
        }
        else
        {
            LogDeliveryFailed(logger, name, outcome.ErrorCategory ?? "error", outcome.Error ?? "");
        }

        return next;
    }

    private async Task<DeliveryRecord?> ClaimAsync(DeliveryRecord record, CancellationToken cancellationToken) =>
        await ledger.TryUpdateAsync(record with
        {
            State = DeliveryState.Claimed,
            ClaimedAt = time.GetUtcNow(),
            ClaimedBy = runId,
            Attempts = record.Attempts + 1,
            MaybeSent = record.MaybeSent || record.State == DeliveryState.Claimed, // a stale claim: its run may have posted
        }, cancellationToken);

    private async Task<DeliveryRecord?> FinishAsync(DeliveryRecord record, CancellationToken cancellationToken)
    {
        var stored = await ledger.TryUpdateAsync(record, cancellationToken);
        if (stored is null)
        {
            LogClaimLost(logger, record.Channel, record.EventId);
        }

        return stored;
    }

    private async Task<NotificationItem> ItemAsync(DeliveryRecord record, CancellationToken cancellationToken)
    {
        var thread = EventThread.Of(record.Event);
        string? reference = null;
        if (thread is { Role: ThreadRole.Closes } && await ledger.GetThreadAsync(record.Channel, thread.Key, cancellationToken) is { Open: true } open)
        {
            reference = open.Reference;
        }

        return new NotificationItem
        {
            Event = record.Event,
            Teams = record.Teams,
            Affects = record.Affects,
            Thread = thread,
            OpenReference = reference,
            MaybeSent = record.MaybeSent,
            QueuedAt = record.CreatedAt,
        };
    }

    private async Task RecordThreadsAsync(string channel, IEnumerable<NotificationItem> items, string? reference, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var item in items.Where(i => i.Thread is not null))
        {
            var opens = item.Thread!.Role == ThreadRole.Opens;
            await ledger.SaveThreadAsync(new ThreadRecord
            {
                Channel = channel,
                Key = item.Thread.Key,
                OpenedBy = item.Event.Id,
                Reference = opens ? reference : item.OpenReference ?? reference,
                Open = opens,
                UpdatedAt = now,
            }, cancellationToken);
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Delivered {Count} events to channel {Channel} ({Reference})")]
    private static partial void LogDelivered(ILogger logger, string channel, int count, string reference);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Deferred {Count} events for channel {Channel} until {RetryAt}: {Reason}")]
    private static partial void LogDeferred(ILogger logger, string channel, int count, DateTimeOffset retryAt, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Delivery to channel {Channel} failed ({Category}): {Reason}; it stays pending")]
    private static partial void LogDeliveryFailed(ILogger logger, string channel, string category, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Channel {Channel} is unhealthy after {Failures} failed deliveries ({Category}): {Reason}")]
    private static partial void LogChannelUnhealthy(ILogger logger, string channel, int failures, string category, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "The claim on event {EventId} for channel {Channel} was taken over by another run")]
    private static partial void LogClaimLost(ILogger logger, string channel, string eventId);

    private sealed class SendContext(SinkPacer pacer, TimeProvider time, DateTimeOffset deadline) : ISendContext
    {
        public TimeProvider Time => time;

        public async ValueTask<DateTimeOffset> PaceAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                var now = time.GetUtcNow();
                if (pacer.TryTake(now) is not { } next)
                {
                    return now;
                }

                if (next > deadline)
                {
                    throw new DeliveryDeferredException(next, $"the sink's rate limit allows the next request at {next:u}");
                }

                await Task.Delay(next - now, time, cancellationToken);
            }
        }
    }

    private sealed class Tally
    {
        private readonly Lock gate = new();
        private readonly List<ChannelProblem> problems = [];
        private int delivered, messages, deferred, failed, rejected;

        public void Add(int delivered = 0, int messages = 0, int deferred = 0, int failed = 0, int rejected = 0)
        {
            lock (gate)
            {
                this.delivered += delivered;
                this.messages += messages;
                this.deferred += deferred;
                this.failed += failed;
                this.rejected += rejected;
            }
        }

        public void Problem(ChannelProblem problem)
        {
            lock (gate)
            {
                problems.Add(problem);
            }
        }

        public DispatchReport ToReport()
        {
            lock (gate)
            {
                return new DispatchReport { Delivered = delivered, Messages = messages, Deferred = deferred, Failed = failed, Rejected = rejected, Problems = problems.ToArray() };
            }
        }
    }
}
