using System.ComponentModel.DataAnnotations;

namespace ComplianceWatch.Core;

/// <summary>
/// Settings bound from the configuration section <c>ComplianceWatch</c> (app settings in Azure, environment variables
/// such as <c>ComplianceWatch__MaxConcurrency</c> locally).
/// </summary>
public sealed class ComplianceWatchOptions
{
    public const string SectionName = "ComplianceWatch";

    /// <summary>Allow fetching loopback and private (RFC 1918, unique-local, CGNAT) addresses. Link-local and metadata addresses are refused always.</summary>
    public bool AllowPrivateNetwork { get; set; }

    /// <summary>Cap per response after decompression (default 10 MiB).</summary>
    [Range(1024, 1L << 34)]
    public long MaxResponseBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>Checks at once (default 8).</summary>
    [Range(1, 256)]
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>Checks and connections at once per host (default 6, as browsers do).</summary>
    [Range(1, 64)]
    public int MaxConnectionsPerHost { get; set; } = 6;

    /// <summary>Consecutive failures after which a source is reported as no longer tracked (default 3).</summary>
    [Range(1, 1000)]
    public int HealthFailureThreshold { get; set; } = 3;

    /// <summary>Timeout of one HTTP attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Timeout of one fetch, retries included.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of a GET after a transient failure (never of a request that posts).</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>Base delay of the exponential back-off with jitter between retries.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The region of this host: the <c>local</c> vantage point reports as <c>local:REGION</c> (in Azure: the Function
    /// App's region, so that several deployments each report as their region). Default <c>local</c>.
    /// </summary>
    public string Region { get; set; } = "local";

    /// <summary>
    /// HTTP CONNECT proxies per region for <c>proxy:NAME</c> vantage points: NAME → proxy URL, which may carry
    /// credentials (<c>http://user:password@host:port</c>); those are secrets: never logged, stored or sent to a target.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2227:Collection properties should be read only", Justification = "bound from configuration")]
    public Dictionary<string, string> Proxies { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The Globalping API for <c>globalping:CC</c> vantage points.</summary>
    public GlobalpingOptions Globalping { get; set; } = new();

    /// <summary>The headless browser of <c>render: true</c> sources (section <c>ComplianceWatch:Browser</c>).</summary>
    public BrowserOptions Browser { get; set; } = new();

    public string UserAgent { get; set; } = $"ComplianceWatch/{typeof(ComplianceWatchOptions).Assembly.GetName().Version?.ToString(3)} (+https://github.com/compliancewatch/compliancewatch)";
}

/// <summary>Settings of the Globalping API client (section <c>ComplianceWatch:Globalping</c>).</summary>
public sealed class GlobalpingOptions
{
    public const string DefaultEndpoint = "https://api.globalping.io";

    /// <summary>The API's base URL (tests point it at loopback).</summary>
    public string Endpoint { get; set; } = DefaultEndpoint;

    /// <summary>Optional API token: sent as a bearer token to the Globalping API only, never through a probe to a target.</summary>
    public string? Token { get; set; }

    /// <summary>Probes per measurement (Globalping's <c>limit</c>); each probe counts as one test against the hourly limit.</summary>
    [Range(1, 50)]
    public int Probes { get; set; } = 3;

    /// <summary>Probes that must answer for a verdict; fewer is <c>unknown</c> (mainland China probes are often offline).</summary>
    [Range(1, 50)]
    public int MinProbes { get; set; } = 2;

    /// <summary>Interval between polls of a measurement; never below 500 ms (Globalping's rule).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a measurement may take before it counts as <c>unknown</c>.</summary>
    public TimeSpan MeasurementTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Tests (probes) this host may use per rolling hour: the anonymous limit is 250.</summary>
    [Range(1, 100_000)]
    public int TestsPerHour { get; set; } = 250;

    /// <summary>New measurements (same country) when too few probes answered or the probe network failed.</summary>
    [Range(0, 3)]
    public int Retries { get; set; } = 1;

    /// <summary>The longest <c>Retry-After</c> waited for within a check; a longer one makes the vantage point <c>unknown</c> until then.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Settings of the headless browser that renders <c>render: true</c> sources (section <c>ComplianceWatch:Browser</c>).</summary>
public sealed class BrowserOptions
{
    /// <summary>Chromium to launch; default: the first of <c>/usr/bin/chromium</c>, <c>chromium-browser</c>, <c>google-chrome</c>… found on the machine.</summary>
    public string? ExecutablePath { get; set; }

    /// <summary>
    /// A remote browser instead of a local one: <c>ws://</c> or <c>wss://</c> for a Playwright server
    /// (<c>npx playwright run-server</c>), <c>http://</c> or <c>https://</c> for a Chromium DevTools (CDP) endpoint.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>Pages rendered at once (default 2).</summary>
    [Range(1, 32)]
    public int MaxPages { get; set; } = 2;

    /// <summary>How long one page may take: load, scripts, <c>waitFor</c> and reading the DOM (default 30 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long launching or connecting to the browser may take (default 30 s).</summary>
    public TimeSpan LaunchTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
