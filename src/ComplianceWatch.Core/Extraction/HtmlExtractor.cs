using System.Buffers;
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

    /// <summary>
    /// The parser builds only what extraction reads: no source positions per element (nothing here reports them).
    /// </summary>
    private static readonly HtmlParserOptions ParserOptions = new() { DisableElementPositionTracking = true };

    public static ExtractedContent Extract(string html, ExtractionRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (string.IsNullOrWhiteSpace(html))
        {
            throw new ExtractionException("empty-content", "the page is empty");
        }

        using var document = new HtmlParser(ParserOptions).ParseDocument(html);
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
        var (content, count) = rules.Extract == ExtractMode.List ? ListEntries(roots, ignore) : TextLines(roots, ignore, html.Length);
        if (count == 0)
        {
            throw new ExtractionException("empty-content", rules.Extract == ExtractMode.List
                ? "the selected part of the page has no list entries"
                : "the selected part of the page has no text");
        }

        return new ExtractedContent(content, Hashing.Sha256(content), count);
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

    /// <summary>
    /// The selection's text, one normalized line per block, joined by line breaks, and the number of lines. Each line is
    /// normalized from the writer's buffer straight into the content's buffer: no string per line or per text node.
    /// </summary>
    private static (string Content, int Lines) TextLines(IEnumerable<IElement> roots, IReadOnlyList<Regex> ignore, int sizeHint)
    {
        using var writer = new LineWriter(new LineSink(ignore, sizeHint));
        foreach (var root in roots)
        {
            writer.Break();
            Render(root, writer);
            writer.Break();
        }

        return writer.Sink!.Finish();
    }

    private static (string Content, int Entries) ListEntries(IEnumerable<IElement> roots, IReadOnlyList<Regex> ignore)
    {
        var entries = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            var items = root.LocalName == "li" ? [root] : root.QuerySelectorAll("li").ToArray();
            foreach (var item in items)
            {
                using var writer = new LineWriter(null);
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

        return (string.Join('\n', entries), entries.Count);
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

                var children = element.ChildNodes;
                for (var i = 0; i < children.Length; i++)
                {
                    Render(children[i], writer, inline);
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

    /// <summary>Normalizes each finished line into one pooled buffer: the content, its lines joined by line breaks.</summary>
    /// <remarks>The text of a page is nearly always shorter than its markup: sized from it, the buffer is rented once.</remarks>
    private sealed class LineSink(IReadOnlyList<Regex> ignore, int sizeHint)
    {
        private char[] content = ArrayPool<char>.Shared.Rent(Math.Clamp(sizeHint, 1024, 1024 * 1024));
        private int length;
        private int lines;

        public void Add(ReadOnlySpan<char> line)
        {
            var start = length;
            if (lines > 0)
            {
                TextNormalizer.Grow(ref content, length, 1);
                content[length++] = '\n';
            }

            var written = TextNormalizer.AppendNormalizedLine(line, ignore, ref content, length);
            if (written == 0)
            {
                length = start; // an empty line is no line
                return;
            }

            length += written;
            lines++;
        }

        public (string Content, int Lines) Finish()
        {
            var result = (new string(content, 0, length), lines);
            ArrayPool<char>.Shared.Return(content);
            content = [];
            length = 0;
            return result;
        }
    }

    /// <summary>
    /// The current line in a pooled buffer; a finished line goes to the sink (text mode) or to <see cref="Lines"/>
    /// (a list entry's parts).
    /// </summary>
    private sealed class LineWriter(LineSink? sink) : IDisposable
    {
        private char[] current = ArrayPool<char>.Shared.Rent(1024);
        private int length;

        public LineSink? Sink => sink;

        public List<string> Lines { get; } = [];

        public string Current => new(current, 0, length);

        /// <summary>Whether the current line ends with a character that is not white space.</summary>
        public bool EndsInText => length > 0 && !char.IsWhiteSpace(current[length - 1]);

        /// <summary>The last character of the current line (only meaningful when <see cref="EndsInText"/>).</summary>
        public char Last => current[length - 1];

        /// <summary>Whether a table cell has started on the current line.</summary>
        public bool HasCell { get; set; }

        public void Append(string text)
        {
            TextNormalizer.Grow(ref current, length, text.Length);
            text.CopyTo(current.AsSpan(length));
            length += text.Length;
        }

        public void Break()
        {
            HasCell = false;
            if (length == 0)
            {
                return;
            }

            if (sink is not null)
            {
                sink.Add(current.AsSpan(0, length));
            }
            else
            {
                Lines.Add(Current);
            }

            length = 0;
        }

        public void Dispose()
        {
            ArrayPool<char>.Shared.Return(current);
            current = [];
        }
    }
}
