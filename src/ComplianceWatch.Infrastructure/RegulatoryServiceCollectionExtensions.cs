using ComplianceWatch.Core;
using ComplianceWatch.Core.Feeds;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Regulatory;
using ComplianceWatch.Core.Screening;
using ComplianceWatch.Infrastructure.Feeds;
using ComplianceWatch.Infrastructure.Http;
using ComplianceWatch.Infrastructure.Screening;
using Microsoft.Extensions.DependencyInjection;

namespace ComplianceWatch.Infrastructure;

public static class RegulatoryServiceCollectionExtensions
{
    /// <summary>The checkers of US government announcements: <c>federal-register</c>, <c>feed</c> and <c>screening</c> sources.</summary>
    public static IServiceCollection AddComplianceWatchRegulatory(this IServiceCollection services)
    {
        services.AddOptions<ScreeningListOptions>()
            .BindConfiguration(ComplianceWatchOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.ListTimeout > TimeSpan.Zero, "ComplianceWatch:ListTimeout must be positive")
            .ValidateOnStart();
        services.AddSingleton<IFeedParser, SyndicationFeedParser>();
        services.AddTransient<IScreeningListReader, ScreeningListReader>();
        services.AddSingleton<ISourceChecker, FederalRegisterChecker>();
        services.AddSingleton<ISourceChecker, FeedChecker>();
        services.AddSingleton<ISourceChecker, ScreeningChecker>();
        return services;
    }

    /// <summary>The streaming fetcher on the named client of <see cref="HttpContentFetcher"/> (same SSRF guard and resilience).</summary>
    internal static IServiceCollection AddStreamingFetcher(this IServiceCollection services) =>
        services.AddTransient<IStreamingContentFetcher>(sp => new HttpStreamingFetcher(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpContentFetcher.ClientName),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ComplianceWatchOptions>>()));
}
