using ComplianceWatch.Core.Store;
using ComplianceWatch.Infrastructure.Embedded;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

public sealed class EmbeddedStateStoreTests : StateStoreContract, IDisposable
{
    private readonly TempDirectory directory = new();

    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(new EmbeddedStateStore(directory.File("state")));

    [Fact]
    public async Task Commit_WhenACrashLeftOrphanHistoryFiles_IgnoresAndOverwritesThem()
    {
        var store = new EmbeddedStateStore(directory.File("state"));
        var first = await store.CommitAsync(ChangeCommit("crashy", null, 0, null, "v1", DateTimeOffset.UnixEpoch).Commit);

        // a crash after writing entry 2 but before the state that counts it
        var orphan = Path.Combine(store.Root, "sources", "crashy", "history", "0000000002.json");
        await File.WriteAllTextAsync(orphan, "{\"torn\":");
        Assert.Single(await store.QueryHistoryAsync(new HistoryQuery { SourceIds = ["crashy"] }));

        await store.CommitAsync(ChangeCommit("crashy", first.ConcurrencyToken, 1, first.ChainHead, "v2", DateTimeOffset.UnixEpoch.AddDays(1)).Commit);
        var history = await store.QueryHistoryAsync(new HistoryQuery { SourceIds = ["crashy"], IncludeContent = true });
        Assert.Equal(new[] { "v1", "v2" }, history.Select(h => h.Content!).ToArray());
        Assert.Null(HistoryChain.Verify(history, (await store.GetAsync("crashy")).ChainHead));
    }

