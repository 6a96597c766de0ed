namespace ComplianceWatch.Core.Fetching;

/// <summary>
/// Recognises a CDN bot challenge (not a provider's policy, not the page): Cloudflare's <c>cf-mitigated: challenge</c>
/// header and challenge page, and similar interstitials. A challenge is an error, never content.
/// </summary>
public static class ChallengeDetector
{
    private static readonly string[] BodyMarkers =
    [
        "/cdn-cgi/challenge-platform/",
        "<title>Just a moment...</title>",
        "cf-browser-verification",
        "_Incapsula_Resource",
        "captcha-delivery.com",
        "<title>Attention Required! | Cloudflare</title>",
    ];

    public static bool IsChallenge(Func<string, string?> header, string? body)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (string.Equals(header("cf-mitigated"), "challenge", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return body is not null && BodyMarkers.Any(m => body.Contains(m, StringComparison.OrdinalIgnoreCase));
    }
}
