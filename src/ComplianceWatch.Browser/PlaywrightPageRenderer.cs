using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Infrastructure.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace ComplianceWatch.Browser;

/// <summary>
/// Renders pages in headless Chromium through Playwright for .NET: a local Chromium
/// (<c>ComplianceWatch__Browser__ExecutablePath</c>, default the one found on the machine) or a remote one
/// (<c>ComplianceWatch__Browser__Endpoint</c>: a Playwright server or a CDP endpoint).
/// <list type="bullet">
/// <item>One browser per run: launched (or connected) at the first render request, closed when the run ends; a browser
/// that could not be had makes every render request of the run <c>browser-unavailable</c>, naming the setting.</item>
/// <item>Up to <c>Browser:MaxPages</c> pages at once, each in a fresh context (no profile, no cache, no cookies kept),
/// downloads refused, service workers blocked, each bounded by <c>Browser:Timeout</c>.</item>
/// <item>Every request a page makes is fulfilled by <see cref="GuardedPageNetwork"/> through the address guard.</item>
/// <item>The rendered DOM comes back with every element Chromium lays out as a block marked
/// <see cref="IPageRenderer.BlockAttribute"/>, cut at <c>MaxResponseBytes</c> (<c>too-large</c>).</item>
/// </list>
/// </summary>
public sealed partial class PlaywrightPageRenderer : IPageRenderer, IRunResource, IAsyncDisposable
{
    public const string ExecutablePathSetting = "ComplianceWatch__Browser__ExecutablePath";
    public const string EndpointSetting = "ComplianceWatch__Browser__Endpoint";