    [Fact]
    public async Task Commit_LeavesNoTemporaryFilesBehind()
    {
        var store = new EmbeddedStateStore(directory.File("state"));
        await store.CommitAsync(ChangeCommit("tidy", null, 0, null, "v1", DateTimeOffset.UnixEpoch).Commit);
        Assert.Empty(Directory.EnumerateFiles(store.Root, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Commits_MadeAtTheSameTime_AllLandWithTheirHistoryAndLeaveNoTemporaryFiles()
    {
        var store = new EmbeddedStateStore(directory.File("state"));
        var ids = Enumerable.Range(0, 40).Select(i => $"group-{i:D2}").ToArray();
        var committed = await Task.WhenAll(ids.Select(id => Task.Run(() =>
            store.CommitAsync(ChangeCommit(id, null, 0, null, $"content of {id}", DateTimeOffset.UnixEpoch).Commit))));

        Assert.Equal(ids, committed.Select(s => s.SourceId).ToArray());
        foreach (var id in ids)
        {
            var state = await store.GetAsync(id);
            Assert.Equal("1", state.ConcurrencyToken);
            var history = await store.QueryHistoryAsync(new HistoryQuery { SourceIds = [id], IncludeContent = true });
            Assert.Equal($"content of {id}", Assert.Single(history).Content);
            Assert.Null(HistoryChain.Verify(history, state.ChainHead));
        }

        Assert.Empty(Directory.EnumerateFiles(store.Root, "*.tmp", SearchOption.AllDirectories));
    }

    private static string LongText(string variant) =>
        string.Join('\n', Enumerable.Range(0, 3000).Select(i => $"{variant} clause {i}: services are not offered where the law forbids them."));

    private string StateJson(EmbeddedStateStore store, string sourceId) => File.ReadAllText(Path.Combine(store.Root, "sources", sourceId, "state.json"));

    [Fact]
    public async Task Commit_SnapshotWhoseTextAnEntryRecords_KeepsTheTextOnlyInTheEntry_StateJsonHoldsTheValidators()
    {
        var store = new EmbeddedStateStore(directory.File("state"));
        var text = LongText("v1");
        await store.CommitAsync(ChangeCommit("big", null, 0, null, text, DateTimeOffset.UnixEpoch).Commit);

        var stateJson = StateJson(store, "big");
        Assert.True(stateJson.Length < 2048, $"state.json is {stateJson.Length} bytes");
        Assert.DoesNotContain("clause", stateJson, StringComparison.Ordinal);
        Assert.Contains("\"contentEntry\":1", stateJson, StringComparison.Ordinal);
        Assert.Equal(text, (await store.GetAsync("big")).Snapshot!.Content);
        Assert.Equal("\"etag-1\"", (await store.GetHeadAsync("big")).Snapshot!.ETag);
    }

    [Fact]
    public async Task Commit_ValidatorsOrHealthChangedWithTheTextUnchanged_StillNamesTheEntry_WhetherTheTextWasReadOrRebuilt()
    {
        var store = new EmbeddedStateStore(directory.File("state"));
        var text = LongText("v1");
        var first = await store.CommitAsync(ChangeCommit("kept", null, 0, null, text, DateTimeOffset.UnixEpoch).Commit);

        // a check that read the text and got a new ETag for the same text (the string the store handed out)
        var read = await store.GetAsync("kept");
        var second = await store.CommitAsync(new SourceCommit
        {
            SourceId = "kept", ExpectedToken = read.ConcurrencyToken, Snapshot = read.Snapshot! with { ETag = "\"etag-2\"" }, Health = SourceHealth.Healthy,
        });
        Assert.DoesNotContain("clause", StateJson(store, "kept"), StringComparison.Ordinal);

        // another process (no memory of what it read) commits an equal text built anew: compared, still not copied
        var other = new EmbeddedStateStore(directory.File("state"));
        await other.CommitAsync(new SourceCommit
        {
            SourceId = "kept", ExpectedToken = second.ConcurrencyToken, Snapshot = second.Snapshot! with { Content = new string(text.AsSpan()), ETag = "\"etag-3\"" },
            Health = SourceHealth.Healthy with { ConsecutiveFailures = 1, LastErrorCategory = "timeout" },
        });
        Assert.DoesNotContain("clause", StateJson(store, "kept"), StringComparison.Ordinal);
        var state = await other.GetAsync("kept");
        Assert.Equal(text, state.Snapshot!.Content);
        Assert.Equal("\"etag-3\"", state.Snapshot.ETag);
        Assert.Equal(first.ChainHead, state.ChainHead);
    }

    [Fact]
    public async Task Commit_ShortTextOrTextNoEntryRecords_StaysInline()
    {
        var store = new EmbeddedStateStore(directory.File("state"));
        await store.CommitAsync(ChangeCommit("short", null, 0, null, "China\nRussia", DateTimeOffset.UnixEpoch).Commit);
        Assert.Contains("China\\nRussia", StateJson(store, "short"), StringComparison.Ordinal);

        var text = LongText("orphan");
        var snapshot = new Snapshot { ContentHash = Core.Hashing.Sha256(text), Content = text, RulesHash = "rules", CapturedAt = DateTimeOffset.UnixEpoch, Version = 1 };
        await store.CommitAsync(new SourceCommit { SourceId = "no-entry", ExpectedToken = null, Snapshot = snapshot, Health = SourceHealth.Healthy });
        Assert.Contains("orphan clause 2999", StateJson(store, "no-entry"), StringComparison.Ordinal);
        Assert.Equal(text, (await store.GetAsync("no-entry")).Snapshot!.Content);
    }

    [Fact]
    public async Task Get_StoreWrittenWithTheTextInStateJson_IsReadAsBefore_AndMovesToTheNewLayoutOnItsNextCommit()
    {
        var store = new EmbeddedStateStore(directory.File("state"));
        var first = await store.CommitAsync(ChangeCommit("legacy", null, 0, null, LongText("v1"), DateTimeOffset.UnixEpoch).Commit);

        // the layout of earlier versions: the snapshot's text inside state.json
        var path = Path.Combine(store.Root, "sources", "legacy", "state.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(path))!.AsObject();
        node["snapshot"]!.AsObject().Remove("contentEntry");
        node["snapshot"]!["content"] = LongText("v1");
        await File.WriteAllTextAsync(path, node.ToJsonString());

        var fresh = new EmbeddedStateStore(directory.File("state"));
        var state = await fresh.GetAsync("legacy");
        Assert.Equal(LongText("v1"), state.Snapshot!.Content);
        Assert.Equal(first.Snapshot!.ETag, (await fresh.GetHeadAsync("legacy")).Snapshot!.ETag);

        await fresh.CommitAsync(ChangeCommit("legacy", state.ConcurrencyToken, state.EntryCount, state.ChainHead, LongText("v2"), DateTimeOffset.UnixEpoch.AddDays(1)).Commit);
        Assert.DoesNotContain("clause", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        Assert.Equal(LongText("v2"), (await fresh.GetAsync("legacy")).Snapshot!.Content);
    }

    [Fact]
    public async Task Get_WhenTheEntryHoldingTheSnapshotTextIsGone_ThrowsNamingSourceAndFile_WhileTheHeadStillAnswers()
    {
        var store = new EmbeddedStateStore(directory.File("state"));
        await store.CommitAsync(ChangeCommit("damaged", null, 0, null, LongText("v1"), DateTimeOffset.UnixEpoch).Commit);
        var entry = Path.Combine(store.Root, "sources", "damaged", "history", "0000000001.json");
        File.Delete(entry);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => store.GetAsync("damaged"));
        Assert.Contains("'damaged'", error.Message, StringComparison.Ordinal);
        Assert.Contains(entry, error.Message, StringComparison.Ordinal);
        Assert.Equal("\"etag-1\"", (await store.GetHeadAsync("damaged")).Snapshot!.ETag);
        Assert.Equal("", Assert.Single(await store.ListAsync()).Snapshot!.Content); // listed: audit verify names the mismatch
    }

    [Fact]
    public async Task Get_WhenStateFileIsCorrupt_ThrowsNamingTheFile()
    {
        var store = new EmbeddedStateStore(directory.File("state"));
        await store.CommitAsync(ChangeCommit("corrupt", null, 0, null, "v1", DateTimeOffset.UnixEpoch).Commit);
        var path = Path.Combine(store.Root, "sources", "corrupt", "state.json");
        await File.WriteAllTextAsync(path, "{ not json");
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => store.GetAsync("corrupt"));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => directory.Dispose();
}
