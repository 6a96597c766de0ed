namespace ComplianceWatch.Core.Reachability;

/// <summary>What of a response is kept as evidence: selected headers (never cookie values) and a capped body excerpt.</summary>
public static class EvidenceText
{
    /// <summary>Characters of the body kept in the evidence.</summary>
    public const int BodyExcerptLength = 1024;

    /// <summary>Bytes of the body read for classification.</summary>
    public const int ClassifiedBodyBytes = 64 * 1024;

    private static readonly HashSet<string> Selected = new(StringComparer.OrdinalIgnoreCase)
    {
        "server", "content-type", "content-length", "location", "www-authenticate", "retry-after", "via", "x-cache",
        "cf-ray", "cf-mitigated", "cf-cache-status", "x-amzn-errortype", "x-amzn-requestid", "x-request-id", "request-id",
        "x-envoy-upstream-service-time", "x-content-type-options",
    };

    /// <summary>The evidence headers: the selected ones with their values, and the names (only) of the cookies set.</summary>
    public static IReadOnlyDictionary<string, string> SelectHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var selected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var cookies = new List<string>();
        foreach (var (name, value) in headers)
        {
            var key = name.ToLowerInvariant();
            if (key == "set-cookie")
            {
                cookies.AddRange(value.Split('\n').Select(c => c.Split('=', 2)[0].Trim()).Where(c => c.Length > 0));
            }
            else if (Selected.Contains(key))
            {
                selected[key] = value.Length > 256 ? value[..256] + "…" : value;
            }
        }

        if (cookies.Count > 0)
        {
            selected["set-cookie (names)"] = string.Join(", ", cookies.Distinct(StringComparer.Ordinal));
        }

        return selected;
    }

    public static string? Excerpt(string? body) =>
        body is null ? null : body.Length <= BodyExcerptLength ? body : body[..BodyExcerptLength] + "…";
}
