using System.Text.RegularExpressions;

namespace ComplianceWatch.Core.Diffing;

/// <summary>
/// Splits a line of legal text into sentences: after <c>. ! ?</c> (and <c>;</c>) followed by white space, and after
/// the full-width <c>。！？；</c> of Chinese and Japanese, never after common abbreviations ("e.g.", "Inc.", "U.S.") or
/// a section number ("2.1 Scope").
/// </summary>
public static partial class Sentences
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "e.g.", "i.e.", "etc.", "inc.", "ltd.", "llc.", "co.", "corp.", "u.s.", "u.k.", "e.u.", "no.", "nos.", "art.", "sec.", "para.", "mr.", "mrs.",
        "ms.", "dr.", "st.", "vs.", "v.", "cf.", "approx.", "incl.", "p.", "pp.", "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep.",
        "sept.", "oct.", "nov.", "dec.",
    };

    public static IEnumerable<string> Split(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var start = 0;
        foreach (Match end in Boundary().Matches(line))
        {
            var candidate = line[start..end.Index].Trim();
            if (candidate.Length == 0 || (end.Groups["space"].Success && EndsWithAbbreviation(candidate)))
            {
                continue;
            }

            yield return candidate;
            start = end.Index + end.Length;
        }

        var rest = line[start..].Trim();
        if (rest.Length > 0)
        {
            yield return rest;
        }
    }

    private static bool EndsWithAbbreviation(string text)
    {
        var lastSpace = text.LastIndexOf(' ');
        var word = text[(lastSpace + 1)..].TrimStart('(', '[', '"', '“').TrimEnd(')', ']', '"', '”', '’');
        return Abbreviations.Contains(word) || SingleInitialOrNumber().IsMatch(word);
    }

    // ". " "? " "! " "; " (then white space), or a full-width stop with or without space after it
    [GeneratedRegex(@"(?<=[.!?;][""”’)\]]?)(?<space>\s+)(?=\S)|(?<=[。！？；])\s*", RegexOptions.CultureInvariant)]
    private static partial Regex Boundary();

    // "A." "J." (initials), "2." "2.1." (list or section numbers)
    [GeneratedRegex(@"^(\p{Lu}|\d+(\.\d+)*)\.$", RegexOptions.CultureInvariant)]
    private static partial Regex SingleInitialOrNumber();
}
