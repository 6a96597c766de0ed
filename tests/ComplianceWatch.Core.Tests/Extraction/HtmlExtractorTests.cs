using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Extraction;

namespace ComplianceWatch.Core.Tests.Extraction;

public class HtmlExtractorTests
{
    private static ExtractionRules Rules(string[]? select = null, string[]? remove = null, string[]? ignore = null, ExtractMode extract = ExtractMode.Text) =>
        new(select ?? [], remove ?? [], ignore ?? [], extract);

    private static string Text(string html, ExtractionRules? rules = null) => HtmlExtractor.Extract(html, rules ?? Rules()).Content;

    private static string[] Lines(string html, ExtractionRules? rules = null) => Text(html, rules).Split('\n');

    private static string Hash(string html, ExtractionRules? rules = null) => HtmlExtractor.Extract(html, rules ?? Rules()).Hash;

    public class LineStructure
    {
        [Fact]
        public void Extract_ElementsTheBrowserLaidOutAsBlocks_EachBecomeOneLine()
        {
            // a rendered DOM: spans that CSS lays out as blocks carry the renderer's mark
            var lines = Lines("<body><main><span data-cw-block>Llama API Terms.</span><span data-cw-block>Prohibited Uses</span><span data-cw-block>We want <span>everyone</span> to use Llama safely.</span></main></body>");

            Assert.Equal(["Llama API Terms.", "Prohibited Uses", "We want everyone to use Llama safely."], lines);
        }

        [Fact]
        public void Extract_ListEntryWithBlockMarkedSpans_KeepsTheirWordsApart()
        {
            var entries = Lines("<ul><li><span data-cw-block>China</span><span data-cw-block>mainland</span></li></ul>", Rules(extract: ExtractMode.List));

            Assert.Equal(["China mainland"], entries);
        }

        [Fact]
        public void Extract_HeadingParagraphAndListItems_EachBecomeOneLine()
        {
            var lines = Lines("<body><h1>Terms</h1><p>You may use the service.</p><ul><li>Canada</li><li>Japan</li></ul><h2>Export</h2><p>Comply with law.</p></body>");

            Assert.Equal(["Terms", "You may use the service.", "Canada", "Japan", "Export", "Comply with law."], lines);
        }

        [Fact]
        public void Extract_InlineElements_StayOnTheirLine()
        {
            var lines = Lines("<p>You <b>must</b> not use <a href='/x'>the API</a> from <em>unsupported</em> regions.</p>");

            Assert.Equal(["You must not use the API from unsupported regions."], lines);
        }

        [Fact]
        public void Extract_TwoSpansLaidOutAsBlocks_GiveTwoLines()
        {
            // Meta's Llama API terms: spans laid out as blocks by CSS classes, no white space between them
            var lines = Lines("<div id='root'><span class='x1lliihq x1s928wv'>…apply to your use of the Llama API Terms.</span><span class='x193iq5w xeuugli'>Prohibited Uses</span>" +
                "<span class='x1lliihq'>We want everyone to use Llama API safely.</span></div>");

            Assert.Equal(["…apply to your use of the Llama API Terms.", "Prohibited Uses", "We want everyone to use Llama API safely."], lines);
        }

        [Fact]
        public void Extract_ElementMarkedAsBlock_IsALineOfItsOwn()
        {
            var lines = Lines("<div><span data-cw-block>Terms</span><span data-cw-block>of use</span></div>");

            Assert.Equal(["Terms", "of use"], lines);
        }

        [Theory]
        [InlineData("<p><b>W</b>ord by word.</p>", "Word by word.")]
        [InlineData("<p><span class='dropcap'>T</span><span>hese terms apply.</span></p>", "These terms apply.")]
        [InlineData("<p>See our <a href='/privacy'>Privacy Policy</a>.</p>", "See our Privacy Policy.")]
        [InlineData("<p><span>privacy</span><span>policy</span></p>", "privacypolicy")]
        [InlineData("<p><span>您也可以直接通过</span><span><a href='mailto:a@b.c'>Dataprivacy@bytedance.com</a></span><span>与我们联系。</span></p>", "您也可以直接通过Dataprivacy@bytedance.com与我们联系。")]
        [InlineData("<p><strong>Updated:</strong><span>August 5, 2025</span></p>", "Updated: August 5, 2025")]
        [InlineData("<p><a href='/terms'>Terms</a><a href='/privacy'>Privacy</a></p>", "Terms Privacy")]
        public void Extract_InlineMarkup_SeparatesWordsButNeverSplitsOne(string html, string expected)
        {
            Assert.Equal([expected], Lines(html));
        }

