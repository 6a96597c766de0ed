using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Regulatory;

/// <summary>The relevance of one document: its score, the severity it maps to, and what was found.</summary>
public sealed record Relevance(int Score, Severity Severity, IReadOnlyList<string> Mentions);

/// <summary>
/// Relevance scoring as data (<c>Regulatory/relevance-rules.json</c>, embedded): weights per document type, agency and
/// kind of mention, and severity thresholds. With the shipped rules a BIS or Investment Security Office RULE that names
/// China or AI scores 4 + 2 + 3 = 9 (critical); a routine Treasury notice scores 0 (info).
/// </summary>
public sealed partial class RelevanceRules
{
    private static readonly Lazy<RelevanceRules> Shipped = new(LoadShipped);

    [JsonPropertyName("types")] public Dictionary<string, int> Types { get; init; } = [];
    [JsonPropertyName("agencies")] public Dictionary<string, int> Agencies { get; init; } = [];
    [JsonPropertyName("mentions")] public MentionWeights Mentions { get; init; } = new();
    [JsonPropertyName("topics")] public IReadOnlyList<string> Topics { get; init; } = [];
    [JsonPropertyName("thresholds")] public SeverityThresholds Thresholds { get; init; } = new();

    public sealed record MentionWeights
    {
        [JsonPropertyName("jurisdiction")] public int Jurisdiction { get; init; }
        [JsonPropertyName("topic")] public int Topic { get; init; }
        [JsonPropertyName("term")] public int Term { get; init; }
    }

    public sealed record SeverityThresholds
    {
        [JsonPropertyName("critical")] public int Critical { get; init; } = int.MaxValue;
        [JsonPropertyName("warning")] public int Warning { get; init; } = int.MaxValue;
        [JsonPropertyName("notice")] public int Notice { get; init; } = int.MaxValue;
    }

    /// <summary>The rules that ship with ComplianceWatch.</summary>
    public static RelevanceRules Default => Shipped.Value;

    public static RelevanceRules Parse(string json) =>
        JsonSerializer.Deserialize<RelevanceRules>(json, JsonDefaults.Options) ?? throw new InvalidDataException("empty relevance rules");

    private static RelevanceRules LoadShipped()
    {
        return Parse(EmbeddedData.ReadText("relevance-rules.json", "relevance rules"));
    }

    /// <summary>Scores a document of <paramref name="typeCode"/> (RULE, NOTICE…, FEED for feed items) from the agencies' slugs and its text.</summary>
    public Relevance Assess(string typeCode, IEnumerable<string?> agencySlugs, string text, CatalogSettings settings, IReadOnlyList<string> sourceTerms, Severity? floor)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(sourceTerms);
        var score = Types.GetValueOrDefault(typeCode);
        score += agencySlugs.Select(s => s is null ? 0 : Agencies.GetValueOrDefault(s)).DefaultIfEmpty(0).Max();
        var mentions = new List<string>();
        void Find(IEnumerable<string> words, int weight)
        {
            var found = words.Where(w => IsMentioned(text, w)).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
            if (found.Length > 0)
            {
                score += weight;
                mentions.AddRange(found.Where(f => !mentions.Contains(f, StringComparer.OrdinalIgnoreCase)));
            }
        }

        Find(settings.WatchedJurisdictions, Mentions.Jurisdiction);
        Find(Topics, Mentions.Topic);
        Find(settings.WatchedTerms.Concat(sourceTerms), Mentions.Term);
        var severity = score >= Thresholds.Critical ? Severity.Critical
            : score >= Thresholds.Warning ? Severity.Warning
            : score >= Thresholds.Notice ? Severity.Notice
            : Severity.Info;
        return new Relevance(score, SeverityNames.Max(severity, floor), mentions);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether <paramref name="text"/> mentions <paramref name="term"/>: at the start of a word, case-insensitively;
    /// an acronym (2–4 capitals) as a whole word with its case; a term of a script without spaces anywhere.
    /// </summary>
    public static bool IsMentioned(string text, string term)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(term))
        {
            return false;
        }

        var regex = Patterns.GetOrAdd(term, static t =>
        {
            var escaped = Regex.Escape(t.Trim());
            if (t.Any(c => c >= 0x2E80))
            {
                return new Regex(escaped, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }

            return AcronymPattern().IsMatch(t.Trim())
                ? new Regex($"(?<![\\p{{L}}\\p{{N}}]){escaped}(?![\\p{{L}}\\p{{N}}])", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))
                : new Regex($"(?<![\\p{{L}}\\p{{N}}]){escaped}", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
        });
        return regex.IsMatch(text);
    }

    [GeneratedRegex("^[A-Z]{2,4}$", RegexOptions.CultureInvariant)]
    private static partial Regex AcronymPattern();
}
