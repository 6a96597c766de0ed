using System.Text.Json;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Cli.Tests;

/// <summary>The README's run command on the shipped catalog, as a new user without internet would run it.</summary>
public sealed class DefaultCatalogTests : IDisposable
{
    private readonly TempDirectory directory = new();

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ComplianceWatch.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public async Task SourcesValidate_DefaultCatalog_IsValid()
    {
        var result = await CliRunner.RunProcessAsync(RepositoryRoot(), "sources", "validate");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("is valid", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_DefaultCatalogWithoutInternet_ReportsEverySourceAsDnsOrConnectErrorAndExitsOne()
    {
        // Tests run without internet (only loopback): every provider page must fail cleanly, nothing may crash.
        var catalog = Path.Combine(RepositoryRoot(), "catalog", "default.json");
        var result = await CliRunner.RunProcessAsync(directory.Path, "check", "--catalog", catalog, "--json");
        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Out);
        var errors = doc.RootElement.GetProperty("errors").EnumerateArray().ToArray();
        var checkedCount = doc.RootElement.GetProperty("checked").GetInt32();
        Assert.True(checkedCount >= 30, $"only {checkedCount} sources in the default catalog");
        Assert.Equal(checkedCount, errors.Length);
        Assert.All(errors, e => Assert.Contains(e.GetProperty("category").GetString(), new[] { "dns", "connect" }));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(directory.Path, ".compliancewatch"), "*.tmp", SearchOption.AllDirectories));
        var verify = await CliRunner.RunProcessAsync(directory.Path, "audit", "verify");
        Assert.Equal(0, verify.ExitCode);
    }

    public void Dispose() => directory.Dispose();
}
