using System.Collections.Concurrent;
using ComplianceWatch.Core.Catalog;
using NCrontab;

namespace ComplianceWatch.Core.Scheduling;

/// <summary>
/// When a source is checked: its own <c>schedule</c> (6-field NCRONTAB, as Functions timers use), else its kind's
/// default. Both hosts use this: the tool's <c>watch</c> waits for each source's next occurrence, and the Functions
/// timers select the sources that fell due since the timer last ran.
/// </summary>
public static class SourceSchedules
{
    private static readonly CrontabSchedule.ParseOptions SixFields = new() { IncludingSeconds = true };
    private static readonly ConcurrentDictionary<string, CrontabSchedule> Parsed = new(StringComparer.Ordinal);

    /// <summary>Default schedules per kind.</summary>
    public static IReadOnlyDictionary<string, string> Defaults { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [SourceKinds.Terms] = "0 0 */6 * * *",
        [SourceKinds.Reachability] = "0 */15 * * * *",
        [SourceKinds.FederalRegister] = "0 0 * * * *",
        [SourceKinds.Feed] = "0 */30 * * * *",
        [SourceKinds.Screening] = "0 0 */6 * * *",
    };

    /// <summary>The kinds each Functions timer serves: terms, reachability, and the regulatory kinds together.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> TimerGroups { get; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        ["terms"] = [SourceKinds.Terms],
        ["reachability"] = [SourceKinds.Reachability],
        ["regulatory"] = [SourceKinds.FederalRegister, SourceKinds.Feed, SourceKinds.Screening],
    };

    /// <summary>Parses a 6-field NCRONTAB expression; null when it is not one.</summary>
    public static CrontabSchedule? TryParse(string? expression) =>
        string.IsNullOrWhiteSpace(expression) ? null : Parsed.TryGetValue(expression, out var known) ? known
        : CrontabSchedule.TryParse(expression, SixFields) is { } schedule ? Parsed.GetOrAdd(expression, schedule) : null;

    /// <summary>The schedule of <paramref name="source"/> (the catalog validated it).</summary>
    public static CrontabSchedule For(SourceDefinition source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var expression = source.Schedule ?? Defaults.GetValueOrDefault(source.Kind, Defaults[SourceKinds.Terms]);
        return TryParse(expression) ?? throw new ArgumentException($"source '{source.Id}': '{expression}' is not a 6-field NCRONTAB schedule", nameof(source));
    }

    /// <summary>
    /// Whether <paramref name="source"/> fell due in (<paramref name="lastRun"/>, <paramref name="now"/>]: its schedule
    /// has an occurrence after the timer's last run and not after now. Without a last run (the timer's first run, or
    /// no schedule monitor) every source is due. A source is never checked more often than the timer that serves it runs.
    /// </summary>
    public static bool IsDue(SourceDefinition source, DateTimeOffset? lastRun, DateTimeOffset now)
    {
        if (lastRun is not { } last || last >= now)
        {
            return lastRun is null;
        }

        return For(source).GetNextOccurrence(last.UtcDateTime) <= now.UtcDateTime;
    }

    /// <summary>The next occurrence of <paramref name="source"/>'s schedule after <paramref name="after"/> (UTC).</summary>
    public static DateTimeOffset NextOccurrence(SourceDefinition source, DateTimeOffset after) =>
        new(DateTime.SpecifyKind(For(source).GetNextOccurrence(after.UtcDateTime), DateTimeKind.Utc));
}