        [Fact]
        public void Extract_SpansInsideAListEntry_AreSeparatedBySpaces()
        {
            var entries = Lines("<ul><li><span>China.</span><span>Effective now</span></li></ul>", Rules(extract: ExtractMode.List));

            Assert.Equal(["China. Effective now"], entries);
        }

        [Fact]
        public void Extract_TableRow_IsOneLineWithCellsJoinedByPipe()
        {
            var lines = Lines("<table><tr><th>Country</th><th>Status</th></tr><tr><td>China</td><td>Unsupported</td></tr></table>");

            Assert.Equal(["Country | Status", "China | Unsupported"], lines);
        }

        [Fact]
        public void Extract_IndentedTable_HasNoLeadingPipe()
        {
            const string html = """
                <table>
                  <thead>
                    <tr>
                      <th>Country</th>
                      <th>Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    <tr>
                      <td>China</td>
                      <td>Unsupported</td>
                    </tr>
                  </tbody>
                </table>
                """;

            Assert.Equal(["Country | Status", "China | Unsupported"], Lines(html));
        }

        [Fact]
        public void Extract_IndentedAndCompactTable_HaveTheSameHash()
        {
            const string compact = "<table><tr><td>China</td><td>Unsupported</td></tr></table>";
            const string indented = "<table>\n  <tr>\n    <td>China</td>\n    <td>Unsupported</td>\n  </tr>\n</table>";

            Assert.Equal(Hash(compact), Hash(indented));
        }

        [Fact]
        public void Extract_LeadingEmptyCell_KeepsItsColumn()
        {
            Assert.Equal(["| note"], Lines("<table><tr><td></td><td>note</td></tr></table>"));
            Assert.Equal(["| note"], Lines("<table>\n<tr>\n  <td> </td>\n  <td>note</td>\n</tr>\n</table>"));
        }

        [Fact]
        public void Extract_EmptyCell_KeepsItsColumn()
        {
            var lines = Lines("<table><tr><td>China</td><td></td><td>note</td></tr></table>");

            Assert.Equal(["China | | note"], lines);
        }

        [Fact]
        public void Extract_LineBreak_StartsANewLine()
        {
            Assert.Equal(["First line", "Second line"], Lines("<p>First line<br>Second line</p>"));
        }

        [Fact]
        public void Extract_NestedBlocks_DoNotProduceEmptyLines()
        {
            var lines = Lines("<div><div><section><p>One</p></section></div><div></div><p>Two</p></div>");

            Assert.Equal(["One", "Two"], lines);
        }

        [Fact]
        public void Extract_Result_HasHashOfContentAndLineCount()
        {
            var result = HtmlExtractor.Extract("<p>One</p><p>Two</p>", Rules());

            Assert.Equal("One\nTwo", result.Content);
            Assert.Equal(Hashing.Sha256("One\nTwo"), result.Hash);
            Assert.Equal(64, result.Hash.Length);
            Assert.Equal(2, result.EntryCount);
        }
    }

    public class Dropped
    {
        [Fact]
        public void Extract_ScriptsStylesCommentsAndNoscript_AreDropped()
        {
            const string html = """
                <html><head><title>Page title</title><style>p { color: red }</style><script>var tracking = 1;</script></head>
                <body>
                  <script>document.write('injected')</script>
                  <!-- build 2024-05-01 -->
                  <noscript>Enable JavaScript</noscript>
                  <style>.x{}</style>
                  <template><p>template text</p></template>
                  <p>Visible text</p>
                </body></html>
                """;

            Assert.Equal(["Visible text"], Lines(html));
        }

        [Fact]
        public void Extract_HiddenElements_AreDropped()
        {
            Assert.Equal(["Shown"], Lines("<p>Shown</p><p hidden>Secret</p>"));
        }

        [Fact]
        public void Extract_FormControls_AreDropped()
        {
            Assert.Equal(["Text"], Lines("<p>Text</p><button>Accept cookies</button><select><option>English</option></select>"));
        }
    }

    public class Selection
    {
        private const string Page = """
            <body>
              <nav>Home | Pricing | Login</nav>
              <main>
                <article id="a"><p>Article A</p></article>
                <aside id="b"><p>Aside B</p></aside>
              </main>
              <footer>© Acme</footer>
            </body>
            """;

