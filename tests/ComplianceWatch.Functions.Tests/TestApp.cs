using Azure.Storage.Queues;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Infrastructure.Queues;
using ComplianceWatch.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ComplianceWatch.Functions.Tests;

/// <summary>Settings of a Functions app under test, on Azurite (queues and tables) with names of its own.</summary>
public sealed class TestApp : IDisposable
{
    private readonly TempDirectory directory = new();

    public TestApp(bool embeddedStore = false)
    {
        Queue = "q" + Guid.NewGuid().ToString("N")[..16];
        Table = Azurite.NewTableName("fn");
        Catalog = directory.File("catalog.json");
        Settings = new Dictionary<string, string?>(Valid)
        {
            ["AzureWebJobsStorage"] = AzuriteConnection,
            ["CHECK_QUEUE"] = Queue,
            ["ComplianceWatch:Catalog"] = Catalog,
        };
        if (embeddedStore)
        {
            Settings["ComplianceWatch:StateDirectory"] = directory.File("state");
        }
        else
        {
            Settings["ComplianceWatch:StateDirectory"] = null;
            Settings["ComplianceWatch:Storage:ConnectionString"] = AzuriteConnection;
            Settings["ComplianceWatch:Storage:TableName"] = Table;
        }
    }

    /// <summary>Every setting the app needs, valid, with a loopback-friendly pipeline (no Azure contacted until used).</summary>
    public static IReadOnlyDictionary<string, string?> Valid { get; } = new Dictionary<string, string?>
    {
        ["TERMS_SCHEDULE"] = "0 0 */6 * * *",
        ["REACHABILITY_SCHEDULE"] = "0 */15 * * * *",
        ["REGULATORY_SCHEDULE"] = "0 0 * * * *",
        ["RELAY_SCHEDULE"] = "0 */1 * * * *",
        ["DISPATCH_SCHEDULE"] = "30 */1 * * * *",
        ["CHECK_QUEUE"] = "check-jobs",
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["ComplianceWatch:StateDirectory"] = Path.Combine(Path.GetTempPath(), "cw-tests", "unused-state"),
        ["ServiceBusConnection"] = "Endpoint=sb://localhost/;SharedAccessKeyName=test;SharedAccessKey=dGVzdA==",
        ["ComplianceWatch:AllowPrivateNetwork"] = "true",
        ["ComplianceWatch:RetryDelay"] = "00:00:00.010",
        ["ComplianceWatch:MaxRetries"] = "1",
        ["ComplianceWatch:Catalog"] = Path.Combine(AppContext.BaseDirectory, "catalog", "default.json"),
    };

    /// <summary>
    /// Azurite with queues and tables: <c>./test.sh</c> starts it and exports <see cref="Azurite.Variable"/> with
    /// <c>QueueEndpoint</c> and <c>TableEndpoint</c>.
    /// </summary>
    public static string AzuriteConnection
    {
        get
        {
            var connection = Azurite.ConnectionString;
            Assert.True(connection.Contains("QueueEndpoint=", StringComparison.Ordinal),
                $"{Azurite.Variable} has no QueueEndpoint: these tests need Azurite's queue service too (./test.sh starts it)");
            return connection;
        }
    }

    public Dictionary<string, string?> Settings { get; }

    public string Queue { get; }

    public string Table { get; }

    public string Catalog { get; }

    public RecordingPublisher Published { get; } = new();

    public void WriteCatalog(string json) => File.WriteAllText(Catalog, json);

    /// <summary>The app with these settings; change events go to <see cref="Published"/> instead of Service Bus.</summary>
    public FunctionsApp Build(Action<IServiceCollection>? configureServices = null) =>
        FunctionsApp.Build(Settings, services =>
        {
            services.AddSingleton<IEventPublisher>(Published);
            configureServices?.Invoke(services);
        });

    /// <summary>The check queue as the queue trigger reads it (base64 messages).</summary>
    public QueueClient QueueClient(string? name = null) =>
        new(AzuriteConnection, name ?? Queue, StorageQueueCheckJobSender.ClientOptions());

    public void Dispose()
    {
        directory.Dispose();
        try
        {
            QueueClient().DeleteIfExists();
            QueueClient(Queue + "-poison").DeleteIfExists();
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or InvalidOperationException or Xunit.Sdk.XunitException)
        {
        }

        Azurite.DeleteTableAsync(Table).GetAwaiter().GetResult();
        Azurite.DeleteTableAsync(Table + "audits").GetAwaiter().GetResult();
    }
}

/// <summary>An <see cref="IEventPublisher"/> that keeps what it was given.</summary>
public sealed class RecordingPublisher : IEventPublisher
{
    private readonly List<ChangeEvent> events = [];

    public IReadOnlyList<ChangeEvent> Events
    {
        get
        {
            lock (events)
            {
                return events.ToArray();
            }
        }
    }

    public Task PublishAsync(IReadOnlyList<ChangeEvent> events, CancellationToken cancellationToken = default)
    {
        lock (this.events)
        {
            this.events.AddRange(events);
        }

        return Task.CompletedTask;
    }
}
