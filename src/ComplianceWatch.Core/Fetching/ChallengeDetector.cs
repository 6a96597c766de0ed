using System.Buffers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace ComplianceWatch.Core.Fetching;

/// <summary>One bot-challenge shape (see <c>catalog/challenges.json</c>): every condition it states must hold.</summary>
public sealed record ChallengeRule(string Name, string Vendor, string? Header, string? HeaderPattern, IReadOnlyList<int> Status, string? BodyPattern, bool Interstitial);

/// <summary>
/// Recognises a CDN bot challenge (not a provider's policy, not the page) from the rules in
/// <c>catalog/challenges.json</c> (embedded): what the CDN signals (<c>cf-mitigated: challenge</c>, a 403/429/503
/// challenge body) or a page that <em>is</em> an interstitial (a challenge form or title, and little visible text).
/// A detection script or beacon inside a page that carries a document is not a challenge. A challenge is an error,
/// never content.
/// </summary>
public sealed class ChallengeDetector
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);
    private static readonly Lazy<ChallengeDetector> BuiltInDetector = new(LoadBuiltIn);
    private static readonly HashSet<string> Invisible = new(StringComparer.OrdinalIgnoreCase) { "script", "style", "template", "head", "svg" };

    private readonly IReadOnlyList<(ChallengeRule Rule, Regex? Header, Regex? Body)> rules;

    /// <summary>
    /// The body patterns of the rules that apply to any status (the ones a 200 document meets) in one compiled
    /// alternation: a document (a 100 KB page with no challenge marker) is scanned once instead of once per rule by the
    /// regex interpreter, which had made challenge detection half of a first run's CPU (bench/run.sh). Only a body this
    /// matches is tried rule by rule. Rules bound to statuses only meet the short excerpt of an error response.
    /// </summary>
    private readonly Regex? anyBody;

    /// <summary>
    /// The literal texts those patterns cannot match without (<see cref="RequiredLiterals"/>), found with one vectorized
    /// search: a page that contains none of them is no interstitial, and the alternation is not run over it (the
    /// regex engine would try it at nearly every letter). Where one is found, the other parts its branch requires are
    /// looked for too (a page carrying Cloudflare's detection script names <c>/cdn-cgi/challenge-platform/</c> but not
    /// the challenge's <c>orchestrate/</c>). Null when a pattern names no literal: then the alternation always runs.
    /// </summary>
    private readonly SearchValues<string>? anyBodyLiterals;

    /// <summary>The top-level branches of those patterns, and for each key literal the branches it is the key of.</summary>
    private readonly IReadOnlyList<RequiredLiterals.Branch> anyBodyBranches = [];

    private readonly IReadOnlyList<(string Literal, int[] Branches)> branchesByKey = [];

    private ChallengeDetector(IReadOnlyList<ChallengeRule> rules, int maxInterstitialText)
    {
        Rules = rules;
        MaxInterstitialText = maxInterstitialText;
        static Regex? Pattern(string? p) => p is null ? null : new Regex(p, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, MatchTimeout);
        this.rules = rules.Select(r => (r, Pattern(r.HeaderPattern), Pattern(r.BodyPattern))).ToArray();
        var anyStatus = rules.Where(r => r.BodyPattern is not null && r.Status.Count == 0).Select(r => r.BodyPattern!).ToArray();
        anyBody = anyStatus.Length == 0 ? null : new Regex(string.Join("|", anyStatus.Select(p => $"(?:{p})")), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
        var branches = anyStatus.Select(RequiredLiterals.Branches).ToArray();
        if (anyStatus.Length > 0 && branches.All(b => b is not null))
        {
            anyBodyBranches = branches.SelectMany(b => b!).ToArray();
            branchesByKey = anyBodyBranches.SelectMany((b, i) => b.Key.Select(literal => (literal, i)))
                .GroupBy(k => k.literal, StringComparer.OrdinalIgnoreCase)
                .Select(g => (g.Key, g.Select(k => k.i).Distinct().ToArray()))
                .ToArray();
            anyBodyLiterals = SearchValues.Create(branchesByKey.Select(k => k.Literal).ToArray(), StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>The rules shipped with ComplianceWatch.</summary>
    public static ChallengeDetector BuiltIn => BuiltInDetector.Value;

    public IReadOnlyList<ChallengeRule> Rules { get; }

    /// <summary>The most visible text (characters) a page may carry and still be an interstitial.</summary>
    public int MaxInterstitialText { get; }

    /// <summary>The first rule the response matches, or null when it is not a challenge.</summary>
    public ChallengeRule? Match(int status, Func<string, string?> header, string? body)
    {
        ArgumentNullException.ThrowIfNull(header);
        int? visibleText = null;
        bool? anyBodyMatches = null;
        foreach (var (rule, headerPattern, bodyPattern) in rules)
        {
            try
            {
                if (rule.Status.Count > 0 && !rule.Status.Contains(status))
                {
                    continue;
                }

                if (rule.Header is { } name && (header(name) is not { } value || (headerPattern is not null && !headerPattern.IsMatch(value))))
                {
                    continue;
                }

                if (bodyPattern is not null && (body is null || (rule.Status.Count == 0 && !(anyBodyMatches ??= AnyBodyMatches(body))) || !bodyPattern.IsMatch(body)))
                {
                    continue;
                }

                if (rule.Interstitial && (visibleText ??= VisibleTextLength(body)) > MaxInterstitialText)
                {
                    continue;
                }

                return rule;
            }
            catch (RegexMatchTimeoutException)
            {
                // a pathological body: not a match
            }
        }

        return null;
    }

    /// <summary>
    /// Whether some branch of the any-status patterns finds, in <paramref name="body"/>, its key literal and every other
    /// part it requires. Each occurrence of a key literal is visited (one vectorized search from the last one); a
    /// branch found wanting is not checked again, so a body costs at most one search per branch beyond the scan.
    /// </summary>
    private bool AnyBranchCanMatch(string body)
    {
        var text = body.AsSpan();
        var wanting = new bool[anyBodyBranches.Count];
        var offset = 0;
        while (offset < text.Length)
        {
            var found = text[offset..].IndexOfAny(anyBodyLiterals!);
            if (found < 0)
            {
                return false;
            }

            var at = text[(offset + found)..];
            foreach (var (literal, branches) in branchesByKey)
            {
                if (!at.StartsWith(literal, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                foreach (var index in branches)
                {
                    if (wanting[index])
                    {
                        continue;
                    }

                    if (anyBodyBranches[index].AllOf.All(part => ContainsAny(body, part)))
                    {
                        return true;
                    }

                    wanting[index] = true;
                }
            }

            offset += found + 1;
        }

        return false;

        static bool ContainsAny(string body, IReadOnlyList<string> part)
        {
            foreach (var literal in part)
            {
                if (body.Contains(literal, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Whether the prefilter is on: every any-status body pattern names literals (tests).</summary>
    internal bool ScansLiteralsFirst => anyBodyLiterals is not null;

    private bool AnyBodyMatches(string body)
    {
        if (anyBodyLiterals is not null && !AnyBranchCanMatch(body))
        {
            return false; // no branch of any pattern finds every text it needs
        }

        try
        {
            return anyBody?.IsMatch(body) ?? false;
        }
        catch (RegexMatchTimeoutException)
        {
            return true; // undecided: let the rules decide one by one
        }
    }

    /// <summary>Characters of text a reader sees on the page (scripts, styles and the head left out, white space collapsed).</summary>
    internal static int VisibleTextLength(string? html)
    {
        if (string.IsNullOrEmpty(html))
        {
            return 0;
        }

        using var document = new HtmlParser().ParseDocument(html);
        var length = 0;
        var pendingSpace = false;
        foreach (var node in document.Body?.Descendants<IText>() ?? [])
        {
            if (node.Ancestors<IElement>().Any(e => Invisible.Contains(e.LocalName)))
            {
                continue;
            }

            foreach (var c in node.Data)
            {
                if (char.IsWhiteSpace(c))
                {
                    pendingSpace = length > 0;
                    continue;
                }

                length += pendingSpace ? 2 : 1;
                pendingSpace = false;
            }
        }

        return length;
    }

    /// <summary>Reads a challenges document (<c>{"maxInterstitialText": N, "challenges": [rules]}</c>, comments allowed).</summary>
    public static ChallengeDetector Parse(string json)
    {
        var root = JsonNode.Parse(json, documentOptions: JsonDefaults.Lenient) as JsonObject
            ?? throw new FormatException("a challenges document is a JSON object with a \"challenges\" array");
        static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        var list = new List<ChallengeRule>();
        foreach (var item in (root["challenges"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = Str(item, "name") ?? throw new FormatException("a challenge rule needs a name");
            var rule = new ChallengeRule(
                name,
                Str(item, "vendor") ?? throw new FormatException($"challenge rule '{name}' needs a vendor"),
                Str(item, "header"),
                Str(item, "headerPattern"),
                (item["status"] as JsonArray ?? []).Select(n => n!.GetValue<int>()).ToArray(),
                Str(item, "bodyPattern"),
                item["interstitial"] is JsonValue i && i.GetValue<bool>());
            if (rule.Header is null && rule.BodyPattern is null)
            {
                throw new FormatException($"challenge rule '{name}' needs a header or a bodyPattern");
            }

            list.Add(rule);
        }

        var max = root["maxInterstitialText"] is JsonValue m ? m.GetValue<int>() : 1500;
        return new ChallengeDetector(list, max);
    }

    private static ChallengeDetector LoadBuiltIn()
    {
        return Parse(EmbeddedData.ReadText("challenges.json", "built-in challenge signatures"));
    }
}
