using System.Net;
using System.Text.Json;
using ComplianceWatch.Browser;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>
/// <c>render: true</c> end to end: the production service graph with the Playwright renderer driving Debian's Chromium
/// (<c>/usr/bin/chromium</c>), pages served on loopback. No test opens a connection to anything but loopback: requests for
/// refused addresses are shown refused at the guard's decision point (<see cref="BrowserTraffic.Decisions"/>), before
/// any connection, and no request of a page leaves the browser past the route (what reaches the refusing proxy is
/// Chromium's own background traffic, refused there).
/// </summary>
public sealed class RenderingTests : IAsyncLifetime
{
    private const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>A client-rendered page as such sites serve it: an empty shell, the text inserted by a script from a CDN path.</summary>
    private const string Shell = """
        <!DOCTYPE html>
        <html><head><title>Usage policy</title><script defer src="/static/js/main.js"></script></head>
        <body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root">Loading…</div></body></html>
        """;

    private const string AppScript = """
        document.addEventListener('DOMContentLoaded', () => {
          setTimeout(() => {
            document.getElementById('root').innerHTML =
              '<main class="policy"><h1>Usage policy</h1><p>Do not use the service to develop weapons.</p><p>Access from unsupported regions is prohibited.</p></main>';
          }, 50);
        });
        """;

