using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComplianceWatch.Infrastructure.Tables;

/// <summary>
/// <see cref="IStateStore"/> on Azure Table Storage (Azurite locally). One table; its partitions:
/// <code>
/// PartitionKey        RowKey                          what
/// s|{source}          state                           snapshot (metadata + content blob), health, entry count, chain
///                                                     head — its ETag is the concurrency token
/// s|{source}          h|{sequence:D19}                history entry: entry JSON (without content) + content blob
/// s|{source}          o|{event id}                    outbox: a change event not yet published
/// s|{source}          x|{sequence:D19}                index entry not yet written to the month partition
/// s|{source}          c|{sha256}                      chunk of a large blob (content-addressed, immutable)
/// ix|{yyyyMM}         {ticks:D19}|{source}|{seq:D19}  history index: one row per entry of that month (UTC)
/// ixm                 {yyyyMM}                        the months that have index rows
/// </code>
/// <para>
/// <b>Commit.</b> One source's state lives in one partition, so a commit is one entity-group transaction: the state
/// row (<c>AddEntity</c> when new, else <c>UpdateEntity</c> with the ETag read — compare-and-swap, never a blind
/// upsert), the new history rows, outbox rows and index-pending rows together. Either all of it lands or none; a stale
/// ETag (412) or an existing row (409) fails it as a whole and becomes <see cref="ConcurrencyConflictException"/>, so
/// two racing runs yield exactly one change event. Large blobs go to chunk rows written just before the transaction
/// (see <see cref="TableBlobs"/> for why that is safe).
/// </para>
/// <para>
/// <b>History index.</b> The audit asks for a time range across every source; reading every source partition would
/// not scale to thousands of sources. So each entry also gets a row in the partition of its month
/// (<c>ix|yyyyMM</c>, RowKey starting with the time), and a time-range query reads only those month partitions (plus
/// the small <c>ixm</c> list of months). An index row cannot be in the commit's transaction (another partition), so the
/// transaction writes an index-pending row <c>x|{seq}</c> beside the entry — an outbox for the index. Right after the
/// commit the store writes the index rows (idempotently: insert, 409 = already there) and deletes the pending rows;
/// if the process dies in between, the pending rows are found and completed by the next <see cref="GetPendingEventsAsync"/>
/// (the relay, which runs after every check and on its own, reads them with the outbox) and by the next
/// <see cref="GetAsync"/> of that source (its next check). An index row holds a copy of the
/// entry (without content) when it is small, else points at the history row, which is then read by its key.
/// </para>
/// <para>
/// Listing sources and pending events are single filtered queries over the table (they concern every source anyway).
/// </para>
/// </summary>
public sealed partial class TableStateStore : IStateStore
{
    public const string DefaultTableName = "compliancewatch";

    /// <summary>Compressed bytes a commit carries inline (the transaction must stay under 4 MiB as JSON, base64 included).</summary>
    internal const long TransactionInlineBytes = 2L * 1024 * 1024;

    private const int MaxTransactionActions = 100;
    private const int Format = 1;
    private static readonly string[] EntryColumns = ["PartitionKey", "RowKey", "Sequence", .. TableBlobs.Columns("E")];
    private static readonly string[] HeadColumns = ["PartitionKey", "RowKey", "Snapshot", "Health"];
    private static readonly string[] CommitReadColumns = ["PartitionKey", "RowKey", "EntryCount", "ChainHead", "Sequence", .. TableBlobs.Columns("E")];
    private readonly TableClient table;
    private readonly ILogger logger;
    private readonly Lock createLock = new();
    private readonly ConcurrentDictionary<string, byte> knownMonths = new(StringComparer.Ordinal);
    private Task? creating;

