using System.Net;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Core.Terms;
using ComplianceWatch.Infrastructure.Embedded;
using ComplianceWatch.Infrastructure.Http;
using Microsoft.Extensions.DependencyInjection;
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
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ISourceChecker, TermsChecker>();
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
        services.AddStreamingFetcher();
        return services;
    }

    /// <summary>The embedded file store in <paramref name="directory"/>.</summary>
    public static IServiceCollection AddEmbeddedStateStore(this IServiceCollection services, string directory) =>
        services.AddSingleton<IStateStore>(new EmbeddedStateStore(directory));
}
