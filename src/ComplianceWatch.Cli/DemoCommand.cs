using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ComplianceWatch.Api;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Demo;
using Spectre.Console;

namespace ComplianceWatch.Cli;

/// <summary>
/// <c>demo [--state DIR]</c>: an offline tour. Serves the 2024 episode (<see cref="DemoEpisode"/>) on 127.0.0.1 and
/// runs <c>check --config</c> after each step, the same pipeline as a real run (checkers, embedded store, outbox,
/// router, dispatcher, notifiers), with deliveries going to a local inbox that keeps every request as sent. The state
/// goes to a new directory (a new temp directory unless <c>--state</c> names a new or empty one), never to the user's
/// <c>.compliancewatch/</c>. Exit 0 when every check of every step succeeded, 1 otherwise, 2 on a usage error.
/// </summary>
internal static class DemoCommand
{
    /// <summary>Where the demo keeps its catalog, channels and inbox, inside the state directory.</summary>
    internal const string DemoFolder = "demo";

    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("demo", "An offline tour: replays the 2024 episode (OpenAI's regional block, China/Hong Kong geo-blocking, vendors' migration offers, 31 CFR 850, an Entity List addition) on 127.0.0.1 through the real pipeline, delivering to a local Slack/Teams/GitHub inbox. Its state goes to --state DIR (a new or empty directory) or else to a new temp directory, never to .compliancewatch/; it brings its own catalog and channels");
        command.SetAction((parse, cancellationToken) => RunAsync(parse, environment, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CliEnvironment environment, CancellationToken cancellationToken)
    {
        foreach (var option in new Option[] { CliApp.StorageOption, CliApp.ServiceBusOption, CliApp.TopicOption, CliApp.CatalogOption, NotificationSetup.ConfigOption })
        {
            if (parse.GetResult(option) is { Implicit: false })
            {
                throw new UsageException($"demo: {option.Name} is not used: the demo brings its own catalog and channels and keeps its state in a new directory (--state DIR)");
            }
        }

        var state = StateDirectory(parse);
        var folder = Path.Combine(state, DemoFolder);
        var inboxDirectory = Path.Combine(folder, "inbox");
        Directory.CreateDirectory(folder);
        var json = parse.GetValue(CliApp.JsonOption);
        var quiet = parse.GetValue(CliApp.QuietOption);
        var console = environment.CreateConsole(environment.Out);

        using var bypass = LoopbackBypassProxy.Install(); // a proxy the environment names cannot reach the demo's 127.0.0.1
        await using var world = await DemoWorld.StartAsync(inboxDirectory);
        var catalogFile = Path.Combine(folder, "catalog.json");
        var channelsFile = Path.Combine(folder, "channels.json");
        await File.WriteAllTextAsync(catalogFile, world.Catalog(DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime)), cancellationToken);
        await File.WriteAllTextAsync(channelsFile, DemoWorld.Channels(), cancellationToken);

        var settings = new Dictionary<string, string?>(environment.Settings);
        foreach (var (key, value) in world.Settings())
        {
            settings[key] = value;
        }

        if (!json && !quiet)
        {
            console.Write(new Rule("[bold]ComplianceWatch demo[/]: the 2024 episode, replayed offline").LeftJustified());
            console.MarkupLine($"Everything runs on 127.0.0.1 and is recorded in [bold]{Markup.Escape(state)}[/]. Each step changes the outside world, then runs [bold]check --config[/] (the real checkers, store, router and notifiers).");
        }

        var steps = new List<StepReport>();
        foreach (var step in DemoEpisode.Steps)
        {
            world.Apply(step.Number);
            var checks = new List<CheckSummary>();
            var changes = new List<ChangeEvent>();
            var errors = new List<CheckError>();
            for (var i = 0; i < step.Checks; i++)
            {
                var (report, warnings) = await CheckAsync(catalogFile, state, channelsFile, settings, cancellationToken);
                checks.Add(CheckSummary.Of(report, warnings));
                changes.AddRange(report.Changes);
                errors.AddRange(report.Errors);
            }

            var deliveries = await world.Inbox.CollectAsync(cancellationToken);
            var stepReport = new StepReport(step.Number, step.Title, step.Story, checks, changes, errors, deliveries.Select(Delivery.Of).ToArray());
            steps.Add(stepReport);
            if (!json && !quiet)
            {
                Render(console, stepReport);
            }
        }

        var failed = steps.Sum(s => s.Errors.Count);
        var serve = $"compliancewatch serve --state {Quote(state)} --catalog {Quote(catalogFile)}";
        var dashboard = $"http://127.0.0.1:{ServeCommand.DefaultPort}/{ApiRoutes.Prefix}/{ApiRoutes.Dashboard}";
        if (json)
        {
            var document = new DemoReport(state, catalogFile, channelsFile, inboxDirectory, steps, serve, dashboard);
            await environment.Out.WriteLineAsync(JsonSerializer.Serialize(document, JsonDefaults.Indented));
        }
        else
        {
            if (!quiet)
            {
                console.WriteLine();
                console.Write(new Rule("[bold]The episode is on the record[/]").LeftJustified());
                var total = steps.Sum(s => s.Changes.Count);
                var posted = steps.Sum(s => s.Deliveries.Count(d => d.Posts));
                console.MarkupLine($"{total} change events recorded and delivered: {posted} requests posted to the inbox, one file per request, as sent.");
            }

            // the commands are printed as plain lines, never wrapped, so that they can be copied
            await environment.Out.WriteLineAsync($"Dashboard: {serve}");
            await environment.Out.WriteLineAsync($"           then open {dashboard}");
            await environment.Out.WriteLineAsync($"History:   compliancewatch audit --state {Quote(state)}   (audit verify --state {Quote(state)} checks its chains)");
            await environment.Out.WriteLineAsync($"Inbox:     {inboxDirectory}");
            if (failed > 0)
            {
                var errorConsole = environment.CreateConsole(environment.Error);
                foreach (var (step, error) in steps.SelectMany(s => s.Errors.Select(e => (s.Step, e))).Take(quiet ? 20 : 0))
                {
                    errorConsole.MarkupLine($"[red]step {step}[/]: {Markup.Escape(error.SourceId)}: {Markup.Escape(error.Category)}: {Markup.Escape(error.Message)}");
                }

                errorConsole.MarkupLine($"[red]{failed} source error{(failed == 1 ? "" : "s")}[/]{(quiet ? "" : ": see the steps above")}; the demo's checks should all succeed, so this is a bug or something in the environment (a setting of ComplianceWatch__… or a firewall on 127.0.0.1).");
            }
        }

        return failed > 0 ? CliApp.ExitFailed : CliApp.ExitOk;
    }

