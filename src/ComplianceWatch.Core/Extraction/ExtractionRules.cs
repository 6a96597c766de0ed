using System.Text.Json;
using ComplianceWatch.Core.Catalog;

namespace ComplianceWatch.Core.Extraction;

/// <summary>The rules that turn a page into normalized content, and their hash (recorded with every snapshot).</summary>
public sealed record ExtractionRules(IReadOnlyList<string> Select, IReadOnlyList<string> Remove, IReadOnlyList<string> Ignore, ExtractMode Extract)
{
    public static ExtractionRules From(TermsSource source) => new(source.Select, source.Remove, source.Ignore, source.Extract);

    public string Hash => Hashing.Sha256(JsonSerializer.Serialize(new
    {
        select = Select,
        remove = Remove,
        ignore = Ignore,
        extract = Extract == ExtractMode.List ? "list" : "text",
        normalizer = TextNormalizer.Version,
    }));
}

/// <summary>Why extraction produced nothing usable.</summary>
public sealed class ExtractionException(string category, string message) : Exception(message)
{
    public string Category { get; } = category;
}

public sealed record ExtractedContent(string Content, string Hash, int EntryCount);
