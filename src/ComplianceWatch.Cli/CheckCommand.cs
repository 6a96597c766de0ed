using System.CommandLine;
using System.Text.Json;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace ComplianceWatch.Cli;

/// <summary><c>check [--source ID]… [--kind K]</c>: runs sources once, records, reports. Exit 0 all checked, 1 some failed, 2 usage.</summary>
internal static class CheckCommand
{
    internal static readonly Option<string[]> SourceOption = new("--source") { Description = "Check only this source (repeatable)", AllowMultipleArgumentsPerToken = false };
    internal static readonly Option<string> KindOption = new("--kind") { Description = "Check only sources of this kind" };

    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("check", "Run sources once, record what changed, report");
        command.Options.Add(SourceOption);
        command.Options.Add(KindOption);
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Start-up overlaps: the services (and the runner they compose) are built beside the catalog's parsing.
            // Errors keep their order: a bad catalog is reported before a bad setting or channels file.
            var selecting = SelectAsync(parse, environment, cancellationToken);
            var starting = Task.Run(() => StartServicesAsync(parse, environment, selecting), CancellationToken.None);
            SourceCatalog catalog;
            IReadOnlyList<SourceDefinition> sources;
            try
            {
                (catalog, sources) = await selecting;
            }
            catch
            {
                await DisposeQuietlyAsync(starting);
                throw;
            }

