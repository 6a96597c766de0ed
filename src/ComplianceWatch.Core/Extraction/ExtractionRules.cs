using System.Text.Json;
using ComplianceWatch.Core.Catalog;

namespace ComplianceWatch.Core.Extraction;

/// <summary>The rules that turn a page into normalized content, and their hash (recorded with every snapshot).</summary>
/// <remarks>
/// <c>render</c> belongs to the rules: a rendered page reads differently from the document the server sends, so turning it
/// on or off records the new content as a rules update instead of announcing a change. It enters the hash only when on,
/// so the hashes of existing (static) snapshots stay as they were.
/// </remarks>
public sealed record ExtractionRules(IReadOnlyList<string> Select, IReadOnlyList<string> Remove, IReadOnlyList<string> Ignore, ExtractMode Extract, bool Render = false)
{
    public static ExtractionRules From(TermsSource source) => new(source.Select, source.Remove, source.Ignore, source.Extract, source.Render);

    public string Hash => Render
        ? Hashing.Sha256(JsonSerializer.Serialize(new
        {
            select = Select,
            remove = Remove,
            ignore = Ignore,
            extract = Extract == ExtractMode.List ? "list" : "text",
            normalizer = TextNormalizer.Version,
            render = true,
        }))
        : Hashing.Sha256(JsonSerializer.Serialize(new
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
