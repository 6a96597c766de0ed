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
            var length = CollapseWhitespace(text, buffer);
            return text.AsSpan().SequenceEqual(buffer.AsSpan(0, length)) ? text : new string(buffer, 0, length);
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// <see cref="CollapseWhitespace(string)"/> from a span into <paramref name="destination"/> (at least as long as
    /// <paramref name="text"/>); returns the characters written.
    /// </summary>
    internal static int CollapseWhitespace(ReadOnlySpan<char> text, Span<char> destination)
    {
        var length = 0;
        var pendingSpace = false;
        while (!text.IsEmpty)
        {
            // a run of printable ASCII and spaces (nearly all of a page's text): words copied in bulk, only runs of
            // spaces and the spaces at either end need a decision
            var run = text.IndexOfAnyExceptInRange(' ', '~');
            var printable = text[..(run < 0 ? text.Length : run)];
            while (!printable.IsEmpty)
            {
                var firstWord = printable.IndexOfAnyExcept(' ');
                if (firstWord != 0)
                {
                    pendingSpace = length > 0;
                    if (firstWord < 0)
                    {
                        break;
                    }

                    printable = printable[firstWord..];
                }

                // up to the next run of spaces: single spaces between words stay as they are
                var doubleSpace = printable.IndexOf("  ", StringComparison.Ordinal);
                var words = doubleSpace < 0 ? printable : printable[..doubleSpace];
                if (words[^1] == ' ')
                {
                    words = words[..^1];
                }

                if (pendingSpace)
                {
                    destination[length++] = ' ';
                    pendingSpace = false;
                }

                words.CopyTo(destination[length..]);
                length += words.Length;
                printable = printable[words.Length..];
            }

            if (run < 0)
            {
                break;
            }

            var c = text[run];
            text = text[(run + 1)..];
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
                destination[length++] = ' ';
                pendingSpace = false;
            }

            destination[length++] = c;
        }

        return length;
    }

    /// <summary>
    /// <see cref="NormalizeLine"/> of <paramref name="line"/> written at the end of <paramref name="destination"/>
    /// (which grows as needed); returns the characters written (0: the line is empty once normalized). A line already
    /// in NFC with no ignore patterns (nearly every line) costs no string of its own.
    /// </summary>
    internal static int AppendNormalizedLine(ReadOnlySpan<char> line, IReadOnlyList<Regex> ignore, ref char[] destination, int length)
    {
        if (ignore.Count == 0 && line.IsNormalized(NormalizationForm.FormC))
        {
            Grow(ref destination, length, line.Length);
            return CollapseWhitespace(line, destination.AsSpan(length));
        }

        var normalized = NormalizeLine(new string(line), ignore);
        Grow(ref destination, length, normalized.Length);
        normalized.CopyTo(destination.AsSpan(length));
        return normalized.Length;
    }

    /// <summary>Makes room for <paramref name="more"/> characters after the first <paramref name="used"/> of a pooled buffer.</summary>
    internal static void Grow(ref char[] buffer, int used, int more)
    {
        if (used + more <= buffer.Length)
        {
            return;
        }

        var larger = System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(buffer.Length * 2, used + more));
        buffer.AsSpan(0, used).CopyTo(larger);
        System.Buffers.ArrayPool<char>.Shared.Return(buffer);
        buffer = larger;
    }

    public static IReadOnlyList<Regex> CompileIgnore(IReadOnlyList<string> patterns) =>
        patterns.Select(p => new Regex(p, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2))).ToArray();
}
