using ComplianceWatch.Core.Catalog;

namespace ComplianceWatch.Core.Tests.Catalog;

/// <summary>The <c>render</c> and <c>waitFor</c> fields of a terms source.</summary>
public class RenderFieldsTests
{
    private const string File = "catalogs/render.json";

    private static string Catalog(string extra) =>
        $$"""{ "sources": [ { "id": "acme-app", "kind": "terms", "title": "Acme", "url": "https://acme.example/terms", "select": ["main", "#policy"] {{extra}} } ] }""";

    private static TermsSource Source(string extra) => (TermsSource)Assert.Single(CatalogLoader.Parse(Catalog(extra), File).Sources);

    private static CatalogError SingleError(string extra)
    {
        var ex = Assert.Throws<CatalogException>(() => CatalogLoader.Parse(Catalog(extra), File));
        var error = Assert.Single(ex.Errors);
        Assert.Equal(File, error.File);
        Assert.Equal("acme-app", error.SourceId);
        return error;
    }

    [Fact]
    public void Parse_WithoutRender_ReadsTheDocumentAsServed()
    {
        var source = Source("");

        Assert.False(source.Render);
        Assert.Null(source.WaitFor);
    }

    [Fact]
    public void Parse_RenderWithoutWaitFor_WaitsForTheSelectSelectors()
    {
        var source = Source(""", "render": true""");

        Assert.True(source.Render);
        Assert.Equal("main, #policy", source.RenderWaitFor);
    }

    [Fact]
    public void Parse_RenderWithWaitFor_WaitsForIt()
    {
        var source = Source(""", "render": true, "waitFor": "article .terms-body" """);

        Assert.Equal("article .terms-body", source.WaitFor);
        Assert.Equal("article .terms-body", source.RenderWaitFor);
    }

    [Fact]
    public void Parse_WaitForNotACssSelector_NamesFileSourceAndField()
    {
        var error = SingleError(""", "render": true, "waitFor": "div[" """);

        Assert.Equal("waitFor", error.Field);
        Assert.Contains("not a valid CSS selector", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WaitForWithoutRender_IsRefusedNamingTheField()
    {
        var error = SingleError(""", "waitFor": "main" """);

        Assert.Equal("waitFor", error.Field);
        Assert.Contains("render", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"yes\"")]
    [InlineData("1")]
    public void Parse_RenderNotABoolean_NamesTheField(string value)
    {
        var error = SingleError($$""", "render": {{value}}""");

        Assert.Equal("render", error.Field);
    }

    [Fact]
    public void Parse_EmptyWaitFor_NamesTheField()
    {
        Assert.Equal("waitFor", SingleError(""", "render": true, "waitFor": "" """).Field);
    }
}
