using System.Text.Json;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Cli.Tests;

/// <summary>
/// <c>check</c> through the tool's entry point against pages served on loopback, with the embedded store; derived
/// classes run the same tests on another store (<see cref="TableStorageCheckCommandTests"/>).
/// </summary>
public class CheckCommandTests : IAsyncLifetime
{
    private const string Countries = "<html><body><nav>menu</nav><main><h1>Supported countries</h1><ul><li>France</li><li>China</li><li>Japan</li></ul></main></body></html>";

    private readonly TempDirectory directory = new();
    private LoopbackServer server = null!;
    private string catalog = null!;

    /// <summary>The options that select the store under test.</summary>
    protected virtual string[] StoreArgs => ["--state", directory.File("state")];

    /// <summary>Runs the tool in process with the settings of the store under test.</summary>
    protected virtual Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(args);

    /// <summary>Replaces <paramref name="original"/> by <paramref name="replacement"/> inside a stored history entry, as an insider could.</summary>
    protected virtual async Task TamperAsync(string sourceId, long sequence, string original, string replacement)
    {
        var entryFile = Path.Combine(directory.File("state"), "sources", sourceId, "history", $"{sequence:D10}.json");
        await File.WriteAllTextAsync(entryFile, (await File.ReadAllTextAsync(entryFile)).Replace(original, replacement, StringComparison.Ordinal));
    }

    protected virtual Task AssertNothingRecordedAsync()
    {
        Assert.False(Directory.Exists(directory.File("state")));
        return Task.CompletedTask;
    }

    protected string Catalog => catalog;

    protected LoopbackServer Server => server;

    public virtual async Task InitializeAsync()
    {
        server = await LoopbackServer.StartAsync();
        catalog = directory.File("catalog.json");
        await File.WriteAllTextAsync(catalog, Catalogs.Terms(server.Url("countries"), id: "countries", select: "main ul", extract: "list"));
    }

    public virtual async Task DisposeAsync()
    {
        await server.DisposeAsync();
        directory.Dispose();
    }

    protected Task<CliResult> CheckJsonAsync(params string[] extra) =>
        RunAsync(["check", "--catalog", catalog, .. StoreArgs, "--allow-private-network", "--json", .. extra]);

    [Fact]
    public async Task CheckJson_BaselineThenChange_PrintsExactlyOneDocumentWithTheContractShape()
    {
        server.Set("countries", Countries);
        var first = await CheckJsonAsync();
        Assert.Equal(0, first.ExitCode);
        using (var doc = JsonDocument.Parse(first.Out))
        {
            var root = doc.RootElement;
            Assert.Equal(["changes", "errors", "checked", "unchanged", "baselined"], root.EnumerateObject().Select(p => p.Name).ToArray());
            Assert.Equal(0, root.GetProperty("changes").GetArrayLength());
            Assert.Equal(1, root.GetProperty("checked").GetInt32());
            Assert.Equal(1, root.GetProperty("baselined").GetInt32());
        }

        server.Set("countries", Countries.Replace("<li>China</li>", "<li>Vietnam</li>", StringComparison.Ordinal));
        var second = await CheckJsonAsync();
        Assert.Equal(0, second.ExitCode);
        using (var doc = JsonDocument.Parse(second.Out))
        {
            var change = Assert.Single(doc.RootElement.GetProperty("changes").EnumerateArray());
            Assert.Equal("1.0", change.GetProperty("specversion").GetString());
            Assert.Equal("compliancewatch.terms.changed", change.GetProperty("type").GetString());
            Assert.Equal("/compliancewatch/sources/countries", change.GetProperty("source").GetString());
            Assert.Equal("urn:compliancewatch:change-event:1", change.GetProperty("dataschema").GetString());
            var data = change.GetProperty("data");
            Assert.Equal("critical", data.GetProperty("severity").GetString());
            Assert.Equal("terms", data.GetProperty("kind").GetString());
            Assert.Equal(new[] { "China" }, data.GetProperty("diff").GetProperty("removed").EnumerateArray().Select(e => e.GetString()!).ToArray());
            Assert.Equal(new[] { "Vietnam" }, data.GetProperty("diff").GetProperty("added").EnumerateArray().Select(e => e.GetString()!).ToArray());
            Assert.Contains("removed: China; added: Vietnam", data.GetProperty("summary").GetString(), StringComparison.Ordinal);
        }

        var third = await CheckJsonAsync();
        using (var doc = JsonDocument.Parse(third.Out))
        {
            Assert.Equal(0, doc.RootElement.GetProperty("changes").GetArrayLength());
            Assert.Equal(1, doc.RootElement.GetProperty("unchanged").GetInt32());
        }
    }