        [Fact]
        public void Extract_SingleSelector_KeepsOnlyTheSelection()
        {
            Assert.Equal(["Article A", "Aside B"], Lines(Page, Rules(select: ["main"])));
        }

        [Fact]
        public void Extract_SelectorArray_KeepsEverySelectionInDocumentOrder()
        {
            // selectors listed in reverse order: the text still follows the page
            Assert.Equal(["Home | Pricing | Login", "Article A", "© Acme"], Lines(Page, Rules(select: ["footer", "#a", "nav"])));
        }

        [Fact]
        public void Extract_NestedSelections_AreNotDuplicated()
        {
            // "main" contains "#a": its text must appear once
            Assert.Equal(["Article A", "Aside B"], Lines(Page, Rules(select: ["#a", "main", "p"])));
        }

        [Fact]
        public void Extract_SelectorMatchingSeveralElements_KeepsEach()
        {
            Assert.Equal(["Article A", "Aside B"], Lines(Page, Rules(select: ["p"])));
        }

        [Fact]
        public void Extract_TextOutsideSelection_DoesNotAffectTheHash()
        {
            var before = Hash(Page, Rules(select: ["main"]));
            var after = Hash(Page.Replace("© Acme", "© Acme 2031", StringComparison.Ordinal).Replace("Login", "Sign in", StringComparison.Ordinal), Rules(select: ["main"]));

            Assert.Equal(before, after);
        }

        [Fact]
        public void Extract_TextInsideSelection_ChangesTheHash()
        {
            var before = Hash(Page, Rules(select: ["main"]));
            var after = Hash(Page.Replace("Article A", "Article A (China excluded)", StringComparison.Ordinal), Rules(select: ["main"]));

            Assert.NotEqual(before, after);
        }
    }

    public class Remove
    {
        [Fact]
        public void Extract_RemoveSelectors_DropMatchingElements()
        {
            const string html = """<main><div class="cookie-banner">We use cookies</div><p>Terms</p><div aria-hidden="true">Decoration</div><nav>Menu</nav></main>""";

            Assert.Equal(["Terms"], Lines(html, Rules(select: ["main"], remove: [".cookie-banner", "[aria-hidden=true]", "nav"])));
        }

        [Fact]
        public void Extract_RemoveInsideSelection_AppliesBeforeSelecting()
        {
            const string html = """<article><p>Keep</p><p class="updated">Updated yesterday</p></article>""";

            Assert.Equal(["Keep"], Lines(html, Rules(select: ["article"], remove: [".updated"])));
        }

        [Fact]
        public void Extract_RemovingTheSelectedElement_MeansTheSelectorMatchesNothing()
        {
            var ex = Assert.Throws<ExtractionException>(() => HtmlExtractor.Extract("<main><p>x</p></main>", Rules(select: ["main"], remove: ["main"])));

            Assert.Equal("selector-not-found", ex.Category);
        }
    }

    public class Normalization
    {
        [Fact]
        public void Extract_Entities_AreDecoded()
        {
            Assert.Equal(["AT&T <tag> café 中国 \"quoted\" it's"], Lines("<p>AT&amp;T &lt;tag&gt; caf&eacute; &#x4E2D;&#22269; &quot;quoted&quot; it&#39;s</p>"));
        }

        [Fact]
        public void Extract_NfcAndNfd_YieldIdenticalContentAndHash()
        {
            var composed = "<p>Caf\u00E9 in S\u00E3o Paulo</p>";
            var decomposed = "<p>Cafe\u0301 in Sa\u0303o Paulo</p>";

            Assert.NotEqual(composed, decomposed);
            Assert.Equal(Text(composed), Text(decomposed));
            Assert.Equal(Hash(composed), Hash(decomposed));
        }

        [Fact]
        public void Extract_WhitespaceIndentationAndLineEndings_DoNotChangeTheHash()
        {
            const string compact = "<main><h1>Terms</h1><p>You may not use the service in China.</p><ul><li>A</li><li>B</li></ul></main>";
            const string indentedLf = "<main>\n    <h1>\n        Terms\n    </h1>\n    <p>You   may not use\n        the service\tin China.</p>\n    <ul>\n      <li> A </li>\n      <li>B</li>\n    </ul>\n</main>\n";
            var indentedCrLf = indentedLf.Replace("\n", "\r\n", StringComparison.Ordinal);

            Assert.Equal(Hash(compact), Hash(indentedLf));
            Assert.Equal(Hash(compact), Hash(indentedCrLf));
            Assert.Equal(["Terms", "You may not use the service in China.", "A", "B"], Lines(indentedCrLf));
        }