    public TableStateStore(TableClient table, ILogger<TableStateStore>? logger = null)
    {
        this.table = table ?? throw new ArgumentNullException(nameof(table));
        this.logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public string TableName => table.Name;

    /// <summary>
    /// A client for <paramref name="connection"/>: a storage connection string (Azurite's included), or the table
    /// service endpoint URI (<c>https://ACCOUNT.table.core.windows.net</c>), which authenticates with
    /// <see cref="DefaultAzureCredential"/> (managed identity in Azure, the developer's login locally) unless a
    /// <paramref name="credential"/> is given.
    /// </summary>
    public static TableClient CreateClient(string connection, string? tableName = null, TableClientOptions? options = null, TokenCredential? credential = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        var name = string.IsNullOrWhiteSpace(tableName) ? DefaultTableName : tableName;
        options ??= new TableClientOptions();
        if (!connection.Contains(';', StringComparison.Ordinal) && !connection.Contains('=', StringComparison.Ordinal)
            && Uri.TryCreate(connection, UriKind.Absolute, out var endpoint) && (endpoint.Scheme == Uri.UriSchemeHttps || endpoint.Scheme == Uri.UriSchemeHttp))
        {
            return new TableClient(endpoint, name, credential ?? new DefaultAzureCredential(), options);
        }

        return new TableClient(connection, name, options);
    }

    /// <summary>
    /// The state of a source: one query for its state row, outbox rows and index-pending rows. Index rows that a crash
    /// left unwritten are completed here too, so the next check of the source heals its part of the index.
    /// </summary>
    public async Task<SourceState> GetAsync(string sourceId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sourceId);
        var partition = TableKeys.SourcePartition(sourceId);
        var rows = await QueryAsync(StateFilter(partition, withIndexPending: true), null, cancellationToken);
        var indexPending = rows.Where(r => r.RowKey.StartsWith(TableKeys.IndexPendingPrefix, StringComparison.Ordinal)).Select(r => r.GetInt64("Sequence") ?? 0).ToArray();
        if (indexPending.Length > 0)
        {
            await RepairIndexAsync(partition, indexPending, cancellationToken);
        }

        var state = rows.FirstOrDefault(r => r.RowKey == TableKeys.State);
        return state is null
            ? SourceState.Empty(sourceId)
            : await ToStateAsync(state, rows.Where(r => r.RowKey.StartsWith(TableKeys.OutboxPrefix, StringComparison.Ordinal)), cancellationToken);
    }

    /// <summary>
    /// The snapshot's validators and the health: one point read of the state row, projected to leave out the
    /// snapshot's text (its <c>C</c> properties and chunk rows) and to skip the outbox.
    /// </summary>
    public async Task<SourceHead> GetHeadAsync(string sourceId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sourceId);
        var state = await GetEntityAsync(TableKeys.SourcePartition(sourceId), TableKeys.State, HeadColumns, cancellationToken);
        if (state is null)
        {
            return new SourceHead { SourceId = sourceId };
        }

