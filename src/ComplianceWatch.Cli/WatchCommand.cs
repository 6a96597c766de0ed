using System.CommandLine;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Pipeline;
using NCrontab;

namespace ComplianceWatch.Cli;

/// <summary><c>watch</c>: keeps running each source on its schedule (its <c>schedule</c>, else its kind's default) until stopped.</summary>
internal static class WatchCommand
{
    private static readonly CrontabSchedule.ParseOptions SixFields = new() { IncludingSeconds = true };

    /// <summary>Default schedules per kind (6-field NCRONTAB, as Functions timers use).</summary>
    public static readonly IReadOnlyDictionary<string, string> DefaultSchedules = new Dictionary<string, string>
    {
        [SourceKinds.Terms] = "0 0 */6 * * *",
        [SourceKinds.Reachability] = "0 */15 * * * *",
        [SourceKinds.FederalRegister] = "0 0 * * * *",
        [SourceKinds.Feed] = "0 */30 * * * *",
        [SourceKinds.Screening] = "0 0 */6 * * *",
    };

    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("watch", "Keep running each source on its schedule until stopped (Ctrl+C)");
        command.Options.Add(CheckCommand.SourceOption);
        command.Options.Add(CheckCommand.KindOption);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var catalog = await CliApp.LoadCatalogAsync(parse, cancellationToken);
            var sources = SourceSelection.Select(catalog, parse.GetValue(CheckCommand.SourceOption), parse.GetValue(CheckCommand.KindOption));
            await using var services = CliApp.BuildServices(parse, environment);
            var time = TimeProvider.System;
            var schedules = sources.ToDictionary(s => s.Id, s => CrontabSchedule.Parse(s.Schedule ?? DefaultSchedules[s.Kind], SixFields));
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
                        var report = await CheckCommand.RunAsync(services, catalog, batch, parse, environment, cancellationToken);
                        failed = report.Errors.Count > 0;
                        foreach (var source in batch)
                        {
                            due[source.Id] = schedules[source.Id].GetNextOccurrence(now);
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
