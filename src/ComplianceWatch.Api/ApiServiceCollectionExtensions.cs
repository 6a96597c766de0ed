using Microsoft.Extensions.DependencyInjection;

namespace ComplianceWatch.Api;

public static class ApiServiceCollectionExtensions
{
    /// <summary>The API handlers. Needs the catalog provider, the store and the audit service of the other layers.</summary>
    public static IServiceCollection AddComplianceWatchApi(this IServiceCollection services) =>
        services.AddSingleton<ComplianceWatchApi>();
}
