using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Infrastructure.Embedded;
using ComplianceWatch.Infrastructure.Tables;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>The delivery ledger contract; every implementation (in memory, embedded, Table Storage) runs it.</summary>
public abstract class DeliveryLedgerContract
{
    protected abstract IDeliveryLedger Create();

    private static DeliveryRecord Record(string id = "e1", string channel = "slack") => new()
    {
        EventId = id, Channel = channel, State = DeliveryState.Pending, Event = SampleEvents.Terms(id: id), CreatedAt = SampleEvents.Time,
    };

    [Fact]
    public async Task TryAdd_IsInsertIfAbsent_PerEventAndChannel()
    {
        var ledger = Create();
        Assert.True(await ledger.TryAddAsync(Record()));
        Assert.False(await ledger.TryAddAsync(Record()));
        Assert.True(await ledger.TryAddAsync(Record(channel: "github")));
        Assert.Equal(2, (await ledger.GetOpenAsync()).Count);
    }

    [Fact]
    public async Task TryUpdate_IsCompareAndSwap_SoOnlyOneClaimWins()
    {
        var ledger = Create();
        await ledger.TryAddAsync(Record());
        var read = (await ledger.GetAsync("e1", "slack"))!;
        var first = await ledger.TryUpdateAsync(read with { State = DeliveryState.Claimed, ClaimedBy = "a" });
        var second = await ledger.TryUpdateAsync(read with { State = DeliveryState.Claimed, ClaimedBy = "b" });
        Assert.NotNull(first);
        Assert.Null(second);
        Assert.Equal("a", (await ledger.GetAsync("e1", "slack"))!.ClaimedBy);
    }

    [Fact]
    public async Task Finished_RecordsLeaveTheOpenSet_ButStillBlockAReAdd()
    {
        var ledger = Create();
        await ledger.TryAddAsync(Record());
        var read = (await ledger.GetAsync("e1", "slack"))!;
        await ledger.TryUpdateAsync(read with { State = DeliveryState.Delivered, Reference = "42" });
        Assert.Empty(await ledger.GetOpenAsync());
        Assert.False(await ledger.TryAddAsync(Record()));
        Assert.Equal("42", Assert.Single(await ledger.ListAsync("slack")).Reference);
    }

    [Fact]
    public async Task ThreadsAndChannelState_RoundTrip()
    {
        var ledger = Create();
        await ledger.SaveThreadAsync(new ThreadRecord { Channel = "github", Key = "reachability:openai-api:globalping:HK", OpenedBy = "e1", Reference = "7" });
        Assert.Equal("7", (await ledger.GetThreadAsync("github", "reachability:openai-api:globalping:HK"))!.Reference);
        Assert.Null(await ledger.GetThreadAsync("slack", "reachability:openai-api:globalping:HK"));
        await ledger.SaveChannelStateAsync(new ChannelState { Channel = "github", ConsecutiveFailures = 2, RecentRequests = [SampleEvents.Time] });
        Assert.Equal(2, (await ledger.GetChannelStateAsync("github"))!.ConsecutiveFailures);
    }
}

public sealed class InMemoryDeliveryLedgerTests : DeliveryLedgerContract
{
    protected override IDeliveryLedger Create() => new InMemoryDeliveryLedger();
}

public sealed class EmbeddedDeliveryLedgerTests : DeliveryLedgerContract, IDisposable
{
    private readonly TempDirectory directory = new();

    protected override IDeliveryLedger Create() => new EmbeddedDeliveryLedger(directory.Path);

    [Fact]
    public async Task Records_SurviveANewInstance_AsAnotherProcessWouldSeeThem()
    {
        await Create().TryAddAsync(new DeliveryRecord { EventId = "odd/id?#", Channel = "my channel", State = DeliveryState.Pending, Event = SampleEvents.Terms(), CreatedAt = SampleEvents.Time });
        var other = Create();
        Assert.False(await other.TryAddAsync(new DeliveryRecord { EventId = "odd/id?#", Channel = "my channel", State = DeliveryState.Pending, Event = SampleEvents.Terms(), CreatedAt = SampleEvents.Time }));
        Assert.Equal("odd/id?#", Assert.Single(await other.GetOpenAsync()).EventId);
    }