    [Fact]
    public async Task CheckJson_WhenASourceFails_ExitsOneAndReportsTheError()
    {
        server.Set("countries", new Page { Status = 503, Body = "down" });
        var result = await CheckJsonAsync();
        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Out);
        var error = Assert.Single(doc.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal("countries", error.GetProperty("sourceId").GetString());
        Assert.Equal("http-5xx", error.GetProperty("category").GetString());
        Assert.Contains("503", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, doc.RootElement.GetProperty("checked").GetInt32());
    }

    [Fact]
    public async Task Check_WithoutAllowPrivateNetwork_RefusesLoopback()
    {
        server.Set("countries", Countries);
        var result = await RunAsync(["check", "--catalog", catalog, .. StoreArgs, "--json"]);
        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Out);
        Assert.Equal("blocked-address", doc.RootElement.GetProperty("errors")[0].GetProperty("category").GetString());
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Check_HumanOutput_ShowsATableAndTheChange()
    {
        server.Set("countries", Countries);
        await CheckJsonAsync();
        server.Set("countries", Countries.Replace("<li>Japan</li>", "", StringComparison.Ordinal));
        var result = await RunAsync(["check", "--catalog", catalog, .. StoreArgs, "--allow-private-network"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("countries", result.Out, StringComparison.Ordinal);
        Assert.Contains("changed", result.Out, StringComparison.Ordinal);
        Assert.Contains("removed: Japan", result.Out, StringComparison.Ordinal);
        Assert.Contains("1 checked", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", result.Out, StringComparison.Ordinal); // no colour codes when not a terminal
    }

    [Fact]
    public async Task Audit_ListsChangesWithDiffs_AndVerifyDetectsTampering()
    {
        server.Set("countries", Countries);
        await CheckJsonAsync();
        server.Set("countries", Countries.Replace("<li>China</li>", "<li>Vietnam</li>", StringComparison.Ordinal));
        await CheckJsonAsync();

        var audit = await RunAsync(["audit", .. StoreArgs, "--json"]);
        Assert.Equal(0, audit.ExitCode);
        using (var doc = JsonDocument.Parse(audit.Out))
        {
            var entries = doc.RootElement.EnumerateArray().ToArray();
            Assert.Equal(2, entries.Length);
            Assert.Equal("baseline", entries[0].GetProperty("type").GetString());
            Assert.Equal("change", entries[1].GetProperty("type").GetString());
            Assert.Equal("compliancewatch.terms.changed", entries[1].GetProperty("event").GetProperty("type").GetString());
            Assert.Equal(entries[0].GetProperty("entryHash").GetString(), entries[1].GetProperty("previousEntryHash").GetString());
        }

        var csv = await RunAsync(["audit", .. StoreArgs, "--format", "csv"]);
        Assert.StartsWith("time,sourceId,sequence,type", csv.Out, StringComparison.Ordinal);
        Assert.Equal(3, csv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var md = await RunAsync(["audit", .. StoreArgs, "--format", "md"]);
        Assert.Contains("+Vietnam", md.Out, StringComparison.Ordinal);

        var none = await RunAsync(["audit", .. StoreArgs, "--json", "--since", "2999-01-01"]);
        Assert.Equal("[]", none.Out.Trim());

        Assert.Equal(0, (await RunAsync(["audit", "verify", .. StoreArgs])).ExitCode);

        await TamperAsync("countries", 2, "Vietnam", "Vietnan");
        var verify = await RunAsync(["audit", "verify", .. StoreArgs]);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("countries#2", verify.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SourcesTest_PrintsExtractedTextAndHashWithoutRecording()
    {
        server.Set("countries", Countries);
        var result = await RunAsync(["sources", "test", "countries", "--catalog", catalog, .. StoreArgs, "--allow-private-network"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("China\nFrance\nJapan", result.Out.Trim().ReplaceLineEndings("\n"));
        Assert.Contains("sha256", result.Error, StringComparison.Ordinal);
        await AssertNothingRecordedAsync();
    }

    [Fact]
    public async Task SourcesList_ShowsHealth()
    {
        server.Set("countries", new Page { Status = 500 });
        await CheckJsonAsync();
        var result = await RunAsync(["sources", "list", "--catalog", catalog, .. StoreArgs, "--json"]);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Out);
        var row = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal(1, row.GetProperty("consecutiveFailures").GetInt32());
        Assert.Contains("http-5xx", row.GetProperty("lastError").GetString(), StringComparison.Ordinal);
    }
}