    private readonly TempDirectory directory = new();
    private LoopbackServer server = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        server = await LoopbackServer.StartAsync();
        server.Set("policy", Shell);
        server.Set("static/js/main.js", new Page { Body = AppScript, ContentType = "text/javascript" });
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        directory.Dispose();
    }

    private PipelineHost Host(bool allowPrivateNetwork = true, Dictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?> { ["ComplianceWatch:Browser:ExecutablePath"] = ChromiumPath, ["ComplianceWatch:Browser:Timeout"] = "00:00:20" };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        return new PipelineHost(directory.File("state"), allowPrivateNetwork, values, store: services =>
        {
            services.AddEmbeddedStateStore(directory.File("state"));
            services.AddComplianceWatchBrowser();
        });
    }

    private static string Catalog(params Dictionary<string, object?>[] sources) => JsonSerializer.Serialize(new { sources });

    private Dictionary<string, object?> Source(string id, string path, string? select = "main", bool render = true, string? waitFor = null)
    {
        var source = new Dictionary<string, object?> { ["id"] = id, ["kind"] = "terms", ["title"] = id, ["provider"] = "TestAI", ["url"] = server.Url(path).ToString() };
        if (select is not null) { source["select"] = select; }
        if (render) { source["render"] = true; }
        if (waitFor is not null) { source["waitFor"] = waitFor; }
        return source;
    }

    /// <summary>
    /// What reached the refusing proxy is Chromium's own background traffic (component updates, network time) and
    /// speculative preconnects, each refused there; none of it is a request of the page.
    /// </summary>
    private static void AssertNoPageRequestLeftUnrouted(BrowserTraffic traffic)
    {
        var unrouted = traffic.Requests.Where(r => r.ResourceType == "unrouted").Select(r => r.Url).ToList();
        Assert.DoesNotContain(unrouted, line => line.Contains("127.0.0.1", StringComparison.Ordinal) || line.Contains("169.254.", StringComparison.Ordinal) ||
            line.Contains("168.63.", StringComparison.Ordinal) || line.Contains("fe80", StringComparison.OrdinalIgnoreCase));
    }

    private static async Task<string> ContentAsync(PipelineHost host, string id) => (await host.Store.GetAsync(id)).Snapshot!.Content;

    [Fact]
    public async Task Render_PageWhoseTextAScriptInserts_IsReadFromTheRenderedDom_WhileWithoutRenderTheShellIsRead()
    {
        await using var host = Host();
        var report = await host.CheckAsync(Catalog(
            Source("rendered", "policy"),
            Source("static", "policy", select: "#root", render: false)));

        Assert.All(report.Results, r => Assert.Null(r.Error));
        Assert.Equal("Usage policy\nDo not use the service to develop weapons.\nAccess from unsupported regions is prohibited.", await ContentAsync(host, "rendered"));
        Assert.Equal("Loading…", await ContentAsync(host, "static"));
        AssertNoPageRequestLeftUnrouted(host.Services.GetRequiredService<BrowserTraffic>());
    }

    [Fact]
    public async Task Render_AnEditMadeByTheScript_IsOneChangeNamingTheLine()
    {
        await using var host = Host();
        var catalog = Catalog(Source("rendered", "policy"));
        await host.CheckAsync(catalog);
        server.Set("static/js/main.js", new Page { Body = AppScript.Replace("develop weapons", "develop weapons or malware", StringComparison.Ordinal), ContentType = "text/javascript" });

        var report = await host.CheckAsync(catalog);

        var change = Assert.Single(report.Changes);
        Assert.Equal(["Do not use the service to develop weapons or malware."], change.Data.Diff!.Added);
        Assert.Equal(["Do not use the service to develop weapons."], change.Data.Diff.Removed);
    }

    [Fact]
    public async Task Render_SpansLaidOutAsBlocksByCss_GiveOneLineEach()
    {
        server.Set("llama", """
            <html><head><style>.heading, .para { display: block; margin: 1em 0 } .note { display: flex }</style></head>
            <body><main><span class="heading">Llama API Terms.</span><span class="heading">Prohibited Uses</span><span class="para">We want everyone to use <em>Llama</em> safely.</span></main></body></html>
            """);
        await using var host = Host();

        var report = await host.CheckAsync(Catalog(Source("llama", "llama")));

        Assert.Null(Assert.Single(report.Results).Error);
        Assert.Equal("Llama API Terms.\nProhibited Uses\nWe want everyone to use Llama safely.", await ContentAsync(host, "llama"));
    }

    [Fact]
    public async Task Render_ScriptsFramesAndRedirectsToRefusedAddresses_AreRefusedAtTheGuardBeforeAnyConnection()
    {
        // what a hostile or compromised page could ask for: the cloud metadata service (script, frame, image, XHR,
        // a redirect of its own script, a WebSocket, a preconnect), Azure's wire server, an IPv6 link-local address
        server.Set("hostile", """
            <html><head>
              <link rel="preconnect" href="http://169.254.169.254:8080">
              <script src="http://169.254.169.254/latest/meta-data/iam/security-credentials/role.js"></script>
              <script src="/cdn/bundle.js"></script>
            </head><body>
              <main><h1>Terms</h1><p>Static text.</p></main>
              <iframe src="http://169.254.169.254/metadata/instance?api-version=2021-02-01"></iframe>
              <img src="http://[fe80::1]/pixel.gif">
              <script>
                fetch('http://168.63.129.16/machine?comp=goalstate').catch(() => {});
                try { new WebSocket('ws://169.254.169.254/socket'); } catch (e) { }
                document.querySelector('main').insertAdjacentHTML('beforeend', '<p>Inserted by the page.</p>');
              </script>
            </body></html>
            """);
        server.Set("cdn/bundle.js", new Page { Status = 302, Headers = new Dictionary<string, string> { ["Location"] = "http://169.254.169.254/latest/user-data" }, Validators = false });
        await using var host = Host();

        var report = await host.CheckAsync(Catalog(Source("hostile", "hostile")));

        Assert.True(report.Results[0].Error is null, report.Results[0].Error?.Message + "\n" + string.Join("\n", host.Services.GetRequiredService<BrowserTraffic>().Requests));
        Assert.Equal("Terms\nStatic text.\nInserted by the page.", await ContentAsync(host, "hostile"));
        var traffic = host.Services.GetRequiredService<BrowserTraffic>();
        var refused = traffic.Decisions.Where(d => !d.Allowed).Select(d => d.Host.Trim('[', ']')).ToHashSet();
        Assert.Contains("169.254.169.254", refused);
        Assert.Contains("168.63.129.16", refused);
        Assert.Contains("fe80::1", refused);
        // every connection that was allowed went to loopback, and nothing left the browser but through the guard
        Assert.All(traffic.Decisions.Where(d => d.Allowed), d => Assert.All(d.Addresses, a => Assert.True(IPAddress.IsLoopback(a), $"{d.Host} → {a}")));
        AssertNoPageRequestLeftUnrouted(traffic);
        // the redirect was handed back to the browser, whose next hop the guard refused
        Assert.Contains(traffic.Requests, r => r.Url.StartsWith("http://169.254.169.254/latest/user-data", StringComparison.Ordinal) && r.Outcome == "refused");
        Assert.Contains(traffic.Requests, r => r.ResourceType == "websocket" && r.Outcome == "refused");
    }

    [Fact]
    public async Task Render_DocumentThatRedirects_IsReadAtItsNewAddress()
    {
        server.Set("old-policy", new Page { Status = 301, Headers = new Dictionary<string, string> { ["Location"] = "/policy" }, Validators = false });
        await using var host = Host();

        var report = await host.CheckAsync(Catalog(Source("moved", "old-policy")));

        Assert.True(report.Results[0].Error is null, report.Results[0].Error?.Message + "\n" + string.Join("\n", host.Services.GetRequiredService<BrowserTraffic>().Requests));
        Assert.Contains("Access from unsupported regions is prohibited.", await ContentAsync(host, "moved"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_DocumentThatRedirectsToTheMetadataAddress_IsBlockedAddress()
    {
        server.Set("moved", new Page { Status = 302, Headers = new Dictionary<string, string> { ["Location"] = "http://169.254.169.254/latest/meta-data/" }, Validators = false });
        await using var host = Host();

        var report = await host.CheckAsync(Catalog(Source("moved", "moved")));

        var error = Assert.Single(report.Results).Error!;
        Assert.True(error.Category == ErrorCategories.BlockedAddress, error.Message + "\n" + string.Join("\n", host.Services.GetRequiredService<BrowserTraffic>().Requests));
        Assert.Contains("169.254.169.254", error.Message, StringComparison.Ordinal);
        Assert.Null((await host.Store.GetAsync("moved")).Snapshot);
        Assert.DoesNotContain(host.Services.GetRequiredService<BrowserTraffic>().Decisions, d => d.Allowed && d.Host == "169.254.169.254");
    }

    [Theory]
    [InlineData("127.0.0.1")] // an address in the URL: judged before anything is sent
    [InlineData("localhost")] // a name: resolved once by the guard, judged before the connection
    public async Task Render_LoopbackPageWithoutPrivateNetwork_IsRefusedBeforeAnyRequestReachesIt(string host)
    {
        await using var guarded = Host(allowPrivateNetwork: false);
        var source = Source("rendered", "policy");
        source["url"] = new UriBuilder(server.Url("policy")) { Host = host }.Uri.ToString();

        var report = await guarded.CheckAsync(Catalog(source));

        var error = Assert.Single(report.Results).Error!;
        Assert.Equal(ErrorCategories.BlockedAddress, error.Category);
        Assert.Contains("--allow-private-network", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
        var decision = Assert.Single(guarded.Services.GetRequiredService<BrowserTraffic>().Decisions);
        Assert.False(decision.Allowed);
        Assert.Equal(host, decision.Host);
        Assert.All(decision.Addresses, a => Assert.True(IPAddress.IsLoopback(a)));
    }

    [Fact]
    public async Task Render_BrowserMissing_IsBrowserUnavailableNamingTheSetting_AndTheOtherSourcesAreChecked()
    {
        await using var host = Host(settings: new() { ["ComplianceWatch:Browser:ExecutablePath"] = "/nonexistent/chromium" });

        var report = await host.CheckAsync(Catalog(
            Source("rendered", "policy"),
            Source("rendered-too", "policy", select: "#root"),
            Source("static", "policy", select: "#root", render: false)));

        foreach (var id in new[] { "rendered", "rendered-too" })
        {
            var error = report.Results.Single(r => r.SourceId == id).Error!;
            Assert.Equal(ErrorCategories.BrowserUnavailable, error.Category);
            Assert.Contains("ComplianceWatch__Browser__ExecutablePath", error.Message, StringComparison.Ordinal);
            Assert.Contains("/nonexistent/chromium", error.Message, StringComparison.Ordinal);
        }

        var checkedOne = report.Results.Single(r => r.SourceId == "static");
        Assert.Null(checkedOne.Error);
        Assert.Equal(CheckOutcome.Baselined, checkedOne.Outcome);
    }

    [Fact]
    public async Task Render_RemoteBrowserUnreachable_IsBrowserUnavailableNamingTheEndpointSetting()
    {
        await using var closed = await LoopbackServer.StartAsync();
        var endpoint = closed.Url("playwright").ToString().Replace("http://", "ws://", StringComparison.Ordinal); // answers 404, not a Playwright server
        await using var host = Host(settings: new() { ["ComplianceWatch:Browser:Endpoint"] = endpoint, ["ComplianceWatch:Browser:LaunchTimeout"] = "00:00:10" });

        var report = await host.CheckAsync(Catalog(Source("rendered", "policy")));

        var error = Assert.Single(report.Results).Error!;
        Assert.Equal(ErrorCategories.BrowserUnavailable, error.Category);
        Assert.Contains("ComplianceWatch__Browser__Endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_ThroughARemotePlaywrightServer_ReadsThePage()
    {
        // the Playwright server the Functions app uses (here: the driver shipped beside the tests, on loopback, told to
        // launch Debian's Chromium); the page's requests are still fulfilled on this side, through the guard
        await using var remote = await PlaywrightServer.StartAsync(ChromiumPath);
        await using var host = Host(settings: new() { ["ComplianceWatch:Browser:ExecutablePath"] = null, ["ComplianceWatch:Browser:Endpoint"] = remote.Endpoint });

        var report = await host.CheckAsync(Catalog(Source("rendered", "policy")));

        Assert.True(report.Results[0].Error is null, report.Results[0].Error?.Message);
        Assert.Equal("Usage policy\nDo not use the service to develop weapons.\nAccess from unsupported regions is prohibited.", await ContentAsync(host, "rendered"));
        Assert.Contains(host.Services.GetRequiredService<BrowserTraffic>().Requests, r => r.ResourceType == "script" && r.Outcome == "fulfilled");
    }

    [Fact]
    public async Task Render_ThroughAChromiumDevToolsEndpoint_ReadsThePage()
    {
        using var profile = new TempDirectory();
        await using var chromium = await DevToolsChromium.StartAsync(ChromiumPath, profile.Path);
        await using var host = Host(settings: new() { ["ComplianceWatch:Browser:ExecutablePath"] = null, ["ComplianceWatch:Browser:Endpoint"] = chromium.Endpoint });

        var report = await host.CheckAsync(Catalog(Source("rendered", "policy")));

        Assert.True(report.Results[0].Error is null, report.Results[0].Error?.Message);
        Assert.Contains("Do not use the service to develop weapons.", await ContentAsync(host, "rendered"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_DomLargerThanTheCap_IsTooLarge()
    {
        server.Set("huge", """
            <html><body><main id="m"></main><script>document.getElementById('m').textContent = 'x'.repeat(200000);</script></body></html>
            """);
        await using var host = Host(settings: new() { ["ComplianceWatch:MaxResponseBytes"] = "65536" });

        var report = await host.CheckAsync(Catalog(Source("huge", "huge")));

        var error = Assert.Single(report.Results).Error!;
        Assert.Equal(ErrorCategories.TooLarge, error.Category);
        Assert.Null((await host.Store.GetAsync("huge")).Snapshot);
    }

    [Fact]
    public async Task Render_WaitForThatNeverAppears_IsTimeout()
    {
        await using var host = Host(settings: new() { ["ComplianceWatch:Browser:Timeout"] = "00:00:03" });

        var report = await host.CheckAsync(Catalog(Source("slow", "policy", waitFor: "#terms-loaded")));

        var error = Assert.Single(report.Results).Error!;
        Assert.Equal(ErrorCategories.Timeout, error.Category);
        Assert.Contains("#terms-loaded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_PageThatNeverFinishesLoading_IsTimeout()
    {
        server.Set("stuck", """<html><body><main><p>Text</p></main><script src="/never.js"></script></body></html>""");
        server.Set("never.js", new Page { Body = "1;", ContentType = "text/javascript", Delay = TimeSpan.FromSeconds(30) });
        await using var host = Host(settings: new() { ["ComplianceWatch:Browser:Timeout"] = "00:00:03", ["ComplianceWatch:AttemptTimeout"] = "00:00:20", ["ComplianceWatch:TotalTimeout"] = "00:00:30" });

        var report = await host.CheckAsync(Catalog(Source("stuck", "stuck")));

        Assert.Equal(ErrorCategories.Timeout, Assert.Single(report.Results).Error!.Category);
    }

    [Fact]
    public async Task Render_ServerError_IsHttp5xx_AndKeepsTheBaseline()
    {
        await using var host = Host();
        var catalog = Catalog(Source("rendered", "policy"));
        await host.CheckAsync(catalog);
        server.Set("policy", new Page { Status = 503, Body = "<html><body><main>Service unavailable</main></body></html>" });

        var report = await host.CheckAsync(catalog);

        Assert.Equal(ErrorCategories.Http5xx, Assert.Single(report.Results).Error!.Category);
        Assert.Empty(report.Changes);
        Assert.Contains("Access from unsupported regions is prohibited.", await ContentAsync(host, "rendered"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_TurnedOnForAWatchedSource_IsARulesUpdateNotAChange()
    {
        await using var host = Host();
        await host.CheckAsync(Catalog(Source("policy", "policy", select: "body", render: false)));

        var report = await host.CheckAsync(Catalog(Source("policy", "policy", select: "body")));

        Assert.Empty(report.Changes);
        Assert.Equal(CheckOutcome.RulesUpdated, Assert.Single(report.Results).Outcome);
        Assert.Contains("Do not use the service to develop weapons.", await ContentAsync(host, "policy"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_OneBrowserPerRun_ClosedWhenTheRunEnds()
    {
        await using var host = Host();
        var renderer = host.Services.GetRequiredService<PlaywrightPageRenderer>();
        var catalog = Catalog(Source("a", "policy"), Source("b", "policy", select: "#root"), Source("c", "policy", select: "body"));

        await host.CheckAsync(catalog);
        Assert.Equal(1, renderer.Launches);
        Assert.False(renderer.BrowserOpen);

        await host.CheckAsync(catalog);
        Assert.Equal(2, renderer.Launches);
        Assert.False(renderer.BrowserOpen);
    }

    [Fact]
    public async Task Render_RunWithoutRenderedSources_LaunchesNoBrowser()
    {
        await using var host = Host();

        await host.CheckAsync(Catalog(Source("static", "policy", select: "#root", render: false)));

        Assert.Equal(0, host.Services.GetRequiredService<PlaywrightPageRenderer>().Launches);
    }

    [Fact]
    public async Task Render_ManyPagesInOneRun_AllAreRead_NoMoreAtOnceThanMaxPages()
    {
        server.Set("slow", new Page { Body = "<html><body><main><p>Slow to answer.</p></main></body></html>", Delay = TimeSpan.FromMilliseconds(300) });
        await using var host = Host(settings: new() { ["ComplianceWatch:Browser:MaxPages"] = "2" });
        var sources = Enumerable.Range(1, 5).Select(i => Source($"page-{i}", "slow")).ToArray();

        var report = await host.CheckAsync(Catalog(sources));

        Assert.All(report.Results, r => Assert.Null(r.Error));
        Assert.Equal(5, report.Baselined);
        Assert.InRange(server.MaxInFlight, 1, 2);
    }

    /// <summary><c>playwright run-server</c> from the driver in the test output, on a port of loopback; stopped by its PID.</summary>
    private sealed class PlaywrightServer : IAsyncDisposable
    {
        private readonly System.Diagnostics.Process process;

        private PlaywrightServer(System.Diagnostics.Process process, string endpoint)
        {
            this.process = process;
            Endpoint = endpoint;
        }

        public string Endpoint { get; }

        public static async Task<PlaywrightServer> StartAsync(string chromium)
        {
            var driver = Path.Combine(AppContext.BaseDirectory, ".playwright");
            var info = new System.Diagnostics.ProcessStartInfo(Path.Combine(driver, "node", "linux-x64", "node")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { Path.Combine(driver, "package", "cli.js"), "run-server", "--port", "0", "--host", "127.0.0.1", "--unsafe" })
            {
                info.ArgumentList.Add(arg);
            }

            var process = System.Diagnostics.Process.Start(info)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("run-server exited: " + await process.StandardError.ReadToEndAsync(timeout.Token));
            var ws = line[line.IndexOf("ws://", StringComparison.Ordinal)..].Trim();
            var launch = Uri.EscapeDataString(JsonSerializer.Serialize(new { executablePath = chromium, headless = true }));
            return new PlaywrightServer(process, $"{ws}?launch-options={launch}");
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }
    }

    /// <summary>Chromium with its DevTools endpoint on a port of loopback (what a CDP browser service offers); stopped by its PID.</summary>
    private sealed class DevToolsChromium : IAsyncDisposable
    {
        private readonly System.Diagnostics.Process process;

        private DevToolsChromium(System.Diagnostics.Process process, string endpoint)
        {
            this.process = process;
            Endpoint = endpoint;
        }

        public string Endpoint { get; }

        public static async Task<DevToolsChromium> StartAsync(string chromium, string profile)
        {
            var info = new System.Diagnostics.ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", $"--user-data-dir={profile}", "--no-first-run", "--disable-background-networking", "about:blank" })
            {
                info.ArgumentList.Add(arg);
            }

            var process = System.Diagnostics.Process.Start(info)!;
            var portFile = Path.Combine(profile, "DevToolsActivePort");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!File.Exists(portFile) || (await File.ReadAllLinesAsync(portFile, timeout.Token)).Length < 1)
            {
                await Task.Delay(100, timeout.Token);
            }

            var port = (await File.ReadAllLinesAsync(portFile, timeout.Token))[0].Trim();
            return new DevToolsChromium(process, $"http://127.0.0.1:{port}");
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }
    }
}
