using System.Net;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Infrastructure.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
/// <see cref="Core.Extraction.HtmlExtractor.BlockAttribute"/>, cut at <c>MaxResponseBytes</c> (<c>too-large</c>).</item>
/// </list>
/// </summary>
public sealed partial class PlaywrightPageRenderer : IPageRenderer, IRunResource, IAsyncDisposable
{
    public const string ExecutablePathSetting = "ComplianceWatch__Browser__ExecutablePath";
    public const string EndpointSetting = "ComplianceWatch__Browser__Endpoint";

    private readonly IOptionsMonitor<ComplianceWatchOptions> options;
    private readonly BrowserTraffic traffic;
    private readonly ILogger<PlaywrightPageRenderer> logger;
    private readonly SemaphoreSlim pages;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Lazy<HttpClient> http;

    // a BrowserSession, held as IAsyncDisposable: closing it at the end of a run that rendered nothing must not load Playwright
    private IAsyncDisposable? session;
    private string? unavailable;
    private int runs;
    private int active;
    private int disposed;
    private int launches;

    public PlaywrightPageRenderer(IOptionsMonitor<ComplianceWatchOptions> options, BrowserTraffic traffic, ILogger<PlaywrightPageRenderer> logger)
    {
        this.options = options;
        this.traffic = traffic;
        this.logger = logger;
        pages = new SemaphoreSlim(options.CurrentValue.Browser.MaxPages);
        http = new Lazy<HttpClient>(CreateClient);
    }

    /// <summary>Browsers launched or connected so far (one per run that renders).</summary>
    internal int Launches => Volatile.Read(ref launches);

    /// <summary>Whether a browser is open now (between runs: never).</summary>
    internal bool BrowserOpen => session is not null;

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
                var (open, failure) = await GetSessionAsync(cancellationToken);
                return open is null
                    ? FetchResult.Error(ErrorCategories.BrowserUnavailable, failure!)
                    : await open.RenderAsync(http.Value, traffic, options.CurrentValue, request, cancellationToken);
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

    /// <summary>The run's browser, launched or connected on first use; or why there is none (kept for the run).</summary>
    private async Task<(BrowserSession? Session, string? Failure)> GetSessionAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (session is BrowserSession { IsConnected: true } open)
            {
                return (open, null);
            }

            if (unavailable is not null)
            {
                return (null, unavailable);
            }

            await CloseCoreAsync(); // a browser that went away
            try
            {
                var opened = await BrowserSession.OpenAsync(options.CurrentValue.Browser, traffic, logger);
                session = opened;
                Interlocked.Increment(ref launches);
                return (opened, null);
            }
            catch (BrowserUnavailableException ex)
            {
                unavailable = ex.Message;
            }

            LogBrowserUnavailable(logger, unavailable);
            return (null, unavailable);
        }
        finally
        {
            gate.Release();
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
        var closing = session;
        session = null;
        if (closing is not null)
        {
            await closing.DisposeAsync();
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

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "No browser for rendered sources: {Reason}")]
    private static partial void LogBrowserUnavailable(ILogger logger, string reason);
}
