using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ComplianceWatch.Core.Catalog;

namespace ComplianceWatch.Core.Reachability;

/// <summary>
/// The signature rules of the classifier, as data: the built-in ones (<c>catalog/signatures.json</c>, embedded) and a
/// source's own, tried first. The first rule whose every stated condition holds decides the verdict.
/// </summary>
public sealed class SignatureSet
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);
    private static readonly Lazy<SignatureSet> BuiltInSet = new(LoadBuiltIn);

    private readonly IReadOnlyList<CompiledRule> rules;

    private SignatureSet(IReadOnlyList<SignatureRule> rules)
    {
        this.rules = rules.Select(Compile).ToArray();
        Rules = rules;
        Hash = Hashing.Sha256(JsonSerializer.Serialize(rules, JsonDefaults.Options));
    }

    /// <summary>The rules shipped with ComplianceWatch.</summary>
    public static SignatureSet BuiltIn => BuiltInSet.Value;

    public IReadOnlyList<SignatureRule> Rules { get; }

    /// <summary>A hash of the rules, part of a reachability source's rules hash.</summary>
    public string Hash { get; }

    /// <summary>This set with <paramref name="first"/> tried before its own rules.</summary>
    public SignatureSet With(IReadOnlyList<SignatureRule> first)
    {
        ArgumentNullException.ThrowIfNull(first);
        return first.Count == 0 ? this : new SignatureSet([.. first, .. Rules]);
    }

    public static SignatureSet From(IReadOnlyList<SignatureRule> rules) => new(rules);

    /// <summary>The first rule that matches the response, or null.</summary>
    public SignatureRule? Match(int status, IReadOnlyDictionary<string, string> headers, string? body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        foreach (var rule in rules)
        {
            try
            {
                if (rule.Matches(status, headers, body))
                {
                    return rule.Rule;
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // a pathological pattern on a hostile body: not a match
            }
        }

        return null;
    }

    /// <summary>Reads a signatures document (<c>{"signatures": [rules]}</c>, comments allowed).</summary>
    public static IReadOnlyList<SignatureRule> Parse(string json)
    {
        var root = JsonNode.Parse(json, documentOptions: JsonDefaults.Lenient) as JsonObject
            ?? throw new FormatException("a signatures document is a JSON object with a \"signatures\" array");
        var list = new List<SignatureRule>();
        foreach (var item in (root["signatures"] as JsonArray ?? []).OfType<JsonObject>())
        {
            static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
            var verdict = Str(item, "verdict") ?? throw new FormatException("a signature needs a verdict");
            if (!VerdictNames.TryParse(verdict, out _))
            {
                throw new FormatException($"'{verdict}' is not a verdict");
            }

            list.Add(new SignatureRule(
                Str(item, "name"), verdict,
                (item["status"] as JsonArray ?? []).Select(n => n!.GetValue<int>()).ToArray(),
                Str(item, "header"), Str(item, "headerPattern"), Str(item, "bodyPattern")));
        }

        return list;
    }

    private static SignatureSet LoadBuiltIn()
    {
        return new SignatureSet(Parse(EmbeddedData.ReadText("signatures.json", "built-in signatures")));
    }

    private static CompiledRule Compile(SignatureRule rule)
    {
        static Regex? Pattern(string? pattern) =>
            pattern is null ? null : new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, MatchTimeout);
        return new CompiledRule(rule, Pattern(rule.HeaderPattern), Pattern(rule.BodyPattern));
    }

    private sealed record CompiledRule(SignatureRule Rule, Regex? HeaderPattern, Regex? BodyPattern)
    {
        public bool Matches(int status, IReadOnlyDictionary<string, string> headers, string? body)
        {
            if (Rule.Status.Count > 0 && !Rule.Status.Contains(status))
            {
                return false;
            }

            if (Rule.Header is { } name)
            {
                var value = headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
                if (value is null || (HeaderPattern is not null && !HeaderPattern.IsMatch(value)))
                {
                    return false;
                }
            }
            else if (HeaderPattern is not null && !headers.Any(h => HeaderPattern.IsMatch($"{h.Key}: {h.Value}")))
            {
                return false;
            }

            return BodyPattern is null || (body is not null && BodyPattern.IsMatch(body));
        }
    }
}
