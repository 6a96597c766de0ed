using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Fetching;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace ComplianceWatch.Browser;

/// <summary>Why no browser could be had; the message names the setting at fault.</summary>
internal sealed class BrowserUnavailableException(string message) : Exception(message);

/// <summary>
/// One open browser, local or remote, and the pages rendered in it. The only type that touches Playwright: the
/// renderer refers to it only on the way to a page, so a run that renders nothing never loads the Playwright assembly
/// or starts its driver.
/// </summary>
internal sealed partial class BrowserSession : IAsyncDisposable
{
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

    private readonly IPlaywright playwright;
    private readonly IBrowser browser;
    private readonly RefusingProxy? proxy;

    private BrowserSession(IPlaywright playwright, IBrowser browser, RefusingProxy? proxy)
    {
        this.playwright = playwright;
        this.browser = browser;
        this.proxy = proxy;
    }

    public bool IsConnected => browser.IsConnected;

    /// <summary>Launches the local Chromium or connects to the remote browser; <see cref="BrowserUnavailableException"/> names the setting when neither can be had.</summary>
    public static async Task<BrowserSession> OpenAsync(BrowserOptions settings, BrowserTraffic traffic, ILogger logger)
    {
        var launchTimeout = (float)settings.LaunchTimeout.TotalMilliseconds;
        if (Environment.GetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD") is null)
        {
            Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"); // never download a browser
        }

        string? path = null;
        if (string.IsNullOrWhiteSpace(settings.Endpoint))
        {
            path = settings.ExecutablePath is { Length: > 0 } configured ? configured : ChromiumLocator.Find();
            if (path is null)
            {
                throw new BrowserUnavailableException($"no Chromium found on this machine (looked for {string.Join(", ", ChromiumLocator.Candidates)}): install Chromium, or set {PlaywrightPageRenderer.ExecutablePathSetting}, or {PlaywrightPageRenderer.EndpointSetting} for a remote browser");
            }

            if (!File.Exists(path))
            {
                throw new BrowserUnavailableException($"{PlaywrightPageRenderer.ExecutablePathSetting}: '{path}' does not exist");
            }
        }

        IPlaywright playwright;
        try
        {
            playwright = await Playwright.CreateAsync();
        }
        catch (Exception ex) when (ex is PlaywrightException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            throw new BrowserUnavailableException($"Playwright's driver (.playwright/ beside the program) could not start: {FirstLine(ex.Message)}");
        }

        RefusingProxy? proxy = null;
        try
        {
            if (!string.IsNullOrWhiteSpace(settings.Endpoint) && settings.Endpoint is { } endpoint)
            {
                var shown = Redact(endpoint);
                try
                {
                    var remote = endpoint.StartsWith("ws", StringComparison.OrdinalIgnoreCase)
                        ? await playwright.Chromium.ConnectAsync(endpoint, new BrowserTypeConnectOptions { Timeout = launchTimeout })
                        : await playwright.Chromium.ConnectOverCDPAsync(endpoint, new BrowserTypeConnectOverCDPOptions { Timeout = launchTimeout });
                    LogBrowserConnected(logger, shown);
                    return new BrowserSession(playwright, remote, null);
                }
                catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
                {
                    throw new BrowserUnavailableException($"the remote browser at {shown} ({PlaywrightPageRenderer.EndpointSetting}) could not be reached: {FirstLine(ex.Message)}");
                }
            }

            proxy = RefusingProxy.Start(traffic);
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
                LogBrowserLaunched(logger, path!);
                return new BrowserSession(playwright, local, proxy);
            }
            catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
            {
                throw new BrowserUnavailableException($"Chromium at '{path}' ({PlaywrightPageRenderer.ExecutablePathSetting}) could not be launched: {FirstLine(ex.Message)}");
            }
        }
        catch
        {
            playwright.Dispose();
            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Renders one page in a fresh context of this browser.</summary>
    public async Task<FetchResult> RenderAsync(HttpClient http, BrowserTraffic traffic, ComplianceWatchOptions settings, FetchRequest request, CancellationToken cancellationToken)
    {
        var timeout = settings.Browser.Timeout;
        var started = Stopwatch.GetTimestamp();
        float Remaining() => (float)Math.Max(1, (timeout - Stopwatch.GetElapsedTime(started)).TotalMilliseconds);
        using var pageTime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        pageTime.CancelAfter(timeout);
        var network = new GuardedPageNetwork(http, traffic, settings.AllowPrivateNetwork, settings.MaxResponseBytes, settings.AttemptTimeout, pageTime.Token);
        var host = request.Url.Host;

        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
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
                if (ChallengeDetector.BuiltIn.Match(status, name => headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null, excerpt) is { } challenge)
                {
                    return FetchResult.Error(ErrorCategories.BotChallenge, $"HTTP {status} bot challenge ({challenge.Vendor}, {challenge.Name}) from {host} (a CDN asked for a browser check; not the page)", status);
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

            if (ChallengeDetector.BuiltIn.Match(status, name => response?.Headers.TryGetValue(name.ToLowerInvariant(), out var v) == true ? v : null, html) is { } interstitial)
            {
                return FetchResult.Error(ErrorCategories.BotChallenge, $"HTTP {status} with a bot challenge page ({interstitial.Vendor}, {interstitial.Name}) from {host} instead of the document", status);
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

            if (!browser.IsConnected)
            {
                return FetchResult.Error(ErrorCategories.BrowserUnavailable, $"the browser went away while rendering {host}: {FirstLine(ex.Message)}");
            }

            return pageTime.IsCancellationRequested && !cancellationToken.IsCancellationRequested
                ? FetchResult.Error(ErrorCategories.Timeout, $"the page of {host} did not finish loading within {timeout.TotalSeconds:0.#} s (ComplianceWatch__Browser__Timeout)")
                : FetchResult.Error(ErrorCategories.Connect, $"the browser could not load {request.Url}: {FirstLine(ex.Message)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await browser.CloseAsync();
        }
        catch (PlaywrightException)
        {
            // gone already
        }

        playwright.Dispose();
        if (proxy is not null)
        {
            await proxy.DisposeAsync();
        }
    }

    internal static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    /// <summary>The endpoint without user info or query (a token may hide there).</summary>
    private static string Redact(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}" : "(not a URL)";

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Launched Chromium at {Path} for rendered sources")]
    private static partial void LogBrowserLaunched(ILogger logger, string path);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Connected to the remote browser at {Endpoint} for rendered sources")]
    private static partial void LogBrowserConnected(ILogger logger, string endpoint);
}
