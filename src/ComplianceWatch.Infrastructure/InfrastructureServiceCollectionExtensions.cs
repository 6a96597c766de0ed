using System.Net;
using Azure.Data.Tables;
using Azure.Messaging.ServiceBus;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Audits;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Scheduling;
using ComplianceWatch.Core.Reachability;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Core.Terms;
using ComplianceWatch.Infrastructure.Embedded;
using ComplianceWatch.Infrastructure.Http;
using ComplianceWatch.Infrastructure.Queues;
using Microsoft.Extensions.Configuration;
using ComplianceWatch.Infrastructure.Reachability;
using ComplianceWatch.Infrastructure.ServiceBus;
using ComplianceWatch.Infrastructure.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace ComplianceWatch.Infrastructure;

public static class InfrastructureServiceCollectionExtensions
{
    /// <summary>Core pipeline services: options (section <c>ComplianceWatch</c>, validated at start), checkers and the runner.</summary>
    public static IServiceCollection AddComplianceWatchCore(this IServiceCollection services)
    {
        services.AddOptions<ComplianceWatchOptions>()
            .BindConfiguration(ComplianceWatchOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.AttemptTimeout > TimeSpan.Zero && o.TotalTimeout >= o.AttemptTimeout,
                "ComplianceWatch:AttemptTimeout must be positive and ComplianceWatch:TotalTimeout at least as long")
            .Validate(o => o.Globalping.PollInterval >= GlobalpingProbe.MinimumPollInterval,
                "ComplianceWatch:Globalping:PollInterval must be at least 00:00:00.5 (Globalping asks for no faster polling)")
            .Validate(o => o.Globalping.MinProbes <= o.Globalping.Probes,
                "ComplianceWatch:Globalping:MinProbes must not exceed ComplianceWatch:Globalping:Probes")
            .Validate(o => o.Globalping.MeasurementTimeout > TimeSpan.Zero,
                "ComplianceWatch:Globalping:MeasurementTimeout must be positive")
            .Validate(o => Uri.TryCreate(o.Globalping.Endpoint, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "ComplianceWatch:Globalping:Endpoint must be an http:// or https:// URL")
            .Validate(o => o.Proxies.Values.All(v => Uri.TryCreate(v, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"),
                "every ComplianceWatch:Proxies:NAME must be an http:// or https:// proxy URL")
            .Validate(o => o.Browser.MaxPages is >= 1 and <= 32,
                "ComplianceWatch:Browser:MaxPages must be between 1 and 32")
            .Validate(o => o.Browser.Timeout > TimeSpan.Zero && o.Browser.LaunchTimeout > TimeSpan.Zero,
                "ComplianceWatch:Browser:Timeout and ComplianceWatch:Browser:LaunchTimeout must be positive")
            .Validate(o => string.IsNullOrWhiteSpace(o.Browser.Endpoint) || (Uri.TryCreate(o.Browser.Endpoint, UriKind.Absolute, out var u) && u.Scheme is "ws" or "wss" or "http" or "https"),
                "ComplianceWatch:Browser:Endpoint must be a ws:// or wss:// Playwright server or an http:// or https:// Chromium DevTools endpoint")
            .Validate(o => !IsUnresolvedKeyVaultReference(o.Globalping.Token) && !o.Proxies.Values.Any(IsUnresolvedKeyVaultReference),
                "a secret setting (ComplianceWatch:Globalping:Token or ComplianceWatch:Proxies:NAME) holds an unresolved Key Vault reference")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ISourceChecker, TermsChecker>();
        services.AddSingleton<ISourceChecker, ReachabilityChecker>();
        services.AddComplianceWatchRegulatory();
        // the checkers (their HTTP clients, resilience pipelines, probes) and logging are built by the first check, not at start
        services.AddSingleton(sp => new CheckRunner(
            () => sp.GetServices<ISourceChecker>(),
            sp.GetRequiredService<IOptions<ComplianceWatchOptions>>(),
            () => sp.GetRequiredService<ILogger<CheckRunner>>(),
            () => sp.GetServices<IRunResource>()));
        services.AddSingleton<SourceHealthRecorder>();
        return services;
    }

    /// <summary>The HTTP fetcher: typed client with the SSRF guard, decompression, per-host connection cap and a GET-only resilience pipeline.</summary>
    public static IServiceCollection AddComplianceWatchHttp(this IServiceCollection services)
    {
        // render requests go to the browser when one is registered (AddComplianceWatchBrowser), every other one to HTTP
        services.AddTransient<IContentFetcher>(sp => new RenderingContentFetcher(sp.GetRequiredService<HttpContentFetcher>(), sp.GetService<IPageRenderer>()));
        services.AddHttpClient<HttpContentFetcher>(HttpContentFetcher.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            // no logging scope and start/end messages per request (a check makes thousands; its results are logged by CheckRunner)
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptionsMonitor<ComplianceWatchOptions>>();
                return new SocketsHttpHandler
                {
                    ConnectCallback = GuardedConnector.Create(() => options.CurrentValue.AllowPrivateNetwork),
                    AutomaticDecompression = DecompressionMethods.All,
                    AllowAutoRedirect = true,
                    MaxAutomaticRedirections = 10,
                    MaxConnectionsPerServer = options.CurrentValue.MaxConnectionsPerHost,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                    ConnectTimeout = options.CurrentValue.AttemptTimeout,
                    UseProxy = true,
                };
            })
            .AddResilienceHandler("fetch", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<ComplianceWatchOptions>>().Value;
                pipeline.AddTimeout(options.TotalTimeout);
                if (options.MaxRetries > 0)
                {
                    var retry = new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = options.MaxRetries,
                        Delay = options.RetryDelay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        ShouldRetryAfterHeader = true,
                    };
                    var transient = retry.ShouldHandle;
                    retry.ShouldHandle = args =>
                        HttpContentFetcher.IsPermanent(args.Outcome.Exception)
                            ? ValueTask.FromResult(false)
                            : transient(args);
                    retry.DisableForUnsafeHttpMethods(); // never re-send a request that posts
                    pipeline.AddRetry(retry);
                }

                pipeline.AddTimeout(options.AttemptTimeout);
            });
        services.AddComplianceWatchProbes();
        services.AddStreamingFetcher();
        return services;
    }

