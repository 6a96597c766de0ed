using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Audits;

namespace ComplianceWatch.Infrastructure.Tables;

/// <summary>
/// Audit runs on Azure Table Storage, one partition per run (in its own table, beside the state store's):
/// <code>
/// PartitionKey   RowKey               what
/// {audit id}     run                  requested time, selection, number of source chunks
/// {audit id}     s|{chunk:D6}         source ids of the run, as a JSON array (at most ~30,000 characters a row)
/// {audit id}     r|{source key}       the result of one source's check job
/// </code>
/// The run and its id chunks are written in one transaction before any job is queued. Each job writes only its own
/// result row (a re-delivered job replaces its own result), so jobs never contend.
/// </summary>
public sealed class TableAuditRunStore(TableClient table) : IAuditRunStore
{
    public const string DefaultTableName = "compliancewatchaudits";
    private const string RunRow = "run";
    private const string SourcesPrefix = "s|";
    private const string ResultPrefix = "r|";
    private const int ChunkChars = 30_000;
    private const int TransactionRows = 50; // 50 × ~60 KB stays under the 4 MiB of a transaction
    private volatile bool created;

    public TableClient Table { get; } = table;

    public async Task CreateAsync(AuditRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        await EnsureTableAsync(cancellationToken);
        var chunks = Chunk(run.SourceIds);
        var actions = chunks.Select((ids, i) => new TableTransactionAction(TableTransactionActionType.Add,
            new TableEntity(run.Id, $"{SourcesPrefix}{i:D6}") { ["Ids"] = JsonSerializer.Serialize(ids, JsonDefaults.Options) })).ToList();

        // the run row goes last (in the last transaction): a run that can be read has all its source ids
        actions.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(run.Id, RunRow)
        {
            ["RequestedAt"] = run.RequestedAt,
            ["Selection"] = run.Selection,
            ["Chunks"] = chunks.Count,
            ["Count"] = run.SourceIds.Count,
        }));
        foreach (var batch in actions.Chunk(TransactionRows))
        {
            await Table.SubmitTransactionAsync(batch, cancellationToken);
        }
    }

    public async Task<AuditRun?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!AuditRun.IsValidId(id))
        {
            return null;
        }

        await EnsureTableAsync(cancellationToken);
        var run = await Table.GetEntityIfExistsAsync<TableEntity>(id, RunRow, cancellationToken: cancellationToken);
        if (!run.HasValue || run.Value is not { } entity)
        {
            return null;
        }

        var ids = new List<string>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {id} and RowKey ge {SourcesPrefix} and RowKey lt {TableKeys.RangeEnd(SourcesPrefix)}");
        await foreach (var chunk in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            ids.AddRange(JsonSerializer.Deserialize<string[]>(chunk.GetString("Ids") ?? "[]", JsonDefaults.Options) ?? []);
        }

        return new AuditRun
        {
            Id = id,
            RequestedAt = entity.GetDateTimeOffset("RequestedAt") ?? default,
            Selection = entity.GetString("Selection") ?? "",
            SourceIds = ids,
        };
    }

    public async Task RecordResultAsync(string auditId, AuditSourceResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!AuditRun.IsValidId(auditId))
        {
            throw new ArgumentException($"'{auditId}' is not an audit run id", nameof(auditId));
        }

        await EnsureTableAsync(cancellationToken);
        var entity = new TableEntity(auditId, ResultPrefix + TableKeys.SourceKey(result.SourceId))
        {
            ["Result"] = JsonSerializer.Serialize(result, JsonDefaults.Options),
        };
        try
        {
            await Table.AddEntityAsync(entity, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // a re-delivered job: its newer result replaces its own row (no other writer touches this row)
            await Table.UpdateEntityAsync(entity, ETag.All, TableUpdateMode.Replace, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<AuditSourceResult>> GetResultsAsync(string auditId, CancellationToken cancellationToken = default)
    {
        if (!AuditRun.IsValidId(auditId))
        {
            return [];
        }

        await EnsureTableAsync(cancellationToken);
        var results = new List<AuditSourceResult>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {auditId} and RowKey ge {ResultPrefix} and RowKey lt {TableKeys.RangeEnd(ResultPrefix)}");
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row.GetString("Result") is { } json && JsonSerializer.Deserialize<AuditSourceResult>(json, JsonDefaults.Options) is { } result)
            {
                results.Add(result);
            }
        }

        return results;
    }

    private static List<List<string>> Chunk(IReadOnlyList<string> ids)
    {
        var chunks = new List<List<string>> { new() };
        var chars = 0;
        foreach (var id in ids)
        {
            if (chars + id.Length + 3 > ChunkChars && chunks[^1].Count > 0)
            {
                chunks.Add([]);
                chars = 0;
            }

            chunks[^1].Add(id);
            chars += id.Length + 3;
        }

        return chunks;
    }

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (!created)
        {
            await Table.CreateIfNotExistsAsync(cancellationToken);
            created = true;
        }
    }
}
