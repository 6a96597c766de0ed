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
}