    public void Dispose() => directory.Dispose();
}

/// <summary>The ledger contract on Azure Table Storage (Azurite), plus what is particular to the table design.</summary>
public sealed class TableDeliveryLedgerTests : DeliveryLedgerContract, IAsyncLifetime
{
    private readonly List<string> tables = [];

    protected override IDeliveryLedger Create() => Create(out _);

    private TableDeliveryLedger Create(out string name)
    {
        name = Azurite.NewTableName("dl");
        tables.Add(name);
        return new TableDeliveryLedger(Azurite.Table(name));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var name in tables)
        {
            await Azurite.DeleteTableAsync(name);
        }
    }

    [Fact]
    public async Task Keys_AreEncoded_AndRecordsSurviveANewInstance()
    {
        var ledger = Create(out var name);
        var record = new DeliveryRecord { EventId = "odd/id?#", Channel = "my channel", State = DeliveryState.Pending, Event = SampleEvents.Terms(), CreatedAt = SampleEvents.Time };
        Assert.True(await ledger.TryAddAsync(record));
        var other = new TableDeliveryLedger(Azurite.Table(name));
        Assert.False(await other.TryAddAsync(record));
        Assert.Equal("odd/id?#", Assert.Single(await other.GetOpenAsync()).EventId);
        Assert.Equal("my channel", Assert.Single(await other.ListAsync("my channel")).Channel);
    }

    [Fact]
    public async Task ARecordWithAHugeEvent_IsSplit_AndReadsBackWhole()
    {
        var ledger = Create(out var name);
        var random = new Random(7);
        var lines = Enumerable.Range(0, 4000).Select(i => new string(Enumerable.Range(0, 200).Select(_ => (char)random.Next(0x4E00, 0x9FA0)).ToArray())).ToArray();
        var evt = SampleEvents.Terms(id: "big", added: lines);
        Assert.True(await ledger.TryAddAsync(new DeliveryRecord { EventId = "big", Channel = "slack", State = DeliveryState.Pending, Event = evt, CreatedAt = SampleEvents.Time }));
        var read = (await ledger.GetAsync("big", "slack"))!;
        Assert.Equal(lines, read.Event.Data.Diff!.Added);
        var updated = await ledger.TryUpdateAsync(read with { State = DeliveryState.Delivered });
        Assert.NotNull(updated);
        Assert.Equal(DeliveryState.Delivered, (await ledger.GetAsync("big", "slack"))!.State);
        Assert.Empty(await ledger.GetOpenAsync());
        Assert.Single(await ledger.ListAsync("slack")); // chunk rows are not deliveries
        _ = name;
    }

    [Fact]
    public async Task AStaleVersion_LosesTheSwap_AndAnUnstoredRecordIsNotWritten()
    {
        var ledger = Create(out _);
        var record = new DeliveryRecord { EventId = "e1", Channel = "slack", State = DeliveryState.Pending, Event = SampleEvents.Terms(), CreatedAt = SampleEvents.Time };
        Assert.Null(await ledger.TryUpdateAsync(record));
        await ledger.TryAddAsync(record);
        var read = (await ledger.GetAsync("e1", "slack"))!;
        var claimed = (await ledger.TryUpdateAsync(read with { State = DeliveryState.Claimed }))!;
        Assert.NotEqual(read.Version, claimed.Version);
        Assert.Equal(claimed.Version, (await ledger.GetAsync("e1", "slack"))!.Version);
        Assert.Null(await ledger.TryUpdateAsync(read with { State = DeliveryState.Delivered }));
        Assert.NotNull(await ledger.TryUpdateAsync(claimed with { State = DeliveryState.Delivered }));
    }
}
