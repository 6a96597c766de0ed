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
    public const int Version = 3; // 3: element boundaries never merge two words (HtmlExtractor)

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
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return text;
        }

        // one pass over a pooled buffer: this runs on every line of every page, so no per-character appends
        var buffer = System.Buffers.ArrayPool<char>.Shared.Rent(text.Length);
        try
        {
            var length = 0;
            var pendingSpace = false;
            foreach (var c in text)
            {
                if (c is '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF' or '\u00AD')
                {
                    continue; // zero-width characters and soft hyphens carry no meaning
                }

                if (char.IsWhiteSpace(c) || char.IsControl(c))
                {
                    pendingSpace = length > 0;
                    continue;
                }

                if (pendingSpace)
                {
                    buffer[length++] = ' ';
                    pendingSpace = false;
                }

                buffer[length++] = c;
            }

            return text.AsSpan().SequenceEqual(buffer.AsSpan(0, length)) ? text : new string(buffer, 0, length);
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(buffer);
        }
    }

    public static IReadOnlyList<Regex> CompileIgnore(IReadOnlyList<string> patterns) =>
        patterns.Select(p => new Regex(p, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2))).ToArray();
}
