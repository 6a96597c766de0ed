using ComplianceWatch.Core.Catalog;

namespace ComplianceWatch.Core.Extraction;

/// <summary>Extraction for <c>text/plain</c> documents such as licence files: each non-empty line is a line (or a list entry).</summary>
public static class PlainTextExtractor
{
    public static ExtractedContent Extract(string text, ExtractionRules rules)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(rules);
        var ignore = TextNormalizer.CompileIgnore(rules.Ignore);
        IEnumerable<string> lines = text.Split('\n').Select(l => TextNormalizer.NormalizeLine(l, ignore)).Where(l => l.Length > 0);
        if (rules.Extract == ExtractMode.List)
        {
            lines = lines.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        }

        var list = lines.ToList();
        if (list.Count == 0)
        {
            throw new ExtractionException("empty-content", "the document has no text");
        }

        var content = string.Join('\n', list);
        return new ExtractedContent(content, Hashing.Sha256(content), list.Count);
    }
}
