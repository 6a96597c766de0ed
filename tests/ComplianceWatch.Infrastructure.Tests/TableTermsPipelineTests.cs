using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Infrastructure.Tables;
using ComplianceWatch.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>
/// Every terms pipeline scenario of <see cref="TermsPipelineTests"/> (baseline, 304, changes, noise, errors, health,
/// rules updates, overlapping runs) on Azure Table Storage (Azurite) instead of the embedded store, plus a forced race.
/// </summary>
public sealed class TableTermsPipelineTests : TermsPipelineTests
{
    private readonly Dictionary<string, string> tables = new(StringComparer.Ordinal);

    protected override PipelineHost CreateHost(string store, IDictionary<string, string?>? settings = null) =>
        new("unused", settings: settings, store: services => services.AddTableStateStore(Azurite.Table(TableFor(store))));

    private string TableFor(string store)
    {
        lock (tables)
        {
            if (!tables.TryGetValue(store, out var name))
            {
                tables[store] = name = Azurite.NewTableName("p");
            }

            return name;
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var name in tables.Values)
        {
            await Azurite.DeleteTableAsync(name);
        }
    }

    /// <summary>Removes the snapshot's text (the <c>C</c> properties) from the state row, keeping its metadata.</summary>
    protected override async Task DamageSnapshotTextAsync(string sourceId)
    {
        var client = Azurite.Table(TableFor("state"));
        var row = (await client.GetEntityAsync<Azure.Data.Tables.TableEntity>(TableKeys.SourcePartition(sourceId), TableKeys.State)).Value;
        foreach (var column in TableBlobs.Columns("C"))
        {
            row.Remove(column);
        }

        await client.UpdateEntityAsync(row, row.ETag, Azure.Data.Tables.TableUpdateMode.Replace);
    }

    [Fact]
    public async Task TwoConcurrentChecksOfAChangedSource_ForcedToRace_YieldOneEventAndOneHistoryEntry()
    {
        Server.Set("terms", Page1);
        await Host.CheckAsync(ListCatalog());
        Server.Set("terms", Page1.Replace("<li>China</li>", "<li>Vietnam</li>", StringComparison.Ordinal));

        // Two hosts (two processes, each with its own client) whose first read is held until both have read the same
        // state: both see the change, both try to commit it on the same ETag.
        var gate = new RaceGate(2);
        var stores = new List<RacingStore>();
        PipelineHost Racer() => new("unused", store: services => services.AddSingleton<IStateStore>(_ =>
        {
            var racing = new RacingStore(new TableStateStore(Azurite.Table(TableFor("state"))), gate);
            lock (stores)
            {
                stores.Add(racing);
            }

            return racing;
        }));
        await using var a = Racer();
        await using var b = Racer();

        var reports = await Task.WhenAll(a.CheckAsync(ListCatalog()), b.CheckAsync(ListCatalog()));

        var change = Assert.Single(reports.SelectMany(r => r.Changes));
        Assert.Equal(["China"], change.Data.Diff!.Removed);
        Assert.Equal(new[] { CheckOutcome.Changed, CheckOutcome.Unchanged }.Order(), reports.Select(r => r.Results[0].Outcome).Order());
        Assert.Equal(1, stores.Sum(s => s.Conflicts)); // the loser saw the conflict, re-read and found nothing new
        var history = await Host.Store.QueryHistoryAsync(new HistoryQuery { SourceIds = ["test-terms"] });
        Assert.Equal([HistoryEntryType.Baseline, HistoryEntryType.Change], history.Select(h => h.Type));
        Assert.Equal(change.Id, Assert.Single(await Host.Store.GetPendingEventsAsync()).Event.Id);
    }

    /// <summary>Lets <c>count</c> first reads through together, once all of them have arrived.</summary>
    private sealed class RaceGate(int count)
    {
        private readonly TaskCompletionSource all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int arrived;

        public Task ArriveAsync()
        {
            if (Interlocked.Increment(ref arrived) == count)
            {
                all.SetResult();
            }

            return all.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>A store whose first read of a whole state waits at the gate, and that counts the conflicts its commits meet.</summary>
    private sealed class RacingStore(IStateStore inner, RaceGate gate) : IStateStore
    {
        private int reads;
        private int conflicts;

        public int Conflicts => conflicts;

        public async Task<SourceState> GetAsync(string sourceId, CancellationToken cancellationToken = default)
        {
            var state = await inner.GetAsync(sourceId, cancellationToken);
            if (Interlocked.Increment(ref reads) == 1)
            {
                await gate.ArriveAsync();
            }

            return state;
        }

        /// <summary>The validators are read before the fetch and ungated: the race is on the state a check decides from.</summary>
        public Task<SourceHead> GetHeadAsync(string sourceId, CancellationToken cancellationToken = default) => inner.GetHeadAsync(sourceId, cancellationToken);

        public async Task<SourceState> CommitAsync(SourceCommit commit, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.CommitAsync(commit, cancellationToken);
            }
            catch (ConcurrencyConflictException)
            {
                Interlocked.Increment(ref conflicts);
                throw;
            }
        }

        public Task<IReadOnlyList<SourceState>> ListAsync(CancellationToken cancellationToken = default) => inner.ListAsync(cancellationToken);

        public Task<IReadOnlyList<PendingEvent>> GetPendingEventsAsync(CancellationToken cancellationToken = default) => inner.GetPendingEventsAsync(cancellationToken);

        public Task MarkPublishedAsync(string sourceId, IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken = default) =>
            inner.MarkPublishedAsync(sourceId, eventIds, cancellationToken);

        public Task<IReadOnlyList<HistoryEntry>> QueryHistoryAsync(HistoryQuery query, CancellationToken cancellationToken = default) =>
            inner.QueryHistoryAsync(query, cancellationToken);
    }
}