        [Fact]
        public void Extract_NonBreakingAndZeroWidthSpaces_AreNormalised()
        {
            Assert.Equal(Hash("<p>Hong Kong SAR</p>"), Hash("<p>Hong&nbsp;Kong\u200B SAR\u00A0</p>"));
        }

        [Fact]
        public void Extract_AttributeOrderAndValues_DoNotChangeTheHash()
        {
            var a = Hash("""<p class="lead" id="x" data-track="123">Text</p>""");
            var b = Hash("""<p data-track="456" id="x" class="lead">Text</p>""");

            Assert.Equal(a, b);
        }

        [Fact]
        public void Extract_RealTextChange_ChangesTheHash()
        {
            Assert.NotEqual(Hash("<p>Available in Hong Kong</p>"), Hash("<p>Not available in Hong Kong</p>"));
        }
    }

    public class Ignore
    {
        [Fact]
        public void Extract_IgnorePattern_RemovesVolatileText()
        {
            var rules = Rules(ignore: ["Updated \\d+ days? ago"]);

            Assert.Equal(["Supported countries", "Canada"], Lines("<h1>Supported countries</h1><p>Updated 3 days ago</p><p>Canada</p>", rules));
            Assert.Equal(
                Hash("<h1>Supported countries</h1><p>Updated 3 days ago</p>", rules),
                Hash("<h1>Supported countries</h1><p>Updated 12 days ago</p>", rules));
        }

        [Fact]
        public void Extract_IgnorePattern_IsCaseInsensitive()
        {
            var rules = Rules(ignore: ["updated \\d+ days ago"]);

            Assert.Equal(["Terms ·"], Lines("<p>Terms · UPDATED 3 DAYS AGO</p>", rules));
        }

        [Fact]
        public void Extract_IgnorePattern_InsideALine_LeavesTheRestOfTheLine()
        {
            var rules = Rules(ignore: ["\\(last checked [^)]*\\)"]);

            Assert.Equal(["Available in Japan and Korea"], Lines("<p>Available in Japan (last checked 10:42) and Korea</p>", rules));
        }

        [Fact]
        public void Extract_WithoutIgnore_VolatileTextChangesTheHash()
        {
            Assert.NotEqual(Hash("<p>Updated 3 days ago</p><p>x</p>"), Hash("<p>Updated 4 days ago</p><p>x</p>"));
        }
    }

    public class ListMode
    {
        private static ExtractionRules ListRules(string[]? select = null, string[]? ignore = null) => Rules(select: select, ignore: ignore, extract: ExtractMode.List);

        [Fact]
        public void Extract_List_EntriesAreSorted()
        {
            var result = HtmlExtractor.Extract("<ul><li>Japan</li><li>Canada</li><li>Brazil</li></ul>", ListRules());

            Assert.Equal("Brazil\nCanada\nJapan", result.Content);
            Assert.Equal(3, result.EntryCount);
        }

        [Fact]
        public void Extract_List_OrderOfItemsIsIrrelevant()
        {
            Assert.Equal(
                Hash("<ul><li>Japan</li><li>Canada</li></ul>", ListRules()),
                Hash("<ol><li>Canada</li><li>Japan</li></ol>", ListRules()));
        }

        [Fact]
        public void Extract_List_DuplicatesCollapse()
        {
            var result = HtmlExtractor.Extract("<ul><li>Japan</li><li>Canada</li><li> Japan </li></ul>", ListRules());

            Assert.Equal("Canada\nJapan", result.Content);
            Assert.Equal(2, result.EntryCount);
        }

        [Fact]
        public void Extract_List_NestedListItemsAreSeparateEntries()
        {
            const string html = "<ul><li>Asia<ul><li>Japan</li><li>South <b>Korea</b></li></ul></li><li>Europe</li></ul>";

            Assert.Equal(["Asia", "Europe", "Japan", "South Korea"], Lines(html, ListRules()));
        }

        [Fact]
        public void Extract_List_OnlyItemsInsideTheSelection()
        {
            const string html = "<nav><ul><li>Home</li></ul></nav><main><p>Intro text</p><ul><li>Canada</li></ul><ul><li>Albania</li></ul></main>";

            Assert.Equal(["Albania", "Canada"], Lines(html, ListRules(select: ["main"])));
        }

