using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ComplianceWatch.Browser;

public static class BrowserServiceCollectionExtensions
{
    /// <summary>
    /// Rendering of <c>render: true</c> sources in headless Chromium (settings <c>ComplianceWatch:Browser</c>): the
    /// renderer behind <see cref="IPageRenderer"/>, entered by every check run (one browser per run). Nothing is loaded,
    /// launched or connected until a source asks for rendering.
    /// </summary>
    public static IServiceCollection AddComplianceWatchBrowser(this IServiceCollection services)
    {
        services.TryAddSingleton<BrowserTraffic>();
        services.TryAddSingleton<PlaywrightPageRenderer>();
        services.TryAddSingleton<IPageRenderer>(sp => sp.GetRequiredService<PlaywrightPageRenderer>());
        services.AddSingleton<IRunResource>(sp => sp.GetRequiredService<PlaywrightPageRenderer>());
        return services;
    }
}
