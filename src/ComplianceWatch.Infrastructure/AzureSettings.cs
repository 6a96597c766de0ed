using ComplianceWatch.Core;
using ComplianceWatch.Infrastructure.Tables;
using Microsoft.Extensions.Configuration;

namespace ComplianceWatch.Infrastructure;

/// <summary>The settings <see cref="InfrastructureServiceCollectionExtensions.AddComplianceWatchAzure"/> reads, and what is missing.</summary>
public sealed record AzureSettings
{
    public const string StateDirectoryKey = ComplianceWatchOptions.SectionName + ":StateDirectory";
    public const string TableEndpointKey = ComplianceWatchOptions.SectionName + ":Storage:TableEndpoint";
    public const string StorageConnectionStringKey = ComplianceWatchOptions.SectionName + ":Storage:ConnectionString";
    public const string TableNameKey = ComplianceWatchOptions.SectionName + ":Storage:TableName";
    public const string ServiceBusConnectionKey = "ServiceBusConnection";
    public const string TopicKey = ComplianceWatchOptions.SectionName + ":ServiceBus:Topic";
    public const string ServiceBusConnectionStringKey = ComplianceWatchOptions.SectionName + ":ServiceBus:ConnectionString";

    public string? StateDirectory { get; init; }
    public string? TableConnection { get; init; }
    public string TableName { get; init; } = TableStateStore.DefaultTableName;
    public string? ServiceBusConnection { get; init; }
    public string Topic { get; init; } = "changes";

    public static AzureSettings From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        static string? Value(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        return new AzureSettings
        {
            StateDirectory = Value(configuration[StateDirectoryKey]),
            TableConnection = Value(configuration[TableEndpointKey]) ?? Value(configuration[StorageConnectionStringKey]),
            TableName = Value(configuration[TableNameKey]) ?? TableStateStore.DefaultTableName,
            ServiceBusConnection = Value(configuration[ServiceBusConnectionKey]) ?? Value(configuration[ServiceBusConnectionKey + ":fullyQualifiedNamespace"])
                ?? Value(configuration[ServiceBusConnectionStringKey]),
            Topic = Value(configuration[TopicKey]) ?? "changes",
        };
    }

    /// <summary>Problems naming the setting (as an app setting, <c>__</c> for <c>:</c>): no state store, or no publisher when one is needed.</summary>
    public IEnumerable<string> Problems(bool publisherRequired)
    {
        if (StateDirectory is null && TableConnection is null)
        {
            yield return $"{AppSetting(TableEndpointKey)}: missing (the Table Storage endpoint; or {AppSetting(StorageConnectionStringKey)} for a connection string, or {AppSetting(StateDirectoryKey)} for the embedded store)";
        }

        if (!TableNames.IsValid(TableName) || !TableNames.IsValid(TableName + "audits"))
        {
            yield return $"{AppSetting(TableNameKey)}: '{TableName}' is not a table name (3-56 letters and digits, starting with a letter)";
        }

        if (publisherRequired && ServiceBusConnection is null)
        {
            yield return $"{ServiceBusConnectionKey}__fullyQualifiedNamespace: missing (the Service Bus namespace the relay publishes change events to; or {ServiceBusConnectionKey} for a connection string)";
        }
    }

    public static string AppSetting(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    private static class TableNames
    {
        public static bool IsValid(string name) => name.Length is >= 3 and <= 63 && char.IsAsciiLetter(name[0]) && name.All(char.IsAsciiLetterOrDigit);
    }
}
