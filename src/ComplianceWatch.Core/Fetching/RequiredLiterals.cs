using System.Text;

namespace ComplianceWatch.Core.Fetching;

/// <summary>
/// The literal texts a regular expression cannot match without: for a pattern, a set of strings such that every match
/// contains at least one of them (compared ASCII case-insensitively, as <see cref="System.Text.RegularExpressions.RegexOptions.IgnoreCase"/>
/// with <see cref="System.Text.RegularExpressions.RegexOptions.CultureInvariant"/> compares them), or null when the
/// pattern does not say. A body that contains none of them cannot match, so the regular expression need not run:
/// <see cref="ChallengeDetector"/> looks for the literals of its body patterns with one vectorized search
/// (<see cref="System.Buffers.SearchValues{T}"/>) instead of trying the patterns at every letter of a 100 KB page.
/// </summary>
/// <remarks>
/// Conservative by construction: only plain characters and escaped punctuation count as literal; a quantified atom,
/// an optional group, a character class, an inline option or any construct not understood ends a literal or gives
/// up (null). Only ASCII characters count, except <c>k</c> and <c>K</c>, which also match the Kelvin sign (U+212A)
/// under IgnoreCase: for every other ASCII character the regex's case-insensitive equivalents are exactly the ASCII
/// pair that <see cref="StringComparison.OrdinalIgnoreCase"/> also matches.
/// </remarks>
internal static class RequiredLiterals
{
    /// <summary>Literals shorter than this are too frequent to be worth a search: the pattern gets no literals (null).</summary>
    public const int MinLength = 3;

    public static IReadOnlyList<string>? Of(string pattern) =>
        Branches(pattern)?.SelectMany(b => b.Key).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

