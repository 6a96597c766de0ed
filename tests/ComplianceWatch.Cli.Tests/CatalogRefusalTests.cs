using ComplianceWatch.Testing;

namespace ComplianceWatch.Cli.Tests;

/// <summary>A catalog that does not validate is refused as a whole: exit 2, a message naming file, source and field, nothing written.</summary>
public sealed class CatalogRefusalTests : IDisposable
{
    private readonly TempDirectory directory = new();

    public static TheoryData<string, string, string, string> BadCatalogs => new()
    {
        {
            "unknown kind",
            """{ "sources": [ { "id": "weird", "kind": "telepathy", "title": "T", "url": "https://example.com/" } ] }""",
            "weird", "kind"
        },
        {
            "duplicate id",
            """{ "sources": [ { "id": "twice", "kind": "terms", "title": "A", "url": "https://a.example/" }, { "id": "twice", "kind": "terms", "title": "B", "url": "https://b.example/" } ] }""",
            "twice", "id"
        },
        {
            "missing field",
            """{ "sources": [ { "id": "no-url", "kind": "terms", "title": "T" } ] }""",
            "no-url", "url"
        },
        {
            "bad CSS selector",
            """{ "sources": [ { "id": "bad-css", "kind": "terms", "title": "T", "url": "https://example.com/", "select": "main >>> [[" } ] }""",
            "bad-css", "select"
        },
        {
            "unknown field",
            """{ "sources": [ { "id": "typo", "kind": "terms", "title": "T", "url": "https://example.com/", "selector": "main" } ] }""",
            "typo", "selector"
        },
    };

    [Theory]
    [MemberData(nameof(BadCatalogs))]
    public async Task Check_WithInvalidCatalog_ExitsTwoNamingFileSourceAndFieldAndWritesNothing(string problem, string json, string sourceId, string field)
    {
        var catalog = directory.File("bad.json");
        await File.WriteAllTextAsync(catalog, "// " + problem + "\n" + json);
        var state = directory.File("state");

        var result = await CliRunner.RunAsync("check", "--catalog", catalog, "--state", state, "--json");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Contains(catalog, result.Error, StringComparison.Ordinal);
        Assert.Contains($"source '{sourceId}'", result.Error, StringComparison.Ordinal);
        Assert.Contains($"field '{field}'", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(state), "state was written for a refused catalog");
    }

    [Fact]
    public async Task SourcesValidate_WithInvalidCatalog_ExitsTwo()
    {
        var catalog = directory.File("bad.json");
        await File.WriteAllTextAsync(catalog, """{ "sources": [ { "id": "x", "kind": "terms", "title": "T", "url": "https://example.com/", "ignore": ["(unclosed"] } ] }""");
        var result = await CliRunner.RunAsync("sources", "validate", "--catalog", catalog);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("field 'ignore[0]'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SourcesValidate_WithAFieldOfTheWrongShape_ExitsTwoSayingWhatTheFieldMustBe()
    {
        var catalog = directory.File("bad.json");
        await File.WriteAllTextAsync(catalog, """{ "sources": [ { "id": "x", "kind": "terms", "title": "T", "url": "https://example.com/", "remove": { "css": "nav" } } ] }""");

        var result = await CliRunner.RunAsync("sources", "validate", "--catalog", catalog);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("source 'x': field 'remove': `remove` must be a CSS selector or an array of them", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("allowed forms", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SourcesValidate_WithEmptyOptionalLists_AcceptsThemAsNone()
    {
        var catalog = directory.File("empty-lists.json");
        await File.WriteAllTextAsync(catalog, """
            { "sources": [
              { "id": "t", "kind": "terms", "title": "T", "url": "https://example.com/", "select": [], "remove": [], "ignore": [], "tags": [] },
              { "id": "f", "kind": "feed", "title": "F", "url": "https://example.com/rss", "match": [] },
              { "id": "r", "kind": "federal-register", "title": "R", "agencies": [], "types": [], "terms": [] }
            ] }
            """);

        var result = await CliRunner.RunAsync("sources", "validate", "--catalog", catalog);

        Assert.True(result.ExitCode == 0, result.Error);
    }

    [Fact]
    public async Task Check_WithMissingCatalogFile_ExitsTwoNamingIt()
    {
        var missing = directory.File("nope.json");
        var result = await CliRunner.RunAsync("check", "--catalog", missing, "--state", directory.File("state"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(missing, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WithUnknownSourceId_ExitsTwo()
    {
        var catalog = directory.File("ok.json");
        await File.WriteAllTextAsync(catalog, Catalogs.Terms(new Uri("http://127.0.0.1:9/")));
        var result = await CliRunner.RunAsync("check", "--catalog", catalog, "--state", directory.File("state"), "--source", "ghost");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("ghost", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(directory.File("state")));
    }

    [Fact]
    public async Task UnknownOption_ExitsTwo()
    {
        var result = await CliRunner.RunAsync("check", "--no-such-option");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--no-such-option", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidSetting_ExitsTwoNamingIt()
    {
        var catalog = directory.File("ok.json");
        await File.WriteAllTextAsync(catalog, Catalogs.Terms(new Uri("http://127.0.0.1:9/")));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var settings = new Dictionary<string, string?> { ["ComplianceWatch:MaxConcurrency"] = "0" };
        var code = await CliApp.RunAsync(["check", "--catalog", catalog, "--state", directory.File("state")], new CliEnvironment(stdout, stderr, settings, interactive: false));
        Assert.Equal(2, code);
        Assert.Contains("MaxConcurrency", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WithInvalidCatalogAndInvalidSetting_ReportsTheCatalogOnly()
    {
        // the services are composed beside the catalog's parsing; the catalog's error still comes first, alone
        var catalog = directory.File("bad.json");
        await File.WriteAllTextAsync(catalog, """{ "sources": [ { "id": "no-url", "kind": "terms", "title": "T" } ] }""");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var settings = new Dictionary<string, string?> { ["ComplianceWatch:MaxConcurrency"] = "0" };
        var code = await CliApp.RunAsync(["check", "--catalog", catalog, "--state", directory.File("state")], new CliEnvironment(stdout, stderr, settings, interactive: false));
        Assert.Equal(2, code);
        Assert.Contains("field 'url'", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("MaxConcurrency", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(directory.File("state")), "state was written for a refused catalog");
    }

    public void Dispose() => directory.Dispose();
}
