using System.CommandLine;
using System.Text.Json;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Extraction;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Reachability;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace ComplianceWatch.Cli;

/// <summary><c>sources validate | list | test ID</c>.</summary>
internal static class SourcesCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("sources", "Validate, list and try the catalog's sources");

        var validate = new Command("validate", "Validate the catalog without fetching anything");
        validate.SetAction(async (parse, cancellationToken) =>
        {
            var catalog = await CliApp.LoadCatalogAsync(parse, environment, cancellationToken);
            if (parse.GetValue(CliApp.JsonOption))
            {
                await environment.Out.WriteLineAsync(JsonSerializer.Serialize(new { valid = true, file = catalog.File, sources = catalog.Sources.Count }, JsonDefaults.Indented));
            }
            else if (!parse.GetValue(CliApp.QuietOption))
            {
                var byKind = string.Join(", ", catalog.Sources.GroupBy(s => s.Kind).Select(g => $"{g.Count()} {g.Key}"));
                environment.CreateConsole(environment.Out).MarkupLine($"[green]✓[/] {Markup.Escape(catalog.File)} is valid: {catalog.Sources.Count} sources ({Markup.Escape(byKind)})");
            }

            return CliApp.ExitOk;
        });

        var list = new Command("list", "List the sources with their health");
        list.SetAction(async (parse, cancellationToken) =>
        {
            var catalog = await CliApp.LoadCatalogAsync(parse, environment, cancellationToken);
            await using var services = CliApp.BuildServices(parse, environment);
            var states = (await CliApp.Store(services).ListAsync(cancellationToken)).ToDictionary(s => s.SourceId, StringComparer.Ordinal);
            var rows = catalog.Sources.Select(s =>
            {
                states.TryGetValue(s.Id, out var state);
                return new
                {
                    id = s.Id, kind = s.Kind, provider = s.Provider, title = s.Title, url = s.PrimaryUrl,
                    lastSuccess = state?.Health.LastSuccessAt, version = state?.Snapshot?.Version,
                    consecutiveFailures = state?.Health.ConsecutiveFailures ?? 0,
                    lastError = state?.Health.ConsecutiveFailures > 0 ? $"{state.Health.LastErrorCategory}: {state.Health.LastErrorMessage}" : null,
                    tracked = state is not null && !state.Health.Degraded && state.Snapshot is not null,
                };
            }).ToArray();
            if (parse.GetValue(CliApp.JsonOption))
            {
                await environment.Out.WriteLineAsync(JsonSerializer.Serialize(rows, JsonDefaults.Indented));
                return CliApp.ExitOk;
            }

            var table = new Table().Border(TableBorder.Rounded);
            foreach (var column in new[] { "Source", "Kind", "Provider", "Last success", "Failures", "Health" })
            {
                table.AddColumn(column);
            }

            foreach (var row in rows)
            {
                var health = row.consecutiveFailures > 0 ? $"[red]{Markup.Escape(row.lastError ?? "")}[/]"
                    : row.version is null ? "[grey]never checked[/]" : "[green]ok[/]";
                table.AddRow(Markup.Escape(row.id), row.kind, Markup.Escape(row.provider ?? ""), row.lastSuccess?.ToString("u") ?? "–", row.consecutiveFailures.ToString(System.Globalization.CultureInfo.InvariantCulture), health);
            }

            environment.CreateConsole(environment.Out).Write(table);
            return CliApp.ExitOk;
        });

        var idArgument = new Argument<string>("id") { Description = "The source id" };
        var test = new Command("test", "Fetch one source and print its extracted text and hash, without recording anything");
        test.Arguments.Add(idArgument);
        test.SetAction(async (parse, cancellationToken) =>
        {
            var catalog = await CliApp.LoadCatalogAsync(parse, environment, cancellationToken);
            var source = SourceSelection.Select(catalog, [parse.GetValue(idArgument)!], null)[0];
            if (source is ReachabilitySource reach)
            {
                await using var probeServices = CliApp.BuildServices(parse, environment);
                return await TestReachabilityAsync(probeServices, reach, parse, environment, cancellationToken);
            }

            if (source is not TermsSource terms)
            {
                throw new UsageException($"sources test: source '{source.Id}' is of kind '{source.Kind}'; only terms and reachability sources can be tried in this version");
            }

            await using var services = CliApp.BuildServices(parse, environment);
            var fetched = await services.GetRequiredService<IContentFetcher>().FetchAsync(new FetchRequest(new Uri(terms.Url), Render: terms.Render, WaitFor: terms.RenderWaitFor), cancellationToken);
            string? category = fetched.ErrorCategory;
            string? message = fetched.ErrorMessage;
            ExtractedContent? content = null;
            if (!fetched.IsError)
            {
                try
                {
                    var rules = ExtractionRules.From(terms);
                    content = fetched.MediaType is "text/plain" or "text/markdown"
                        ? PlainTextExtractor.Extract(fetched.Text ?? "", rules)
                        : HtmlExtractor.Extract(fetched.Text ?? "", rules);
                }
                catch (ExtractionException ex)
                {
                    (category, message) = (ex.Category, ex.Message);
                }
            }

            if (parse.GetValue(CliApp.JsonOption))
            {
                await environment.Out.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    sourceId = source.Id, url = terms.Url, status = fetched.StatusCode, bytes = fetched.BytesRead,
                    hash = content?.Hash, content = content?.Content,
                    error = category is null ? null : new { sourceId = source.Id, category, message },
                }, JsonDefaults.Indented));
            }
            else if (content is not null)
            {
                await environment.Out.WriteLineAsync(content.Content);
                await environment.Error.WriteLineAsync($"{source.Id}: HTTP {fetched.StatusCode}, {fetched.BytesRead:N0} bytes, {content.EntryCount} {(terms.Extract == ExtractMode.List ? "entries" : "lines")}, sha256 {content.Hash}");
            }
            else
            {
                await environment.Error.WriteLineAsync($"{source.Id}: {category}: {message}");
            }

            return category is null ? CliApp.ExitOk : CliApp.ExitFailed;
        });

        command.Subcommands.Add(validate);
        command.Subcommands.Add(list);
        command.Subcommands.Add(test);
        return command;
    }

    /// <summary>Probes a reachability source from every vantage point and prints the verdicts and evidence, recording nothing.</summary>
    private static async Task<int> TestReachabilityAsync(IServiceProvider services, ReachabilitySource source, ParseResult parse, CliEnvironment environment, CancellationToken cancellationToken)
    {
        var checker = services.GetServices<ISourceChecker>().OfType<ReachabilityChecker>().Single();
        var observation = await checker.ObserveAsync(source, cancellationToken);
        var unknown = observation.Verdicts.Any(v => v.Verdict == Verdict.Unknown);
        if (parse.GetValue(CliApp.JsonOption))
        {
            await environment.Out.WriteLineAsync(JsonSerializer.Serialize(new
            {
                sourceId = source.Id, url = source.Url,
                verdicts = observation.Verdicts.Select(v => new { vantagePoint = v.VantagePoint, verdict = v.Verdict.ToName(), reason = v.Reason, evidence = v.Evidence }),
                control = observation.Control is { } c ? new { vantagePoint = c.VantagePoint, verdict = c.Verdict.ToName(), reason = c.Reason } : null,
            }, JsonDefaults.Indented));
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(source.Id)}[/] {Markup.Escape(source.Url)}");
            foreach (var column in new[] { "Vantage point", "Verdict", "Reason" })
            {
                table.AddColumn(column);
            }

            foreach (var v in observation.Verdicts)
            {
                table.AddRow(Markup.Escape(v.VantagePoint), Markup.Escape(v.Verdict.ToName()), Markup.Escape(v.Reason));
            }

            environment.CreateConsole(environment.Out).Write(table);
        }

        return unknown ? CliApp.ExitFailed : CliApp.ExitOk;
    }
}