    /// <summary><c>--state DIR</c> when given (it must be new or empty), else a new directory under the system's temp folder.</summary>
    private static string StateDirectory(ParseResult parse)
    {
        if (parse.GetResult(CliApp.StateOption) is not { Implicit: false })
        {
            var stamp = TimeProvider.System.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
            return Path.Combine(Path.GetTempPath(), $"compliancewatch-demo-{stamp}-{Guid.NewGuid().ToString("N")[..6]}");
        }

        var given = Path.GetFullPath(parse.GetValue(CliApp.StateOption)!);
        if (File.Exists(given))
        {
            throw new UsageException($"--state: '{given}' is a file; the demo needs a new or empty directory");
        }

        if (Directory.Exists(given) && Directory.EnumerateFileSystemEntries(given).Any())
        {
            throw new UsageException($"--state: '{given}' is not empty; the demo records a new episode, so give a new or empty directory (it never writes into existing state)");
        }

        return given;
    }

    /// <summary>One <c>check --catalog … --state … --config … --allow-private-network --json</c>, through the command's own code.</summary>
    private static async Task<(CheckReport Report, IReadOnlyList<string> Warnings)> CheckAsync(string catalog, string state, string channels, IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var inner = new CliEnvironment(stdout, stderr, settings, interactive: false);
        // loopback is allowed for this run only: the demo's catalog and channels name nothing but the demo's own servers
        var parse = CliApp.CreateRootCommand(inner).Parse(["check", "--catalog", catalog, "--state", state, "--config", channels, "--allow-private-network", "--json"]);
        var sourceCatalog = await CliApp.LoadCatalogAsync(parse, inner, cancellationToken);
        await using var services = CliApp.BuildServices(parse, inner);
        var report = await CheckCommand.RunAsync(services, sourceCatalog, SourceSelection.Select(sourceCatalog, null, null), parse, inner, cancellationToken);
        var warnings = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (report, warnings);
    }

