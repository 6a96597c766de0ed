using System.Text.Json.Serialization;

namespace ComplianceWatch.Core.Reachability;

/// <summary>Where a probe failure lies: at the target (evidence about the endpoint), on our side, or inside the probe network.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FailureSide>))]
public enum FailureSide
{
    /// <summary>The endpoint could not be reached from the vantage point (DNS, connect, TLS, timeout): evidence.</summary>
    [JsonStringEnumMemberName("target")] Target,

    /// <summary>Our own side failed (our egress, our proxy, our credentials for it): no evidence about the endpoint.</summary>
    [JsonStringEnumMemberName("ours")] Ours,

    /// <summary>The probe network failed (Globalping internal failure, probe offline, API error, budget): no evidence.</summary>
    [JsonStringEnumMemberName("probe-network")] ProbeNetwork,
}

/// <summary>Stages at which a probe can fail.</summary>
public static class ProbeStages
{
    public const string Dns = "dns";
    public const string Connect = "connect";
    public const string Reset = "reset";
    public const string Tls = "tls";
    public const string Timeout = "timeout";
    public const string Protocol = "protocol";
    public const string BlockedAddress = "blocked-address";
    public const string Proxy = "proxy";
    public const string Probe = "probe";
    public const string Configuration = "configuration";
}

/// <summary>Why a probe got no HTTP response.</summary>
public sealed record ProbeFailure(string Stage, FailureSide Side, string Message);

/// <summary>The connection a probe made (or tried to make).</summary>
public sealed record ConnectEvidence
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Address { get; init; }
    public bool Connected { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Error { get; init; }
    /// <summary>True when the connection went to a proxy (which resolved and connected to the target itself).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool ViaProxy { get; init; }
}

/// <summary>The TLS handshake: the certificate the endpoint presented and whether it was valid for the host.</summary>
public sealed record TlsEvidence
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Subject { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? AlternativeNames { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Issuer { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public DateTimeOffset? NotBefore { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public DateTimeOffset? NotAfter { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Protocol { get; init; }
    public bool Valid { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Error { get; init; }
}

/// <summary>Timings of one probe in milliseconds (null where the stage did not happen or was not reported).</summary>
public sealed record ProbeTimings
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Dns { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Connect { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Tls { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? FirstByte { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Total { get; init; }
}

/// <summary>
/// What one probe saw, as stored with the verdict and carried in the change event: DNS answers, connect result, TLS,
/// HTTP status, selected headers, a capped body excerpt and timings. Never holds a credential.
/// </summary>
public sealed record ProbeEvidence
{
    /// <summary>The vantage point as reported (e.g. <c>globalping:HK</c>, <c>local:westeurope</c>).</summary>
    public string VantagePoint { get; init; } = "";
    /// <summary><c>control</c> for the control's evidence attached to another vantage point's event.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Role { get; init; }
    /// <summary>Which probe answered: the host, a proxy name, or a Globalping probe's location and network.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Probe { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Country { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? City { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Asn { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Network { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Url { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public DateTimeOffset? Time { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? DnsAnswers { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ConnectEvidence? Connect { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public TlsEvidence? Tls { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Status { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyDictionary<string, string>? Headers { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? BodyExcerpt { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ProbeTimings? Timings { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ProbeFailure? Failure { get; init; }
    /// <summary>This probe's own classification, e.g. <c>geo-blocked: HTTP 403 matches signature openai-unsupported-region</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Outcome { get; init; }
}

/// <summary>One probe's observation: its evidence, plus the full headers and body the classifier reads (not stored).</summary>
public sealed record ProbeObservation
{
    public required ProbeEvidence Evidence { get; init; }
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
    public string? Body { get; init; }

    public static ProbeObservation Failed(ProbeEvidence evidence, string stage, FailureSide side, string message) =>
        new() { Evidence = evidence with { Failure = new ProbeFailure(stage, side, message) } };
}

/// <summary>
/// What probing one vantage point produced: the observations of its probes (one for <c>local</c> and <c>proxy</c>,
/// several for Globalping), how many must answer for a verdict, or why nothing could be measured at all.
/// </summary>
public sealed record VantageObservation
{
    public required string VantagePoint { get; init; }
    public IReadOnlyList<ProbeObservation> Probes { get; init; } = [];
    /// <summary>Probes that must answer (not offline, not failed internally) for a verdict; fewer is <c>unknown</c>.</summary>
    public int RequiredAnswers { get; init; } = 1;
    /// <summary>Set when the vantage point could not be measured at all (budget, probe API down, proxy not configured).</summary>
    public string? Unmeasured { get; init; }
    /// <summary>True when private DNS answers are legitimate here (the local host with private networks allowed).</summary>
    public bool PrivateAnswersExpected { get; init; }

    public static VantageObservation NotMeasured(string vantagePoint, string reason) => new() { VantagePoint = vantagePoint, Unmeasured = reason };
}

/// <summary>
/// The port to probe an endpoint from a kind of vantage point (<c>local</c>, <c>proxy</c>, <c>globalping</c>).
/// Probes are unauthenticated requests: an implementation never sends an API key or any other credential to the
/// target, and retries (if any) stay in the same region.
/// </summary>
public interface IProbe
{
    /// <summary>The vantage point kind this probe serves (see <see cref="VantagePointKinds"/>).</summary>
    string Kind { get; }

    Task<VantageObservation> ProbeAsync(VantagePoint vantagePoint, Uri target, CancellationToken cancellationToken = default);
}