    /// <summary>Launch arguments of a local Chromium.</summary>
    internal static readonly string[] LaunchArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        // WebRTC would send UDP past any proxy: only proxied (here: refused) transports
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp", "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        // the browser resolves no name itself: every host is resolved by the guard
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--disable-features=DnsOverHttps,NetworkPrediction", "--dns-prefetch-disable",
    ];

    /// <summary>The proxy of a remote browser's contexts: its own discard port, so that nothing leaves it unrouted.</summary>
    private const string RemoteRefusingProxy = "http://127.0.0.1:9";

    private const string NoWebRtc = """
        for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel']) {
          try { Object.defineProperty(window, name, { value: undefined, configurable: false, writable: false }); } catch (e) { }
        }
        """;

    /// <summary>Marks every element laid out as a block and returns the DOM, or only its length when it exceeds the cap.</summary>
    private const string ReadRenderedDom = """
        (cap) => {
          const notBlock = /^(inline|inline-block|inline-flex|inline-grid|inline-table|contents|none|ruby|ruby-base|ruby-text|ruby-base-container|ruby-text-container|table-cell|table-column|table-column-group)$/;
          for (const element of document.querySelectorAll('*')) {
            const display = getComputedStyle(element).display.split(' ')[0];
            if (!notBlock.test(display)) { element.setAttribute('data-cw-block', ''); }
          }
          const html = document.documentElement ? document.documentElement.outerHTML : '';
          return html.length > cap ? { length: html.length, html: null } : { length: html.length, html: html };
        }
        """;

    private readonly IOptionsMonitor<ComplianceWatchOptions> options;
    private readonly BrowserTraffic traffic;
    private readonly ILogger<PlaywrightPageRenderer> logger;
    private readonly SemaphoreSlim pages;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Lazy<HttpClient> http;
    private IPlaywright? playwright;
    private IBrowser? browser;
    private RefusingProxy? proxy;
    private string? unavailable;
    private int runs;
    private int active;
    private int disposed;
    private int launches;

    /// <summary>Browsers launched or connected so far (one per run that renders).</summary>
    internal int Launches => Volatile.Read(ref launches);

    /// <summary>Whether a browser is open now (between runs: never).</summary>
    internal bool BrowserOpen => browser is not null;

    public PlaywrightPageRenderer(IOptionsMonitor<ComplianceWatchOptions> options, BrowserTraffic traffic, ILogger<PlaywrightPageRenderer> logger)
    {
        this.options = options;
        this.traffic = traffic;
        this.logger = logger;
        pages = new SemaphoreSlim(options.CurrentValue.Browser.MaxPages);
        http = new Lazy<HttpClient>(CreateClient);
    }

    public IAsyncDisposable EnterRun()
    {
        Interlocked.Increment(ref runs);
        return new RunHandle(this);
    }

    public async Task<FetchResult> RenderAsync(FetchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Url.Scheme is not ("http" or "https"))
        {
            return FetchResult.Error(ErrorCategories.InvalidContent, $"only http and https URLs are rendered, not '{request.Url.Scheme}'");
        }

        Interlocked.Increment(ref active);
        try
        {
            await pages.WaitAsync(cancellationToken);
            try
            {
                var (instance, failure) = await GetBrowserAsync(cancellationToken);
                return instance is null
                    ? FetchResult.Error(ErrorCategories.BrowserUnavailable, failure!)
                    : await RenderPageAsync(instance, request, cancellationToken);
            }
            finally
            {
                pages.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref active);
            if (Volatile.Read(ref runs) == 0)
            {
                await CloseIfIdleAsync(); // a render outside a run (sources test) keeps no browser
            }
        }
    }

    private async Task<FetchResult> RenderPageAsync(IBrowser instance, FetchRequest request, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var timeout = settings.Browser.Timeout;
        var started = Stopwatch.GetTimestamp();
        float Remaining() => (float)Math.Max(1, (timeout - Stopwatch.GetElapsedTime(started)).TotalMilliseconds);
        using var pageTime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        pageTime.CancelAfter(timeout);
        var network = new GuardedPageNetwork(http.Value, traffic, settings.MaxResponseBytes, settings.AttemptTimeout, pageTime.Token);
        var host = request.Url.Host;

        await using var context = await instance.NewContextAsync(new BrowserNewContextOptions
        {
            AcceptDownloads = false,
            ServiceWorkers = ServiceWorkerPolicy.Block, // a service worker's requests would bypass the routing
            Locale = "en-US",
            Proxy = proxy is null ? new Proxy { Server = RemoteRefusingProxy } : null,
        });
        await context.RouteAsync("**/*", network.HandleAsync);
        await context.RouteWebSocketAsync("**/*", socket => _ = network.RefuseWebSocketAsync(socket));
        await context.AddInitScriptAsync(NoWebRtc);
        var page = await context.NewPageAsync();
        try
        {
            IResponse? response = null;
            var target = request.Url;
            for (var hop = 0; ; hop++)
            {
                network.DocumentRedirect = null;
                try
                {
                    response = await page.GotoAsync(target.ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = Remaining() });
                }
                catch (PlaywrightException) when (network.DocumentRedirect is { } next && hop < 10)
                {
                    target = next; // the document moved: navigate there, through the route again
                    continue;
                }

                break;
            }

            if (network.DocumentRedirect is not null)
            {
                return FetchResult.Error(ErrorCategories.InvalidContent, $"{request.Url} redirects too often");
            }

            if (network.DocumentFailure is { } refused)
            {
                return FetchResult.Error(refused.Category, refused.Message);
            }

            var status = response?.Status ?? 0;
            if (status >= 400)
            {
                var excerpt = await page.ContentAsync();
                var headers = response!.Headers;
                if (ChallengeDetector.IsChallenge(name => headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null, excerpt))
                {
                    return FetchResult.Error(ErrorCategories.BotChallenge, $"HTTP {status} bot challenge from {host} (a CDN asked for a browser check; not the page)", status);
                }

                return FetchResult.Error(status >= 500 ? ErrorCategories.Http5xx : ErrorCategories.Http4xx, $"HTTP {status} {response.StatusText} from {response.Url}", status);
            }

            if (request.WaitFor is { } selector)
            {
                try
                {
                    await page.WaitForSelectorAsync(selector, new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached, Timeout = Remaining() });
                }
                catch (TimeoutException)
                {
                    return FetchResult.Error(ErrorCategories.Timeout, $"'{selector}' did not appear in the page of {host} within {timeout.TotalSeconds:0.#} s (waitFor; ComplianceWatch__Browser__Timeout)");
                }
            }

            var dom = await page.EvaluateAsync<JsonElement>(ReadRenderedDom, settings.MaxResponseBytes);
            var html = dom.GetProperty("html").ValueKind == JsonValueKind.String ? dom.GetProperty("html").GetString()! : null;
            var bytes = html is null ? 0 : Encoding.UTF8.GetByteCount(html);
            if (html is null || bytes > settings.MaxResponseBytes)
            {
                var size = html is null ? dom.GetProperty("length").GetInt64() : bytes;
                return FetchResult.Error(ErrorCategories.TooLarge, $"the rendered page of {size:N0} characters exceeds the cap of {settings.MaxResponseBytes:N0} bytes", status);
            }

            if (ChallengeDetector.IsChallenge(name => response?.Headers.TryGetValue(name.ToLowerInvariant(), out var v) == true ? v : null, html))
            {
                return FetchResult.Error(ErrorCategories.BotChallenge, $"HTTP {status} with a bot challenge page from {host} instead of the document", status);
            }

            return new FetchResult
            {
                StatusCode = status,
                Text = html,
                MediaType = "text/html",
                FinalUrl = Uri.TryCreate(page.Url, UriKind.Absolute, out var final) ? final : request.Url,
                BytesRead = bytes,
            };
        }
        catch (TimeoutException)
        {
            return network.DocumentFailure is { } refused
                ? FetchResult.Error(refused.Category, refused.Message)
                : FetchResult.Error(ErrorCategories.Timeout, $"the page of {host} did not finish loading within {timeout.TotalSeconds:0.#} s (ComplianceWatch__Browser__Timeout)");
        }
        catch (PlaywrightException ex)
        {
            if (network.DocumentFailure is { } refused)
            {
                return FetchResult.Error(refused.Category, refused.Message);
            }

            if (!instance.IsConnected)
            {
                return FetchResult.Error(ErrorCategories.BrowserUnavailable, $"the browser went away while rendering {host}: {FirstLine(ex.Message)}");
            }

            return pageTime.IsCancellationRequested && !cancellationToken.IsCancellationRequested
                ? FetchResult.Error(ErrorCategories.Timeout, $"the page of {host} did not finish loading within {timeout.TotalSeconds:0.#} s (ComplianceWatch__Browser__Timeout)")
                : FetchResult.Error(ErrorCategories.Connect, $"the browser could not load {request.Url}: {FirstLine(ex.Message)}");
        }
    }

    /// <summary>The run's browser, launched or connected on first use; or why there is none (cached for the run).</summary>
    private async Task<(IBrowser? Browser, string? Failure)> GetBrowserAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (browser is { IsConnected: true })
            {
                return (browser, null);
            }

            if (unavailable is not null)
            {
                return (null, unavailable);
            }

            try
            {
                browser = await OpenAsync();
                Interlocked.Increment(ref launches);
                return (browser, null);
            }
            catch (BrowserUnavailableException ex)
            {
                unavailable = ex.Message;
            }
            catch (Exception ex) when (ex is PlaywrightException or TimeoutException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                unavailable = Describe(ex);
            }

            LogBrowserUnavailable(logger, unavailable);
            await CloseCoreAsync();
            return (null, unavailable);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<IBrowser> OpenAsync()
    {
        var settings = options.CurrentValue.Browser;
        var launchTimeout = (float)settings.LaunchTimeout.TotalMilliseconds;
        if (Environment.GetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD") is null)
        {
            Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"); // never download a browser
        }

        if (settings.Endpoint is { Length: > 0 } endpoint)
        {
            playwright ??= await CreatePlaywrightAsync();
            var shown = Redact(endpoint);
            try
            {
                var remote = endpoint.StartsWith("ws", StringComparison.OrdinalIgnoreCase)
                    ? await playwright.Chromium.ConnectAsync(endpoint, new BrowserTypeConnectOptions { Timeout = launchTimeout })
                    : await playwright.Chromium.ConnectOverCDPAsync(endpoint, new BrowserTypeConnectOverCDPOptions { Timeout = launchTimeout });
                LogBrowserConnected(logger, shown);
                return remote;
            }
            catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
            {
                throw new BrowserUnavailableException($"the remote browser at {shown} ({EndpointSetting}) could not be reached: {FirstLine(ex.Message)}");
            }
        }

        var path = settings.ExecutablePath is { Length: > 0 } configured ? configured : ChromiumLocator.Find();
        if (path is null)
        {
            throw new BrowserUnavailableException($"no Chromium found on this machine (looked for {string.Join(", ", ChromiumLocator.Candidates)}): install Chromium, or set {ExecutablePathSetting}, or {EndpointSetting} for a remote browser");
        }

        if (!File.Exists(path))
        {
            throw new BrowserUnavailableException($"{ExecutablePathSetting}: '{path}' does not exist");
        }

        playwright ??= await CreatePlaywrightAsync();
        proxy ??= RefusingProxy.Start(traffic);
        try
        {
            var local = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = path,
                Headless = true,
                ChromiumSandbox = false,
                Args = LaunchArgs,
                Proxy = new Proxy { Server = proxy.Server },
                Timeout = launchTimeout,
            });
            LogBrowserLaunched(logger, path);
            return local;
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
        {
            throw new BrowserUnavailableException($"Chromium at '{path}' ({ExecutablePathSetting}) could not be launched: {FirstLine(ex.Message)}");
        }
    }

    private static async Task<IPlaywright> CreatePlaywrightAsync()
    {
        try
        {
            return await Playwright.CreateAsync();
        }
        catch (Exception ex) when (ex is PlaywrightException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            throw new BrowserUnavailableException($"Playwright's driver (.playwright/ beside the program) could not start: {FirstLine(ex.Message)}");
        }
    }

    private HttpClient CreateClient()
    {
        var settings = options.CurrentValue;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = GuardedConnector.Create(() => options.CurrentValue.AllowPrivateNetwork, traffic.Record),
            AutomaticDecompression = DecompressionMethods.All,
            AllowAutoRedirect = false, // a redirect goes back to the browser, which asks for the next hop: guarded again
            UseCookies = false,        // the browser keeps the page's cookies and sends them with each request
            MaxConnectionsPerServer = settings.MaxConnectionsPerHost,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = settings.AttemptTimeout,
            UseProxy = true,
        };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private async Task CloseIfIdleAsync()
    {
        await gate.WaitAsync();
        try
        {
            if (Volatile.Read(ref runs) == 0 && Volatile.Read(ref active) == 0)
            {
                await CloseCoreAsync();
                unavailable = null; // the next run tries again
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task CloseCoreAsync()
    {
        var closing = browser;
        browser = null;
        if (closing is not null)
        {
            try
            {
                await closing.CloseAsync();
            }
            catch (PlaywrightException)
            {
                // gone already
            }
        }

        playwright?.Dispose();
        playwright = null;
        if (proxy is not null)
        {
            await proxy.DisposeAsync();
            proxy = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // registered under several services, so the container disposes it more than once
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await gate.WaitAsync();
        try
        {
            await CloseCoreAsync();
        }
        finally
        {
            gate.Release();
        }

        if (http.IsValueCreated)
        {
            http.Value.Dispose();
        }

        gate.Dispose();
        pages.Dispose();
    }

    private static string Describe(Exception ex) => ex switch
    {
        TimeoutException => $"the browser did not start in time (ComplianceWatch__Browser__LaunchTimeout): {FirstLine(ex.Message)}",
        _ => $"the browser could not be started ({ExecutablePathSetting} / {EndpointSetting}): {FirstLine(ex.Message)}",
    };

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    /// <summary>The endpoint without user info or query (a token may hide there).</summary>
    private static string Redact(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}" : "(not a URL)";

    private sealed class RunHandle(PlaywrightPageRenderer owner) : IAsyncDisposable
    {
        private int disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0 && Interlocked.Decrement(ref owner.runs) == 0)
            {
                await owner.CloseIfIdleAsync();
            }
        }
    }

    private sealed class BrowserUnavailableException(string message) : Exception(message);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Launched Chromium at {Path} for rendered sources")]
    private static partial void LogBrowserLaunched(ILogger logger, string path);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Connected to the remote browser at {Endpoint} for rendered sources")]
    private static partial void LogBrowserConnected(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "No browser for rendered sources: {Reason}")]
    private static partial void LogBrowserUnavailable(ILogger logger, string reason);
}
