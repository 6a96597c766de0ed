using System.CommandLine;
using System.CommandLine.Parsing;
using ComplianceWatch.Browser;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Cli;

/// <summary>The <c>compliancewatch</c> command tree (see ARCHITECTURE.md, "The command line").</summary>
public static class CliApp
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;

    internal static readonly Option<string> CatalogOption = new("--catalog")
    {
        Description = "The catalog of sources to watch",
        DefaultValueFactory = _ => Path.Combine("catalog", "default.json"),
        Recursive = true,
    };

    internal static readonly Option<string> StateOption = new("--state")
    {
        Description = "Directory of the embedded store",
        DefaultValueFactory = _ => ".compliancewatch",
        Recursive = true,
    };

    internal static readonly Option<string> StorageOption = new("--storage")
    {
        Description = "Azure Table Storage instead of the embedded store: a connection string (Azurite's included) or the table endpoint URI (signs in with DefaultAzureCredential)",
        Recursive = true,
    };

    internal static readonly Option<string> ServiceBusOption = new("--service-bus")
    {
        Description = "Publish change events on Azure Service Bus: a connection string or the namespace (signs in with DefaultAzureCredential)",
        Recursive = true,
    };

    internal static readonly Option<string> TopicOption = new("--topic")
    {
        Description = $"The Service Bus topic (default '{DefaultTopic}')",
        Recursive = true,
    };

    /// <summary>The Service Bus topic when neither <c>--topic</c> nor the setting names one.</summary>
    public const string DefaultTopic = "changes";

    internal static readonly Option<bool> AllowPrivateOption = new("--allow-private-network")
    {
        Description = "Allow fetching loopback and private addresses (link-local and metadata addresses stay refused)",
        Recursive = true,
    };

    internal static readonly Option<bool> JsonOption = new("--json") { Description = "Machine-readable output: one JSON document on stdout", Recursive = true };

    internal static readonly Option<bool> QuietOption = new("--quiet") { Description = "Print only errors (and the exit code tells the rest)", Recursive = true };

    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var root = CreateRootCommand(environment);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await environment.Error.WriteLineAsync($"compliancewatch: {error.Message}");
            }

            await environment.Error.WriteLineAsync("Run 'compliancewatch --help' for usage.");
            return ExitUsage;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = environment.Out, Error = environment.Error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (CatalogException ex)
        {
            foreach (var error in ex.Errors)
            {
                await environment.Error.WriteLineAsync($"error: {error}");
            }

            await environment.Error.WriteLineAsync($"The catalog was refused as a whole ({ex.Errors.Count} problem{(ex.Errors.Count == 1 ? "" : "s")}); nothing was fetched or written.");
            return ExitUsage;
        }
        catch (NotificationConfigException ex)
        {
            foreach (var error in ex.Errors)
            {
                await environment.Error.WriteLineAsync($"error: {error}");
            }

            await environment.Error.WriteLineAsync("The channels file was refused; nothing was checked, sent or written.");
            return ExitUsage;
        }
        catch (UsageException ex)
        {
            await environment.Error.WriteLineAsync($"error: {ex.Message}");
            return ExitUsage;
        }
        catch (OptionsValidationException ex)
        {
            await environment.Error.WriteLineAsync($"error: invalid setting: {string.Join("; ", ex.Failures)}");
            return ExitUsage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await environment.Error.WriteLineAsync("Stopped.");
            return 130;
        }
    }

    /// <summary>The whole command tree (the documentation tests parse every command line of the docs against it).</summary>
    internal static RootCommand CreateRootCommand(CliEnvironment environment)
    {
        var root = new RootCommand("ComplianceWatch: watch AI providers' terms, endpoint reachability and US export-control announcements.");
        root.Options.Add(CatalogOption);
        root.Options.Add(StateOption);
        root.Options.Add(StorageOption);
        root.Options.Add(ServiceBusOption);
        root.Options.Add(TopicOption);
        root.Options.Add(AllowPrivateOption);
        root.Options.Add(JsonOption);
        root.Options.Add(QuietOption);
        root.Options.Add(NotificationSetup.ConfigOption);
        root.Subcommands.Add(CheckCommand.Create(environment));
        root.Subcommands.Add(WatchCommand.Create(environment));
        root.Subcommands.Add(SourcesCommand.Create(environment));
        root.Subcommands.Add(AuditCommand.Create(environment));
        root.Subcommands.Add(NotifyCommand.Create(environment));
        root.Subcommands.Add(ServeCommand.Create(environment));
        root.Subcommands.Add(DemoCommand.Create(environment));
        return root;
    }

    /// <summary>The services one command runs with: settings from the environment (section <c>ComplianceWatch</c>), layered with the command line.</summary>
    /// <remarks><paramref name="extra"/> adds a command's own services; <paramref name="defaults"/> are settings the environment may override.</remarks>
    internal static ServiceProvider BuildServices(ParseResult parse, CliEnvironment environment, Action<IServiceCollection>? extra = null, IReadOnlyDictionary<string, string?>? defaults = null)
    {
        // No ValidateOnBuild/ValidateScopes here: walking every registration's constructor costs a sixth of the tool's
        // start (docs/benchmark.md). ServiceRegistrationTests build each command's services with both, so a
        // misregistration still fails a test; a bad setting or channels file still stops the tool here, naming it.
        var provider = ConfigureServices(parse, environment, extra, defaults).BuildServiceProvider();
        _ = provider.GetRequiredService<IOptions<ComplianceWatchOptions>>().Value; // a bad setting stops here, naming it
        NotificationSetup.Validate(provider);
        return provider;
    }

    /// <summary>The registrations of <see cref="BuildServices"/> (the tests build them with validation on).</summary>
    internal static ServiceCollection ConfigureServices(ParseResult parse, CliEnvironment environment, Action<IServiceCollection>? extra = null, IReadOnlyDictionary<string, string?>? defaults = null)
    {
        var overrides = new Dictionary<string, string?>(environment.Settings);
        if (parse.GetValue(AllowPrivateOption))
        {
            overrides[$"{ComplianceWatchOptions.SectionName}:AllowPrivateNetwork"] = "true";
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(defaults ?? new Dictionary<string, string?>()).AddEnvironmentVariables().AddInMemoryCollection(overrides).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(logging =>
        {
            logging.AddConfiguration(configuration.GetSection("Logging"));
            logging.SetMinimumLevel(LogLevel.None);
            logging.AddSimpleConsole(o => o.SingleLine = true);
            logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
        services.AddComplianceWatchCore();
        services.AddComplianceWatchHttp();
        services.AddComplianceWatchBrowser(); // Playwright is loaded only when a source renders
        AddStore(services, parse, configuration);
        AddPublishing(services, parse, configuration);
        NotificationSetup.Register(services, parse, configuration, parse.GetValue(StateOption)!);
        extra?.Invoke(services);
        return services;
    }

    /// <summary>
    /// The store: <c>--storage</c> (or the setting <c>ComplianceWatch:Storage:ConnectionString</c>, unless <c>--state</c>
    /// is given) selects Azure Table Storage; otherwise the embedded store in <c>--state</c>.
    /// </summary>
    private static void AddStore(IServiceCollection services, ParseResult parse, IConfiguration configuration)
    {
        var stateGiven = parse.GetResult(StateOption) is { Implicit: false };
        var storage = parse.GetValue(StorageOption);
        if (storage is not null && stateGiven)
        {
            throw new UsageException("--state and --storage are mutually exclusive: use the embedded store in a directory or Azure Table Storage, not both");
        }

        storage ??= stateGiven ? null : configuration[$"{ComplianceWatchOptions.SectionName}:Storage:ConnectionString"];
        if (string.IsNullOrWhiteSpace(storage))
        {
            services.AddEmbeddedStateStore(parse.GetValue(StateOption)!); // touches the disk only on the first commit
            return;
        }

        var table = configuration[$"{ComplianceWatchOptions.SectionName}:Storage:TableName"];
        try
        {
            services.AddTableStateStore(storage, table);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            // the connection string holds a secret: name the option, never echo its value
            throw new UsageException($"--storage (or ComplianceWatch:Storage:ConnectionString): not a storage connection string or table endpoint URI ({ex.GetType().Name})");
        }
    }

    /// <summary>
    /// Publishing: with <c>--service-bus</c> (or <c>ComplianceWatch:ServiceBus:ConnectionString</c>) the outbox relay
    /// publishes each check's change events on the topic; without it they stay in the outbox for the local dispatcher.
    /// </summary>
    private static void AddPublishing(IServiceCollection services, ParseResult parse, IConfiguration configuration)
    {
        var connection = parse.GetValue(ServiceBusOption) ?? configuration[$"{ComplianceWatchOptions.SectionName}:ServiceBus:ConnectionString"];
        var topic = parse.GetValue(TopicOption) ?? configuration[$"{ComplianceWatchOptions.SectionName}:ServiceBus:Topic"];
        if (string.IsNullOrWhiteSpace(connection))
        {
            if (parse.GetValue(TopicOption) is not null)
            {
                throw new UsageException("--topic needs --service-bus (or the setting ComplianceWatch:ServiceBus:ConnectionString)");
            }

            return;
        }

        try
        {
            services.AddServiceBusEventPublisher(connection, string.IsNullOrWhiteSpace(topic) ? DefaultTopic : topic);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new UsageException($"--service-bus (or ComplianceWatch:ServiceBus:ConnectionString): not a Service Bus connection string or namespace ({ex.GetType().Name})");
        }
    }

    internal static Task<SourceCatalog> LoadCatalogAsync(ParseResult parse, CliEnvironment environment, CancellationToken cancellationToken) =>
        CatalogLoader.LoadFileAsync(parse.GetValue(CatalogOption)!, environment.CatalogCache, cancellationToken);

    /// <summary>Parses a date or date-time; a bare date means midnight UTC.</summary>
    internal static DateTimeOffset? ParseDate(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : throw new UsageException($"{option}: '{text}' is not a date (use YYYY-MM-DD or an ISO 8601 date-time)");
    }

    internal static IStateStore Store(IServiceProvider services) => services.GetRequiredService<IStateStore>();
}
