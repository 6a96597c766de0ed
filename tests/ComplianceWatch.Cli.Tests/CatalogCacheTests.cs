using ComplianceWatch.Testing;

namespace ComplianceWatch.Cli.Tests;

/// <summary>The installed tool remembers catalogs that passed the schema in the user's cache (<c>$XDG_CACHE_HOME</c>).</summary>
public sealed class CatalogCacheTests : IDisposable
{
    private readonly TempDirectory directory = new();

    public void Dispose() => directory.Dispose();

    private Dictionary<string, string> Environment() => new() { ["XDG_CACHE_HOME"] = directory.File("cache") };

    private string[] Entries()
    {
        var entries = directory.File(Path.Combine("cache", "compliancewatch", "catalogs"));
        return Directory.Exists(entries) ? Directory.GetFiles(entries) : [];
    }

    [Fact]
    public async Task AValidCatalog_IsRememberedOnce_AndTheSecondRunReportsTheSame()
    {
        var catalog = directory.File("catalog.json");
        await File.WriteAllTextAsync(catalog, """{ "sources": [] }""");
        string[] args = ["check", "--catalog", catalog, "--state", directory.File("state"), "--json"];

        var first = await CliRunner.RunProcessAsync(Environment(), directory.Path, args);
        var second = await CliRunner.RunProcessAsync(Environment(), directory.Path, args);

        Assert.Equal((0, ""), (first.ExitCode, first.Error));
        Assert.Equal((0, first.Out), (second.ExitCode, second.Out));
        Assert.Single(Entries());
    }

    [Fact]
    public async Task ARefusedCatalog_IsNotRemembered_AndIsRefusedAgain()
    {
        var catalog = directory.File("catalog.json");
        await File.WriteAllTextAsync(catalog, """{ "sources": [ { "id": "typo", "kind": "terms", "title": "T", "url": "https://example.com/", "selector": "main" } ] }""");
        string[] args = ["check", "--catalog", catalog, "--state", directory.File("state")];

        foreach (var _ in new[] { 1, 2 })
        {
            var result = await CliRunner.RunProcessAsync(Environment(), directory.Path, args);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("selector", result.Error, StringComparison.Ordinal);
        }

        Assert.Empty(Entries());
    }
}