    /// <summary>
    /// The pattern's top-level branches, each with the set of literals it is searched by (<see cref="Branch.Key"/>,
    /// its rarest required part) and every part it requires (<see cref="Branch.AllOf"/>: each a set of which the
    /// text must contain one). Null when a branch names no literal of <see cref="MinLength"/> characters.
    /// </summary>
    public static IReadOnlyList<Branch>? Branches(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var parser = new Parser(pattern);
        try
        {
            var branches = new List<Branch>();
            while (true)
            {
                var parts = parser.Sequence();
                if (Best(parts) is not { } key || key.Min(l => l.Length) < MinLength)
                {
                    return null;
                }

                branches.Add(new Branch(key.Distinct(StringComparer.OrdinalIgnoreCase).ToArray(), parts.Select(p => (IReadOnlyList<string>)p.ToArray()).ToArray()));
                if (!parser.TakeBar())
                {
                    return parser.AtEnd ? branches : null;
                }
            }
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>One top-level branch of a pattern: what it is searched by, and every part it cannot match without.</summary>
    public sealed record Branch(IReadOnlyList<string> Key, IReadOnlyList<IReadOnlyList<string>> AllOf);

    private static List<string>? Best(List<List<string>> parts)
    {
        List<string>? best = null;
        foreach (var part in parts)
        {
            if (best is null || Better(part, best))
            {
                best = part;
            }
        }

        return best;
    }

    private sealed class Parser(string pattern)
    {
        private int position;

        public bool AtEnd => position == pattern.Length;

        /// <summary>Steps over a <c>|</c> between branches; false at the end of the pattern or of a group.</summary>
        public bool TakeBar()
        {
            if (Peek != '|')
            {
                return false;
            }

            position++;
            return true;
        }

        private char? Peek => position < pattern.Length ? pattern[position] : null;

        /// <summary>Branches separated by <c>|</c>: every branch must name its literals, the set is their union.</summary>
        public List<string>? Alternation()
        {
            var union = new List<string>();
            var known = true;
            while (true)
            {
                var branch = Best(Sequence());
                if (branch is null) { known = false; } else { union.AddRange(branch); }
                if (Peek != '|')
                {
                    return known ? union : null;
                }

                position++;
            }
        }

        /// <summary>
        /// Items one after another: each run of literal characters and each required group is a part every match
        /// contains (a set: one of its literals); any one of them is enough to search by.
        /// </summary>
        public List<List<string>> Sequence()
        {
            var parts = new List<List<string>>();
            var run = new StringBuilder();

            void Offer(List<string>? candidate)
            {
                if (candidate is { Count: > 0 })
                {
                    parts.Add(candidate);
                }
            }

            void EndRun()
            {
                if (run.Length > 0) { Offer([run.ToString()]); }
                run.Clear();
            }

            while (Peek is { } c && c != '|' && c != ')')
            {
                if (c == '(')
                {
                    EndRun();
                    position++;
                    if (Peek == '?')
                    {
                        // only a non-capturing group is understood; lookarounds, named groups and inline options are not
                        if (position + 1 < pattern.Length && pattern[position + 1] == ':') { position += 2; } else { throw new FormatException(); }
                    }

                    var inner = Alternation();
                    if (Peek != ')') { throw new FormatException(); }
                    position++;
                    if (Quantifier() is { } min) { if (min > 0) { Offer(inner); } }
                    else { Offer(inner); }
                    continue;
                }

                char? literal = null;
                if (c == '\\')
                {
                    position++;
                    var escaped = Peek ?? throw new FormatException();
                    position++;
                    if (escaped is '.' or '/' or '\\' or '|' or '(' or ')' or '[' or ']' or '{' or '}' or '*' or '+' or '?' or '^' or '$' or '-' or '"' or '\'' or '<' or '>' or '=' or ':' or '!' or ',' or '&' or '#' or '%' or '@' or '_' or ';' or '~' or '`')
                    {
                        literal = escaped;
                    }
                    else if (escaped is 'p' or 'P' or 'k' or 'x' or 'u' or 'c' || char.IsDigit(escaped))
                    {
                        throw new FormatException(); // escapes with arguments and back-references: not understood
                    }

                    // \s, \d, \w, \b and the like: not a literal
                }
                else if (c == '[')
                {
                    SkipClass();
                }
                else
                {
                    position++;
                    if (c is '*' or '+' or '?' or '{' or ']' or '}') { throw new FormatException(); }
                    if (c is not ('.' or '^' or '$')) { literal = c; }
                }

                var quantified = Quantifier();
                if (literal is { } l && quantified is null && l < 128 && l is not ('k' or 'K'))
                {
                    run.Append(l);
                }
                else
                {
                    EndRun();
                }
            }

            EndRun();
            return parts;
        }

        /// <summary>Reads a quantifier after an atom; returns its minimum count, or null when there is none.</summary>
        private int? Quantifier()
        {
            int? min;
            switch (Peek)
            {
                case '*' or '?': min = 0; position++; break;
                case '+': min = 1; position++; break;
                case '{': min = Braces(); break;
                default: return null;
            }

            if (Peek == '?') { position++; } // lazy
            return min;
        }

        private int Braces()
        {
            var close = pattern.IndexOf('}', position);
            var inner = close < 0 ? null : pattern[(position + 1)..close];
            var digits = inner?.Split(',')[0];
            if (digits is null || !int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var min))
            {
                throw new FormatException(); // a '{' that is not a quantifier: not understood
            }

            position = close + 1;
            return min;
        }

        private void SkipClass()
        {
            position++; // '['
            if (Peek == '^') { position++; }
            if (Peek == ']') { position++; } // a leading ']' is a member
            while (Peek is { } c && c != ']')
            {
                position += c == '\\' ? 2 : 1;
            }

            if (Peek != ']') { throw new FormatException(); }
            position++;
        }
    }

    /// <summary>A set is better when its shortest literal is longer (rarer in a page), then when it has fewer literals.</summary>
    private static bool Better(List<string> candidate, List<string> best)
    {
        var (a, b) = (candidate.Min(s => s.Length), best.Min(s => s.Length));
        return a > b || (a == b && candidate.Count < best.Count);
    }
}
