using System.Text;
using System.Text.RegularExpressions;

namespace ComplianceWatch.Core.Extraction;

/// <summary>
/// Turns extracted text into its canonical form before hashing: Unicode NFC, every kind of white space collapsed to
/// one space, zero-width characters dropped, configured volatile text removed, empty lines dropped.
/// </summary>
public static class TextNormalizer
{
    /// <summary>Bump when normalization changes: snapshots taken by another version become a rules update, not a change.</summary>
    public const int Version = 2;

    public static string NormalizeLine(string line, IReadOnlyList<Regex> ignore)
    {
        var text = CollapseWhitespace(line.Normalize(NormalizationForm.FormC));
        if (ignore.Count == 0 || text.Length == 0)
        {
            return text;
        }

        foreach (var pattern in ignore)
        {
            text = pattern.Replace(text, " ");
        }

        return CollapseWhitespace(text);
    }

    public static string CollapseWhitespace(string text)
    {
        var builder = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (c is '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF' or '\u00AD')
            {
                continue; // zero-width characters and soft hyphens carry no meaning
            }

            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    public static IReadOnlyList<Regex> CompileIgnore(IReadOnlyList<string> patterns) =>
        patterns.Select(p => new Regex(p, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2))).ToArray();
}
