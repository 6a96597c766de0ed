using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using ComplianceWatch.Infrastructure.Tables;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Cli.Tests;

/// <summary>
/// Every <see cref="CheckCommandTests"/> scenario with <c>--storage "&lt;Azurite connection string&gt;"</c> instead of
/// <c>--state DIR</c>: the same catalog and page edits give the same baseline/change/no-change/error results, audit and
/// audit verify (tampering included) work the same.
/// </summary>
public sealed class TableStorageCheckCommandTests : CheckCommandTests
{
    private readonly string table = Azurite.NewTableName("cli");

    protected override string[] StoreArgs => ["--storage", Azurite.ConnectionString];

    private Dictionary<string, string?> Settings => new() { ["ComplianceWatch:Storage:TableName"] = table };

    protected override Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(Settings, args);

    protected override async Task TamperAsync(string sourceId, long sequence, string original, string replacement)
    {
        var client = Azurite.Table(table);
        var row = (await client.GetEntityAsync<TableEntity>(TableKeys.SourcePartition(sourceId), TableKeys.History(sequence))).Value;
        var json = Encoding.UTF8.GetString((await TableBlobs.ReadAsync(row, "E", (_, _) => Task.FromResult<TableEntity?>(null), default))!);
        foreach (var column in TableBlobs.Columns("E"))
        {
            row.Remove(column);
        }

        TableBlobs.Write(row, "E", Encoding.UTF8.GetBytes(json.Replace(original, replacement, StringComparison.Ordinal)), new InlineBudget(1 << 20), new Dictionary<string, byte[]>());
        await client.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
    }

    protected override async Task<string> ReadEntryJsonAsync(string sourceId, long sequence)
    {
        var row = (await Azurite.Table(table).GetEntityAsync<TableEntity>(TableKeys.SourcePartition(sourceId), TableKeys.History(sequence))).Value;
        return Encoding.UTF8.GetString((await TableBlobs.ReadAsync(row, "E", (_, _) => Task.FromResult<TableEntity?>(null), default))!);
    }

    protected override async Task WriteEntryJsonAsync(string sourceId, long sequence, string json)
    {
        var client = Azurite.Table(table);
        var row = (await client.GetEntityAsync<TableEntity>(TableKeys.SourcePartition(sourceId), TableKeys.History(sequence))).Value;
        foreach (var column in TableBlobs.Columns("E"))
        {
            row.Remove(column);
        }

        TableBlobs.Write(row, "E", Encoding.UTF8.GetBytes(json), new InlineBudget(1 << 20), new Dictionary<string, byte[]>());
        await client.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
    }

    protected override async Task DeleteEntryAsync(string sourceId, long sequence) =>
        await Azurite.Table(table).DeleteEntityAsync(TableKeys.SourcePartition(sourceId), TableKeys.History(sequence));

    /// <summary>The state row's <c>Snapshot</c> metadata with its content read from the <c>C</c> blob.</summary>
    protected override async Task<JsonObject?> ReadSnapshotAsync(string sourceId)
    {
        var client = Azurite.Table(table);
        var row = (await client.GetEntityAsync<TableEntity>(TableKeys.SourcePartition(sourceId), TableKeys.State)).Value;
        if (row.GetString("Snapshot") is not { Length: > 0 } metadata)
        {
            return null;
        }

        var snapshot = JsonNode.Parse(metadata)!.AsObject();
        var content = await TableBlobs.ReadAsync(row, "C", async (rowKey, ct) => (await client.GetEntityAsync<TableEntity>(row.PartitionKey, rowKey, cancellationToken: ct)).Value, default);
        snapshot["content"] = content is null ? "" : Encoding.UTF8.GetString(content);
        return snapshot;
    }