    private static void Render(IAnsiConsole console, StepReport step)
    {
        console.WriteLine();
        console.Write(new Rule($"[bold]Step {step.Step}[/] · {Markup.Escape(step.Title)}").LeftJustified());
        console.MarkupLine($"[grey]{Markup.Escape(step.Story)}[/]");
        foreach (var (check, index) in step.Checks.Select((c, i) => (c, i + 1)))
        {
            var label = step.Checks.Count > 1 ? $"check {index} of {step.Checks.Count}" : "check";
            console.MarkupLine($"[grey]{label}: {check.Checked} sources, {check.Changed} changed, {check.Unchanged} unchanged, {check.Baselined} baselined, {check.Failed} failed[/]");
            foreach (var note in step.Checks.Count > 1 ? check.Notes : [])
            {
                console.MarkupLine($"[grey]  {Markup.Escape(note)}[/]");
            }

            foreach (var warning in check.Warnings)
            {
                console.MarkupLine($"[yellow]  {Markup.Escape(warning)}[/]");
            }
        }

        foreach (var error in step.Errors)
        {
            console.MarkupLine($"[red]failed[/] {Markup.Escape(error.SourceId)}: {Markup.Escape(error.Category)}: {Markup.Escape(error.Message)}");
        }

        if (step.Changes.Count > 0)
        {
            var events = new Table().Border(TableBorder.Rounded).Title("Change events");
            events.AddColumn("Source and type");
            events.AddColumn("Severity");
            events.AddColumn("Summary");
            foreach (var change in step.Changes)
            {
                var colour = change.Data.Severity switch { Severity.Critical => "red", Severity.Warning => "yellow", _ => "blue" };
                events.AddRow(
                    $"{Markup.Escape(change.Subject)}\n[grey]{Markup.Escape(change.Type.Replace("compliancewatch.", "", StringComparison.Ordinal))}[/]",
                    $"[{colour}]{change.Data.Severity.ToName()}[/]",
                    Markup.Escape(Cut(change.Data.Summary, 160)));
            }

            console.Write(events);
            foreach (var line in step.Changes.SelectMany(Evidence))
            {
                console.MarkupLine($"[grey]  {Markup.Escape(line)}[/]");
            }
        }
        else if (step.Errors.Count == 0)
        {
            console.MarkupLine("No change events: nothing is announced.");
        }

        // the messages, cards, issues and comments; GitHub's label set-up and reads are in the inbox's files too
        var posted = step.Deliveries.Where(d => d.Posts && !d.Path.EndsWith("/labels", StringComparison.Ordinal)).ToArray();
        if (posted.Length > 0)
        {
            var deliveries = new Table().Border(TableBorder.Rounded).Title("Deliveries (captured by the inbox)");
            deliveries.AddColumn("Channel");
            deliveries.AddColumn("Posted");
            foreach (var delivery in posted)
            {
                deliveries.AddRow(Markup.Escape(delivery.Channel), Markup.Escape(Cut(delivery.What, 120)));
            }

            console.Write(deliveries);
            var files = step.Deliveries.Select(d => Path.GetFileName(d.File)).ToArray();
            console.MarkupLine($"[grey]As sent: {Markup.Escape(files.Length == 1 ? files[0] : $"{files[0]} … {files[^1]}")} in {Markup.Escape(Path.GetDirectoryName(step.Deliveries[0].File)!)}[/]");
        }
        else if (step.Changes.Count > 0)
        {
            console.MarkupLine("No deliveries: no subscription takes these events.");
        }
    }

