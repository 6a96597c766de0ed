using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Core.Tests.Catalog;

/// <summary>
/// A catalog that passed the schema is remembered by its exact text (with the schema and the build), so that loading it
/// again skips the schema; anything else is validated in full, and the checks beyond the schema always run.
/// </summary>
public sealed class SchemaValidationCacheTests : IDisposable
{
    private const string File = "catalogs/test.json";

    private const string Valid = """{ "sources": [ { "id": "acme-terms", "kind": "terms", "title": "Acme terms", "url": "https://acme.example/terms" } ] }""";

    // fails the schema only ("selector" is no field of a source), so that a loader which skipped the schema would accept it
    private const string UnknownField = """{ "sources": [ { "id": "acme-terms", "kind": "terms", "title": "Acme terms", "url": "https://acme.example/terms", "selector": "main" } ] }""";

    private readonly TempDirectory directory = new();

    public void Dispose() => directory.Dispose();

    private SchemaValidationCache Cache() => new(directory.File("cache"));

    private string[] Entries() => Directory.Exists(directory.File("cache")) ? Directory.GetFiles(directory.File("cache")) : [];

    [Fact]
    public void AValidCatalog_IsRemembered_AndLoadsTheSameWithTheCacheAsWithout()
    {
        var first = CatalogLoader.Parse(Valid, File, Cache());
        var again = CatalogLoader.Parse(Valid, File, Cache());

        Assert.Single(Entries());
        Assert.True(Cache().Contains(Valid));
        var uncached = Assert.IsType<TermsSource>(Assert.Single(CatalogLoader.Parse(Valid, File).Sources));
        foreach (var loaded in new[] { first, again })
        {
            var terms = Assert.IsType<TermsSource>(Assert.Single(loaded.Sources));
            Assert.Equal((uncached.Id, uncached.Title, uncached.Url), (terms.Id, terms.Title, terms.Url));
        }
    }

    [Fact]
    public void ACatalogThatFailsTheSchema_IsNeverRemembered()
    {
        Assert.Throws<CatalogException>(() => CatalogLoader.Parse(UnknownField, File, Cache()));
        var again = Assert.Throws<CatalogException>(() => CatalogLoader.Parse(UnknownField, File, Cache()));

        Assert.Contains(again.Errors, e => e.Field == "selector");
        Assert.Empty(Entries());
    }

    [Fact]
    public void ACatalogThatDiffersByOneByte_IsValidatedAgain()
    {
        CatalogLoader.Parse(Valid, File, Cache());
        var edited = Valid.Replace("\"title\": \"Acme terms\"", "\"title\": \"Acme terms\", \"selector\": \"main\"", StringComparison.Ordinal);

        var error = Assert.Throws<CatalogException>(() => CatalogLoader.Parse(edited, File, Cache()));

        Assert.Contains(error.Errors, e => e.Field == "selector");
        Assert.False(Cache().Contains(Valid + " "));
    }

    [Fact]
    public void ARememberedCatalog_SkipsTheSchema_ButNotTheChecksBeyondIt()
    {
        // what the cache trusts: an entry (written here by hand) lets the text past the schema…
        Cache().Add(UnknownField);
        Assert.Single(CatalogLoader.Parse(UnknownField, File, Cache()).Sources);

        // …while ids, selectors, patterns and schedules are checked on every load
        var duplicate = """{ "sources": [ { "id": "twice", "kind": "terms", "title": "A", "url": "https://a.example/" }, { "id": "twice", "kind": "terms", "title": "B", "url": "https://b.example/" } ] }""";
        CatalogLoader.Parse(Valid, File, Cache());
        Cache().Add(duplicate);
        var error = Assert.Throws<CatalogException>(() => CatalogLoader.Parse(duplicate, File, Cache()));
        Assert.Contains(error.Errors, e => e.SourceId == "twice" && e.Field == "id");
    }

    [Fact]
    public void ACacheThatCannotBeWritten_IsNoCache_AndNothingFails()
    {
        var blocked = directory.File("a-file");
        System.IO.File.WriteAllText(blocked, "not a directory");
        var cache = new SchemaValidationCache(Path.Combine(blocked, "cache"));

        Assert.Single(CatalogLoader.Parse(Valid, File, cache).Sources);
        Assert.False(cache.Contains(Valid));
        Assert.Throws<CatalogException>(() => CatalogLoader.Parse(UnknownField, File, cache));
    }

    [Fact]
    public void TheCacheDirectory_IsTheOwnersOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix permissions
        }

        CatalogLoader.Parse(Valid, File, Cache());

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, System.IO.File.GetUnixFileMode(directory.File("cache")));
    }
}
