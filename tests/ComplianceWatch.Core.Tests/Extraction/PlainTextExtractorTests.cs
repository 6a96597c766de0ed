using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Extraction;

namespace ComplianceWatch.Core.Tests.Extraction;

public class PlainTextExtractorTests
{
    private static ExtractionRules Rules(string[]? ignore = null, ExtractMode extract = ExtractMode.Text) => new([], [], ignore ?? [], extract);

    [Fact]
    public void Extract_EachNonEmptyLine_IsALine()
    {
        var result = PlainTextExtractor.Extract("LICENSE\n\n  You may not use this model\tin China.  \n\n\nEnd\n", Rules());

        Assert.Equal("LICENSE\nYou may not use this model in China.\nEnd", result.Content);
        Assert.Equal(3, result.EntryCount);
        Assert.Equal(Hashing.Sha256(result.Content), result.Hash);
    }

    [Fact]
    public void Extract_CrLfAndLf_YieldTheSameHash()
    {
        Assert.Equal(
            PlainTextExtractor.Extract("one\ntwo\n", Rules()).Hash,
            PlainTextExtractor.Extract("one\r\ntwo\r\n", Rules()).Hash);
    }

    [Fact]
    public void Extract_NfdText_IsComposed()
    {
        Assert.Equal(
            PlainTextExtractor.Extract("Caf\u00E9", Rules()).Hash,
            PlainTextExtractor.Extract("Cafe\u0301", Rules()).Hash);
    }

    [Fact]
    public void Extract_ListMode_SortsAndDeduplicates()
    {
        var result = PlainTextExtractor.Extract("Japan\nCanada\nJapan\n", Rules(extract: ExtractMode.List));

        Assert.Equal("Canada\nJapan", result.Content);
        Assert.Equal(2, result.EntryCount);
    }

    [Fact]
    public void Extract_TextMode_KeepsOrderAndDuplicates()
    {
        Assert.Equal("Japan\nCanada\nJapan", PlainTextExtractor.Extract("Japan\nCanada\nJapan", Rules()).Content);
    }

    [Fact]
    public void Extract_IgnorePatterns_AreApplied()
    {
        Assert.Equal("Terms", PlainTextExtractor.Extract("Terms\nGenerated 2024-05-01 10:00\n", Rules(ignore: ["generated \\S+ \\S+"])).Content);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n \r\n\t\n")]
    public void Extract_EmptyDocument_ThrowsEmptyContent(string text)
    {
        var ex = Assert.Throws<ExtractionException>(() => PlainTextExtractor.Extract(text, Rules()));

        Assert.Equal("empty-content", ex.Category);
    }
}
