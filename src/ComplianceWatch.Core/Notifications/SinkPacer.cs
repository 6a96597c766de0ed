namespace ComplianceWatch.Core.Notifications;

/// <summary>
/// Paces the content-creating requests to one sink: a minimum spacing, optional per-minute and per-hour caps (sliding
/// windows), and a pause (after a 429 or a rate-limit reset). Thread-safe; time comes from the given clock.
/// </summary>
public sealed class SinkPacer(SinkLimits limits)
{
    private readonly Lock gate = new();
    private readonly List<DateTimeOffset> recent = [];
    private DateTimeOffset? pausedUntil;

    public SinkLimits Limits { get; } = limits;

    public DateTimeOffset? PausedUntil
    {
        get
        {
            lock (gate)
            {
                return pausedUntil;
            }
        }
    }

    /// <summary>The requests of the last hour (for the ledger, so the hourly cap holds across runs).</summary>
    public IReadOnlyList<DateTimeOffset> Recent
    {
        get
        {
            lock (gate)
            {
                return recent.ToArray();
            }
        }
    }

    public void Restore(IEnumerable<DateTimeOffset> requests, DateTimeOffset? paused)
    {
        ArgumentNullException.ThrowIfNull(requests);
        lock (gate)
        {
            foreach (var at in requests.Where(r => !recent.Contains(r)))
            {
                recent.Add(at);
            }

            recent.Sort();
            if (paused is { } p && (pausedUntil is null || p > pausedUntil))
            {
                pausedUntil = p;
            }
        }
    }

    public void Pause(DateTimeOffset until)
    {
        lock (gate)
        {
            if (pausedUntil is null || until > pausedUntil)
            {
                pausedUntil = until;
            }
        }
    }

    /// <summary>The earliest instant at or after <paramref name="now"/> a request may be sent.</summary>
    public DateTimeOffset NextSlot(DateTimeOffset now)
    {
        lock (gate)
        {
            recent.RemoveAll(r => r <= now - TimeSpan.FromHours(1));
            var slot = now;
            if (pausedUntil is { } paused && paused > slot)
            {
                slot = paused;
            }

            if (recent.Count > 0 && recent[^1] + Limits.MinInterval > slot)
            {
                slot = recent[^1] + Limits.MinInterval;
            }

            slot = Window(slot, TimeSpan.FromMinutes(1), Limits.PerMinute);
            slot = Window(slot, TimeSpan.FromHours(1), Limits.PerHour);
            return slot;
        }
    }

    /// <summary>
    /// Takes a request slot at <paramref name="now"/> when the limits allow one now, and counts it (returns null);
    /// otherwise returns the instant the next slot opens and counts nothing. Check and count are one step, so
    /// concurrent senders to one sink never share a slot, and a request is counted when it is actually sent — a
    /// sender that wakes late is not followed at once by the next one.
    /// </summary>
    public DateTimeOffset? TryTake(DateTimeOffset now)
    {
        lock (gate)
        {
            var slot = NextSlot(now);
            if (slot > now)
            {
                return slot;
            }

            Record(now);
            return null;
        }
    }

    /// <summary>Counts a request sent at <paramref name="at"/>.</summary>
    public void Record(DateTimeOffset at)
    {
        lock (gate)
        {
            recent.Add(at);
            recent.Sort();
        }
    }

    private DateTimeOffset Window(DateTimeOffset slot, TimeSpan window, int? cap)
    {
        if (cap is not { } max)
        {
            return slot;
        }

        // the cap-th most recent request inside the window must have left it
        var inWindow = recent.Where(r => r > slot - window).ToList();
        return inWindow.Count < max ? slot : inWindow[^max] + window;
    }
}
