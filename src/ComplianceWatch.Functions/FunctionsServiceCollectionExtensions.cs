using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Functions;

public static class FunctionsServiceCollectionExtensions
{
    /// <summary>
    /// This app's layer: its settings (every one the app needs validated at start, see <see cref="StartupSettingsValidator"/>),
    /// the catalog shipped with it, the check queue (<c>CHECK_QUEUE</c> on <c>AzureWebJobsStorage</c>, the account the
    /// queue trigger reads), fan-out and the outbox relay.
    /// </summary>
    public static IServiceCollection AddComplianceWatchFunctions(this IServiceCollection services)
    {
        services.AddOptions<FunctionsAppOptions>()
            .BindConfiguration(FunctionsAppOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<FunctionsAppOptions>, StartupSettingsValidator>();
        services.AddSingleton<ICatalogProvider>(sp => new FileCatalogProvider(sp.GetRequiredService<IOptions<FunctionsAppOptions>>().Value.CatalogPath));
        services.AddStorageQueueCheckJobs(AppSettingNames.Storage, sp => sp.GetRequiredService<IConfiguration>()[AppSettingNames.CheckQueue]!);
        services.AddComplianceWatchFanOut();
        services.AddSingleton<OutboxRelay>();
        return services;
    }

    /// <summary>
    /// Alerting in Azure (<see cref="DispatcherSetup"/>): when <c>ComplianceWatch:Dispatcher:Enabled</c> is true and the
    /// notifications are configured, the notifiers, the dispatcher over the delivery ledger (registered with the store
    /// by <c>AddComplianceWatchAzure</c>) and the drain of the Service Bus subscription.
    /// </summary>
    public static IServiceCollection AddComplianceWatchDispatcher(this IServiceCollection services, IConfiguration configuration)
    {
        DispatcherSetup.From(configuration).Register(services, configuration);
        return services;
    }
}
