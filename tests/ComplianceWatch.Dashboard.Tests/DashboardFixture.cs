using System.Diagnostics;
using System.Text.Json;
using ComplianceWatch.Cli;
using ComplianceWatch.Testing;
using Microsoft.Playwright;

namespace ComplianceWatch.Dashboard.Tests;

/// <summary>
/// A store seeded through real checks of loopback sources, <c>compliancewatch serve --port 0</c> over it (the built tool,
/// as a child process) and Debian's Chromium driven by Playwright. Shared by the tests of <see cref="DashboardTests"/>.
/// </summary>
/// <remarks>
/// The sources: OpenAI's API endpoint probed from this host (region <c>US</c>, answering 401 as OpenAI does without a key:
/// reachable) and from Globalping probes in HK (a fake Globalping whose probes get OpenAI's 403
/// <c>unsupported_country_region_territory</c>: geo-blocked, confirmed over two checks); OpenAI's supported-countries list
/// (China replaced by Vietnam) and Anthropic's terms (a paragraph rewritten).
/// </remarks>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private const string MissingKey = """{"error":{"message":"You didn't provide an API key.","type":"invalid_request_error","param":null,"code":null}}""";
    private const string Unsupported = """{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}""";
    private const string Countries = "<html><body><main><h1>Supported countries</h1><ul><li>France</li><li>China</li><li>Japan</li></ul></main></body></html>";
    private const string Terms = "<html><body><main><h1>Usage policy</h1><p>Do not use the service for surveillance.</p><p>Service is offered worldwide. Accounts are personal and may not be shared.</p></main></body></html>";

    private readonly TempDirectory directory = new();
    private LoopbackServer provider = null!;
    private FakeGlobalping globalping = null!;
    private Process? serve;
    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where <c>serve</c> listens, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public Uri DashboardUrl => new(BaseUrl, "/api/dashboard");

    /// <summary>The change events the checks raised, by source id.</summary>
    public Dictionary<string, string> ChangeIds { get; } = new(StringComparer.Ordinal);

    public string Catalog => directory.File("catalog.json");

    public string State => directory.File("state");

    public async Task InitializeAsync()
    {
        provider = await LoopbackServer.StartAsync();
        globalping = await FakeGlobalping.StartAsync();
        await File.WriteAllTextAsync(Catalog, JsonSerializer.Serialize(new
        {
            settings = new { confirmations = 2 },
            sources = new object[]
            {
                new { id = "openai-api", kind = "reachability", title = "OpenAI API", provider = "OpenAI", url = provider.Url("v1/models").ToString(), vantagePoints = new[] { "local", "globalping:HK" } },
                new { id = "openai-countries", kind = "terms", title = "OpenAI supported countries", provider = "OpenAI", url = provider.Url("countries").ToString(), select = "main ul", extract = "list" },
                new { id = "anthropic-usage-policy", kind = "terms", title = "Anthropic usage policy", provider = "Anthropic", url = provider.Url("anthropic").ToString(), select = "main" },
            },
        }));

        // check 1: every baseline, the endpoint reachable from both regions
        provider.Set("v1/models", new Page { Status = 401, Body = MissingKey, ContentType = "application/json", Validators = false });
        globalping.Results = c => [FakeGlobalping.Http(c, 401, MissingKey), FakeGlobalping.Http(c, 401, MissingKey), FakeGlobalping.Http(c, 401, MissingKey)];
        provider.Set("countries", Countries);
        provider.Set("anthropic", Terms);
        await CheckAsync();

        // check 2: HK blocked (1 of 2 confirmations); OpenAI's list changes
        globalping.Results = c => [FakeGlobalping.Http(c, 403, Unsupported), FakeGlobalping.Http(c, 403, Unsupported), FakeGlobalping.Http(c, 403, Unsupported)];
        provider.Set("countries", Countries.Replace("<li>China</li>", "<li>Vietnam</li>", StringComparison.Ordinal));
        await CheckAsync();

        // check 3: HK block confirmed; Anthropic's policy changes
        provider.Set("anthropic", Terms.Replace("Service is offered worldwide.", "Service is not offered in China, Russia or Iran.", StringComparison.Ordinal));
        await CheckAsync();
        Assert.Equal(["anthropic-usage-policy", "openai-api", "openai-countries"], ChangeIds.Keys.Order(StringComparer.Ordinal));

        await StartServeAsync();

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    private async Task CheckAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["ComplianceWatch:RetryDelay"] = "00:00:00.010",
            ["ComplianceWatch:MaxRetries"] = "1",
            ["ComplianceWatch:Region"] = "US",
            ["ComplianceWatch:Globalping:Endpoint"] = globalping.Endpoint.ToString(),
            ["ComplianceWatch:Globalping:PollInterval"] = "00:00:00.5",
        };
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["check", "--catalog", Catalog, "--state", State, "--allow-private-network", "--json"], new CliEnvironment(stdout, stderr, settings, interactive: false));
        Assert.True(code == 0, stdout + "\n" + stderr);
        using var report = JsonDocument.Parse(stdout.ToString());
        foreach (var change in report.RootElement.GetProperty("changes").EnumerateArray())
        {
            ChangeIds[change.GetProperty("subject").GetString()!] = change.GetProperty("id").GetString()!;
        }
    }

    /// <summary>Starts the built tool's <c>serve --port 0</c> and reads the address it prints.</summary>
    private async Task StartServeAsync()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory.Path };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "compliancewatch.dll"), "serve", "--port", "0", "--catalog", Catalog, "--state", State })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["NO_COLOR"] = "1";
        serve = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await serve.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException("serve exited: " + await serve.StandardError.ReadToEndAsync(timeout.Token));
            var at = line.IndexOf("http://", StringComparison.Ordinal);
            if (line.StartsWith("Serving the dashboard at ", StringComparison.Ordinal) && at >= 0)
            {
                var url = new Uri(line[at..].Split(' ')[0]);
                Assert.Equal("127.0.0.1", url.Host); // loopback by default
                BaseUrl = new Uri(url.GetLeftPart(UriPartial.Authority));
                return;
            }
        }
    }

    /// <summary>A page of a laptop's size (1366×768) on the dashboard, loaded.</summary>
    public async Task<IPage> OpenDashboardAsync(IBrowserContext? context = null)
    {
        context ??= await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 768 }, AcceptDownloads = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync(DashboardUrl.ToString());
        await page.WaitForSelectorAsync("body[data-ready='true']", new PageWaitForSelectorOptions { Timeout = 30_000 });
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        playwright?.Dispose();
        if (serve is { HasExited: false })
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
        }

        serve?.Dispose();
        await globalping.DisposeAsync();
        await provider.DisposeAsync();
        directory.Dispose();
    }
}
