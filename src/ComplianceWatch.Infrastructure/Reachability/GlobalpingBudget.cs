using ComplianceWatch.Core;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Infrastructure.Reachability;

/// <summary>
/// The Globalping tests this host may still use: a rolling hour of at most <c>Globalping:TestsPerHour</c> tests (each
/// probe of a measurement is a test; the anonymous limit is 250 an hour), narrowed by what the API itself reports
/// (<c>X-RateLimit-Remaining</c> / <c>X-RateLimit-Reset</c>) and by a 429's <c>Retry-After</c>. Shared by every check
/// of the process, so concurrent checks cannot overspend it together.
/// </summary>
public sealed class GlobalpingBudget(TimeProvider time, IOptionsMonitor<ComplianceWatchOptions> options)
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private readonly Lock gate = new();
    private readonly List<(DateTimeOffset At, int Tests)> used = [];
    private DateTimeOffset blockedUntil = DateTimeOffset.MinValue;
    private (int Remaining, DateTimeOffset Reset)? server;

    /// <summary>Tests used in the last hour.</summary>
    public int Used
    {
        get
        {
            lock (gate)
            {
                Expire(time.GetUtcNow());
                return used.Sum(u => u.Tests);
            }
        }
    }

    /// <summary>Reserves <paramref name="tests"/> tests, or says why not.</summary>
    public bool TryReserve(int tests, out string? reason)
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            Expire(now);
            var limit = options.CurrentValue.Globalping.TestsPerHour;
            var spent = used.Sum(u => u.Tests);
            if (now < blockedUntil)
            {
                reason = $"Globalping asked to wait (429 Retry-After) until {blockedUntil:u}";
                return false;
            }

            if (server is { } s && now < s.Reset && s.Remaining < tests)
            {
                reason = $"the Globalping rate limit has {s.Remaining} tests left until {s.Reset:u}";
                return false;
            }

            if (spent + tests > limit)
            {
                var next = used.Count > 0 ? used[0].At + Window : now;
                reason = $"the Globalping budget of {limit} tests per hour is used up ({spent} used; more from {next:u})";
                return false;
            }

            used.Add((now, tests));
            if (server is { } known && now < known.Reset)
            {
                server = (known.Remaining - tests, known.Reset);
            }

            reason = null;
            return true;
        }
    }

    /// <summary>Gives back a reservation the API did not spend (the measurement was refused or never reached it).</summary>
    public void Release(int tests)
    {
        lock (gate)
        {
            var index = used.FindLastIndex(u => u.Tests == tests);
            if (index >= 0)
            {
                used.RemoveAt(index);
            }
        }
    }

    /// <summary>No measurement before <paramref name="until"/> (a 429's <c>Retry-After</c>).</summary>
    public void BlockUntil(DateTimeOffset until)
    {
        lock (gate)
        {
            if (until > blockedUntil)
            {
                blockedUntil = until;
            }
        }
    }

    /// <summary>What the API reported: tests remaining in its window and seconds until the window resets.</summary>
    public void Observe(int remaining, int resetSeconds)
    {
        lock (gate)
        {
            server = (remaining, time.GetUtcNow() + TimeSpan.FromSeconds(Math.Max(0, resetSeconds)));
        }
    }

    private void Expire(DateTimeOffset now) => used.RemoveAll(u => now - u.At >= Window);
}
