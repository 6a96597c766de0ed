using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceWatch.Core;
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

    /// <summary>The stored JSON of one history entry, as an insider would read it.</summary>
    protected virtual Task<string> ReadEntryJsonAsync(string sourceId, long sequence) =>
        File.ReadAllTextAsync(EntryFile(sourceId, sequence));

    /// <summary>Overwrites the stored JSON of one history entry, as an insider could.</summary>
    protected virtual Task WriteEntryJsonAsync(string sourceId, long sequence, string json) =>
        File.WriteAllTextAsync(EntryFile(sourceId, sequence), json);

    /// <summary>Deletes one stored history entry, as an insider could.</summary>
    protected virtual Task DeleteEntryAsync(string sourceId, long sequence)
    {
        File.Delete(EntryFile(sourceId, sequence));
        return Task.CompletedTask;
    }

    private string EntryFile(string sourceId, long sequence) =>
        Path.Combine(directory.File("state"), "sources", sourceId, "history", $"{sequence:D10}.json");

    /// <summary>The stored current snapshot of a source, content included (null when there is none), as an insider would read it.</summary>
    protected virtual async Task<JsonObject?> ReadSnapshotAsync(string sourceId)
    {
        var snapshot = JsonNode.Parse(await File.ReadAllTextAsync(StateFile(sourceId)))!["snapshot"]?.DeepClone().AsObject();
        if (snapshot?["contentEntry"] is { } entry)
        {
            // the text is stored once, in the history entry state.json names
            snapshot.Remove("contentEntry");
            snapshot["content"] = JsonNode.Parse(await ReadEntryJsonAsync(sourceId, entry.GetValue<long>()))!["content"]!.DeepClone();
        }

        return snapshot;
    }

    /// <summary>Overwrites the stored current snapshot of a source (null: removes it), leaving the rest of its state, as an insider could.</summary>
    protected virtual async Task WriteSnapshotAsync(string sourceId, JsonObject? snapshot)
    {
        var state = JsonNode.Parse(await File.ReadAllTextAsync(StateFile(sourceId)))!.AsObject();
        state["snapshot"] = snapshot?.DeepClone();
        await File.WriteAllTextAsync(StateFile(sourceId), state.ToJsonString());
    }

    /// <summary>Deletes the whole stored state of a source (snapshot, health, chain head), keeping its history, as an insider could.</summary>
    protected virtual Task DeleteStateAsync(string sourceId)
    {
        File.Delete(StateFile(sourceId));
        return Task.CompletedTask;
    }

    private string StateFile(string sourceId) => Path.Combine(directory.File("state"), "sources", sourceId, "state.json");

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
        var rows = csv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, rows.Length); // header, two entries, the chain head
        Assert.StartsWith(",countries,2,chain-head,", rows[3], StringComparison.Ordinal);
        var md = await RunAsync(["audit", .. StoreArgs, "--format", "md"]);
        Assert.Contains("+Vietnam", md.Out, StringComparison.Ordinal);
        Assert.Contains("## Chain heads", md.Out, StringComparison.Ordinal);

        var none = await RunAsync(["audit", .. StoreArgs, "--json", "--since", "2999-01-01"]);
        Assert.Equal("[]", none.Out.Trim());

        Assert.Equal(0, (await RunAsync(["audit", "verify", .. StoreArgs])).ExitCode);

        await TamperAsync("countries", 2, "Vietnam", "Vietnan");
        var verify = await RunAsync(["audit", "verify", .. StoreArgs]);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("countries#2", verify.Out, StringComparison.Ordinal);
    }

    /// <summary>Three entries of source <c>countries</c>: the baseline (#1), China → Vietnam (#2), Japan removed (#3).</summary>
    private async Task RecordThreeEntriesAsync()
    {
        server.Set("countries", Countries);
        Assert.Equal(0, (await CheckJsonAsync()).ExitCode);
        server.Set("countries", Countries.Replace("<li>China</li>", "<li>Vietnam</li>", StringComparison.Ordinal));
        Assert.Equal(0, (await CheckJsonAsync()).ExitCode);
        server.Set("countries", Countries.Replace("<li>China</li>", "<li>Vietnam</li>", StringComparison.Ordinal).Replace("<li>Japan</li>", "", StringComparison.Ordinal));
        Assert.Equal(0, (await CheckJsonAsync()).ExitCode);
        var untouched = await RunAsync(["audit", "verify", .. StoreArgs]);
        Assert.True(untouched.ExitCode == 0, untouched.Out + untouched.Error);
        Assert.Contains("history intact: 1 source chains verified", untouched.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditVerify_OneEntryEdited_Exits1NamingIt()
    {
        await RecordThreeEntriesAsync();
        var json = await ReadEntryJsonAsync("countries", 2);
        await WriteEntryJsonAsync("countries", 2, json.Replace("Vietnam", "Viet Nam", StringComparison.Ordinal));

        var verify = await RunAsync(["audit", "verify", .. StoreArgs]);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("altered: countries#2: content does not match its hash", verify.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditVerify_OneEntryDeleted_Exits1NamingIt()
    {
        await RecordThreeEntriesAsync();
        await DeleteEntryAsync("countries", 2);

        var verify = await RunAsync(["audit", "verify", .. StoreArgs]);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("altered: countries#2: missing or reordered", verify.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditVerify_LastEntryDeleted_Exits1NamingIt()
    {
        await RecordThreeEntriesAsync();
        await DeleteEntryAsync("countries", 3);

        var verify = await RunAsync(["audit", "verify", .. StoreArgs, "--json"]);
        Assert.Equal(1, verify.ExitCode);
        using var doc = JsonDocument.Parse(verify.Out);
        Assert.False(doc.RootElement.GetProperty("intact").GetBoolean());
        Assert.StartsWith("countries#3: the chain does not end at the recorded head", Assert.Single(doc.RootElement.GetProperty("problems").EnumerateArray()).GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditVerify_TwoEntriesReordered_Exits1NamingTheFirstMovedEntry()
    {
        await RecordThreeEntriesAsync();
        // swap #2 and #3: each takes the other's place (and sequence number), so the history tells Japan's removal first
        var second = JsonNode.Parse(await ReadEntryJsonAsync("countries", 2))!.AsObject();
        var third = JsonNode.Parse(await ReadEntryJsonAsync("countries", 3))!.AsObject();
        (second["sequence"], third["sequence"]) = (3, 2);
        await WriteEntryJsonAsync("countries", 2, third.ToJsonString());
        await WriteEntryJsonAsync("countries", 3, second.ToJsonString());

        var verify = await RunAsync(["audit", "verify", .. StoreArgs]);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("altered: countries#2: link to the previous entry is broken", verify.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditVerify_CurrentSnapshotEdited_Exits1NamingTheSource()
    {
        await RecordThreeEntriesAsync();
        var snapshot = (await ReadSnapshotAsync("countries"))!;

        // Japan put back into the baseline the next check compares against, so that its removal is never announced
        var edited = snapshot.DeepClone().AsObject();
        edited["content"] = snapshot["content"]!.GetValue<string>() + "\nJapan";
        await WriteSnapshotAsync("countries", edited);
        var verify = await RunAsync(["audit", "verify", .. StoreArgs]);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("altered: countries: the current snapshot's content does not match its content hash", verify.Out, StringComparison.Ordinal);

        // the same with the content hash recomputed, as a careful insider would
        edited["contentHash"] = Hashing.Sha256(edited["content"]!.GetValue<string>());
        await WriteSnapshotAsync("countries", edited);
        verify = await RunAsync(["audit", "verify", .. StoreArgs]);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("altered: countries: the current snapshot is not the content that entry #3 recorded", verify.Out, StringComparison.Ordinal);

        await WriteSnapshotAsync("countries", snapshot);
        Assert.Equal(0, (await RunAsync(["audit", "verify", .. StoreArgs])).ExitCode);
    }

    [Fact]
    public async Task AuditVerify_CurrentSnapshotDeleted_Exits1NamingTheSource()
    {
        await RecordThreeEntriesAsync();
        await WriteSnapshotAsync("countries", null);

        var verify = await RunAsync(["audit", "verify", .. StoreArgs, "--json"]);
        Assert.Equal(1, verify.ExitCode);
        using var doc = JsonDocument.Parse(verify.Out);
        Assert.StartsWith("countries: the current snapshot is missing although entry #1 recorded a baseline", Assert.Single(doc.RootElement.GetProperty("problems").EnumerateArray()).GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditVerify_SourceStateDeleted_Exits1NamingTheSource()
    {
        await RecordThreeEntriesAsync();
        await DeleteStateAsync("countries");

        var verify = await RunAsync(["audit", "verify", .. StoreArgs]);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("altered: countries: history entries are stored but the source's current state (snapshot and chain head) is not", verify.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditVerify_CurrentSnapshotReplaced_Exits1NamingTheSource()
    {
        server.Set("countries", Countries);
        Assert.Equal(0, (await CheckJsonAsync()).ExitCode);
        var baseline = (await ReadSnapshotAsync("countries"))!;
        server.Set("countries", Countries.Replace("<li>China</li>", "<li>Vietnam</li>", StringComparison.Ordinal));
        Assert.Equal(0, (await CheckJsonAsync()).ExitCode);
        var current = (await ReadSnapshotAsync("countries"))!;

        // the baseline of entry #1 put back (a consistent snapshot of its own: content, hash and version agree)
        await WriteSnapshotAsync("countries", baseline);
        var verify = await RunAsync(["audit", "verify", .. StoreArgs]);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("altered: countries: the current snapshot is not the content that entry #2 recorded", verify.Out, StringComparison.Ordinal);

        // the right content under another version: the next change event would get another id
        var renumbered = current.DeepClone().AsObject();
        renumbered["version"] = 1;
        await WriteSnapshotAsync("countries", renumbered);
        verify = await RunAsync(["audit", "verify", .. StoreArgs]);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("altered: countries: the current snapshot has version 1 but entry #2 recorded version 2", verify.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditVerify_UntouchedStore_StaysIntactThroughBaselineChangeErrorsAndRecovery()
    {
        async Task AssertIntactAsync(string after)
        {
            var verify = await RunAsync(["audit", "verify", .. StoreArgs]);
            Assert.True(verify.ExitCode == 0, $"after {after}: {verify.Out}{verify.Error}");
        }

        server.Set("countries", Countries);
        await CheckJsonAsync();
        await AssertIntactAsync("the baseline");
        await CheckJsonAsync(); // 304 Not Modified: nothing written
        server.Set("countries", Countries.Replace("<nav>menu</nav>", "<nav>new menu</nav>", StringComparison.Ordinal));
        await CheckJsonAsync(); // a new ETag for the same content: only the validators are written
        await AssertIntactAsync("a validators-only write");
        server.Set("countries", Countries.Replace("<li>China</li>", "<li>Vietnam</li>", StringComparison.Ordinal));
        await CheckJsonAsync();
        await AssertIntactAsync("a change");
        server.Set("countries", new Page { Status = 503 });
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, (await CheckJsonAsync()).ExitCode);
            await AssertIntactAsync($"error {i + 1} (the third stops tracking)");
        }

        server.Set("countries", Countries.Replace("<li>China</li>", "<li>Vietnam</li>", StringComparison.Ordinal));
        Assert.Equal(0, (await CheckJsonAsync()).ExitCode);
        await AssertIntactAsync("the recovery");
        var audit = await RunAsync(["audit", .. StoreArgs, "--json"]);
        using var doc = JsonDocument.Parse(audit.Out);
        Assert.Equal(["baseline", "change", "health", "health"], doc.RootElement.EnumerateArray().Select(e => e.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task AuditJson_IsTheArrayOfEntries_EachCarryingItsSourcesChainHead()
    {
        await RecordThreeEntriesAsync();
        var head = await RunAsync(["audit", .. StoreArgs, "--format", "csv"]);
        var headRow = head.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(r => r.Contains(",chain-head,", StringComparison.Ordinal)).Split(',');

        var audit = await RunAsync(["audit", .. StoreArgs, "--json", "--until", DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd")]);
        Assert.Equal(0, audit.ExitCode);
        using var doc = JsonDocument.Parse(audit.Out);
        var entries = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(3, entries.Length);
        Assert.All(entries, e =>
        {
            Assert.Equal(3, e.GetProperty("chainHead").GetProperty("entries").GetInt64());
            Assert.Equal(headRow[9], e.GetProperty("chainHead").GetProperty("hash").GetString());
        });
        Assert.Equal(entries[2].GetProperty("entryHash").GetString(), headRow[9]);
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
