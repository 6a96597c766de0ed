using System.CommandLine;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Scheduling;

namespace ComplianceWatch.Cli;

/// <summary><c>watch</c>: keeps running each source on its schedule (its <c>schedule</c>, else its kind's default) until stopped.</summary>
internal static class WatchCommand
{
    internal static readonly Option<bool> TableOption = new("--table")
    {
        Description = "Print the full source table every cycle (the default on a terminal; redirected output gets what changed, what failed and one summary line per cycle)",
    };

    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("watch", "Keep running each source on its schedule until stopped (Ctrl+C)");
        command.Options.Add(CheckCommand.SourceOption);
        command.Options.Add(CheckCommand.KindOption);
        command.Options.Add(TableOption);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var catalog = await CliApp.LoadCatalogAsync(parse, environment, cancellationToken);
            var sources = SourceSelection.Select(catalog, parse.GetValue(CheckCommand.SourceOption), parse.GetValue(CheckCommand.KindOption));
            await using var services = CliApp.BuildServices(parse, environment);
            var time = TimeProvider.System;
            var cycles = parse.GetValue(TableOption) || environment.Interactive ? null : new WatchCycleLog(time);
            if (cycles is not null && !parse.GetValue(CliApp.JsonOption) && !parse.GetValue(CliApp.QuietOption))
            {
                await environment.Out.WriteLineAsync($"watching {sources.Count} source{(sources.Count == 1 ? "" : "s")} (one summary line per cycle; --table for the full table); Ctrl+C stops");
            }

            var due = sources.ToDictionary(s => s.Id, _ => time.GetUtcNow().UtcDateTime); // everything once at start
            var failed = false;
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    var now = time.GetUtcNow().UtcDateTime;
                    var batch = sources.Where(s => due[s.Id] <= now).ToArray();
                    if (batch.Length > 0)
                    {
                        var report = await CheckCommand.RunAsync(services, catalog, batch, parse, environment, cancellationToken, cycles);
                        failed = report.Errors.Count > 0;
                        foreach (var source in batch)
                        {
                            due[source.Id] = SourceSchedules.NextOccurrence(source, new DateTimeOffset(now, TimeSpan.Zero)).UtcDateTime;
                        }
                    }

                    var next = due.Values.Min();
                    var wait = next - time.GetUtcNow().UtcDateTime;
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, time, cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // stopped by the user: every commit is atomic, so there is nothing to undo
            }

            return failed ? CliApp.ExitFailed : CliApp.ExitOk;
        });
        return command;
    }
}
