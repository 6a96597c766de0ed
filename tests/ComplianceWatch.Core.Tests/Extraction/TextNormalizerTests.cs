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
