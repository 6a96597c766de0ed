using System.Globalization;
using System.Text;
using ComplianceWatch.Core.Catalog;

namespace ComplianceWatch.Core.Screening;

/// <summary>
/// The name-matching rule of screening sources. Two names match when their keys are equal; the key of a name is:
/// compatibility-decomposed (full-width letters become ASCII) with diacritics dropped, case-folded, every character
/// that is not a letter or digit turned into a blank, runs of single letters joined ("S. A." → "sa"), a leading "the"
/// and trailing legal suffixes dropped (Co., Ltd., Limited, Inc., Corp., LLC, GmbH, Group, Holdings…, and 有限公司,
/// 股份有限公司, 集团…), then the blanks removed (so the transliteration variants "Zhi Pu" and "Zhipu" are equal). A
/// parenthesized part is also tried on its own and left out ("Megvii (Face++)" is tried as "Megvii (Face++)", "Megvii"
/// and "Face++"). There is no substring or fuzzy matching: "Baidu Fan Club Trading Co., Ltd." does not match "Baidu".
/// </summary>
public static class NameMatching
{
    public static IReadOnlySet<string> LegalSuffixes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "co", "company", "corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "plc", "lp", "llp",
        "gmbh", "ag", "sa", "sarl", "sas", "bv", "nv", "pte", "pty", "kk", "oy", "ab", "spa", "srl", "jsc", "ojsc", "pjsc",
        "ooo", "zao", "group", "holding", "holdings",
    };

    /// <summary>Legal suffixes of names in Chinese (simplified and traditional), longest first.</summary>
    public static IReadOnlyList<string> CjkLegalSuffixes { get; } =
        ["股份有限公司", "有限责任公司", "有限責任公司", "有限公司", "集团", "集團", "公司"];

    /// <summary>The key a name is compared by (empty when nothing is left).</summary>
    public static string Key(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var decomposed = name.Normalize(NormalizationForm.FormKD);
        var text = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                continue;
            }

            text.Append(char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : ' ');
        }

        // runs of single letters are initials spelled with dots or blanks: "S. A." → "sa", "L L C" → "llc"
        var tokens = new List<string>();
        var initials = new StringBuilder();
        foreach (var token in text.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.Length == 1 && char.IsLetter(token[0]))
            {
                initials.Append(token);
                continue;
            }

            if (initials.Length > 0)
            {
                tokens.Add(initials.ToString());
                initials.Clear();
            }

            tokens.Add(token);
        }

        if (initials.Length > 0)
        {
            tokens.Add(initials.ToString());
        }

        if (tokens.Count > 1 && tokens[0] == "the")
        {
            tokens.RemoveAt(0);
        }

        while (tokens.Count > 1 && LegalSuffixes.Contains(tokens[^1]))
        {
            tokens.RemoveAt(tokens.Count - 1);
        }

        var key = string.Concat(tokens);
        var stripped = true;
        while (stripped)
        {
            stripped = false;
            foreach (var suffix in CjkLegalSuffixes)
            {
                if (key.Length > suffix.Length && key.EndsWith(suffix, StringComparison.Ordinal))
                {
                    key = key[..^suffix.Length];
                    stripped = true;
                }
            }
        }

        return key;
    }

    /// <summary>The forms a name is tried in: as written, without its parenthesized parts, and each parenthesized part.</summary>
    public static IEnumerable<string> Variants(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        yield return name;
        if (!name.Contains('(', StringComparison.Ordinal) && !name.Contains('（', StringComparison.Ordinal))
        {
            yield break;
        }

        var outside = new StringBuilder();
        var inside = new StringBuilder();
        var depth = 0;
        foreach (var c in name)
        {
            if (c is '(' or '（')
            {
                depth++;
                continue;
            }

            if (c is ')' or '）' && depth > 0)
            {
                depth--;
                if (depth == 0)
                {
                    var part = inside.ToString();
                    inside.Clear();
                    if (part.Trim().Length > 0)
                    {
                        yield return part;
                    }
                }

                continue;
            }

            (depth > 0 ? inside : outside).Append(c);
        }

        if (outside.ToString().Trim().Length > 0)
        {
            yield return outside.ToString();
        }
    }
}

/// <summary>A watched entity found on a list: which entity, which entry, the entry name that matched and the watched name or alias it matched.</summary>
public sealed record ScreeningMatch(string Entity, ScreeningEntry Entry, string MatchedName, string Alias);

/// <summary>Matches list entries (name and alternative names) against the watched entities (name and aliases) by <see cref="NameMatching"/> keys.</summary>
public sealed class ScreeningMatcher
{
    private readonly Dictionary<string, List<(string Entity, string Name)>> byKey = new(StringComparer.Ordinal);

    public ScreeningMatcher(IEnumerable<ScreenedEntity> entities)
    {
        ArgumentNullException.ThrowIfNull(entities);
        foreach (var entity in entities)
        {
            foreach (var name in entity.Aliases.Prepend(entity.Name))
            {
                foreach (var variant in NameMatching.Variants(name))
                {
                    var key = NameMatching.Key(variant);
                    if (key.Length == 0)
                    {
                        continue;
                    }

                    var names = byKey.TryGetValue(key, out var list) ? list : byKey[key] = [];
                    if (!names.Any(n => n.Entity == entity.Name))
                    {
                        names.Add((entity.Name, name));
                    }
                }
            }
        }
    }

    /// <summary>The watched entities <paramref name="entry"/> names, one match per entity.</summary>
    public IReadOnlyList<ScreeningMatch> Match(ScreeningEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        List<ScreeningMatch>? matches = null;
        foreach (var name in entry.AltNames.Prepend(entry.Name))
        {
            foreach (var variant in NameMatching.Variants(name))
            {
                if (!byKey.TryGetValue(NameMatching.Key(variant), out var entities))
                {
                    continue;
                }

                foreach (var (entity, entityName) in entities)
                {
                    matches ??= [];
                    if (!matches.Any(m => m.Entity == entity))
                    {
                        matches.Add(new ScreeningMatch(entity, entry, name, entityName));
                    }
                }
            }
        }

        return matches ?? (IReadOnlyList<ScreeningMatch>)[];
    }
}