            await using var services = await starting;
            var report = await RunAsync(services, catalog, sources, parse, environment, cancellationToken);
            return report.Errors.Count > 0 ? CliApp.ExitFailed : CliApp.ExitOk;
        });
        return command;
    }

    private static async Task<(SourceCatalog Catalog, IReadOnlyList<SourceDefinition> Sources)> SelectAsync(ParseResult parse, CliEnvironment environment, CancellationToken cancellationToken)
    {
        var catalog = await CliApp.LoadCatalogAsync(parse, environment, cancellationToken);
        return (catalog, SourceSelection.Select(catalog, parse.GetValue(SourceOption), parse.GetValue(KindOption)));
    }

    /// <param name="selecting">The catalog being read: when it selects sources, the checkers are built here too (a run without sources never builds them).</param>
    private static async Task<ServiceProvider> StartServicesAsync(ParseResult parse, CliEnvironment environment, Task<(SourceCatalog Catalog, IReadOnlyList<SourceDefinition> Sources)> selecting)
    {
        var services = CliApp.BuildServices(parse, environment);
        try
        {
            var runner = services.GetRequiredService<CheckRunner>();
            if (parse.GetValue(CliApp.JsonOption))
            {
                _ = JsonSerializer.Serialize(new CheckReport([]), JsonDefaults.Indented); // the report's serializer, prepared
            }

            if (await SelectsSourcesAsync(selecting))
            {
                _ = runner.SupportedKinds; // the checkers, their HTTP clients and probes
            }

            return services;
        }
        catch
        {
            await services.DisposeAsync();
            throw;
        }
    }

    private static async Task<bool> SelectsSourcesAsync(Task<(SourceCatalog Catalog, IReadOnlyList<SourceDefinition> Sources)> selecting)
    {
        try
        {
            return (await selecting).Sources.Count > 0;
        }
        catch (Exception)
        {
            return false; // the catalog's error is reported by the command, which disposes these services
        }
    }

    private static async Task DisposeQuietlyAsync(Task<ServiceProvider> starting)
    {
        try
        {
            await (await starting).DisposeAsync();
        }
        catch (Exception)
        {
            // the catalog's error is the one reported; a setting's error shows once the catalog is fixed
        }
    }

    /// <param name="cycles">
    /// <c>watch</c> without a table: instead of the source table, only what changed, what started or stopped failing,
    /// and one summary line per cycle (the table is for a terminal; a service log gets a few lines a cycle).
    /// </param>
    internal static async Task<CheckReport> RunAsync(IServiceProvider services, SourceCatalog catalog, IReadOnlyList<SourceDefinition> sources, ParseResult parse, CliEnvironment environment, CancellationToken cancellationToken, WatchCycleLog? cycles = null)
    {
        var runner = services.GetRequiredService<CheckRunner>();
        var json = parse.GetValue(CliApp.JsonOption);
        var quiet = parse.GetValue(CliApp.QuietOption);
        CheckReport report;
        if (!json && !quiet && environment.Interactive && sources.Count > 1)
        {
            var console = environment.CreateConsole(environment.Error);
            report = null!;
            await console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask($"Checking {sources.Count} sources", maxValue: sources.Count);
                    var progress = new SynchronousProgress<SourceCheckResult>(_ => task.Increment(1));
                    report = await runner.RunAsync(catalog, sources, progress, cancellationToken);
                });
        }
        else
        {
            report = await runner.RunAsync(catalog, sources, null, cancellationToken);
        }

        var relayed = await RelayAsync(services, environment, cancellationToken);
        if (json)
        {
            await environment.Out.WriteLineAsync(JsonSerializer.Serialize(report, JsonDefaults.Indented));
        }
        else
        {
            Render(report, environment, quiet, cycles);
            if (!quiet && relayed is { } relay && relay.Published + relay.Pending > 0)
            {
                await environment.Out.WriteLineAsync($"{relay.Published} change events published, {relay.Pending} pending");
            }
        }

        await NotificationSetup.DeliverAsync(services, parse, environment, cancellationToken); // after the commit, through the relay
        return report;
    }

    /// <summary>
    /// After a check, the outbox relay publishes what is pending (this run's events and any a previous run left behind)
    /// when a publisher is configured; a failure leaves the events pending for the next run and is reported on stderr.
    /// Without a publisher the events stay in the outbox for the local dispatcher.
    /// </summary>
    private static async Task<RelayResult?> RelayAsync(IServiceProvider services, CliEnvironment environment, CancellationToken cancellationToken)
    {
        if (services.GetService<OutboxRelay>() is not { } relay)
        {
            return null;
        }

        var result = await relay.RelayAsync(cancellationToken);
        foreach (var failure in result.Failures)
        {
            await environment.Error.WriteLineAsync($"warning: publishing failed, the events stay pending for the next run: {failure}");
        }

        return result;
    }

    private static void Render(CheckReport report, CliEnvironment environment, bool quiet, WatchCycleLog? cycles)
    {
        var console = environment.CreateConsole(environment.Out);
        if (cycles is not null)
        {
            console.Profile.Width = WatchCycleLog.LineWidth; // a log line is never wrapped at the 80 columns of a non-terminal
        }

        if (!quiet && cycles is null)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("[bold]ComplianceWatch check[/]");
            table.AddColumn("Source");
            table.AddColumn("Kind");
            table.AddColumn("Result");
            table.AddColumn("Detail");
            foreach (var result in report.Results.OrderBy(r => r.Outcome == CheckOutcome.Unchanged).ThenBy(r => r.SourceId, StringComparer.Ordinal))
            {
                var (label, detail) = result.Outcome switch
                {
                    CheckOutcome.Changed => ($"[yellow]changed[/]", result.Events.FirstOrDefault(e => e.Type != ChangeEventTypes.HealthChanged)?.Data.Severity.ToName() ?? ""),
                    CheckOutcome.Baselined => ("[blue]baseline[/]", "first check recorded"),
                    CheckOutcome.RulesUpdated => ("[blue]rules update[/]", "new baseline, not announced"),
                    CheckOutcome.Failed => ("[red]failed[/]", $"{result.Error!.Category}: {result.Error.Message}"),
                    _ => ("[green]unchanged[/]", result.Summary ?? ""),
                };
                table.AddRow(Markup.Escape(result.SourceId), result.Kind, label, Markup.Escape(detail));
            }

            console.Write(table);
        }

        foreach (var change in report.Changes)
        {
            var colour = change.Data.Severity switch { Severity.Critical => "red", Severity.Warning => "yellow", _ => "blue" };
            console.MarkupLine($"[{colour} bold]{change.Data.Severity.ToName().ToUpperInvariant()}[/] {Markup.Escape(change.Data.Summary)}");
            if (!quiet && change.Data.Evidence is { ValueKind: JsonValueKind.Array } evidence)
            {
                foreach (var probe in evidence.EnumerateArray().Take(6))
                {
                    var who = probe.TryGetProperty("vantagePoint", out var v) ? v.GetString() : "";
                    var role = probe.TryGetProperty("role", out var r) ? $" ({r.GetString()})" : "";
                    var outcome = probe.TryGetProperty("outcome", out var o) ? o.GetString() : "";
                    console.MarkupLine($"  [grey]{Markup.Escape($"{who}{role}: {outcome}")}[/]");
                }
            }

            if (!quiet && change.Data.Diff is { } diff)
            {
                foreach (var line in diff.Removed.Take(10))
                {
                    console.MarkupLine($"  [red]- {Markup.Escape(line)}[/]");
                }

                foreach (var line in diff.Added.Take(10))
                {
                    console.MarkupLine($"  [green]+ {Markup.Escape(line)}[/]");
                }
            }
        }

        var failed = report.Errors.Count;
        var changed = report.Results.Count(r => r.Outcome == CheckOutcome.Changed);
        if (!quiet && cycles is not null)
        {
            cycles.Write(report, console, changed);
        }
        else if (!quiet)
        {
            console.MarkupLine(
            $"{report.Checked} checked: [yellow]{changed} changed[/], {report.Unchanged} unchanged, {report.Baselined} baselined, " +
            (failed > 0 ? $"[red]{failed} failed[/]" : "0 failed"));
        }
        else if (failed > 0)
        {
            var errorConsole = environment.CreateConsole(environment.Error);
            foreach (var error in report.Errors)
            {
                errorConsole.MarkupLine($"[red]{Markup.Escape(error.SourceId)}[/]: {Markup.Escape(error.Category)}: {Markup.Escape(error.Message)}");
            }
        }
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread (Progress&lt;T&gt; posts to a context the tool does not have).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        private readonly Lock gate = new();

        public void Report(T value)
        {
            lock (gate)
            {
                report(value);
            }
        }
    }
}
