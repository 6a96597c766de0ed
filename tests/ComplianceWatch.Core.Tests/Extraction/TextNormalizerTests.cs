using System.Text.RegularExpressions;
using ComplianceWatch.Core.Extraction;

namespace ComplianceWatch.Core.Tests.Extraction;

public class TextNormalizerTests
{
    private static readonly IReadOnlyList<Regex> NoIgnore = [];

    public class NormalizeLine
    {
        [Fact]
        public void NormalizeLine_ComposesToNfc()
        {
            var result = TextNormalizer.NormalizeLine("Cafe\u0301", NoIgnore);

            Assert.Equal("Caf\u00E9", result);
        }

        [Theory]
        [InlineData("  Hong   Kong  ", "Hong Kong")]
        [InlineData("Hong\tKong\r\n", "Hong Kong")]
        [InlineData("Hong\u00A0Kong", "Hong Kong")]
        [InlineData("Hong\u2003\u3000Kong", "Hong Kong")]
        [InlineData("\u200BHong\u200D Kong\uFEFF", "Hong Kong")]
        [InlineData("ex\u00ADport control", "export control")]
        [InlineData("a\u0007b", "a b")]
        [InlineData(" \t ", "")]
        public void NormalizeLine_CollapsesWhitespaceAndDropsInvisibleCharacters(string input, string expected)
        {
            Assert.Equal(expected, TextNormalizer.NormalizeLine(input, NoIgnore));
        }

        [Fact]
        public void NormalizeLine_IgnorePatterns_AreRemovedAndSpacesCollapsed()
        {
            var ignore = TextNormalizer.CompileIgnore(["updated \\d+ days ago", "\\[beta\\]"]);

            Assert.Equal("Terms of Use", TextNormalizer.NormalizeLine("Terms [BETA] of Use  Updated 3 days ago", ignore));
        }

        [Fact]
        public void NormalizeLine_IgnoreAppliesAfterNormalisation()
        {
            // the pattern has single spaces; the page had runs of white space and NBSP
            var ignore = TextNormalizer.CompileIgnore(["Updated 3 days ago"]);

            Assert.Equal("Terms", TextNormalizer.NormalizeLine("Terms Updated\u00A0 3\n days ago", ignore));
        }
    }

    public class CollapseWhitespace
    {
        /// <summary>The definition, one character at a time: what the bulk implementation must produce.</summary>
        private static string Reference(string text)
        {
            var result = new System.Text.StringBuilder();
            var pendingSpace = false;
            foreach (var c in text)
            {
                if (c is '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF' or '\u00AD')
                {
                    continue;
                }

                if (char.IsWhiteSpace(c) || char.IsControl(c))
                {
                    pendingSpace = result.Length > 0;
                    continue;
                }

                if (pendingSpace)
                {
                    result.Append(' ');
                    pendingSpace = false;
                }

                result.Append(c);
            }

            return result.ToString();
        }

        [Fact]
        public void CollapseWhitespace_RandomText_EqualsTheCharacterByCharacterDefinition()
        {
            const string alphabet = "ab Z.  \t\n\r\u00A0\u200B\u00AD\u0007\u0085\u2003\u3000\uFEFF\u00E9\u4E2D~!";
            var random = new Random(13);
            for (var i = 0; i < 20_000; i++)
            {
                var chars = new char[random.Next(0, 40)];
                for (var j = 0; j < chars.Length; j++)
                {
                    chars[j] = alphabet[random.Next(alphabet.Length)];
                }

                var text = new string(chars);
                Assert.Equal(Reference(text), TextNormalizer.CollapseWhitespace(text));
            }
        }

        [Theory]
        [InlineData("  leading and trailing  ", "leading and trailing")]
        [InlineData("one  two   three", "one two three")]
        [InlineData("\u200B \u200B", "")]
        [InlineData("a \u200B b", "a b")]
        [InlineData("a\u200Bb", "ab")]
        [InlineData("words only", "words only")]
        public void CollapseWhitespace_CollapsesRunsAndTrims(string input, string expected)
        {
            Assert.Equal(expected, TextNormalizer.CollapseWhitespace(input));
        }
    }

    public class CompileIgnore
    {
        [Fact]
        public void CompileIgnore_PatternsAreCaseInsensitive()
        {
            var regex = Assert.Single(TextNormalizer.CompileIgnore(["updated today"]));

            Assert.Matches(regex, "UPDATED TODAY");
        }

        [Fact]
        public void CompileIgnore_InvalidPattern_Throws()
        {
            Assert.ThrowsAny<ArgumentException>(() => TextNormalizer.CompileIgnore(["(unclosed"]));
        }
    }
}
