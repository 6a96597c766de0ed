using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using ComplianceWatch.Core.Catalog;

namespace ComplianceWatch.Core.Extraction;

/// <summary>
/// Extracts readable, normalized text from an HTML page: keeps <c>select</c>, drops <c>remove</c>, scripts, styles and
/// comments; a heading, paragraph, list item or table row each becomes one line. In list mode each <c>li</c> of the
/// selection is one entry and the entries are compared as a sorted set. In a DOM rendered by a browser
/// (<see cref="Fetching.IPageRenderer"/>) an element the browser laid out as a block is a block too, so spans that CSS
/// lays out as blocks become lines of their own.
/// </summary>
public static class HtmlExtractor
{
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "head", "button", "select", "input", "textarea",
    };

    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul", "caption", "html", "center", "menu", "legend", "search",
    };

    /// <summary>Marks a page or the browser gives an element that is laid out as a block (one line of its own).</summary>
    public const string BlockAttribute = "data-cw-block";

    /// <summary>
    /// Phrasing markup (<c>&lt;b&gt;W&lt;/b&gt;ord</c>, links): where it touches another element and two words would run
    /// together, a space separates them. Between other inline elements (<c>span</c>, <c>label</c>, custom elements) a
    /// line does: that is how pages lay out <c>span</c>s as blocks with CSS classes. No element boundary merges two words.
    /// </summary>
    private static readonly HashSet<string> Phrasing = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins", "kbd", "mark", "nobr", "q", "rp",
        "rt", "ruby", "s", "samp", "small", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
    };

    public static ExtractedContent Extract(string html, ExtractionRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (string.IsNullOrWhiteSpace(html))
        {
            throw new ExtractionException("empty-content", "the page is empty");
        }

        var parser = new HtmlParser();
        using var document = parser.ParseDocument(html);
        foreach (var selector in rules.Remove)
        {
            foreach (var element in document.QuerySelectorAll(selector).ToArray())
            {
                element.Remove();
            }
        }

        var roots = SelectRoots(document, rules.Select);
        if (roots.Count == 0)
        {
            throw new ExtractionException("selector-not-found", rules.Select.Count == 0
                ? "the page has no body"
                : $"the selector {string.Join(", ", rules.Select.Select(s => $"'{s}'"))} matches nothing on the page");
        }

        var ignore = TextNormalizer.CompileIgnore(rules.Ignore);
        IReadOnlyList<string> lines = rules.Extract == ExtractMode.List ? ListEntries(roots, ignore) : TextLines(roots, ignore);
        if (lines.Count == 0)
        {
            throw new ExtractionException("empty-content", rules.Extract == ExtractMode.List
                ? "the selected part of the page has no list entries"
                : "the selected part of the page has no text");
        }

        var content = string.Join('\n', lines);
        return new ExtractedContent(content, Hashing.Sha256(content), lines.Count);
    }

    private static List<IElement> SelectRoots(IDocument document, IReadOnlyList<string> selectors)
    {
        if (selectors.Count == 0)
        {
            return document.Body is { } body ? [body] : [];
        }

        var matched = new HashSet<IElement>();
        foreach (var selector in selectors)
        {
            foreach (var element in document.QuerySelectorAll(selector))
            {
                matched.Add(element);
            }
        }

        // document order, and an element inside another selected one is already covered by it
        return document.All.Where(e => matched.Contains(e) && !e.Ancestors().OfType<IElement>().Any(matched.Contains)).ToList();
    }

    private static List<string> TextLines(IEnumerable<IElement> roots, IReadOnlyList<Regex> ignore)
    {
        var writer = new LineWriter();
        foreach (var root in roots)
        {
            writer.Break();
            Render(root, writer);
            writer.Break();
        }

        return writer.Lines.Select(l => TextNormalizer.NormalizeLine(l, ignore)).Where(l => l.Length > 0).ToList();
    }

    private static List<string> ListEntries(IEnumerable<IElement> roots, IReadOnlyList<Regex> ignore)
    {
        var entries = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            var items = root.LocalName == "li" ? [root] : root.QuerySelectorAll("li").ToArray();
            foreach (var item in items)
            {
                var writer = new LineWriter();
                foreach (var child in item.ChildNodes)
                {
                    if (child is IElement { LocalName: "ul" or "ol" })
                    {
                        continue; // a nested list's items are entries of their own
                    }

                    Render(child, writer, inline: true);
                }

                var entry = TextNormalizer.NormalizeLine(string.Join(' ', writer.Lines.Append(writer.Current)), ignore);
                if (entry.Length > 0)
                {
                    entries.Add(entry);
                }
            }
        }

        return entries.ToList();
    }

    private static void Render(INode node, LineWriter writer, bool inline = false)
    {
        switch (node)
        {
            case IText text:
                writer.Append(text.Data);
                return;
            case IElement element:
                var name = element.LocalName;
                if (Dropped.Contains(name) || element.HasAttribute("hidden"))
                {
                    return;
                }

                if (name == "br")
                {
                    if (inline) { writer.Append(" "); } else { writer.Break(); }
                    return;
                }

                var isBlock = IsBlock(element);
                var block = !inline && isBlock;
                var cell = name is "td" or "th";
                if (block) { writer.Break(); }
                if (inline && isBlock) { writer.Append(" "); } // blocks inside a list entry still separate words
                if (!isBlock && !cell && TouchesPreviousElement(element, writer) is { } separator)
                {
                    if (inline || separator == Separator.Space) { writer.Append(" "); } else { writer.Break(); }
                }

                if (cell)
                {
                    // count cells, not characters: the white space of an indented row must not add a leading " | "
                    if (writer.HasCell) { writer.Append(" | "); }
                    writer.HasCell = true;
                }

                foreach (var child in element.ChildNodes)
                {
                    Render(child, writer, inline);
                }

                if (block) { writer.Break(); }
                else if (cell || (inline && isBlock)) { writer.Append(" "); }
                return;
            default:
                return; // comments, processing instructions, doctype
        }
    }

    private static bool IsBlock(IElement element) => Blocks.Contains(element.LocalName) || element.HasAttribute(BlockAttribute);

    private enum Separator { Space, Line }

    /// <summary>
    /// The separator <paramref name="element"/> needs when it directly follows another element and the texts touching at
    /// the boundary would read as two words run together: a line between two spans, labels or custom elements (a page
    /// lays them out as blocks with CSS), a space next to phrasing markup (<c>&lt;b&gt;Note:&lt;/b&gt;&lt;span&gt;The…</c>); else null.
    /// </summary>
    private static Separator? TouchesPreviousElement(IElement element, LineWriter writer)
    {
        if (!writer.EndsInText)
        {
            return null;
        }

        var previous = element.PreviousSibling;
        while (previous is IComment)
        {
            previous = previous.PreviousSibling;
        }

        if (previous is not IElement sibling || Dropped.Contains(sibling.LocalName) || sibling.LocalName == "br"
            || FirstTextCharacter(element) is not { } first || !WordsWouldMerge(writer.Last, first))
        {
            return null;
        }

        return Phrasing.Contains(element.LocalName) || Phrasing.Contains(sibling.LocalName) ? Separator.Space : Separator.Line;
    }

    /// <summary>
    /// Two texts touching at an element boundary read as two words run together when a sentence or a word ends and a
    /// new one starts with a capital ("Terms.|Prohibited", "Uses|We", "2025|Effective"); never inside a word
    /// ("W|ord", "privacy|policy" stays as the markup says) and never in scripts written without spaces (CJK).
    /// </summary>
    private static bool WordsWouldMerge(char last, char first)
    {
        if (char.IsWhiteSpace(first) || IsUnspaced(last) || IsUnspaced(first))
        {
            return false;
        }

        return (char.IsUpper(first) && (char.IsLower(last) || char.IsDigit(last) || last is '.' or ':' or ';' or '!' or '?' or ')' or ',' or '"' or '”'))
            || (char.IsDigit(first) && last is '.' or ':' or ';' or '!' or '?');
    }

    /// <summary>Han, Hiragana, Katakana, Hangul and CJK punctuation: scripts that separate words without spaces.</summary>
    private static bool IsUnspaced(char c) =>
        c is (>= '\u2E80' and <= '\u9FFF') or (>= '\uAC00' and <= '\uD7AF') or (>= '\uF900' and <= '\uFAFF') or (>= '\uFF00' and <= '\uFFEF');

    private static char? FirstTextCharacter(INode node)
    {
        foreach (var child in node.ChildNodes)
        {
            switch (child)
            {
                case IText { Data.Length: > 0 } text:
                    return text.Data[0];
                case IElement element when !Dropped.Contains(element.LocalName) && FirstTextCharacter(element) is { } first:
                    return first;
            }
        }

        return null;
    }

    private sealed class LineWriter
    {
        private readonly StringBuilder current = new();

        public List<string> Lines { get; } = [];

        public string Current => current.ToString();

        /// <summary>Whether the current line ends with a character that is not white space.</summary>
        public bool EndsInText => current.Length > 0 && !char.IsWhiteSpace(current[current.Length - 1]);

        /// <summary>The last character of the current line (only meaningful when <see cref="EndsInText"/>).</summary>
        public char Last => current[current.Length - 1];

        /// <summary>Whether a table cell has started on the current line.</summary>
        public bool HasCell { get; set; }

        public void Append(string text) => current.Append(text);

        public void Break()
        {
            HasCell = false;
            if (current.Length == 0)
            {
                return;
            }

            Lines.Add(current.ToString());
            current.Clear();
        }
    }
}
