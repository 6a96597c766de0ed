using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Reachability;
using ComplianceWatch.Core.Reporting;
using ComplianceWatch.Core.Store;
using Spectre.Console;

namespace ComplianceWatch.Cli;

/// <summary><c>audit [--since] [--until] [--source] [--format table|json|csv|md]</c> and <c>audit verify</c>.</summary>
internal static class AuditCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var since = new Option<string>("--since") { Description = "From this date (inclusive; YYYY-MM-DD or ISO 8601)" };
        var until = new Option<string>("--until") { Description = "Before this date (exclusive)" };
        var source = new Option<string[]>("--source") { Description = "Only this source (repeatable)" };
        var format = new Option<string>("--format") { Description = "table, json, csv or md", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "csv", "md");

        var command = new Command("audit", "The history of changes with their diffs and evidence");
        command.Options.Add(since);
        command.Options.Add(until);
        command.Options.Add(source);
        command.Options.Add(format);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var chosen = parse.GetValue(CliApp.JsonOption) ? "json" : parse.GetValue(format)!;
            var query = new HistoryQuery
            {
                Since = CliApp.ParseDate(parse.GetValue(since), "--since"),
                Until = CliApp.ParseDate(parse.GetValue(until), "--until"),
                SourceIds = parse.GetValue(source) is { Length: > 0 } ids ? ids : null,
                IncludeContent = AuditExport.NeedsContent(chosen), // the reachability verdicts per region are read from it
            };
            await using var services = CliApp.BuildServices(parse, environment);
            var entries = await CliApp.Store(services).QueryHistoryAsync(query, cancellationToken);
            switch (chosen)
            {
                case AuditExport.Json:
                    await environment.Out.WriteLineAsync(AuditExport.ToJson(entries, await AuditExport.HeadsAsync(CliApp.Store(services), entries, cancellationToken)));
                    break;
                case AuditExport.Csv or AuditExport.Markdown:
                    await environment.Out.WriteAsync(AuditExport.Render(entries, chosen, await AuditExport.HeadsAsync(CliApp.Store(services), entries, cancellationToken)));
                    break;
                default:
                    RenderTable(entries, environment);
                    break;
            }

            return CliApp.ExitOk;
        });

        var verify = new Command("verify", "Recompute every source's history chain and check its current snapshot against it; exit 1 naming the first bad entry, or the source whose snapshot was altered, deleted or replaced");
        verify.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = CliApp.BuildServices(parse, environment);
            var verification = await ChainVerifier.VerifyAsync(CliApp.Store(services), cancellationToken);
            var problems = verification.Problems;
            var checkedSources = verification.Chains.Count;
            if (parse.GetValue(CliApp.JsonOption))
            {
                await environment.Out.WriteLineAsync(JsonSerializer.Serialize(new { intact = problems.Count == 0, sources = checkedSources, problems }, JsonDefaults.Indented));
            }
            else
            {
                var console = environment.CreateConsole(environment.Out);
                foreach (var problem in problems)
                {
                    console.Markup("[red]altered:[/] ");
                    await environment.Out.WriteLineAsync(problem); // one line per problem, never wrapped at the console width: auditors grep it
                }

                if (problems.Count == 0)
                {
                    console.MarkupLine($"[green]✓[/] history intact: {checkedSources} source chains verified, each with its current snapshot");
                }
            }

            return problems.Count == 0 ? CliApp.ExitOk : CliApp.ExitFailed;
        });
        command.Subcommands.Add(verify);
        return command;
    }

    private static void RenderTable(IReadOnlyList<HistoryEntry> entries, CliEnvironment environment)
    {
        var console = environment.CreateConsole(environment.Out);
        if (entries.Count == 0)
        {
            console.MarkupLine("No history in this period.");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in new[] { "Time (UTC)", "Source", "Type", "Severity", "Summary" })
        {
            table.AddColumn(column);
        }

        foreach (var entry in entries)
        {
            table.AddRow(
                entry.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                Markup.Escape(entry.SourceId),
                AuditExport.TypeName(entry.Type),
                entry.Event?.Data.Severity.ToName() ?? "",
                Markup.Escape(entry.Summary));
        }

        console.Write(table);
        RenderVerdicts(entries, console);
        foreach (var entry in entries.Where(e => e.Event?.Data.Diff is not null))
        {
            console.MarkupLine($"[bold]{Markup.Escape(entry.SourceId)}[/] #{entry.Sequence} {entry.Time.UtcDateTime:u}");
            foreach (var line in entry.Event!.Data.Diff!.Unified.Split('\n'))
            {
                var colour = line.StartsWith('+') ? "green" : line.StartsWith('-') ? "red" : "grey";
                console.MarkupLine($"[{colour}]{Markup.Escape(line)}[/]");
            }
        }
    }

    /// <summary>The reachability verdict history per source and vantage point (region): baselines, transitions, flapping.</summary>
    private static void RenderVerdicts(IReadOnlyList<HistoryEntry> entries, IAnsiConsole console)
    {
        var records = entries.Select(e => (Entry: e, Record: ReachabilityRecord.TryRead(e))).Where(x => x.Record is not null).ToArray();
        if (records.Length == 0)
        {
            return;
        }

        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Reachability verdicts per region[/]");
        foreach (var column in new[] { "Source", "Vantage point", "Time (UTC)", "Type", "Verdict", "Reason" })
        {
            table.AddColumn(column);
        }

        foreach (var group in records.GroupBy(r => (r.Entry.SourceId, r.Record!.VantagePoint)).OrderBy(g => g.Key.SourceId, StringComparer.Ordinal).ThenBy(g => g.Key.VantagePoint, StringComparer.Ordinal))
        {
            foreach (var (entry, record) in group.OrderBy(r => r.Entry.Sequence))
            {
                var verdict = entry.Type == HistoryEntryType.Change ? $"{record!.PreviousVerdict} → {record.Verdict}" : record!.Verdict;
                var colour = record.Verdict == "reachable" ? "green" : record.Verdict == "unknown" ? "grey" : "red";
                table.AddRow(
                    Markup.Escape(entry.SourceId), Markup.Escape(record.VantagePoint),
                    entry.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                    AuditExport.TypeName(entry.Type), $"[{colour}]{Markup.Escape(verdict)}[/]",
                    Markup.Escape(record.Reason.Length > 100 ? record.Reason[..100] + "…" : record.Reason));
            }
        }

        console.Write(table);
    }
}
