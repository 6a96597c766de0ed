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
    public const string SubscriptionKey = ComplianceWatchOptions.SectionName + ":ServiceBus:Subscription";
    public const string ServiceBusConnectionStringKey = ComplianceWatchOptions.SectionName + ":ServiceBus:ConnectionString";

    public string? StateDirectory { get; init; }
    public string? TableConnection { get; init; }
    public string TableName { get; init; } = TableStateStore.DefaultTableName;
    public string? ServiceBusConnection { get; init; }
    public string Topic { get; init; } = "changes";
    /// <summary>The topic subscription the dispatcher drains (no default: it must name the one the infrastructure made).</summary>
    public string? Subscription { get; init; }

    /// <summary>The table of the delivery ledger, beside the state table.</summary>
    public string DeliveriesTableName => TableName + "deliveries";

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
            Subscription = Value(configuration[SubscriptionKey]),
        };
    }

    /// <summary>Problems naming the setting (as an app setting, <c>__</c> for <c>:</c>): no state store, or no publisher when one is needed.</summary>
    public IEnumerable<string> Problems(bool publisherRequired)
    {
        if (StateDirectory is null && TableConnection is null)
        {
            yield return $"{AppSetting(TableEndpointKey)}: missing (the Table Storage endpoint; or {AppSetting(StorageConnectionStringKey)} for a connection string, or {AppSetting(StateDirectoryKey)} for the embedded store)";
        }

        if (!TableNames.IsValid(TableName) || !TableNames.IsValid(TableName + "audits") || !TableNames.IsValid(DeliveriesTableName))
        {
            yield return $"{AppSetting(TableNameKey)}: '{TableName}' is not a table name (3-53 letters and digits, starting with a letter; \"audits\" and \"deliveries\" are appended for the tables beside it)";
        }

        if (publisherRequired && ServiceBusConnection is null)
        {
            yield return $"{ServiceBusConnectionKey}__fullyQualifiedNamespace: missing (the Service Bus namespace the relay publishes change events to; or {ServiceBusConnectionKey} for a connection string)";
        }
    }

    /// <summary>Problems of the dispatcher's settings, naming each: the Service Bus connection and the subscription it drains.</summary>
    public IEnumerable<string> DispatcherProblems()
    {
        if (ServiceBusConnection is null)
        {
            yield return $"{ServiceBusConnectionKey}__fullyQualifiedNamespace: missing (the Service Bus namespace the dispatcher drains; or {ServiceBusConnectionKey} for a connection string)";
        }

        if (Subscription is null)
        {
            yield return $"{AppSetting(SubscriptionKey)}: missing (the subscription of topic '{Topic}' the dispatcher drains, e.g. \"dispatcher\")";
        }
    }

    public static string AppSetting(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    private static class TableNames
    {
        public static bool IsValid(string name) => name.Length is >= 3 and <= 63 && char.IsAsciiLetter(name[0]) && name.All(char.IsAsciiLetterOrDigit);
    }
}
