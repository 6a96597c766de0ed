using ComplianceWatch.Testing;
using System.Runtime.CompilerServices;
using System.Text.Json;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>Channels files for tests: secrets come from a lookup, as from the environment.</summary>
public static class TestChannels
{
    public static NotificationConfig Config(Uri? slack = null, Uri? teams = null, Uri? githubApi = null, string token = "ghp_faketoken0123456789",
        string subscriptions = """[{ "team": "compliance", "channels": ["CHANNELS"] }]""")
    {
        var channels = new Dictionary<string, object>();
        var env = new Dictionary<string, string>();
        if (slack is not null)
        {
            channels["slack"] = new { type = "slack", webhookUrl = "%SLACK_WEBHOOK_URL%" };
            env["SLACK_WEBHOOK_URL"] = slack.AbsoluteUri;
        }

        if (teams is not null)
        {
            channels["teams"] = new { type = "teams", webhookUrl = "%TEAMS_WEBHOOK_URL%" };
            env["TEAMS_WEBHOOK_URL"] = teams.AbsoluteUri;
        }

        if (githubApi is not null)
        {
            channels["github"] = new { type = "github", repository = "acme/compliance", token = "%GITHUB_TOKEN%", apiUrl = githubApi.AbsoluteUri };
            env["GITHUB_TOKEN"] = token;
        }

        var json = $$"""{ "channels": {{JsonSerializer.Serialize(channels)}}, "subscriptions": {{subscriptions.Replace("\"CHANNELS\"", string.Join(", ", channels.Keys.Select(k => $"\"{k}\"")), StringComparison.Ordinal)}} }""";
        return NotificationConfigLoader.Parse(json, "channels.json", name => env.GetValueOrDefault(name));
    }
}

/// <summary>The production service graph for delivery (real notifiers over loopback HTTP, embedded store and ledger).</summary>
public sealed class NotificationHost : IAsyncDisposable
{
    private readonly ServiceProvider provider;

    public NotificationHost(string stateDirectory, NotificationConfig config, TimeProvider? time = null, IDeliveryLedger? ledger = null,
        bool allowPrivateNetwork = true, IDictionary<string, string?>? settings = null)
    {
        var values = TestSettings.Fast(allowPrivateNetwork, new Dictionary<string, string?>
        {
            ["ComplianceWatch:Notifications:HttpTimeout"] = "00:00:10",
        });
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging();
        services.AddComplianceWatchCore();
        services.AddComplianceWatchHttp();
        services.AddEmbeddedStateStore(stateDirectory);
        services.AddComplianceWatchNotifications(config);
        if (ledger is not null)
        {
            services.AddSingleton(ledger);
        }
        else
        {
            services.AddEmbeddedDeliveryLedger(stateDirectory);
        }

        if (time is not null)
        {
            services.AddSingleton(time);
        }

        provider = services.BuildServiceProvider();
    }

    public NotificationDispatcher Dispatcher => provider.GetRequiredService<NotificationDispatcher>();

    public IDeliveryLedger Ledger => provider.GetRequiredService<IDeliveryLedger>();

    public IStateStore Store => provider.GetRequiredService<IStateStore>();

    public Task<CheckReport> CheckAsync(string catalogJson)
    {
        var catalog = CatalogLoader.Parse(catalogJson, "test.json");
        return provider.GetRequiredService<CheckRunner>().RunAsync(catalog, catalog.Sources);
    }

    /// <summary>What the tool does after a check: relay the outbox into the dispatcher, then deliver.</summary>
    public async Task<DispatchReport> RelayAndDeliverAsync()
    {
        await provider.GetRequiredService<OutboxRelay>().RelayAsync();
        return await Dispatcher.DeliverDueAsync();
    }

    public ValueTask DisposeAsync() => provider.DisposeAsync();
}

/// <summary>Runs a task while moving a fake clock forward whenever it waits.</summary>
public static class Clock
{
    public static async Task<T> RunAsync<T>(FakeTimeProvider clock, Task<T> task, TimeSpan? step = null)
    {
        while (!task.IsCompleted)
        {
            await Task.Delay(5);
            clock.Advance(step ?? TimeSpan.FromMilliseconds(250));
        }

        return await task;
    }
}

/// <summary>Golden files beside the tests; set UPDATE_GOLDEN=1 to rewrite them after a deliberate change.</summary>
public static class Golden
{
    public static void Match(string name, string actual, [CallerFilePath] string source = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(source)!, "Golden", name);
        actual = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1" || !File.Exists(path) && Environment.GetEnvironmentVariable("CI") is null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"golden file {name} is missing");
        Assert.Equal(File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal), actual);
    }
}