    /// <summary>Rewrites the state row's <c>Snapshot</c> metadata and <c>C</c> blob (both removed for null), keeping its other columns.</summary>
    protected override async Task WriteSnapshotAsync(string sourceId, JsonObject? snapshot)
    {
        var client = Azurite.Table(table);
        var row = (await client.GetEntityAsync<TableEntity>(TableKeys.SourcePartition(sourceId), TableKeys.State)).Value;
        row.Remove("Snapshot");
        foreach (var column in TableBlobs.Columns("C"))
        {
            row.Remove(column);
        }

        if (snapshot is not null)
        {
            var metadata = snapshot.DeepClone().AsObject();
            var content = metadata["content"]!.GetValue<string>();
            metadata["content"] = "";
            row["Snapshot"] = metadata.ToJsonString();
            TableBlobs.Write(row, "C", Encoding.UTF8.GetBytes(content), new InlineBudget(1 << 20), new Dictionary<string, byte[]>());
        }

        await client.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
    }

    protected override async Task DeleteStateAsync(string sourceId) =>
        await Azurite.Table(table).DeleteEntityAsync(TableKeys.SourcePartition(sourceId), TableKeys.State);

    protected override async Task AssertNothingRecordedAsync()
    {
        var tables = new List<string>();
        await foreach (var item in new TableServiceClient(Azurite.ConnectionString).QueryAsync(t => t.Name == table))
        {
            tables.Add(item.Name);
        }

        Assert.Empty(tables); // not even the table was created
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Azurite.DeleteTableAsync(table);
    }

    [Fact]
    public async Task StateAndStorage_AreMutuallyExclusive()
    {
        var result = await RunAsync("check", "--catalog", Catalog, "--state", "somewhere", "--storage", Azurite.ConnectionString);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--state and --storage are mutually exclusive", result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task Storage_Malformed_IsAUsageErrorThatDoesNotEchoTheSecret()
    {
        var result = await RunAsync("check", "--catalog", Catalog, "--storage", "AccountName=x;AccountKey=not-base64-SECRET;Bogus");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--storage", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Storage_FromTheSetting_IsUsedWhenNoStoreOptionIsGiven()
    {
        Server.Set("countries", "<html><body><main><ul><li>France</li></ul></main></body></html>");
        var settings = new Dictionary<string, string?>(Settings) { ["ComplianceWatch:Storage:ConnectionString"] = Azurite.ConnectionString };
        var result = await CliRunner.RunAsync(settings, "check", "--catalog", Catalog, "--allow-private-network", "--json");
        Assert.Equal(0, result.ExitCode);
        var audit = await CliRunner.RunAsync(settings, "audit", "--json");
        using var doc = JsonDocument.Parse(audit.Out);
        Assert.Equal("baseline", Assert.Single(doc.RootElement.EnumerateArray()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Topic_WithoutServiceBus_IsAUsageError()
    {
        var result = await RunAsync("check", "--catalog", Catalog, "--topic", "changes");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--topic needs --service-bus", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceBusUnreachable_CheckStillRecords_EventsStayPendingAndAWarningGoesToStderr()
    {
        Server.Set("countries", "<html><body><main><ul><li>France</li><li>China</li></ul></main></body></html>");
        Assert.Equal(0, (await CheckJsonAsync()).ExitCode);
        Server.Set("countries", "<html><body><main><ul><li>France</li></ul></main></body></html>");

        // nothing listens there: every send fails, after the client's own retries
        var unreachable = "Endpoint=sb://127.0.0.1:9/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0;UseDevelopmentEmulator=true";
        var watch = Stopwatch.StartNew();
        var result = await CheckJsonAsync("--service-bus", unreachable, "--topic", "changes");
        Assert.Equal(0, result.ExitCode); // every source was checked and recorded
        using (var doc = JsonDocument.Parse(result.Out))
        {
            Assert.Single(doc.RootElement.GetProperty("changes").EnumerateArray());
        }

        Assert.Contains("warning: publishing failed, the events stay pending", result.Error, StringComparison.Ordinal);
        var pending = await new TableStateStore(Azurite.Table(table)).GetPendingEventsAsync();
        Assert.Equal("countries", Assert.Single(pending).SourceId);

        // the human output says so too; the next run tries again
        var human = await RunAsync(["check", "--catalog", Catalog, .. StoreArgs, "--allow-private-network", "--service-bus", unreachable]);
        Assert.Contains("0 change events published, 1 pending", human.Out, StringComparison.Ordinal);
        Console.WriteLine($"check with an unreachable Service Bus took {watch.Elapsed.TotalSeconds:F1} s");
    }
}
