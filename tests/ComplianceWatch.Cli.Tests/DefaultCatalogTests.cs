using System.Text.Json;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Cli.Tests;

/// <summary>The README's run command on the shipped catalog, as a new user without internet would run it.</summary>
public sealed class DefaultCatalogTests : IDisposable
{
    private readonly TempDirectory directory = new();

    [Fact]
    public async Task SourcesValidate_DefaultCatalog_IsValid()
    {
        var result = await CliRunner.RunProcessAsync(RepositoryPaths.Root, "sources", "validate");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("is valid", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_DefaultCatalogWithoutInternet_ReportsEverySourceAsAnErrorAndExitsOne()
    {
        // Tests run without internet (only loopback): every provider page must fail cleanly with dns or connect, and
        // every reachability source must be `unknown` (neither this host nor Globalping can measure, so nothing can be
        // told about the endpoints: no verdict, no baseline, no event). Nothing may crash.
        var catalog = Path.Combine(RepositoryPaths.Root, "catalog", "default.json");
        var kinds = ComplianceWatch.Core.Catalog.CatalogLoader.Parse(await File.ReadAllTextAsync(catalog), catalog).Sources.ToDictionary(s => s.Id, s => s.Kind);
        var result = await CliRunner.RunProcessAsync(directory.Path, "check", "--catalog", catalog, "--json");
        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Out);
        var errors = doc.RootElement.GetProperty("errors").EnumerateArray().ToArray();
        var checkedCount = doc.RootElement.GetProperty("checked").GetInt32();
        Assert.True(checkedCount >= 30, $"only {checkedCount} sources in the default catalog");
        Assert.True(kinds.Values.Count(k => k == "reachability") >= 5, "the default catalog probes the main providers' API endpoints");
        Assert.Equal(checkedCount, errors.Length);
        Assert.Equal(0, doc.RootElement.GetProperty("changes").GetArrayLength());
        Assert.Equal(0, doc.RootElement.GetProperty("baselined").GetInt32());
        Assert.All(errors, e =>
        {
            var expected = kinds[e.GetProperty("sourceId").GetString()!] == "reachability" ? new[] { "unknown" } : ["dns", "connect"];
            Assert.Contains(e.GetProperty("category").GetString(), expected);
        });
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(directory.Path, ".compliancewatch"), "*.tmp", SearchOption.AllDirectories));
        var verify = await CliRunner.RunProcessAsync(directory.Path, "audit", "verify");
        Assert.Equal(0, verify.ExitCode);
    }

    public void Dispose() => directory.Dispose();
}
