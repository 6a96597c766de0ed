using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ComplianceWatch.Core.Terms;

/// <summary>
/// Tells an outage or a soft 404 from a document, from the rules in <c>catalog/error-pages.json</c> (embedded): the
/// selected text reads as an error page (short, with an error text in English, Chinese, …) or lost most of its text
/// against the baseline.
/// </summary>
public sealed class ErrorPageSignatures
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);
    private static readonly Lazy<ErrorPageSignatures> BuiltInSignatures = new(LoadBuiltIn);

    private readonly IReadOnlyList<Regex> patterns;

    private ErrorPageSignatures(IReadOnlyList<string> patterns, int maxErrorPageText, double shrinkRatio, int minShrinkBaseline)
    {
        Patterns = patterns;
        MaxErrorPageText = maxErrorPageText;
        ShrinkRatio = shrinkRatio;
        MinShrinkBaseline = minShrinkBaseline;
        this.patterns = patterns.Select(p => new Regex(p, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, MatchTimeout)).ToArray();
    }

    public static ErrorPageSignatures BuiltIn => BuiltInSignatures.Value;

    public IReadOnlyList<string> Patterns { get; }

    /// <summary>The longest selected text (characters) that can still be an error page.</summary>
    public int MaxErrorPageText { get; }

    /// <summary>A text keeping less than this share of the baseline's characters lost most of it.</summary>
    public double ShrinkRatio { get; }

    /// <summary>Baselines shorter than this (characters) are never said to have shrunk.</summary>
    public int MinShrinkBaseline { get; }

    /// <summary>The error text the selection shows (e.g. "Page not found"), or null when it reads as a document.</summary>
    public string? ErrorText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxErrorPageText)
        {
            return null;
        }

        foreach (var pattern in patterns)
        {
            try
            {
                if (pattern.Match(text) is { Success: true } match)
                {
                    return match.Value;
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // a pathological text: not a match
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="current"/> lost most of the text of <paramref name="baseline"/>.</summary>
    public bool LostMostOfText(string baseline, string current)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        return baseline.Length >= MinShrinkBaseline && current.Length < baseline.Length * ShrinkRatio;
    }

    /// <summary>Reads an error-pages document (comments allowed).</summary>
    public static ErrorPageSignatures Parse(string json)
    {
        var root = JsonNode.Parse(json, documentOptions: JsonDefaults.Lenient) as JsonObject
            ?? throw new FormatException("an error-pages document is a JSON object with a \"patterns\" array");
        var patterns = (root["patterns"] as JsonArray ?? []).Select(p => p?.GetValue<string>() ?? throw new FormatException("an error-page pattern is a string")).ToArray();
        return new ErrorPageSignatures(
            patterns,
            root["maxErrorPageText"]?.GetValue<int>() ?? 600,
            root["shrinkRatio"]?.GetValue<double>() ?? 0.5,
            root["minShrinkBaseline"]?.GetValue<int>() ?? 400);
    }

    private static ErrorPageSignatures LoadBuiltIn()
    {
        return Parse(EmbeddedData.ReadText("error-pages.json", "built-in error-page signatures"));
    }
}
