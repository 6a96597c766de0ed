using System.Text.Json;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Cli.Tests;

/// <summary>
/// Killing <c>check</c> at a random instant and running it again leaves a consistent store and reports each change once
/// (embedded store here; <see cref="TableStorageCrashSafetyTests"/> runs the same on Table Storage).
/// </summary>
public class CrashSafetyTests : IAsyncLifetime
{
    private const int Sources = 24;
    private readonly TempDirectory directory = new();
    private LoopbackServer server = null!;
    private string catalog = null!;

    /// <summary>The options that select the store under test.</summary>
    protected virtual string[] StoreArgs => ["--state", directory.File("state")];

    /// <summary>Environment variables of the tool's processes.</summary>
    protected virtual IReadOnlyDictionary<string, string>? Environment => null;

    public virtual async Task InitializeAsync()
    {
        server = await LoopbackServer.StartAsync();
        catalog = directory.File("catalog.json");
        await File.WriteAllTextAsync(catalog, Catalogs.Many(Enumerable.Range(0, Sources).Select(i => ($"page-{i:D2}", server.Url($"p/{i}")))));
    }

    public virtual async Task DisposeAsync()
    {
        await server.DisposeAsync();
        directory.Dispose();
    }

    private void Publish(int revision)
    {
        for (var i = 0; i < Sources; i++)
        {
            server.Set($"p/{i}", new Page
            {
                Body = $"<html><body><main><h1>Terms {i}</h1><p>Revision {revision} of the terms.</p></main></body></html>",
                Delay = TimeSpan.FromMilliseconds(80), // long enough that a kill lands mid-run
            });
        }
    }

    [Fact]
    public async Task KillAtRandomInstant_ThenRerun_StoreConsistentAndEachChangeReportedOnce()
    {
        Publish(0);
        var baseline = await CliRunner.RunProcessAsync(Environment, directory.Path, ["check", "--catalog", catalog, .. StoreArgs, "--allow-private-network", "--json"]);
        Assert.Equal(0, baseline.ExitCode);

        var random = new Random(20261129);
        for (var revision = 1; revision <= 3; revision++)
        {
            Publish(revision);
            using (var process = CliRunner.Start(Environment, directory.Path, ["check", "--catalog", catalog, .. StoreArgs, "--allow-private-network", "--json"]))
            {
                await Task.Delay(random.Next(150, 1200));
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            var rerun = await CliRunner.RunProcessAsync(Environment, directory.Path, ["check", "--catalog", catalog, .. StoreArgs, "--allow-private-network", "--json"]);
            Assert.True(rerun.ExitCode == 0, rerun.Error);
            using var doc = JsonDocument.Parse(rerun.Out);
            Assert.Equal(0, doc.RootElement.GetProperty("errors").GetArrayLength());

            // across the killed run and the rerun: exactly one change per source for this revision
            var audit = await CliRunner.RunProcessAsync(Environment, directory.Path, ["audit", .. StoreArgs, "--json"]);
            using var history = JsonDocument.Parse(audit.Out);
            var changes = history.RootElement.EnumerateArray().Where(e => e.GetProperty("type").GetString() == "change").ToArray();
            Assert.Equal(Sources * revision, changes.Length);
            Assert.Equal(changes.Length, changes.Select(c => c.GetProperty("event").GetProperty("id").GetString()).Distinct().Count());
            for (var i = 0; i < Sources; i++)
            {
                Assert.Equal(revision, changes.Count(c => c.GetProperty("sourceId").GetString() == $"page-{i:D2}"));
            }

            var verify = await CliRunner.RunProcessAsync(Environment, directory.Path, ["audit", "verify", .. StoreArgs]);
            Assert.True(verify.ExitCode == 0, verify.Out + verify.Error);
        }
    }
}