    /// <summary>
    /// Scheduled checks with fan-out, check jobs and on-demand audits (options section <c>ComplianceWatch:FanOut</c>,
    /// validated at start). Needs an <see cref="ICatalogProvider"/>, an <see cref="ICheckJobSender"/> and an <see cref="IAuditRunStore"/>.
    /// </summary>
    public static IServiceCollection AddComplianceWatchFanOut(this IServiceCollection services)
    {
        services.AddOptions<FanOutOptions>()
            .BindConfiguration(FanOutOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ScheduledChecks>();
        services.AddSingleton<AuditService>();
        return services;
    }

    /// <summary>Check jobs on the Storage queue <paramref name="queueName"/> of the storage connection <paramref name="connectionName"/> (Functions conventions).</summary>
    public static IServiceCollection AddStorageQueueCheckJobs(this IServiceCollection services, string connectionName, Func<IServiceProvider, string> queueName) =>
        services.AddSingleton<ICheckJobSender>(sp => new StorageQueueCheckJobSender(
            StorageConnection.CreateQueueServiceClient(sp.GetRequiredService<IConfiguration>(), connectionName, StorageQueueCheckJobSender.ClientOptions())
                .GetQueueClient(queueName(sp))));

    /// <summary>
    /// The Azure adapters of a long-running host, from its settings:
    /// <list type="bullet">
    /// <item>state and audit runs: the embedded store when <c>ComplianceWatch:StateDirectory</c> is set (a local run
    /// without Azure), else Azure Table Storage at <c>ComplianceWatch:Storage:TableEndpoint</c> (managed identity) or
    /// <c>ComplianceWatch:Storage:ConnectionString</c> (Azurite), table <c>ComplianceWatch:Storage:TableName</c>;</item>
    /// <item>the delivery ledger of alerting: beside the state (the embedded files, or the table
    /// <c>{TableName}deliveries</c>);</item>
    /// <item>publishing: Service Bus at <c>ServiceBusConnection</c> (a connection string) or
    /// <c>ServiceBusConnection:fullyQualifiedNamespace</c> (managed identity), topic <c>ComplianceWatch:ServiceBus:Topic</c>
    /// (default <c>changes</c>), with the outbox relay.</item>
    /// </list>
    /// Nothing is contacted until first use; a host validates that the settings it needs are present (see <see cref="AzureSettings"/>).
    /// </summary>
    public static IServiceCollection AddComplianceWatchAzure(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = AzureSettings.From(configuration);
        if (settings.StateDirectory is { } directory)
        {
            services.AddEmbeddedStateStore(directory);
            services.AddEmbeddedAuditRunStore(directory);
            services.TryAddSingleton<IDeliveryLedger>(new EmbeddedDeliveryLedger(directory));
        }
        else if (settings.TableConnection is { } tables)
        {
            services.AddTableStateStore(tables, settings.TableName);
            var audits = TableStateStore.CreateClient(tables, settings.TableName + "audits");
            services.AddSingleton<IAuditRunStore>(new TableAuditRunStore(audits));
            services.TryAddSingleton<IDeliveryLedger>(new TableDeliveryLedger(TableStateStore.CreateClient(tables, settings.DeliveriesTableName)));
        }

        if (settings.ServiceBusConnection is { } serviceBus)
        {
            services.AddServiceBusEventPublisher(serviceBus, settings.Topic);
        }

        return services;
    }

    /// <summary>Audit runs kept in the embedded store's directory.</summary>
    public static IServiceCollection AddEmbeddedAuditRunStore(this IServiceCollection services, string directory) =>
        services.AddSingleton<IAuditRunStore>(new EmbeddedAuditRunStore(directory));

    /// <summary>
    /// The reachability probes: <c>local</c> (this host, SSRF guard applied), <c>proxy:NAME</c> (HTTP CONNECT proxies from
    /// settings) and <c>globalping:CC</c> (the Globalping API, with its hourly budget).
    /// </summary>
    public static IServiceCollection AddComplianceWatchProbes(this IServiceCollection services)
    {
        services.AddSingleton<HttpProbeRunner>();
        services.AddSingleton<IProbe, LocalProbe>();
        services.AddSingleton<IProbe, ProxyProbe>();
        services.AddSingleton<GlobalpingBudget>();
        services.AddSingleton<IProbe, GlobalpingProbe>();
        services.AddHttpClient(GlobalpingProbe.ClientName, (sp, client) =>
            {
                client.Timeout = sp.GetRequiredService<IOptions<ComplianceWatchOptions>>().Value.AttemptTimeout;
                client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", sp.GetRequiredService<IOptions<ComplianceWatchOptions>>().Value.UserAgent);
            })
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptionsMonitor<ComplianceWatchOptions>>();
                return new SocketsHttpHandler
                {
                    ConnectCallback = GuardedConnector.Create(() => options.CurrentValue.AllowPrivateNetwork),
                    AutomaticDecompression = DecompressionMethods.All,
                    AllowAutoRedirect = false, // the token must never follow a redirect elsewhere
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                    ConnectTimeout = options.CurrentValue.AttemptTimeout,
                    UseProxy = true,
                };
            });
        return services;
    }

    private static bool IsUnresolvedKeyVaultReference(string? value) =>
        value is not null && value.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase);

    /// <summary>The embedded file store in <paramref name="directory"/>.</summary>
    public static IServiceCollection AddEmbeddedStateStore(this IServiceCollection services, string directory) =>
        services.AddSingleton<IStateStore>(new EmbeddedStateStore(directory));

    /// <summary>
    /// The Azure Table Storage store: <paramref name="connection"/> is a connection string (Azurite's included) or the
    /// table endpoint URI, which authenticates with <c>DefaultAzureCredential</c>. Nothing is contacted until first use.
    /// </summary>
    public static IServiceCollection AddTableStateStore(this IServiceCollection services, string connection, string? tableName = null, TableClientOptions? options = null)
    {
        var client = TableStateStore.CreateClient(connection, tableName, options); // a malformed connection string fails here
        return services.AddTableStateStore(client);
    }

    /// <summary>
    /// Publishing to the Service Bus topic <paramref name="topic"/> (<paramref name="connection"/>: a connection string,
    /// or the namespace, with <c>DefaultAzureCredential</c>), and the outbox relay that drives it.
    /// </summary>
    public static IServiceCollection AddServiceBusEventPublisher(this IServiceCollection services, string connection, string topic, ServiceBusClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        var client = ServiceBusEventPublisher.CreateClient(connection, options); // a malformed connection string fails here
        services.AddSingleton(client);
        services.AddSingleton(sp => sp.GetRequiredService<ServiceBusClient>().CreateSender(topic));
        services.AddSingleton<IEventPublisher, ServiceBusEventPublisher>();
        return services.AddOutboxRelay();
    }

    /// <summary>
    /// Draining the dispatcher's subscription <paramref name="subscription"/> of <paramref name="topic"/> into the delivery
    /// ledger (<see cref="ServiceBusDispatchDrain"/>, options <c>ComplianceWatch:Dispatcher</c>): a peek-lock receiver
    /// without prefetch (a prefetched message's lock would run out while an earlier one is recorded) on the client of
    /// <paramref name="connection"/> (shared with the publisher when both are registered). Needs the notifications
    /// (<see cref="NotificationServiceCollectionExtensions.AddComplianceWatchNotifications(IServiceCollection, NotificationConfig)"/>) and a ledger.
    /// </summary>
    public static IServiceCollection AddServiceBusDispatchDrain(this IServiceCollection services, string connection, string topic, string subscription, ServiceBusClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentException.ThrowIfNullOrWhiteSpace(subscription);
        services.AddOptions<DispatchDrainOptions>()
            .BindConfiguration(DispatchDrainOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.ReceiveWait > TimeSpan.Zero && o.ReceiveWait <= TimeSpan.FromMinutes(1), "ComplianceWatch:Dispatcher:ReceiveWait must be positive and at most a minute")
            .ValidateOnStart();
        var client = ServiceBusEventPublisher.CreateClient(connection, options); // a malformed connection string fails here
        services.TryAddSingleton(client);
        services.TryAddSingleton(sp => sp.GetRequiredService<ServiceBusClient>().CreateReceiver(topic, subscription,
            new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.PeekLock, PrefetchCount = 0 }));
        services.TryAddSingleton<ServiceBusDispatchDrain>();
        return services;
    }

    /// <summary>The relay from the store's outbox to whichever <see cref="IEventPublisher"/> is registered.</summary>
    public static IServiceCollection AddOutboxRelay(this IServiceCollection services)
    {
        services.TryAddSingleton<OutboxRelay>();
        return services;
    }

    public static IServiceCollection AddTableStateStore(this IServiceCollection services, TableClient client) =>
        services.AddSingleton<IStateStore>(sp => new TableStateStore(client, sp.GetService<ILogger<TableStateStore>>()));
}
