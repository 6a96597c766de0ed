namespace ComplianceWatch.Core.Reachability;

/// <summary>The kinds of vantage point a reachability source may name.</summary>
public static class VantagePointKinds
{
    public const string Local = "local";
    public const string Proxy = "proxy";
    public const string Globalping = "globalping";
}

/// <summary>
/// A place to probe from, as the catalog names it: <c>local</c>, <c>proxy:NAME</c> (proxy URL from the setting
/// <c>ComplianceWatch:Proxies:NAME</c>) or <c>globalping:CC</c> (Globalping probes in ISO country CC).
/// </summary>
public sealed record VantagePoint(string Kind, string? Argument)
{
    /// <summary>The catalog spelling, e.g. <c>globalping:HK</c>.</summary>
    public string Name => Argument is null ? Kind : $"{Kind}:{Argument}";

    public static VantagePoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? text : text[..colon];
        var argument = colon < 0 ? null : text[(colon + 1)..];
        return kind switch
        {
            VantagePointKinds.Local when argument is null => new VantagePoint(kind, null),
            VantagePointKinds.Proxy when !string.IsNullOrEmpty(argument) => new VantagePoint(kind, argument),
            VantagePointKinds.Globalping when argument is { Length: 2 } => new VantagePoint(kind, argument.ToUpperInvariant()),
            _ => throw new FormatException($"'{text}' is not a vantage point (expected local, proxy:NAME or globalping:CC)"),
        };
    }

    public override string ToString() => Name;
}
