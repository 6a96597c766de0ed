using ComplianceWatch.Testing;

namespace ComplianceWatch.Cli.Tests;

/// <summary>
/// The kill-and-rerun test on Table Storage (Azurite): a process killed between its commit and its index writes
/// leaves index-pending rows that the rerun completes, so the audit (which reads the month index) still lists every
/// change exactly once and <c>audit verify</c> finds every chain intact.
/// </summary>
public sealed class TableStorageCrashSafetyTests : CrashSafetyTests
{
    private readonly string table = Azurite.NewTableName("crash");

    protected override string[] StoreArgs => ["--storage", Azurite.ConnectionString];

    protected override IReadOnlyDictionary<string, string>? Environment => new Dictionary<string, string> { ["ComplianceWatch__Storage__TableName"] = table };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Azurite.DeleteTableAsync(table);
    }
}
