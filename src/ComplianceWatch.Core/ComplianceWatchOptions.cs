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

    /// <summary>The name of the <c>local</c> vantage point (in Azure: the region).</summary>
    public string Region { get; set; } = "local";

    public string UserAgent { get; set; } = $"ComplianceWatch/{typeof(ComplianceWatchOptions).Assembly.GetName().Version?.ToString(3)} (+https://github.com/compliancewatch/compliancewatch)";
}
