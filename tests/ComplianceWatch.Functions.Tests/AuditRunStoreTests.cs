using ComplianceWatch.Core.Audits;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Infrastructure.Embedded;
using ComplianceWatch.Infrastructure.Queues;
using ComplianceWatch.Infrastructure.Tables;
using ComplianceWatch.Testing;
using Microsoft.Extensions.Configuration;

namespace ComplianceWatch.Functions.Tests;

/// <summary>The audit-run store contract on both implementations: the embedded files and Table Storage on Azurite.</summary>
public sealed class AuditRunStoreTests : IDisposable
{
    private readonly TempDirectory directory = new();
    private readonly string table = Azurite.NewTableName("ar");

    public void Dispose()
    {
        directory.Dispose();
        Azurite.DeleteTableAsync(table).GetAwaiter().GetResult();
    }

    private IAuditRunStore Store(string kind) => kind == "table"
        ? new TableAuditRunStore(Azurite.Table(table))
        : new EmbeddedAuditRunStore(directory.File("state"));

    private static AuditSourceResult Result(string sourceId, CheckOutcome outcome, params string[] events) => new()
    {
        SourceId = sourceId, Outcome = outcome, CheckedAt = DateTimeOffset.UnixEpoch, EventIds = events,
        Error = outcome == CheckOutcome.Failed ? new CheckError(sourceId, "timeout", "slow") : null,
    };

    [Theory]
    [InlineData("embedded")]
    [InlineData("table")]
    public async Task Run_RoundTrips_WithEveryOneOfManySourceIds(string kind)
    {
        var store = Store(kind);
        var ids = Enumerable.Range(0, 4000).Select(i => $"source-number-{i:D6}").ToArray(); // ~90,000 characters: several rows in a table
        var run = new AuditRun { Id = AuditRun.NewId(), RequestedAt = new DateTimeOffset(2026, 11, 29, 6, 0, 0, TimeSpan.Zero), Selection = "all", SourceIds = ids };
        await store.CreateAsync(run);

        var read = await store.GetAsync(run.Id);
        Assert.NotNull(read);
        Assert.Equal(ids, read.SourceIds);
        Assert.Equal(run.RequestedAt, read.RequestedAt);
        Assert.Equal("all", read.Selection);
        Assert.Null(await store.GetAsync(AuditRun.NewId()));
        Assert.Null(await store.GetAsync("../../etc"));
    }

    [Theory]
    [InlineData("embedded")]
    [InlineData("table")]
    public async Task Results_AreOnePerSource_AndARedeliveredJobReplacesItsOwn(string kind)
    {
        var store = Store(kind);
        var run = new AuditRun { Id = AuditRun.NewId(), RequestedAt = DateTimeOffset.UnixEpoch, Selection = "sources", SourceIds = ["a", "b"] };
        await store.CreateAsync(run);
        Assert.Empty(await store.GetResultsAsync(run.Id));

        await store.RecordResultAsync(run.Id, Result("a", CheckOutcome.Failed));
        await store.RecordResultAsync(run.Id, Result("b", CheckOutcome.Baselined));
        await store.RecordResultAsync(run.Id, Result("a", CheckOutcome.Changed, "e1"));

        var results = (await store.GetResultsAsync(run.Id)).OrderBy(r => r.SourceId, StringComparer.Ordinal).ToArray();
        Assert.Equal(["a", "b"], results.Select(r => r.SourceId));
        Assert.Equal(CheckOutcome.Changed, results[0].Outcome);
        Assert.Equal(["e1"], results[0].EventIds);
        Assert.Null(results[0].Error);
        Assert.Empty(await store.GetResultsAsync(AuditRun.NewId()));
    }

    [Fact]
    public void StorageConnection_FollowsTheFunctionsConventions()
    {
        static IConfiguration Config(params (string Key, string Value)[] values) =>
            new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

        Assert.Equal("devstoreaccount1", StorageConnection.CreateQueueServiceClient(Config(("S", "UseDevelopmentStorage=true")), "S").AccountName);
        Assert.Equal(new Uri("https://acct.queue.core.chinacloudapi.cn/"),
            StorageConnection.CreateQueueServiceClient(Config(("S:accountName", "acct"), ("S:queueServiceUri", "https://acct.queue.core.chinacloudapi.cn")), "S").Uri);
        Assert.Equal(new Uri("https://acct.queue.core.windows.net/"), StorageConnection.CreateQueueServiceClient(Config(("S:accountName", "acct")), "S").Uri);
        Assert.Contains("S: missing", StorageConnection.Problem(Config(), "S"), StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => StorageConnection.CreateQueueServiceClient(Config(), "S"));
    }
}