    /// <summary>A reachability event's evidence in a line per vantage point: what its probes and the control's got.</summary>
    private static IEnumerable<string> Evidence(ChangeEvent change)
    {
        if (change.Data.Evidence is not { ValueKind: JsonValueKind.Array } evidence)
        {
            return [];
        }

        static string Property(JsonElement e, string name) => e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
        return evidence.EnumerateArray()
            .GroupBy(e => (Vantage: Property(e, "vantagePoint"), Role: Property(e, "role"), Outcome: Property(e, "outcome")))
            .Select(g => $"evidence, {g.Key.Vantage}{(g.Key.Role.Length > 0 ? $" ({g.Key.Role})" : "")}: {g.Count()} probe{(g.Count() == 1 ? "" : "s")} {g.Key.Outcome}");
    }

    private static string Cut(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"\"{path}\"" : path;

    private sealed record DemoReport(
        [property: JsonPropertyName("state")] string State,
        [property: JsonPropertyName("catalog")] string Catalog,
        [property: JsonPropertyName("channels")] string Channels,
        [property: JsonPropertyName("inbox")] string Inbox,
        [property: JsonPropertyName("steps")] IReadOnlyList<StepReport> Steps,
        [property: JsonPropertyName("serve")] string Serve,
        [property: JsonPropertyName("dashboard")] string Dashboard);

    private sealed record StepReport(
        [property: JsonPropertyName("step")] int Step,
        [property: JsonPropertyName("title")] string Title,
        [property: JsonPropertyName("story")] string Story,
        [property: JsonPropertyName("checks")] IReadOnlyList<CheckSummary> Checks,
        [property: JsonPropertyName("changes")] IReadOnlyList<ChangeEvent> Changes,
        [property: JsonPropertyName("errors")] IReadOnlyList<CheckError> Errors,
        [property: JsonPropertyName("deliveries")] IReadOnlyList<Delivery> Deliveries);

    private sealed record CheckSummary(
        [property: JsonPropertyName("checked")] int Checked,
        [property: JsonPropertyName("changed")] int Changed,
        [property: JsonPropertyName("unchanged")] int Unchanged,
        [property: JsonPropertyName("baselined")] int Baselined,
        [property: JsonPropertyName("failed")] int Failed,
        [property: JsonPropertyName("notes")] IReadOnlyList<string> Notes,
        [property: JsonPropertyName("warnings")] IReadOnlyList<string> Warnings)
    {
        /// <summary>The counts, and what the reachability source said while a transition was being confirmed.</summary>
        public static CheckSummary Of(CheckReport report, IReadOnlyList<string> warnings) => new(
            report.Checked,
            report.Results.Count(r => r.Outcome == CheckOutcome.Changed),
            report.Unchanged,
            report.Baselined,
            report.Errors.Count,
            report.Results.Where(r => r.Kind == Core.Catalog.SourceKinds.Reachability && r.Summary is { Length: > 0 }).Select(r => $"{r.SourceId}: {r.Summary}").ToArray(),
            warnings);
    }

    private sealed record Delivery(
        [property: JsonPropertyName("channel")] string Channel,
        [property: JsonPropertyName("method")] string Method,
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("status")] int Status,
        [property: JsonPropertyName("posted")] string What,
        [property: JsonPropertyName("file")] string File)
    {
        [JsonIgnore] public bool Posts => Method is "POST" or "PATCH";

        public static Delivery Of(InboxDelivery d) => new(d.Channel, d.Method, d.Path, d.Status, d.What, d.File);
    }
}
