using System.Net;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Infrastructure.Embedded;
using ComplianceWatch.Infrastructure.Http;
using ComplianceWatch.Infrastructure.Notifications;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Infrastructure;

public static class NotificationServiceCollectionExtensions
{
    /// <summary>
    /// Delivery to the channels of <paramref name="config"/>: options (<c>ComplianceWatch:Notifications</c>), the Slack,
    /// Teams and GitHub notifiers (their HTTP behind the same SSRF guard as fetching, never retried: a retry is the
    /// dispatcher's decision after the ledger), the dispatcher, and the dispatcher as the <see cref="IEventPublisher"/>
    /// of the outbox relay. A ledger must be registered too (<see cref="AddEmbeddedDeliveryLedger"/>).
    /// </summary>
    public static IServiceCollection AddComplianceWatchNotifications(this IServiceCollection services, NotificationConfig config) =>
        services.AddComplianceWatchNotifications(_ => config);

    /// <summary>As above, with the channels and subscriptions made when first needed (from app settings, say).</summary>
    public static IServiceCollection AddComplianceWatchNotifications(this IServiceCollection services, Func<IServiceProvider, NotificationConfig> config)
    {
        services.AddOptions<NotificationOptions>()
            .BindConfiguration(NotificationOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.MaxWait >= TimeSpan.Zero && o.ClaimLease > TimeSpan.Zero && o.HttpTimeout > TimeSpan.Zero && o.RetryDelay > TimeSpan.Zero,
                "ComplianceWatch:Notifications: MaxWait must not be negative; ClaimLease, HttpTimeout and RetryDelay must be positive")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<NotificationConfig>(config);
        services.AddHttpClient(WebhookPoster.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var settings = sp.GetRequiredService<IOptionsMonitor<ComplianceWatchOptions>>();
                return new SocketsHttpHandler
                {
                    ConnectCallback = GuardedConnector.Create(() => settings.CurrentValue.AllowPrivateNetwork),
                    AutomaticDecompression = DecompressionMethods.All,
                    AllowAutoRedirect = false,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                    UseProxy = true,
                };
            });
        services.AddSingleton<INotifier, SlackNotifier>();
        services.AddSingleton<INotifier, TeamsNotifier>();
        services.AddSingleton<INotifier, GitHubNotifier>();
        services.AddSingleton(sp => new NotificationDispatcher(
            sp.GetRequiredService<NotificationConfig>(),
            sp.GetRequiredService<IDeliveryLedger>(),
            sp.GetServices<INotifier>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<NotificationOptions>>(),
            sp.GetRequiredService<ILogger<NotificationDispatcher>>(),
            sp.GetService<IOptions<ComplianceWatchOptions>>()?.Value.Region));
        services.TryAddSingleton<IEventPublisher>(sp => sp.GetRequiredService<NotificationDispatcher>());
        services.TryAddSingleton<OutboxRelay>();
        return services;
    }

    /// <summary>The delivery ledger of the embedded store, under <paramref name="stateDirectory"/>/deliveries.</summary>
    public static IServiceCollection AddEmbeddedDeliveryLedger(this IServiceCollection services, string stateDirectory) =>
        services.AddSingleton<IDeliveryLedger>(new EmbeddedDeliveryLedger(stateDirectory));
}
