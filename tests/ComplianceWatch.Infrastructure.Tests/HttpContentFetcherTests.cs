using System.Text;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

public sealed class HttpContentFetcherTests : IAsyncLifetime
{
    private readonly TempDirectory directory = new();
    private LoopbackServer server = null!;

    public async Task InitializeAsync() => server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        directory.Dispose();
    }

    private async Task<FetchResult> FetchAsync(Uri url, bool allowPrivate = true, IDictionary<string, string?>? settings = null, string? etag = null)
    {
        await using var host = new PipelineHost(directory.File("state"), allowPrivate, settings);
        return await host.Fetcher.FetchAsync(new FetchRequest(url, etag));
    }

    [Fact]
    public async Task Fetch_SendsAProductUserAgentAndReturnsValidators()
    {
        server.Set("page", "<html><body><p>Hi</p></body></html>");
        var result = await FetchAsync(server.Url("page"));
        Assert.False(result.IsError);
        Assert.Equal(200, result.StatusCode);
        Assert.Contains("<p>Hi</p>", result.Text, StringComparison.Ordinal);
        Assert.NotNull(result.ETag);
        Assert.Equal("text/html", result.MediaType);
    }

    [Fact]
    public async Task Fetch_WithMatchingETag_IsNotModifiedWithoutBody()
    {
        server.Set("page", "<html><body><p>Hi</p></body></html>");
        var first = await FetchAsync(server.Url("page"));
        var second = await FetchAsync(server.Url("page"), etag: first.ETag);
        Assert.True(second.NotModified);
        Assert.Null(second.Text);
        Assert.Equal(1, server.NotModifiedCount);
    }

    [Fact]
    public async Task Fetch_LoopbackWithoutPermission_IsBlockedAddress()
    {
        server.Set("page", "<html><body><p>secret</p></body></html>");
        var result = await FetchAsync(server.Url("page"), allowPrivate: false);
        Assert.Equal(ErrorCategories.BlockedAddress, result.ErrorCategory);
        Assert.Contains("127.0.0.1", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[::ffff:169.254.169.254]/latest/meta-data/")]
    [InlineData("http://168.63.129.16/machine")]
    public async Task Fetch_RedirectToMetadataAddress_IsBlockedEvenWhenPrivateAllowed(string target)
    {
        server.Set("redirect", new Page { Status = 302, Headers = new Dictionary<string, string> { ["Location"] = target }, Validators = false });
        var result = await FetchAsync(server.Url("redirect"), allowPrivate: true);
        Assert.Equal(ErrorCategories.BlockedAddress, result.ErrorCategory);
    }

    [Fact]
    public async Task Fetch_BodyOverTheCap_IsTooLarge()
    {
        server.Set("big", new Page { Body = "<html><body>" + new string('x', 200_000) + "</body></html>", Validators = false });
        var result = await FetchAsync(server.Url("big"), settings: new Dictionary<string, string?> { ["ComplianceWatch:MaxResponseBytes"] = "100000" });
        Assert.Equal(ErrorCategories.TooLarge, result.ErrorCategory);
    }

    [Fact]
    public async Task Fetch_GzipBomb_IsCutAtTheCapAfterDecompression()
    {
        // 50 MB of zeros compresses to ~50 KB: the cap applies to what it expands to
        server.Set("bomb", new Page { RawBody = new byte[50 * 1024 * 1024], Gzip = true, Validators = false });
        var result = await FetchAsync(server.Url("bomb"), settings: new Dictionary<string, string?> { ["ComplianceWatch:MaxResponseBytes"] = "1048576" });
        Assert.Equal(ErrorCategories.TooLarge, result.ErrorCategory);
    }

    [Theory]
    [InlineData(500, ErrorCategories.Http5xx)]
    [InlineData(404, ErrorCategories.Http4xx)]
    [InlineData(403, ErrorCategories.Http4xx)]
    public async Task Fetch_ErrorStatus_IsCategorized(int status, string category)
    {
        server.Set("err", new Page { Status = status, Body = "<html><body>nope</body></html>" });
        var result = await FetchAsync(server.Url("err"));
        Assert.Equal(category, result.ErrorCategory);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_TransientServerError_IsRetriedForGet()
    {
        server.Set("flaky", new Page { Status = 503, Body = "busy" });
        var result = await FetchAsync(server.Url("flaky"));
        Assert.Equal(ErrorCategories.Http5xx, result.ErrorCategory);
        Assert.Equal(2, server.CountRequests("flaky")); // one attempt + MaxRetries (1)
    }

    [Fact]
    public async Task Fetch_RetryAfter_IsHonouredBeforeTheRetry()
    {
        server.Set("busy", new Page { Status = 503, Body = "busy", Headers = new Dictionary<string, string> { ["Retry-After"] = "2" } });
        var result = await FetchAsync(server.Url("busy"));
        Assert.Equal(ErrorCategories.Http5xx, result.ErrorCategory);
        var times = server.Arrivals.Where(a => a.Path == "/busy").Select(a => a.At).ToArray();
        Assert.Equal(2, times.Length);
        Assert.True(times[1] - times[0] >= TimeSpan.FromSeconds(1.9), $"retried after {(times[1] - times[0]).TotalMilliseconds} ms despite Retry-After: 2");
    }

    [Fact]
    public async Task Fetch_ClientError_IsNotRetried()
    {
        server.Set("gone", new Page { Status = 404, Body = "gone" });
        await FetchAsync(server.Url("gone"));
        Assert.Equal(1, server.CountRequests("gone"));
    }

    [Fact]
    public async Task Fetch_CloudflareChallenge_IsBotChallenge()
    {
        server.Set("cf", new Page
        {
            Status = 403,
            Headers = new Dictionary<string, string> { ["cf-mitigated"] = "challenge" },
            Body = "<html><head><title>Just a moment...</title></head><body></body></html>",
        });
        var result = await FetchAsync(server.Url("cf"));
        Assert.Equal(ErrorCategories.BotChallenge, result.ErrorCategory);
    }

    [Fact]
    public async Task Fetch_ClosedPort_IsConnectError()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var result = await FetchAsync(new Uri($"http://127.0.0.1:{port}/"));
        Assert.Equal(ErrorCategories.Connect, result.ErrorCategory);
    }

    [Fact]
    public async Task Fetch_UnresolvableHost_IsDnsError()
    {
        var result = await FetchAsync(new Uri("http://no-such-host.invalid/"));
        Assert.Equal(ErrorCategories.Dns, result.ErrorCategory);
        Assert.Contains("no-such-host.invalid", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_SlowServer_TimesOut()
    {
        server.Set("slow", new Page { Body = "<p>late</p>", Delay = TimeSpan.FromSeconds(10) });
        var result = await FetchAsync(server.Url("slow"), settings: new Dictionary<string, string?>
        {
            ["ComplianceWatch:AttemptTimeout"] = "00:00:00.300",
            ["ComplianceWatch:TotalTimeout"] = "00:00:01",
        });
        Assert.Equal(ErrorCategories.Timeout, result.ErrorCategory);
    }

    [Fact]
    public async Task Fetch_DecodesTheDeclaredCharset()
    {
        var gbk = Encoding.GetEncoding("gbk");
        server.Set("gbk", new Page { RawBody = gbk.GetBytes("<html><body><p>服务条款 中国</p></body></html>"), ContentType = "text/html; charset=gbk" });
        var result = await FetchAsync(server.Url("gbk"));
        Assert.Contains("服务条款 中国", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_DecodesAMetaCharsetWhenTheHeaderHasNone()
    {
        var latin1 = Encoding.Latin1;
        server.Set("latin", new Page { RawBody = latin1.GetBytes("<html><head><meta charset=\"iso-8859-1\"></head><body><p>Café</p></body></html>"), ContentType = "text/html" });
        var result = await FetchAsync(server.Url("latin"));
        Assert.Contains("Café", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_InvalidUtf8_IsDecodedWithReplacementCharacters()
    {
        server.Set("bad", new Page { RawBody = [.. "<p>ok "u8, 0xC3, 0x28, .. " end</p>"u8] });
        var result = await FetchAsync(server.Url("bad"));
        Assert.False(result.IsError);
        Assert.Contains("\uFFFD", result.Text, StringComparison.Ordinal);
    }
}
