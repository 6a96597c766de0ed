using System.Net;
using Azure.Data.Tables;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Infrastructure.Tables;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>The store contract on Azure Table Storage (Azurite), plus what is particular to the table design.</summary>
public sealed class TableStateStoreTests : StateStoreContract, IAsyncLifetime
{
    private static readonly DateTimeOffset Nov = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly List<string> tables = [];

    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(NewStore(out _));

    private TableStateStore NewStore(out TableClient client, TableClientOptions? options = null, string? name = null)
    {
        name ??= Azurite.NewTableName();
        if (!tables.Contains(name))
        {
            tables.Add(name);
        }

        client = Azurite.Table(name, options);
        return new TableStateStore(client);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var name in tables)
        {
            await Azurite.DeleteTableAsync(name);
        }
    }

    private static string Text(int length, string alphabet, int seed)
    {
        var random = new Random(seed);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    /// <summary>Text that barely compresses: random characters from a large CJK range (3 UTF-8 bytes each).</summary>
    private static string Incompressible(int chars, int seed)
    {
        var random = new Random(seed);
        var buffer = new char[chars];
        for (var i = 0; i < chars; i++)
        {
            buffer[i] = (char)random.Next(0x4E00, 0x9FA0);
        }

        return new string(buffer);
    }

    private static async Task<List<TableEntity>> AllRowsAsync(TableClient client)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in client.QueryAsync<TableEntity>())
        {
            rows.Add(row);
        }

        return rows;
    }

    [Fact]
    public async Task Commit_SmallContent_IsCompressedIntoOnePropertyOfTheStateRow()
    {
        var store = NewStore(out var client);
        await store.CommitAsync(ChangeCommit("small", null, 0, null, Text(64 * 1024 + 1, "abc def\n", 1), Nov).Commit);
        var state = (await client.GetEntityAsync<TableEntity>("s|small", "state")).Value;
        Assert.Equal(1, state.GetInt32("CParts"));
        Assert.True(state.GetBinary("C0")!.Length < 64 * 1024);
        Assert.DoesNotContain(await AllRowsAsync(client), r => r.RowKey.StartsWith("c|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Commit_ContentOverOneProperty_IsSplitAcrossPropertiesAndRoundTrips()
    {
        var store = NewStore(out var client);
        var content = Incompressible(40_000, 2); // ~120 KB of UTF-8 that Brotli cannot shrink much
        await store.CommitAsync(ChangeCommit("medium", null, 0, null, content, Nov).Commit);
        var state = (await client.GetEntityAsync<TableEntity>("s|medium", "state")).Value;
        Assert.InRange(state.GetInt32("CParts")!.Value, 2, TableBlobs.MaxInlineParts);
        Assert.All(Enumerable.Range(0, state.GetInt32("CParts")!.Value), i => Assert.InRange(state.GetBinary("C" + i)!.Length, 1, 64 * 1024));
        Assert.Equal(content, (await store.GetAsync("medium")).Snapshot!.Content);
    }

    [Fact]
    public async Task Commit_LargeContent_GoesToContentAddressedChunkRowsSharedBySnapshotAndHistory()
    {
        var store = NewStore(out var client);
        var content = Incompressible(1_000_000, 3); // ~3 MB of UTF-8: beyond an inline value and a transaction
        await store.CommitAsync(ChangeCommit("large", null, 0, null, content, Nov).Commit);
        var rows = await AllRowsAsync(client);
        var chunks = rows.Where(r => r.RowKey.StartsWith("c|", StringComparison.Ordinal)).ToArray();
        Assert.InRange(chunks.Length, 3, 10);
        var state = rows.Single(r => r.RowKey == "state");
        var entry = rows.Single(r => r.RowKey.StartsWith("h|", StringComparison.Ordinal));
        Assert.Equal(0, state.GetInt32("CParts"));
        Assert.Equal(state.GetString("CChunks"), entry.GetString("CChunks")); // one copy of the content
        Assert.Equal(chunks.Select(c => c.RowKey[2..]).Order(), state.GetString("CChunks")!.Split(',').Order());
        Assert.Equal(content, (await store.GetAsync("large")).Snapshot!.Content);
    }

    [Fact]
    public async Task Commit_ThatLosesTheRace_LeavesOnlyHarmlessOrphanChunks()
    {
        var store = NewStore(out var client);
        var first = await store.CommitAsync(ChangeCommit("orphans", null, 0, null, "v1", Nov).Commit);
        await store.CommitAsync(ChangeCommit("orphans", first.ConcurrencyToken, 1, first.ChainHead, "v2", Nov.AddHours(1)).Commit);

        var big = Incompressible(400_000, 4);
        var (loser, _) = ChangeCommit("orphans", first.ConcurrencyToken, 1, first.ChainHead, big, Nov.AddHours(1));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.CommitAsync(loser));

        var state = await store.GetAsync("orphans");
        Assert.Equal("v2", state.Snapshot!.Content);
        Assert.Equal(2, state.EntryCount);
        var history = await store.QueryHistoryAsync(new HistoryQuery { SourceIds = ["orphans"], IncludeContent = true });
        Assert.Null(HistoryChain.Verify(history, state.ChainHead));

        // the same bytes committed later find their chunks there already
        var (again, _) = ChangeCommit("orphans", state.ConcurrencyToken, 2, state.ChainHead, big, Nov.AddHours(2));
        await store.CommitAsync(again);
        Assert.Equal(big, (await store.GetAsync("orphans")).Snapshot!.Content);
    }

    [Fact]
    public async Task Commit_LosingRaceDetectedOnlyByTheTransaction_IsAConflict()
    {
        // two store instances (two processes) read the same token; the ETag check inside the transaction decides
        var name = Azurite.NewTableName();
        var a = NewStore(out _, name: name);
        var b = NewStore(out _, name: name);
        var start = await a.CommitAsync(ChangeCommit("two", null, 0, null, "base", Nov).Commit);
        var results = await Task.WhenAll(new[] { a, b }.Select(async (store, i) =>
        {
            try
            {
                await store.CommitAsync(ChangeCommit("two", start.ConcurrencyToken, 1, start.ChainHead, $"run {i}", Nov.AddHours(1)).Commit);
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        }));
        Assert.Equal(1, results.Count(r => r));
        Assert.Equal(2, (await a.QueryHistoryAsync(new HistoryQuery { SourceIds = ["two"] })).Count);
    }

    [Fact]
    public async Task MarkPublished_DoesNotMoveTheConcurrencyToken()
    {
        var store = NewStore(out _);
        var state = await store.CommitAsync(ChangeCommit("token", null, 0, null, "v1", Nov).Commit);
        await store.MarkPublishedAsync("token", [Assert.Single(state.PendingEvents).Id]);
        var after = await store.GetAsync("token");
        Assert.Empty(after.PendingEvents);
        Assert.Equal(state.ConcurrencyToken, after.ConcurrencyToken);
    }

    [Theory]
    [InlineData("https://example.com/terms?lang=zh#section/2")]
    [InlineData("C:\\policies\\terms.html")]
    [InlineData("100% sure / 50%2F #1 ?")]
    [InlineData("百度千帆-服务协议")]
    [InlineData("tab\there\u007fdel\u0085nel")]
    public async Task Keys_ForAnySourceIdOrUrl_HoldNoForbiddenCharacters(string sourceId)
    {
        var store = NewStore(out var client);
        var (commit, evt) = ChangeCommit(sourceId, null, 0, null, "content", Nov);
        await store.CommitAsync(commit);
        Assert.Equal("content", (await store.GetAsync(sourceId)).Snapshot!.Content);
        Assert.Equal(evt.Id, Assert.Single(await store.GetPendingEventsAsync()).Event.Id);
        Assert.Single(await store.QueryHistoryAsync(new HistoryQuery { Since = Nov, Until = Nov.AddDays(1) }));
        Assert.Single(await store.QueryHistoryAsync(new HistoryQuery { SourceIds = [sourceId] }));
        Assert.Equal(sourceId, Assert.Single(await store.ListAsync()).SourceId);

        foreach (var row in await AllRowsAsync(client))
        {
            foreach (var key in new[] { row.PartitionKey, row.RowKey })
            {
                Assert.DoesNotContain(key, c => c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c) || c > 0x7e);
                Assert.True(key.Length < 1024);
            }
        }
    }

    [Fact]
    public async Task Keys_ForAVeryLongSourceId_StayUnderTheKeyLimit()
    {
        var store = NewStore(out var client);
        var sourceId = "https://example.com/" + new string('x', 3000);
        await store.CommitAsync(ChangeCommit(sourceId, null, 0, null, "content", Nov).Commit);
        Assert.Equal("content", (await store.GetAsync(sourceId)).Snapshot!.Content);
        Assert.All(await AllRowsAsync(client), r => Assert.True(r.PartitionKey.Length + r.RowKey.Length < 1024));
    }

    [Fact]
    public async Task GetHead_IsOnePointReadOfTheStateRow_WithoutTheSnapshotText()
    {
        var recorder = new RequestRecorder();
        var name = Azurite.NewTableName();
        var writer = NewStore(out _, name: name);
        var text = Incompressible(150_000, seed: 7); // ≈ 450 KB of UTF-8: chunk rows
        await writer.CommitAsync(ChangeCommit("head-only", null, 0, null, text, Nov).Commit);

        var reader = NewStore(out _, recorder.Options(), name);
        var head = await reader.GetHeadAsync("head-only");

        Assert.Equal(Core.Hashing.Sha256(text), head.Snapshot!.ContentHash);
        Assert.Equal("\"etag-1\"", head.Snapshot.ETag);
        var (_, uri) = Assert.Single(recorder.Requests);
        Assert.Contains("$select=", WebUtility.UrlDecode(uri.Query), StringComparison.Ordinal);
        var (_, bytes) = Assert.Single(recorder.Responses);
        Assert.InRange(bytes, 1, 4096);

        recorder.Clear();
        Assert.Equal(text, (await reader.GetAsync("head-only")).Snapshot!.Content);
        Assert.True(recorder.Responses.Sum(r => r.Bytes) > 100_000, "the whole state reads the text");
    }

    [Fact]
    public async Task HistoryQueryAcross2000Sources_ReadsOnlyTheIndexPartitionsOfTheMonth()
    {
        var recorder = new RequestRecorder();
        var name = Azurite.NewTableName();
        var writer = NewStore(out _, name: name);
        const int Sources = 2000;
        await Parallel.ForEachAsync(Enumerable.Range(0, Sources), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            // every source changes in November; one in ten had its baseline in October, one in ten changes again in December
            var id = $"source-{i:D4}";
            var state = SourceState.Empty(id);
            if (i % 10 == 0)
            {
                state = await writer.CommitAsync(ChangeCommit(id, null, 0, null, $"october {i}", Nov.AddDays(-20).AddMinutes(i)).Commit, ct);
            }

            state = await writer.CommitAsync(ChangeCommit(id, state.ConcurrencyToken, state.EntryCount, state.ChainHead, $"november {i}", Nov.AddDays(3).AddMinutes(i)).Commit, ct);
            if (i % 10 == 5)
            {
                await writer.CommitAsync(ChangeCommit(id, state.ConcurrencyToken, state.EntryCount, state.ChainHead, $"december {i}", Nov.AddDays(31).AddMinutes(i)).Commit, ct);
            }
        });

        var reader = NewStore(out _, recorder.Options(), name);
        var november = await reader.QueryHistoryAsync(new HistoryQuery { Since = Nov, Until = Nov.AddMonths(1) });

        Assert.Equal(Sources, november.Count);
        Assert.All(november, e => Assert.Equal(Core.Hashing.Sha256($"november {int.Parse(e.SourceId[7..], System.Globalization.CultureInfo.InvariantCulture)}"), e.ContentHash));
        Assert.Equal(Enumerable.Range(0, Sources).Select(i => $"source-{i:D4}"), november.Select(e => e.SourceId));
        var filters = recorder.Requests.Select(r => WebUtility.UrlDecode(r.Uri.Query)).ToArray();
        Console.WriteLine($"History query across {Sources} sources: {recorder.Requests.Count} requests:");
        foreach (var filter in filters)
        {
            Console.WriteLine("  GET " + filter);
        }

        Assert.All(filters, f => Assert.Matches("PartitionKey eq '(ixm|ix\\|202611)'", f));
        Assert.Equal(1, filters.Count(f => f.Contains("PartitionKey eq 'ixm'", StringComparison.Ordinal)));
        Assert.InRange(recorder.Requests.Count, 2, 4); // the months list, then the month's partition in pages of 1,000
    }

    [Theory]
    [InlineData("relay")]
    [InlineData("next check")]
    public async Task IndexWriteInterruptedAfterTheCommit_IsCompletedByTheNextRelayRunOrCheck(string healer)
    {
        var name = Azurite.NewTableName();
        var options = new TableClientOptions();
        options.AddPolicy(new FailIndexWrites(), Azure.Core.HttpPipelinePosition.PerRetry);
        options.Retry.MaxRetries = 0;
        var crashing = NewStore(out var client, options, name);
        var (commit, evt) = ChangeCommit("crash", null, 0, null, "v1", Nov);
        await crashing.CommitAsync(commit); // the commit stands; its index rows could not be written

        var store = NewStore(out _, name: name);
        Assert.Empty(await store.QueryHistoryAsync(new HistoryQuery { Since = Nov, Until = Nov.AddDays(1) }));
        Assert.Contains(await AllRowsAsync(client), r => r.RowKey.StartsWith("x|", StringComparison.Ordinal));

        if (healer == "relay")
        {
            Assert.Equal(evt.Id, Assert.Single(await store.GetPendingEventsAsync()).Event.Id);
        }
        else
        {
            Assert.Equal("v1", (await store.GetAsync("crash")).Snapshot!.Content);
        }

        var entry = Assert.Single(await store.QueryHistoryAsync(new HistoryQuery { Since = Nov, Until = Nov.AddDays(1), IncludeContent = true }));
        Assert.Equal(commit.NewEntries[0], entry);
        Assert.DoesNotContain(await AllRowsAsync(client), r => r.RowKey.StartsWith("x|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HistoryQuery_WithLargeEntries_ReadsThemFromTheSourcePartitionByKey()
    {
        var store = NewStore(out _);
        var content = Incompressible(200_000, 5);
        var (commit, _) = ChangeCommit("big-entry", null, 0, null, content, Nov);
        var bigEvent = commit.NewEvents[0] with { Data = commit.NewEvents[0].Data with { Summary = Incompressible(30_000, 6) } };
        var entry = HistoryChain.Seal(commit.NewEntries[0] with { Event = bigEvent, Summary = "big" }, null);
        await store.CommitAsync(commit with { NewEntries = [entry], NewEvents = [bigEvent] });

        var found = Assert.Single(await store.QueryHistoryAsync(new HistoryQuery { Since = Nov, Until = Nov.AddDays(1), IncludeContent = true }));
        Assert.Equal(content, found.Content);
        Assert.Equal(bigEvent.Data.Summary, found.Event!.Data.Summary);
        Assert.Equal(entry.EntryHash, HistoryChain.ComputeHash(found));
    }

    [Fact]
    public void CreateClient_WithAnEndpointUri_UsesATokenCredential()
    {
        var client = TableStateStore.CreateClient("https://contoso.table.core.windows.net/", "compliance", credential: new Azure.Identity.DefaultAzureCredential());
        Assert.Equal("contoso", client.AccountName);
        Assert.Equal("compliance", client.Name);
        Assert.Equal(TableStateStore.DefaultTableName, TableStateStore.CreateClient("https://contoso.table.core.windows.net").Name);
        Assert.Equal("devstoreaccount1", TableStateStore.CreateClient(Azurite.ConnectionString).AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1/compliancewatch"), TableStateStore.CreateClient("UseDevelopmentStorage=true").Uri);
    }

    /// <summary>Fails every write to the history index, as a process that dies right after its commit would leave it.</summary>
    private sealed class FailIndexWrites : Azure.Core.Pipeline.HttpPipelinePolicy
    {
        public override void Process(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline) =>
            throw new NotSupportedException("sync");

        public override ValueTask ProcessAsync(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            var uri = WebUtility.UrlDecode(message.Request.Uri.ToString());
            var isIndexWrite = message.Request.Method != Azure.Core.RequestMethod.Get
                && (uri.Contains("ix|", StringComparison.Ordinal) || uri.Contains("ixm", StringComparison.Ordinal) || IsIndexInsert(message));
            if (isIndexWrite)
            {
                throw new Azure.RequestFailedException(503, "simulated crash before the index write");
            }

            return ProcessNextAsync(message, pipeline);
        }

        private static bool IsIndexInsert(Azure.Core.HttpMessage message)
        {
            if (message.Request.Content is null || message.Request.Method != Azure.Core.RequestMethod.Post || message.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal))
            {
                return false;
            }

            using var stream = new MemoryStream();
            message.Request.Content.WriteTo(stream, default);
            var body = System.Text.Encoding.UTF8.GetString(stream.ToArray());
            return body.Contains("\"PartitionKey\":\"ix", StringComparison.Ordinal);
        }
    }
}
