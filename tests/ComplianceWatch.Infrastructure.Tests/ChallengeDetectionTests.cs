using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>The fetcher tells a CDN interstitial from a document, over real loopback HTTP with the built-in rules.</summary>
public sealed class ChallengeDetectionTests : IAsyncLifetime
{
    private readonly TempDirectory directory = new();
    private LoopbackServer server = null!;

    public async Task InitializeAsync() => server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        directory.Dispose();
    }

    private async Task<FetchResult> FetchAsync(Page page)
    {
        server.Set("page", page);
        await using var host = new PipelineHost(directory.File("state"), allowPrivateNetwork: true);
        return await host.Fetcher.FetchAsync(new FetchRequest(server.Url("page")));
    }

    [Fact]
    public async Task Fetch_DocumentCarryingCloudflareJsdScript_IsContent()
    {
        var result = await FetchAsync(new Page { Body = RealPageShapes.OpenAiStyleDocument() });
        Assert.False(result.IsError, result.ErrorMessage);
        Assert.Contains("/cdn-cgi/challenge-platform/scripts/jsd/main.js", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_DocumentWithTurnstileWidgetInAForm_IsContent()
    {
        var result = await FetchAsync(new Page { Body = RealPageShapes.DocumentWithTurnstileForm() });
        Assert.False(result.IsError, result.ErrorMessage);
    }

    [Fact]
    public async Task Fetch_OriginForbiddenPageCarryingJsdScript_IsHttp4xxNotAChallenge()
    {
        var result = await FetchAsync(new Page { Status = 403, Body = "<html><body><h1>Forbidden</h1><p>unsupported_country_region_territory</p>" + RealPageShapes.CloudflareJsdScript + "</body></html>" });
        Assert.Equal(ErrorCategories.Http4xx, result.ErrorCategory);
    }

    public static TheoryData<string, int, string?, string> Challenges => new()
    {
        { "cloudflare managed challenge (header)", 403, "challenge", RealPageShapes.CloudflareManagedChallenge },
        { "cloudflare managed challenge page without the header", 403, null, RealPageShapes.CloudflareManagedChallenge },
        { "cloudflare JS challenge", 503, null, RealPageShapes.CloudflareJsChallenge },
        { "cloudflare challenge served with 200", 200, null, RealPageShapes.CloudflareManagedChallenge },
        { "cloudflare turnstile interstitial", 200, null, RealPageShapes.CloudflareTurnstilePage },
        { "akamai access denied", 403, null, RealPageShapes.AkamaiAccessDenied },
        { "akamai bot manager challenge", 200, null, RealPageShapes.AkamaiBotManagerChallenge },
        { "datadome captcha", 403, null, RealPageShapes.DataDomeCaptcha },
        { "datadome captcha served with 200", 200, null, RealPageShapes.DataDomeCaptcha },
        { "perimeterx press and hold", 403, null, RealPageShapes.PerimeterXBlock },
        { "imperva interstitial", 200, null, RealPageShapes.ImpervaInterstitial },
    };

    [Theory]
    [MemberData(nameof(Challenges))]
    public async Task Fetch_ChallengeShape_IsBotChallenge(string shape, int status, string? cfMitigated, string body)
    {
        var headers = cfMitigated is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["cf-mitigated"] = cfMitigated };
        var result = await FetchAsync(new Page { Status = status, Headers = headers, Body = body });
        Assert.True(result.ErrorCategory == ErrorCategories.BotChallenge, $"{shape}: {result.ErrorCategory} {result.ErrorMessage}");
        Assert.Contains("bot challenge", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void BuiltInRules_EveryRuleHasAHeaderOrABodyAndAVendor()
    {
        var rules = ChallengeDetector.BuiltIn.Rules;
        Assert.Contains(rules, r => r.Vendor == "Cloudflare");
        Assert.Contains(rules, r => r.Vendor == "Akamai");
        Assert.Contains(rules, r => r.Vendor == "DataDome");
        Assert.Contains(rules, r => r.Vendor.Contains("PerimeterX", StringComparison.Ordinal));
        Assert.All(rules, r => Assert.True(r.Header is not null || r.BodyPattern is not null, r.Name));
    }
}
