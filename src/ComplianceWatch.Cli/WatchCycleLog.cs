using ComplianceWatch.Core.Pipeline;
using Spectre.Console;

namespace ComplianceWatch.Cli;

/// <summary>
/// What <c>watch</c> prints per cycle when it is not drawing the source table (output redirected, no <c>--table</c>):
/// a source that starts failing, or fails differently, once (not again every cycle while it keeps failing the same way);
/// a source that recovers; and one summary line with the time and the cycle number. Changes are printed by the caller.
/// </summary>
internal sealed class WatchCycleLog(TimeProvider time)
{
    private readonly Dictionary<string, string> failing = new(StringComparer.Ordinal);
    private int cycle;

    /// <summary>The console width of these lines: wide enough that no line of a service log is wrapped.</summary>
    public const int LineWidth = 4096;

    public void Write(CheckReport report, IAnsiConsole console, int changed)
    {
        cycle++;
        foreach (var result in report.Results.OrderBy(r => r.SourceId, StringComparer.Ordinal))
        {
            if (result.Error is { } error)
            {
                var problem = $"{error.Category}: {error.Message}";
                if (!failing.TryGetValue(result.SourceId, out var before) || before != problem)
                {
                    console.MarkupLine($"[red]failed[/] {Markup.Escape(result.SourceId)}: {Markup.Escape(problem)}");
                }

                failing[result.SourceId] = problem;
            }
            else if (failing.Remove(result.SourceId))
            {
                console.MarkupLine($"[green]recovered[/] {Markup.Escape(result.SourceId)}");
            }
        }

        var failed = report.Errors.Count;
        console.MarkupLine(
            $"{time.GetUtcNow():yyyy-MM-dd HH:mm:ss}Z cycle {cycle}: {report.Checked} checked: {changed} changed, {report.Unchanged} unchanged, " +
            $"{report.Baselined} baselined, {(failed > 0 ? $"[red]{failed} failed[/]" : "0 failed")}");
    }
}