        return new SourceHead
        {
            SourceId = sourceId,
            Snapshot = SnapshotMetadata(state) is { } snapshot ? SnapshotHead.Of(snapshot) : null,
            Health = Health(state),
        };
    }

    public async Task<SourceState> CommitAsync(SourceCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        await EnsureTableAsync(cancellationToken);
        var partition = TableKeys.SourcePartition(commit.SourceId);

        // Read what the commit carries over (entry count, chain head, outbox); a token that already moved on fails fast.
        var rows = await QueryAsync(StateFilter(partition, withIndexPending: false), CommitReadColumns, cancellationToken);
        var current = rows.FirstOrDefault(r => r.RowKey == TableKeys.State);
        if (current?.ETag.ToString() != commit.ExpectedToken)
        {
            throw new ConcurrencyConflictException(commit.SourceId);
        }

        var entryCount = current?.GetInt64("EntryCount") ?? 0;
        foreach (var entry in commit.NewEntries)
        {
            if (entry.Sequence != ++entryCount)
            {
                throw new InvalidOperationException($"History entry {entry.Sequence} of '{commit.SourceId}' does not follow entry {entryCount - 1}.");
            }
        }

        var chainHead = commit.NewEntries.Count > 0 ? commit.NewEntries[^1].EntryHash : current?.GetString("ChainHead");
        var budget = new InlineBudget(TransactionInlineBytes);
        var chunks = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var actions = new List<TableTransactionAction>();

        var state = new TableEntity(partition, TableKeys.State)
        {
            ["SourceId"] = commit.SourceId,
            ["Format"] = Format,
            ["Health"] = JsonSerializer.Serialize(commit.Health, JsonDefaults.Options),
            ["EntryCount"] = entryCount,
            ["ChainHead"] = chainHead,
        };
        actions.Add(current is null
            ? new TableTransactionAction(TableTransactionActionType.Add, state)
            : new TableTransactionAction(TableTransactionActionType.UpdateReplace, state, current.ETag));

        // Small things first, so that they stay inline and only large content moves to chunk rows.
        var sequences = new Dictionary<string, long>(StringComparer.Ordinal);
        var historyRows = new List<TableEntity>();
        var indexEntries = new List<(HistoryEntry Entry, byte[] Json)>();
        foreach (var entry in commit.NewEntries)
        {
            var json = EntryJson(entry);
            indexEntries.Add((entry, json));
            var row = new TableEntity(partition, TableKeys.History(entry.Sequence))
            {
                ["SourceId"] = commit.SourceId,
                ["Sequence"] = entry.Sequence,
                ["Type"] = JsonSerializer.Serialize(entry.Type, JsonDefaults.Options).Trim('"'),
                ["Ticks"] = entry.Time.UtcTicks,
            };
            TableBlobs.Write(row, "E", json, budget, chunks);
            historyRows.Add(row);
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, row));
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, TableKeys.IndexPending(entry.Sequence))
            {
                ["Sequence"] = entry.Sequence,
            }));
            if (entry.Event is { } evt)
            {
                sequences[evt.Id] = entry.Sequence;
            }
        }

        foreach (var evt in commit.NewEvents)
        {
            var row = new TableEntity(partition, TableKeys.Outbox(evt.Id))
            {
                ["SourceId"] = commit.SourceId,
                ["EventId"] = evt.Id,
                ["Sequence"] = sequences.GetValueOrDefault(evt.Id, entryCount),
            };
            TableBlobs.Write(row, "E", JsonSerializer.SerializeToUtf8Bytes(evt, JsonDefaults.Options), budget, chunks);
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, row));
        }

        if (commit.Snapshot is { } snapshot)
        {
            state["Snapshot"] = JsonSerializer.Serialize(snapshot with { Content = "" }, JsonDefaults.Options);
            TableBlobs.Write(state, "C", Encoding.UTF8.GetBytes(snapshot.Content), budget, chunks);
        }

        for (var i = 0; i < commit.NewEntries.Count; i++)
        {
            if (commit.NewEntries[i].Content is { } content)
            {
                TableBlobs.Write(historyRows[i], "C", Encoding.UTF8.GetBytes(content), budget, chunks);
            }
        }

        if (actions.Count > MaxTransactionActions)
        {
            throw new InvalidOperationException($"A commit of '{commit.SourceId}' with {commit.NewEntries.Count} entries and {commit.NewEvents.Count} events exceeds one Table transaction ({MaxTransactionActions} rows).");
        }

        await WriteChunksAsync(partition, chunks, cancellationToken);

        Response<IReadOnlyList<Response>> response;
        try
        {
            response = await table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412 || (ex.Status == 404 && ex.ErrorCode != "TableNotFound"))
        {
            throw new ConcurrencyConflictException(commit.SourceId);
        }

        var token = response.Value.Count > 0 ? response.Value[0].Headers.ETag?.ToString() : null;
        await WriteIndexAsync(partition, commit.SourceId, indexEntries, cancellationToken);

        var pending = new List<ChangeEvent>();
        foreach (var row in rows.Where(r => r.RowKey.StartsWith(TableKeys.OutboxPrefix, StringComparison.Ordinal)).OrderBy(r => r.GetInt64("Sequence")))
        {
            pending.Add(await ReadEventAsync(row, cancellationToken));
        }

        pending.AddRange(commit.NewEvents);
        return new SourceState
        {
            SourceId = commit.SourceId,
            Snapshot = commit.Snapshot,
            Health = commit.Health,
            EntryCount = entryCount,
            ChainHead = chainHead,
            PendingEvents = pending,
            ConcurrencyToken = token ?? (await GetAsync(commit.SourceId, cancellationToken)).ConcurrencyToken,
        };
    }

    public async Task<IReadOnlyList<SourceState>> ListAsync(CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey ge {TableKeys.SourcePartitionPrefix} and PartitionKey lt {TableKeys.RangeEnd(TableKeys.SourcePartitionPrefix)} and (RowKey eq {TableKeys.State} or (RowKey ge {TableKeys.OutboxPrefix} and RowKey lt {TableKeys.RangeEnd(TableKeys.OutboxPrefix)}))");
        var rows = await QueryAsync(filter, null, cancellationToken);
        var states = new List<SourceState>();
        foreach (var partition in rows.GroupBy(r => r.PartitionKey, StringComparer.Ordinal))
        {
            if (partition.FirstOrDefault(r => r.RowKey == TableKeys.State) is { } state)
            {
                states.Add(await ToStateAsync(state, partition.Where(r => r.RowKey != TableKeys.State), cancellationToken));
            }
        }

        return states.OrderBy(s => s.SourceId, StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// Outbox events not yet published, oldest first. Also completes history-index writes that a crash left pending
    /// (found by the same query), so the relay heals the index as it heals publishing.
    /// </summary>
    public async Task<IReadOnlyList<PendingEvent>> GetPendingEventsAsync(CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey ge {TableKeys.SourcePartitionPrefix} and PartitionKey lt {TableKeys.RangeEnd(TableKeys.SourcePartitionPrefix)} and ((RowKey ge {TableKeys.OutboxPrefix} and RowKey lt {TableKeys.RangeEnd(TableKeys.OutboxPrefix)}) or (RowKey ge {TableKeys.IndexPendingPrefix} and RowKey lt {TableKeys.RangeEnd(TableKeys.IndexPendingPrefix)}))");
        var rows = await QueryAsync(filter, null, cancellationToken);
        foreach (var partition in rows.Where(r => r.RowKey.StartsWith(TableKeys.IndexPendingPrefix, StringComparison.Ordinal)).GroupBy(r => r.PartitionKey, StringComparer.Ordinal))
        {
            await RepairIndexAsync(partition.Key, partition.Select(r => r.GetInt64("Sequence") ?? 0).ToArray(), cancellationToken);
        }

        var pending = new List<(PendingEvent Event, long Sequence)>();
        foreach (var row in rows.Where(r => r.RowKey.StartsWith(TableKeys.OutboxPrefix, StringComparison.Ordinal)))
        {
            var evt = await ReadEventAsync(row, cancellationToken);
            pending.Add((new PendingEvent(row.GetString("SourceId") ?? evt.Data.SourceId, evt), row.GetInt64("Sequence") ?? 0));
        }

        return pending.OrderBy(p => p.Event.Event.Time).ThenBy(p => p.Event.SourceId, StringComparer.Ordinal).ThenBy(p => p.Sequence)
            .Select(p => p.Event).ToArray();
    }

    /// <summary>Deletes the outbox rows of the events; the state row is not touched, so its ETag does not move.</summary>
    public async Task MarkPublishedAsync(string sourceId, IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sourceId);
        ArgumentNullException.ThrowIfNull(eventIds);
        var partition = TableKeys.SourcePartition(sourceId);
        foreach (var id in eventIds.Distinct(StringComparer.Ordinal))
        {
            await DeleteIfExistsAsync(partition, TableKeys.Outbox(id), cancellationToken);
        }
    }

    public async Task<IReadOnlyList<HistoryEntry>> QueryHistoryAsync(HistoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var entries = query.SourceIds is { Count: > 0 } ids
            ? await QuerySourceHistoryAsync(ids, query, cancellationToken)
            : await QueryIndexAsync(query, cancellationToken);
        return entries.OrderBy(e => e.Time).ThenBy(e => e.SourceId, StringComparer.Ordinal).ThenBy(e => e.Sequence).ToArray();
    }

    /// <summary>Sources with history rows, with or without a state row (see <see cref="IStateStore.ListSourcesWithHistoryAsync"/>): one projected query.</summary>
    public async Task<IReadOnlyList<string>> ListSourcesWithHistoryAsync(CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey ge {TableKeys.SourcePartitionPrefix} and PartitionKey lt {TableKeys.RangeEnd(TableKeys.SourcePartitionPrefix)} and RowKey ge {TableKeys.HistoryPrefix} and RowKey lt {TableKeys.RangeEnd(TableKeys.HistoryPrefix)}");
        var rows = await QueryAsync(filter, ["PartitionKey", "RowKey", "SourceId"], cancellationToken);
        return rows.Select(r => r.GetString("SourceId")).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Entries of the given sources: one query per source partition (its <c>h|</c> rows).</summary>
    private async Task<List<HistoryEntry>> QuerySourceHistoryAsync(IEnumerable<string> sourceIds, HistoryQuery query, CancellationToken cancellationToken)
    {
        var select = query.IncludeContent ? null : EntryColumns;
        var entries = new List<HistoryEntry>();
        foreach (var sourceId in sourceIds.Distinct(StringComparer.Ordinal))
        {
            var partition = TableKeys.SourcePartition(sourceId);
            var filter = TableClient.CreateQueryFilter(
                $"PartitionKey eq {partition} and RowKey ge {TableKeys.HistoryPrefix} and RowKey lt {TableKeys.RangeEnd(TableKeys.HistoryPrefix)}");
            foreach (var row in await QueryAsync(filter, select, cancellationToken))
            {
                var entry = await ReadEntryAsync(row, query.IncludeContent, cancellationToken);
                if (InRange(entry, query))
                {
                    entries.Add(entry);
                }
            }
        }

        return entries;
    }

    /// <summary>Entries of every source in a time range: reads only the index (the months list, then each month's partition).</summary>
    private async Task<List<HistoryEntry>> QueryIndexAsync(HistoryQuery query, CancellationToken cancellationToken)
    {
        var monthsFilter = TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.MonthsPartition}");
        var months = (await QueryAsync(monthsFilter, ["RowKey"], cancellationToken)).Select(r => r.RowKey).Order(StringComparer.Ordinal).ToArray();
        var since = query.Since.HasValue ? TableKeys.Month(query.Since.Value) : null;
        var until = query.Until.HasValue ? TableKeys.Month(query.Until.Value.AddTicks(-1)) : null; // Until is exclusive
        var entries = new List<HistoryEntry>();
        foreach (var month in months)
        {
            if ((since is not null && string.CompareOrdinal(month, since) < 0) || (until is not null && string.CompareOrdinal(month, until) > 0))
            {
                continue;
            }

            var partition = TableKeys.IndexPartition(month);
            var from = query.Since.HasValue ? TableKeys.Ticks(query.Since.Value) : "0";
            var to = query.Until.HasValue ? TableKeys.Ticks(query.Until.Value) : "A"; // digits sort before 'A'
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {from} and RowKey lt {to}");
            foreach (var row in await QueryAsync(filter, null, cancellationToken))
            {
                HistoryEntry entry;
                if (!query.IncludeContent && TableBlobs.Has(row, "E"))
                {
                    entry = Deserialize<HistoryEntry>(await TableBlobs.ReadAsync(row, "E", NoChunks, cancellationToken), row);
                }
                else
                {
                    var source = row.GetString("Partition") ?? throw new InvalidDataException($"Index row ({row.PartitionKey}, {row.RowKey}) names no source partition.");
                    var history = await GetEntityAsync(source, TableKeys.History(row.GetInt64("Sequence") ?? 0), null, cancellationToken)
                        ?? throw new InvalidDataException($"Index row ({row.PartitionKey}, {row.RowKey}) points at a missing history entry.");
                    entry = await ReadEntryAsync(history, query.IncludeContent, cancellationToken);
                }

                if (InRange(entry, query))
                {
                    entries.Add(entry);
                }
            }
        }

        return entries;
    }

    private static bool InRange(HistoryEntry entry, HistoryQuery query) =>
        (query.Since is not { } since || entry.Time >= since) && (query.Until is not { } until || entry.Time < until);

    private async Task WriteIndexAsync(string partition, string sourceId, IReadOnlyList<(HistoryEntry Entry, byte[] Json)> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }

        try
        {
            foreach (var (entry, json) in entries)
            {
                var month = TableKeys.Month(entry.Time);
                if (!knownMonths.ContainsKey(month))
                {
                    await AddIfAbsentAsync(new TableEntity(TableKeys.MonthsPartition, month), cancellationToken);
                    knownMonths.TryAdd(month, 0);
                }

                var row = new TableEntity(TableKeys.IndexPartition(month), TableKeys.IndexRow(entry.Time, partition, entry.Sequence))
                {
                    ["SourceId"] = sourceId,
                    ["Partition"] = partition,
                    ["Sequence"] = entry.Sequence,
                };
                var chunks = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                TableBlobs.Write(row, "E", json, new InlineBudget(TableBlobs.PartBytes), chunks, maxInlineParts: 1);
                if (chunks.Count > 0)
                {
                    // too large to copy: the query reads the history row by its key instead
                    foreach (var column in TableBlobs.Columns("E"))
                    {
                        row.Remove(column);
                    }
                }

                await AddIfAbsentAsync(row, cancellationToken);
            }

            foreach (var (entry, _) in entries)
            {
                await DeleteIfExistsAsync(partition, TableKeys.IndexPending(entry.Sequence), cancellationToken);
            }
        }
        catch (Exception ex)
        {
            // The commit stands; the pending rows stay and the next relay run completes the index.
            LogIndexDeferred(logger, ex, sourceId);
        }
    }

    private async Task RepairIndexAsync(string partition, IReadOnlyList<long> sequences, CancellationToken cancellationToken)
    {
        var entries = new List<(HistoryEntry, byte[])>();
        string? sourceId = null;
        foreach (var sequence in sequences)
        {
            var row = await GetEntityAsync(partition, TableKeys.History(sequence), EntryColumns, cancellationToken);
            if (row is null)
            {
                await DeleteIfExistsAsync(partition, TableKeys.IndexPending(sequence), cancellationToken); // cannot happen: written together
                continue;
            }

            var entry = await ReadEntryAsync(row, includeContent: false, cancellationToken);
            sourceId = entry.SourceId;
            entries.Add((entry, EntryJson(entry)));
        }

        if (sourceId is not null)
        {
            LogIndexRepaired(logger, sourceId, entries.Count);
            await WriteIndexAsync(partition, sourceId, entries, cancellationToken);
        }
    }

    private async Task<SourceState> ToStateAsync(TableEntity state, IEnumerable<TableEntity> outbox, CancellationToken cancellationToken)
    {
        var snapshot = SnapshotMetadata(state);
        if (snapshot is not null)
        {
            var content = await ReadBlobAsync(state, "C", cancellationToken);
            snapshot = snapshot with { Content = content is null ? "" : Encoding.UTF8.GetString(content) };
        }

        var pending = new List<ChangeEvent>();
        foreach (var row in outbox.OrderBy(r => r.GetInt64("Sequence")).ThenBy(r => r.RowKey, StringComparer.Ordinal))
        {
            pending.Add(await ReadEventAsync(row, cancellationToken));
        }

        return new SourceState
        {
            SourceId = state.GetString("SourceId") ?? throw new InvalidDataException($"Table entity ({state.PartitionKey}, state) names no source."),
            Snapshot = snapshot,
            Health = Health(state),
            EntryCount = state.GetInt64("EntryCount") ?? 0,
            ChainHead = state.GetString("ChainHead"),
            PendingEvents = pending,
            ConcurrencyToken = state.ETag.ToString(),
        };
    }

    /// <summary>The state row's snapshot without its text (stored apart, in the <c>C</c> properties), or null.</summary>
    private static Snapshot? SnapshotMetadata(TableEntity state) =>
        state.GetString("Snapshot") is { Length: > 0 } json ? Deserialize<Snapshot>(json, state) : null;

    private static SourceHealth Health(TableEntity state) =>
        state.GetString("Health") is { Length: > 0 } json ? Deserialize<SourceHealth>(json, state) : SourceHealth.Healthy;

    private async Task<HistoryEntry> ReadEntryAsync(TableEntity row, bool includeContent, CancellationToken cancellationToken)
    {
        var entry = Deserialize<HistoryEntry>(await ReadBlobAsync(row, "E", cancellationToken), row);
        if (!includeContent)
        {
            return entry;
        }

        var content = await ReadBlobAsync(row, "C", cancellationToken);
        return entry with { Content = content is null ? null : Encoding.UTF8.GetString(content) };
    }

    private async Task<ChangeEvent> ReadEventAsync(TableEntity row, CancellationToken cancellationToken) =>
        Deserialize<ChangeEvent>(await ReadBlobAsync(row, "E", cancellationToken), row);

    private Task<byte[]?> ReadBlobAsync(TableEntity row, string prefix, CancellationToken cancellationToken) =>
        TableBlobs.ReadAsync(row, prefix, (rowKey, ct) => GetEntityAsync(row.PartitionKey, rowKey, null, ct), cancellationToken);

    private static Task<TableEntity?> NoChunks(string rowKey, CancellationToken cancellationToken) => Task.FromResult<TableEntity?>(null);

    /// <summary>The entry as stored in its row and the index: its JSON without the content (stored once, as a blob).</summary>
    private static byte[] EntryJson(HistoryEntry entry) => JsonSerializer.SerializeToUtf8Bytes(entry with { Content = null }, JsonDefaults.Options);

    private static T Deserialize<T>(byte[]? json, TableEntity row)
    {
        if (json is null)
        {
            throw new InvalidDataException($"Table entity ({row.PartitionKey}, {row.RowKey}) holds no value.");
        }

        try
        {
            return JsonSerializer.Deserialize<T>(json, JsonDefaults.Options) ?? throw new JsonException("null");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Table entity ({row.PartitionKey}, {row.RowKey}) is not valid ComplianceWatch state: {ex.Message}", ex);
        }
    }

    private static T Deserialize<T>(string json, TableEntity row) => Deserialize<T>(Encoding.UTF8.GetBytes(json), row);

    /// <summary>A source's state row and outbox rows (and its index-pending rows).</summary>
    private static string StateFilter(string partition, bool withIndexPending) => withIndexPending
        ? TableClient.CreateQueryFilter(
            $"PartitionKey eq {partition} and (RowKey eq {TableKeys.State} or (RowKey ge {TableKeys.OutboxPrefix} and RowKey lt {TableKeys.RangeEnd(TableKeys.OutboxPrefix)}) or (RowKey ge {TableKeys.IndexPendingPrefix} and RowKey lt {TableKeys.RangeEnd(TableKeys.IndexPendingPrefix)}))")
        : TableClient.CreateQueryFilter(
            $"PartitionKey eq {partition} and (RowKey eq {TableKeys.State} or (RowKey ge {TableKeys.OutboxPrefix} and RowKey lt {TableKeys.RangeEnd(TableKeys.OutboxPrefix)}))");

    /// <summary>All rows matching <paramref name="filter"/> (a projection must name PartitionKey and RowKey to get them).</summary>
    private async Task<List<TableEntity>> QueryAsync(string filter, IEnumerable<string>? select, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>();
        try
        {
            await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: select, cancellationToken: cancellationToken))
            {
                rows.Add(row);
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // the table does not exist yet: nothing stored
        }

        return rows;
    }

    private async Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, IEnumerable<string>? select, CancellationToken cancellationToken)
    {
        try
        {
            var response = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, select, cancellationToken);
            return response.HasValue ? response.Value : null;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    private async Task WriteChunksAsync(string partition, Dictionary<string, byte[]> chunks, CancellationToken cancellationToken)
    {
        foreach (var (rowKey, piece) in chunks)
        {
            await AddIfAbsentAsync(TableBlobs.ChunkEntity(partition, rowKey, piece), cancellationToken);
        }
    }

    /// <summary>Inserts an immutable row; one that exists already has the same content (content-addressed or derived).</summary>
    private async Task AddIfAbsentAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        try
        {
            await table.AddEntityAsync(entity, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
        }
    }

    private async Task DeleteIfExistsAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(partitionKey, rowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }
    }

    /// <summary>Creates the table on the first write (reads of a missing table find nothing); a failed attempt is retried next time.</summary>
    private Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        lock (createLock)
        {
            if (creating is null || creating.IsFaulted || creating.IsCanceled)
            {
                creating = table.CreateIfNotExistsAsync(CancellationToken.None);
            }

            return creating.WaitAsync(cancellationToken);
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "History index rows of source {SourceId} were not written; the next relay run completes them")]
    private static partial void LogIndexDeferred(ILogger logger, Exception exception, string sourceId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Completing {Count} history index rows of source {SourceId} left pending")]
    private static partial void LogIndexRepaired(ILogger logger, string sourceId, int count);
}
