using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>
/// The behaviour every <see cref="IStateStore"/> must have. Each store's test class derives from this one, so the
/// embedded store and Table Storage are held to the same contract.
/// </summary>
public abstract class StateStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    protected abstract Task<IStateStore> CreateStoreAsync();

    [Fact]
    public async Task Get_WhenNothingStored_ReturnsEmptyStateWithoutToken()
    {
        var store = await CreateStoreAsync();
        var state = await store.GetAsync("never-seen");
        Assert.Null(state.Snapshot);
        Assert.Null(state.ConcurrencyToken);
        Assert.Equal(0, state.EntryCount);
        Assert.Empty(state.PendingEvents);
    }

    [Fact]
    public async Task Commit_ThenGet_RoundTripsSnapshotHealthHistoryAndOutbox()
    {
        var store = await CreateStoreAsync();
        var (commit, evt) = ChangeCommit("src-a", null, 0, null, "hello\nworld", T0);
        await store.CommitAsync(commit);

        var state = await store.GetAsync("src-a");
        Assert.Equal("hello\nworld", state.Snapshot!.Content);
        Assert.Equal(Core.Hashing.Sha256("hello\nworld"), state.Snapshot.ContentHash);
        Assert.Equal("\"etag-1\"", state.Snapshot.ETag);
        Assert.Equal(1, state.EntryCount);
        Assert.Equal(commit.NewEntries[0].EntryHash, state.ChainHead);
        Assert.Equal(evt.Id, Assert.Single(state.PendingEvents).Id);
        Assert.NotNull(state.ConcurrencyToken);
    }

    [Fact]
    public async Task GetHead_AnswersTheSnapshotsValidatorsAndTheHealth_AndNothingForAnUnknownSource()
    {
        var store = await CreateStoreAsync();
        var text = string.Join('\n', Enumerable.Range(0, 4000).Select(i => $"Section {i}: the provider may suspend access in unsupported regions."));
        var (commit, _) = ChangeCommit("src-head", null, 0, null, text, T0);
        var health = new SourceHealth { LastSuccessAt = T0, LastCheckedAt = T0, ConsecutiveFailures = 0 };
        var committed = await store.CommitAsync(commit with { Snapshot = commit.Snapshot! with { LastModified = "Sun, 01 Nov 2026 12:00:00 GMT", Url = "https://example.com/terms" }, Health = health });

        var head = await store.GetHeadAsync("src-head");
        Assert.Equal("src-head", head.SourceId);
        Assert.Equal(SnapshotHead.Of(committed.Snapshot!), head.Snapshot);
        Assert.Equal(health, head.Health);
        Assert.True(head.Healthy);

        var unknown = await store.GetHeadAsync("never-seen");
        Assert.Null(unknown.Snapshot);
        Assert.True(unknown.Healthy);
        Assert.Equal(text, (await store.GetAsync("src-head")).Snapshot!.Content);
    }

    [Fact]
    public async Task Commit_WithStaleToken_ThrowsConflictAndKeepsTheWinner()
    {
        var store = await CreateStoreAsync();
        var first = await store.CommitAsync(ChangeCommit("src-race", null, 0, null, "v1", T0).Commit);

        var (winner, _) = ChangeCommit("src-race", first.ConcurrencyToken, first.EntryCount, first.ChainHead, "v2", T0.AddMinutes(1));
        var (loser, _) = ChangeCommit("src-race", first.ConcurrencyToken, first.EntryCount, first.ChainHead, "v3", T0.AddMinutes(1));
        await store.CommitAsync(winner);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.CommitAsync(loser));

        var state = await store.GetAsync("src-race");
        Assert.Equal("v2", state.Snapshot!.Content);
        Assert.Equal(2, state.EntryCount);
    }

    [Fact]
    public async Task Commit_WhenCreatingAndSomethingExists_ThrowsConflict()
    {
        var store = await CreateStoreAsync();
        await store.CommitAsync(ChangeCommit("src-create", null, 0, null, "v1", T0).Commit);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.CommitAsync(ChangeCommit("src-create", null, 0, null, "other", T0).Commit));
    }

    [Fact]
    public async Task Commit_ConcurrentRacersOnOneSource_ExactlyOneWins()
    {
        var store = await CreateStoreAsync();
        var start = await store.CommitAsync(ChangeCommit("src-many", null, 0, null, "base", T0).Commit);
        var attempts = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                await store.CommitAsync(ChangeCommit("src-many", start.ConcurrencyToken, 1, start.ChainHead, $"racer {i}", T0.AddMinutes(1)).Commit);
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        })).ToArray();
        var outcomes = await Task.WhenAll(attempts);
        Assert.Equal(1, outcomes.Count(x => x));
        var state = await store.GetAsync("src-many");
        Assert.Equal(2, state.EntryCount);
        Assert.Equal(2, state.PendingEvents.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64 * 1024 - 1)]
    [InlineData(64 * 1024)]
    [InlineData(64 * 1024 + 1)]
    [InlineData(1024 * 1024 + 1)]
    [InlineData(20 * 1024 * 1024)]
    public async Task Commit_ContentOfAnySize_RoundTripsByteForByte(int size)
    {
        var store = await CreateStoreAsync();
        var random = new Random(size);
        var chars = new char[size];
        const string alphabet = "abcdefghijklmnopqrstuvwxyz 中国香港 éü\n";
        for (var i = 0; i < size; i++)
        {
            chars[i] = alphabet[random.Next(alphabet.Length)];
        }

        var content = new string(chars);
        await store.CommitAsync(ChangeCommit("src-size", null, 0, null, content, T0).Commit);
        var state = await store.GetAsync("src-size");
        Assert.Equal(content, state.Snapshot!.Content);
        var history = await store.QueryHistoryAsync(new HistoryQuery { SourceIds = ["src-size"], IncludeContent = true });
        Assert.Equal(content, Assert.Single(history).Content);
    }

    [Fact]
    public async Task MarkPublished_RemovesOnlyThoseEventsFromTheOutbox()
    {
        var store = await CreateStoreAsync();
        var s1 = await store.CommitAsync(ChangeCommit("src-out", null, 0, null, "v1", T0).Commit);
        var (second, e2) = ChangeCommit("src-out", s1.ConcurrencyToken, s1.EntryCount, s1.ChainHead, "v2", T0.AddMinutes(1));
        await store.CommitAsync(second);

        var pending = await store.GetPendingEventsAsync();
        Assert.Equal(2, pending.Count(p => p.SourceId == "src-out"));
        await store.MarkPublishedAsync("src-out", [pending[0].Event.Id, "unknown-id"]);

        var left = (await store.GetPendingEventsAsync()).Where(p => p.SourceId == "src-out").ToArray();
        Assert.Equal(e2.Id, Assert.Single(left).Event.Id);
        var history = await store.QueryHistoryAsync(new HistoryQuery { SourceIds = ["src-out"] });
        Assert.Equal(2, history.Count); // publishing never removes evidence
    }

    [Fact]
    public async Task QueryHistory_FiltersByTimeRangeAndSource_OrderedByTime()
    {
        var store = await CreateStoreAsync();
        var a = await store.CommitAsync(ChangeCommit("hist-a", null, 0, null, "a1", T0).Commit);
        await store.CommitAsync(ChangeCommit("hist-b", null, 0, null, "b1", T0.AddDays(1)).Commit);
        await store.CommitAsync(ChangeCommit("hist-a", a.ConcurrencyToken, a.EntryCount, a.ChainHead, "a2", T0.AddDays(2)).Commit);

        var window = await store.QueryHistoryAsync(new HistoryQuery { Since = T0.AddHours(1), Until = T0.AddDays(3), SourceIds = ["hist-a", "hist-b"] });
        Assert.Equal(["hist-b", "hist-a"], window.Select(e => e.SourceId).ToArray());
        Assert.All(window, e => Assert.Null(e.Content));

        var onlyA = await store.QueryHistoryAsync(new HistoryQuery { SourceIds = ["hist-a"] });
        Assert.Equal([1L, 2L], onlyA.Select(e => e.Sequence).ToArray());
        var withContent = await store.QueryHistoryAsync(new HistoryQuery { SourceIds = ["hist-a"], IncludeContent = true });
        Assert.Null(HistoryChain.Verify(withContent, (await store.GetAsync("hist-a")).ChainHead));
    }

    [Theory]
    [InlineData("https://example.com/a/b?c=d#e")]
    [InlineData("back\\slash/and#hash?q")]
    [InlineData("control\u0001char")]
    [InlineData("100%25 off, 50% more")]
    [InlineData("中文来源")]
    public async Task Commit_AnySourceIdString_IsSafeAsKey(string sourceId)
    {
        var store = await CreateStoreAsync();
        await store.CommitAsync(ChangeCommit(sourceId, null, 0, null, "content", T0).Commit);
        var state = await store.GetAsync(sourceId);
        Assert.Equal("content", state.Snapshot!.Content);
        Assert.Contains(await store.ListAsync(), s => s.SourceId == sourceId);
    }

    /// <summary>A commit that records <paramref name="content"/> as the next version with one change entry and event.</summary>
    protected static (SourceCommit Commit, ChangeEvent Event) ChangeCommit(string sourceId, string? token, long entryCount, string? head, string content, DateTimeOffset time)
    {
        var hash = Core.Hashing.Sha256(content);
        var version = entryCount + 1;
        var evt = new ChangeEvent
        {
            Id = ChangeEvent.ComputeId(sourceId, version, hash),
            Source = ChangeEvent.SourceUri(sourceId),
            Type = ChangeEventTypes.TermsChanged,
            Subject = sourceId,
            Time = time,
            Data = new ChangeEventData { SourceId = sourceId, Kind = "terms", Severity = Severity.Warning, Summary = "changed", PreviousEntryHash = head },
        };
        var entry = HistoryChain.Seal(new HistoryEntry
        {
            SourceId = sourceId, Sequence = version, Type = HistoryEntryType.Change, Time = time, Summary = "changed",
            ContentHash = hash, Content = content, Event = evt,
        }, head);
        var snapshot = new Snapshot { ContentHash = hash, Content = content, RulesHash = "rules", ETag = "\"etag-1\"", CapturedAt = time, Version = version };
        return (new SourceCommit
        {
            SourceId = sourceId, ExpectedToken = token, Snapshot = snapshot, Health = SourceHealth.Healthy, NewEntries = [entry], NewEvents = [evt],
        }, evt);
    }
}
