using System.Text.Json.Serialization;

namespace ComplianceWatch.Core.Reachability;

/// <summary>
/// What one observation of an endpoint from one vantage point says. Only <see cref="Unknown"/> means "we could not
/// measure"; it is reported as an error and never becomes a transition.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<Verdict>))]
public enum Verdict
{
    /// <summary>The provider itself answered an unauthenticated request (401/403 auth errors included).</summary>
    [JsonStringEnumMemberName("reachable")] Reachable,

    /// <summary>The provider answered with a policy block for the region (a geo-block signature).</summary>
    [JsonStringEnumMemberName("geo-blocked")] GeoBlocked,

    /// <summary>A CDN answered with a bot challenge instead of the provider (not a policy).</summary>
    [JsonStringEnumMemberName("bot-challenge")] BotChallenge,

    /// <summary>DNS, connect, TLS or timeout failures in the region while the control succeeds, or DNS answers that point at interference.</summary>
    [JsonStringEnumMemberName("network-blocked")] NetworkBlocked,

    /// <summary>The control fails too, or the provider answers 5xx.</summary>
    [JsonStringEnumMemberName("outage")] Outage,

    /// <summary>We could not measure: our side failed, the probe network failed internally, or too few probes answered.</summary>
    [JsonStringEnumMemberName("unknown")] Unknown,
}

public static class VerdictNames
{
    public static string ToName(this Verdict verdict) => verdict switch
    {
        Verdict.Reachable => "reachable",
        Verdict.GeoBlocked => "geo-blocked",
        Verdict.BotChallenge => "bot-challenge",
        Verdict.NetworkBlocked => "network-blocked",
        Verdict.Outage => "outage",
        _ => "unknown",
    };

    public static bool TryParse(string? text, out Verdict verdict)
    {
        foreach (var candidate in Enum.GetValues<Verdict>())
        {
            if (string.Equals(candidate.ToName(), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                verdict = candidate;
                return true;
            }
        }

        verdict = Verdict.Unknown;
        return false;
    }

    public static Verdict Parse(string text) =>
        TryParse(text, out var verdict) ? verdict : throw new FormatException($"'{text}' is not a reachability verdict");
}