        [Fact]
        public void Extract_List_SelectorMatchingItemsDirectly_UsesThem()
        {
            Assert.Equal(["Canada", "Japan"], Lines("<ul><li class='c'>Japan</li><li>Chad</li><li class='c'>Canada</li></ul>", ListRules(select: ["li.c"])));
        }

        [Fact]
        public void Extract_List_IgnoreAppliesToEachEntry()
        {
            Assert.Equal(["Canada", "Japan"], Lines("<ul><li>Japan (new)</li><li>Canada</li></ul>", ListRules(ignore: ["\\(new\\)"])));
        }

        [Fact]
        public void Extract_List_BlocksInsideAnItem_AreSeparatedBySpaces()
        {
            Assert.Equal(["Hong Kong Macau"], Lines("<ul><li><p>Hong Kong</p><p>Macau</p></li></ul>", ListRules()));
        }

        [Fact]
        public void Extract_List_TableInsideAnItem_KeepsCellSeparators()
        {
            Assert.Equal(["China | Unsupported"], Lines("<ul><li><table><tr><td>China</td><td>Unsupported</td></tr></table></li></ul>", ListRules()));
        }

        [Fact]
        public void Extract_List_ItemWithLineBreakAndBlocks_IsOneEntry()
        {
            Assert.Equal(["Hong Kong SAR (limited) details"], Lines("<ul><li><p>Hong Kong SAR</p><br>(limited) <div>details</div></li></ul>", ListRules()));
        }
    }

    public class Errors
    {
        [Theory]
        [InlineData("")]
        [InlineData("   \r\n\t ")]
        public void Extract_EmptyPage_ThrowsEmptyContent(string html)
        {
            var ex = Assert.Throws<ExtractionException>(() => HtmlExtractor.Extract(html, Rules()));

            Assert.Equal("empty-content", ex.Category);
        }

        [Fact]
        public void Extract_PageWithOnlyScripts_ThrowsEmptyContent()
        {
            var ex = Assert.Throws<ExtractionException>(() => HtmlExtractor.Extract("<html><head><script>x()</script></head><body><!-- --></body></html>", Rules()));

            Assert.Equal("empty-content", ex.Category);
        }

        [Fact]
        public void Extract_WhenSelectorMatchesNothing_ThrowsSelectorNotFound()
        {
            var ex = Assert.Throws<ExtractionException>(() => HtmlExtractor.Extract("<main><p>Terms</p></main>", Rules(select: ["article.terms"])));

            Assert.Equal("selector-not-found", ex.Category);
            Assert.Contains("article.terms", ex.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Extract_WhenNoneOfSeveralSelectorsMatches_ThrowsSelectorNotFound()
        {
            var ex = Assert.Throws<ExtractionException>(() => HtmlExtractor.Extract("<main><p>Terms</p></main>", Rules(select: ["#a", "#b"])));

            Assert.Equal("selector-not-found", ex.Category);
        }

        [Fact]
        public void Extract_WhenOneOfSeveralSelectorsMatches_Succeeds()
        {
            Assert.Equal(["Terms"], Lines("<main><p>Terms</p></main>", Rules(select: ["#missing", "main"])));
        }

        [Fact]
        public void Extract_WhenSelectionHasNoText_ThrowsEmptyContent()
        {
            var ex = Assert.Throws<ExtractionException>(() => HtmlExtractor.Extract("<p>Outside</p><main><div> </div><script>x</script></main>", Rules(select: ["main"])));

            Assert.Equal("empty-content", ex.Category);
        }

        [Fact]
        public void Extract_WhenIgnoreRemovesAllText_ThrowsEmptyContent()
        {
            var ex = Assert.Throws<ExtractionException>(() => HtmlExtractor.Extract("<p>Updated 3 days ago</p>", Rules(ignore: ["updated .* ago"])));

            Assert.Equal("empty-content", ex.Category);
        }

        [Fact]
        public void Extract_ListModeWithoutListItems_ThrowsEmptyContent()
        {
            var ex = Assert.Throws<ExtractionException>(() => HtmlExtractor.Extract("<main><p>Canada, Japan</p></main>", Rules(select: ["main"], extract: ExtractMode.List)));

            Assert.Equal("empty-content", ex.Category);
        }

        [Fact]
        public void Extract_ListModeWithOnlyEmptyItems_ThrowsEmptyContent()
        {
            var ex = Assert.Throws<ExtractionException>(() => HtmlExtractor.Extract("<ul><li> </li><li></li></ul>", Rules(extract: ExtractMode.List)));

            Assert.Equal("empty-content", ex.Category);
        }
    }
}
