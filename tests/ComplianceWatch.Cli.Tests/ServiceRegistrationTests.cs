using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ComplianceWatch.Cli.Tests;

/// <summary>
/// The tool builds its services without the container's own checks (they cost a sixth of its start), so these tests
/// build every command's services WITH them (<c>ValidateOnBuild</c>, <c>ValidateScopes</c>): a registration whose
/// dependencies cannot be resolved, or a singleton that captures a scoped service, fails here instead of in a user's run.
/// </summary>
public sealed class ServiceRegistrationTests : IDisposable
{
    private static readonly ServiceProviderOptions Validating = new() { ValidateOnBuild = true, ValidateScopes = true };

    // nothing listens on port 9: building the services never connects, and these tests never run a check
    private const string StorageConnection = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;";
    private const string ServiceBusConnection = "Endpoint=sb://127.0.0.1:9/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0;UseDevelopmentEmulator=true";

    private readonly TempDirectory directory = new();

    private static readonly Dictionary<string, string?> ChannelSettings = new()
    {
        ["SLACK_WEBHOOK_URL"] = "http://127.0.0.1:9/slack",
        ["TEAMS_WEBHOOK_URL"] = "http://127.0.0.1:9/teams",
        ["GITHUB_TOKEN"] = "test-token",
        ["GITHUB_API_URL"] = "http://127.0.0.1:9/github/",
    };

    public void Dispose() => directory.Dispose();

    private ServiceProvider BuildValidated(string[] args, Action<IServiceCollection>? extra = null, IReadOnlyDictionary<string, string?>? defaults = null)
    {
        var environment = new CliEnvironment(TextWriter.Null, TextWriter.Null, ChannelSettings, interactive: false);
        var parse = CliApp.CreateRootCommand(environment).Parse(args);
        Assert.Empty(parse.Errors);
        return CliApp.ConfigureServices(parse, environment, extra, defaults).BuildServiceProvider(Validating);
    }

    private string Channels()
    {
        var file = directory.File("channels.json");
        File.WriteAllText(file, """
            {
              "channels": {
                "slack":  { "type": "slack",  "webhookUrl": "%SLACK_WEBHOOK_URL%" },
                "teams":  { "type": "teams",  "webhookUrl": "%TEAMS_WEBHOOK_URL%" },
                "github": { "type": "github", "repository": "acme/compliance", "token": "%GITHUB_TOKEN%", "apiUrl": "%GITHUB_API_URL%" }
              },
              "subscriptions": [ { "team": "all", "channels": ["slack", "teams", "github"] } ]
            }
            """);
        return file;
    }

    [Fact]
    public async Task Check_OnTheEmbeddedStore_ServicesPassTheContainersValidation()
    {
        await using var services = BuildValidated(["check", "--state", directory.File("state")]);
        Assert.Contains("terms", services.GetRequiredService<CheckRunner>().SupportedKinds); // the checkers are built on first use
    }

    [Fact]
    public async Task Check_WithChannels_TableStorageAndServiceBus_ServicesPassTheContainersValidation()
    {
        await using var services = BuildValidated(["check", "--storage", StorageConnection, "--service-bus", ServiceBusConnection, "--config", Channels()]);
        Assert.Contains("terms", services.GetRequiredService<CheckRunner>().SupportedKinds); // the checkers are built on first use
        Assert.NotNull(services.GetRequiredService<ComplianceWatch.Core.Notifications.NotificationDispatcher>());
    }

    [Fact]
    public async Task Notify_OnTheEmbeddedStoreWithChannels_ServicesPassTheContainersValidation()
    {
        await using var services = BuildValidated(["notify", "status", "--state", directory.File("state"), "--config", Channels()]);
        Assert.NotNull(services.GetRequiredService<ComplianceWatch.Core.Notifications.NotificationDispatcher>());
    }

    [Fact]
    public async Task Serve_ServicesPassTheContainersValidation()
    {
        var state = directory.File("state");
        await using var services = BuildValidated(["serve", "--state", state], extra => ServeCommand.AddServices(extra, directory.File("catalog.json"), state), ServeCommand.Defaults);
        Assert.NotNull(services.GetRequiredService<ComplianceWatch.Api.ComplianceWatchApi>());
    }

    [Fact]
    public void AMisregistration_FailsTheValidatedBuild()
    {
        // the check these tests rely on is live: a service whose dependency is not registered is refused at build
        var error = Assert.Throws<AggregateException>(() =>
            BuildValidated(["check", "--state", directory.File("state")], extra => extra.AddSingleton<NeedsAnUnregisteredService>()));
        Assert.Contains(nameof(IUnregistered), error.Message, StringComparison.Ordinal);
    }

    private interface IUnregistered;

    private sealed class NeedsAnUnregisteredService(IUnregistered dependency)
    {
        public IUnregistered Dependency { get; } = dependency;
    }
}
