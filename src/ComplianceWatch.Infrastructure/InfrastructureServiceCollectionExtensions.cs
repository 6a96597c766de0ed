using System.Net;
using Azure.Data.Tables;
using Azure.Messaging.ServiceBus;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Reachability;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Core.Terms;
using ComplianceWatch.Infrastructure.Embedded;
using ComplianceWatch.Infrastructure.Http;
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
            .Validate(o => !IsUnresolvedKeyVaultReference(o.Globalping.Token) && !o.Proxies.Values.Any(IsUnresolvedKeyVaultReference),
                "a secret setting (ComplianceWatch:Globalping:Token or ComplianceWatch:Proxies:NAME) holds an unresolved Key Vault reference")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ISourceChecker, TermsChecker>();
        services.AddSingleton<ISourceChecker, ReachabilityChecker>();
        services.AddComplianceWatchRegulatory();
        services.AddSingleton<CheckRunner>();
        return services;
    }

    /// <summary>The HTTP fetcher: typed client with the SSRF guard, decompression, per-host connection cap and a GET-only resilience pipeline.</summary>
    public static IServiceCollection AddComplianceWatchHttp(this IServiceCollection services)
    {
        services.AddHttpClient<IContentFetcher, HttpContentFetcher>(HttpContentFetcher.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
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

    /// <summary>The relay from the store's outbox to whichever <see cref="IEventPublisher"/> is registered.</summary>
    public static IServiceCollection AddOutboxRelay(this IServiceCollection services)
    {
        services.TryAddSingleton<OutboxRelay>();
        return services;
    }

    public static IServiceCollection AddTableStateStore(this IServiceCollection services, TableClient client) =>
        services.AddSingleton<IStateStore>(sp => new TableStateStore(client, sp.GetService<ILogger<TableStateStore>>()));
}
