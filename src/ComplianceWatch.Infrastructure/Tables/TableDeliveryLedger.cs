using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Notifications;

namespace ComplianceWatch.Infrastructure.Tables;

/// <summary>
/// The delivery ledger on Azure Table Storage, in a table of its own:
/// <code>
/// PartitionKey      RowKey          what
/// d|{channel}       {event}         one (event, channel) delivery: State, Open, CreatedAt, the record as JSON (R…)
/// d|{channel}       c|{sha256}      a chunk of a record too large to sit inline (content-addressed, immutable)
/// t|{channel}       {thread key}    an alert a recovery closes
/// ch|{channel}      state           pacing history, pause, health
/// </code>
/// Keys are encoded as the state store's are (<see cref="TableKeys.SourceKey"/>). Insert-if-absent is
/// <c>AddEntityAsync</c> (409: it exists, whatever its state); every state change is <c>UpdateEntityAsync</c> with the
/// ETag read (412: somebody else changed it first), so only one claim wins; the ETag is the record's
/// <see cref="DeliveryRecord.Version"/>. The record (with its event, whose diff may be large) is Brotli-compressed and
/// split over binary properties by <see cref="TableBlobs"/>; a record beyond them goes to chunk rows written before
/// the row that points at them. Threads and channel state have one writer at a time (a channel is delivered serially)
/// and are replaced as a whole: added, or updated over whatever is there.
/// <para>
/// <see cref="GetOpenAsync"/> is a query on the <c>Open</c> property across the delivery partitions: fine for the
/// volumes of alerting (thousands of rows); a retention sweep of finished deliveries keeps it so.
/// </para>
/// </summary>
public sealed class TableDeliveryLedger(TableClient table) : IDeliveryLedger
{
    public const string DefaultTableName = "compliancewatchdeliveries";
    private const string DeliveryPrefix = "d|";
    private const string ThreadPrefix = "t|";
    private const string ChannelPrefix = "ch|";
    private const string ChannelRow = "state";
    private const string RecordBlob = "R";
    private const string Kind = "Kind";
    private const string DeliveryKind = "delivery";

    /// <summary>A record's compressed JSON stays inline up to 4 × 64 KiB; the entity stays far below 1 MiB.</summary>
    private static readonly long InlineBytes = TableBlobs.MaxInlineParts * TableBlobs.PartBytes;

    private volatile bool created;

    public TableClient Table { get; } = table;

