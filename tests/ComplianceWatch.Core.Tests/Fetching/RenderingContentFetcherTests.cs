using ComplianceWatch.Core.Fetching;

namespace ComplianceWatch.Core.Tests.Fetching;

public class RenderingContentFetcherTests
{
    /// <summary>A port double that answers every request with a page naming who answered.</summary>
    private sealed class Answering(string who) : IContentFetcher, IPageRenderer
    {
        public List<FetchRequest> Seen { get; } = [];

        public Task<FetchResult> FetchAsync(FetchRequest request, CancellationToken cancellationToken = default)
        {
            Seen.Add(request);
            return Task.FromResult(new FetchResult { StatusCode = 200, Text = who });
        }

        public Task<FetchResult> RenderAsync(FetchRequest request, CancellationToken cancellationToken = default) => FetchAsync(request, cancellationToken);
    }

    private static readonly Uri Url = new("https://acme.example/terms");

    [Fact]
    public async Task Fetch_RenderRequest_GoesToTheRendererWithItsWaitFor()
    {
        var http = new Answering("http");
        var browser = new Answering("browser");

        var result = await new RenderingContentFetcher(http, browser).FetchAsync(new FetchRequest(Url, Render: true, WaitFor: "main"));

        Assert.Equal("browser", result.Text);
        Assert.Equal("main", Assert.Single(browser.Seen).WaitFor);
        Assert.Empty(http.Seen);
    }

    [Fact]
    public async Task Fetch_PlainRequest_GoesToHttp()
    {
        var http = new Answering("http");
        var browser = new Answering("browser");

        var result = await new RenderingContentFetcher(http, browser).FetchAsync(new FetchRequest(Url));

        Assert.Equal("http", result.Text);
        Assert.Empty(browser.Seen);
    }

    [Fact]
    public async Task Fetch_RenderRequestOnAHostWithoutBrowser_IsBrowserUnavailable()
    {
        var result = await new RenderingContentFetcher(new Answering("http")).FetchAsync(new FetchRequest(Url, Render: true));

        Assert.Equal(ErrorCategories.BrowserUnavailable, result.ErrorCategory);
    }
}
