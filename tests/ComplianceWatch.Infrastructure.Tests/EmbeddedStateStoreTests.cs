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