    public async Task<bool> TryAddAsync(DeliveryRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await EnsureTableAsync(cancellationToken);
        var entity = await ToEntityAsync(record, cancellationToken);
        try
        {
            await Table.AddEntityAsync(entity, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<DeliveryRecord?> GetAsync(string eventId, string channel, CancellationToken cancellationToken = default)
    {
        var entity = await GetEntityAsync(DeliveryPartition(channel), TableKeys.SourceKey(eventId), cancellationToken);
        return entity is null ? null : await ReadRecordAsync(entity, cancellationToken);
    }

    public async Task<DeliveryRecord?> TryUpdateAsync(DeliveryRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Version is not { Length: > 0 } version)
        {
            return null; // never stored: nothing to swap
        }

        await EnsureTableAsync(cancellationToken);
        var entity = await ToEntityAsync(record, cancellationToken);
        try
        {
            var response = await Table.UpdateEntityAsync(entity, new ETag(version), TableUpdateMode.Replace, cancellationToken);
            return record with { Version = response.Headers.ETag?.ToString() };
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<DeliveryRecord>> GetOpenAsync(CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey ge {DeliveryPrefix} and PartitionKey lt {TableKeys.RangeEnd(DeliveryPrefix)} and Open eq {true}");
        var records = await QueryRecordsAsync(filter, cancellationToken);
        return records.Where(r => r.State is DeliveryState.Pending or DeliveryState.Claimed)
            .OrderBy(r => r.CreatedAt).ThenBy(r => r.Channel, StringComparer.Ordinal).ThenBy(r => r.EventId, StringComparer.Ordinal).ToArray();
    }

    public async Task<IReadOnlyList<DeliveryRecord>> ListAsync(string channel, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {DeliveryPartition(channel)} and Kind eq {DeliveryKind}");
        var records = await QueryRecordsAsync(filter, cancellationToken);
        return records.OrderBy(r => r.CreatedAt).ThenBy(r => r.EventId, StringComparer.Ordinal).ToArray();
    }

    public async Task<ThreadRecord?> GetThreadAsync(string channel, string key, CancellationToken cancellationToken = default)
    {
        var entity = await GetEntityAsync(ThreadPrefix + TableKeys.SourceKey(channel), TableKeys.SourceKey(key), cancellationToken);
        return entity?.GetString("Json") is { } json ? JsonSerializer.Deserialize<ThreadRecord>(json, JsonDefaults.Options) : null;
    }

    public Task SaveThreadAsync(ThreadRecord thread, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        return ReplaceAsync(new TableEntity(ThreadPrefix + TableKeys.SourceKey(thread.Channel), TableKeys.SourceKey(thread.Key))
        {
            ["Channel"] = thread.Channel,
            ["Key"] = thread.Key,
            ["Open"] = thread.Open,
            ["Json"] = JsonSerializer.Serialize(thread, JsonDefaults.Options),
        }, cancellationToken);
    }

    public async Task<ChannelState?> GetChannelStateAsync(string channel, CancellationToken cancellationToken = default)
    {
        var entity = await GetEntityAsync(ChannelPrefix + TableKeys.SourceKey(channel), ChannelRow, cancellationToken);
        return entity?.GetString("Json") is { } json ? JsonSerializer.Deserialize<ChannelState>(json, JsonDefaults.Options) : null;
    }

    public Task SaveChannelStateAsync(ChannelState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        return ReplaceAsync(new TableEntity(ChannelPrefix + TableKeys.SourceKey(state.Channel), ChannelRow)
        {
            ["Channel"] = state.Channel,
            ["Json"] = JsonSerializer.Serialize(state, JsonDefaults.Options),
        }, cancellationToken);
    }

    private static string DeliveryPartition(string channel) => DeliveryPrefix + TableKeys.SourceKey(channel);

    /// <summary>The row of a record; chunk rows it needs (a huge event) are written first, so a row never points at a missing chunk.</summary>
    private async Task<TableEntity> ToEntityAsync(DeliveryRecord record, CancellationToken cancellationToken)
    {
        var partition = DeliveryPartition(record.Channel);
        var entity = new TableEntity(partition, TableKeys.SourceKey(record.EventId))
        {
            [Kind] = DeliveryKind,
            ["EventId"] = record.EventId,
            ["Channel"] = record.Channel,
            ["State"] = record.State.ToString(),
            ["Open"] = record.State is DeliveryState.Pending or DeliveryState.Claimed,
            ["CreatedAt"] = record.CreatedAt,
        };
        var chunks = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        TableBlobs.Write(entity, RecordBlob, JsonSerializer.SerializeToUtf8Bytes(record with { Version = null }, JsonDefaults.Options), new InlineBudget(InlineBytes), chunks);
        foreach (var (rowKey, piece) in chunks)
        {
            try
            {
                await Table.AddEntityAsync(TableBlobs.ChunkEntity(partition, rowKey, piece), cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                // content-addressed: the same bytes are there already
            }
        }

        return entity;
    }

    private async Task<DeliveryRecord> ReadRecordAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        var json = await TableBlobs.ReadAsync(entity, RecordBlob, (rowKey, ct) => GetEntityAsync(entity.PartitionKey, rowKey, ct), cancellationToken)
            ?? throw new InvalidDataException($"Delivery row ({entity.PartitionKey}, {entity.RowKey}) has no record.");
        var record = JsonSerializer.Deserialize<DeliveryRecord>(json, JsonDefaults.Options)
            ?? throw new InvalidDataException($"Delivery row ({entity.PartitionKey}, {entity.RowKey}) holds no record.");
        return record with { Version = entity.ETag.ToString() };
    }

    private async Task<List<DeliveryRecord>> QueryRecordsAsync(string filter, CancellationToken cancellationToken)
    {
        var records = new List<DeliveryRecord>();
        try
        {
            await foreach (var entity in Table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken))
            {
                records.Add(await ReadRecordAsync(entity, cancellationToken));
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // no table yet: nothing recorded
        }

        return records;
    }

    private async Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            var response = await Table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken);
            return response.HasValue ? response.Value : null;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Adds the row, or replaces the one there (a single writer per channel; no blind upsert of a delivery ever).</summary>
    private async Task ReplaceAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken);
        try
        {
            await Table.AddEntityAsync(entity, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            await Table.UpdateEntityAsync(entity, ETag.All, TableUpdateMode.Replace, cancellationToken);
        }
    }

    /// <summary>Creates the table on the first write (reads of a missing table find nothing); a failed attempt is retried next time.</summary>
    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (!created)
        {
            await Table.CreateIfNotExistsAsync(cancellationToken);
            created = true;
        }
    }
}
