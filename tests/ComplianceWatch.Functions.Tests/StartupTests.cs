using System.Diagnostics;
using System.Text.RegularExpressions;
using ComplianceWatch.Api;
using ComplianceWatch.Core.Audits;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Scheduling;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Infrastructure.Embedded;
using ComplianceWatch.Infrastructure.Queues;
using ComplianceWatch.Infrastructure.ServiceBus;
using ComplianceWatch.Infrastructure.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Functions.Tests;

/// <summary>
/// Program.cs as the host would run it: the service graph builds for every function, and start-up refuses a missing
/// or invalid setting, or an unresolved Key Vault reference, with a message naming the setting.
/// </summary>
public sealed class StartupTests
{
    private static Dictionary<string, string?> Settings(params (string Key, string? Value)[] changes)
    {
        var settings = new Dictionary<string, string?>(TestApp.Valid);
        foreach (var (key, value) in changes)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>
    /// What stops the host: one <see cref="OptionsValidationException"/>, or several together when more than one
    /// layer's settings are wrong (the host reports them all at once).
    /// </summary>
    private static Exception StartupFailure(FunctionsApp app)
    {
        var error = Record.Exception(app.ValidateOnStart);
        Assert.NotNull(error);
        var failures = error is AggregateException aggregate ? aggregate.InnerExceptions : [error];
        Assert.All(failures, f => Assert.IsType<OptionsValidationException>(f));
        return new InvalidOperationException(string.Join("; ", failures.Select(f => f.Message)));
    }

    private static IEnumerable<Type> FunctionClasses() =>
        typeof(ApiFunctions).Assembly.GetTypes().Where(t => t.GetMethods().Any(m => m.GetCustomAttributes(typeof(FunctionAttribute), false).Length > 0));

    [Fact]
    public void ServiceGraph_BuildsEveryFunctionClass_AndPassesStartupValidation()
    {
        using var app = FunctionsApp.Build(Settings());
        app.ValidateOnStart();
        var classes = FunctionClasses().ToArray();
        Assert.Equal(5, classes.Length); // scheduled checks, check jobs, relay, dispatch, API
        foreach (var type in classes)
        {
            Assert.NotNull(app.Create(type));
        }

        Assert.IsType<EmbeddedStateStore>(app.Get<IStateStore>());
        Assert.IsType<EmbeddedAuditRunStore>(app.Get<IAuditRunStore>());
        Assert.IsType<StorageQueueCheckJobSender>(app.Get<ICheckJobSender>());
        Assert.IsType<ServiceBusEventPublisher>(app.Get<IEventPublisher>());
        Assert.NotNull(app.Get<ComplianceWatchApi>());
        Assert.NotNull(app.Get<HttpExceptionMiddleware>()); // UseWhen registered it; the worker resolves it per invocation
    }

    [Fact]
    public void ServiceGraph_InAzure_UsesTableStorageAndIdentityBasedConnections()
    {
        using var app = FunctionsApp.Build(Settings(
            ("ComplianceWatch:StateDirectory", null),
            ("ComplianceWatch:Storage:TableEndpoint", "https://cwstorage.table.core.windows.net"),
            ("AzureWebJobsStorage", null),
            ("AzureWebJobsStorage:accountName", "cwstorage"),
            ("AzureWebJobsStorage:credential", "managedidentity"),
            ("AzureWebJobsStorage:clientId", "00000000-0000-0000-0000-000000000001"),
            ("ServiceBusConnection", null),
            ("ServiceBusConnection:fullyQualifiedNamespace", "cw.servicebus.windows.net")));
        app.ValidateOnStart();
        Assert.IsType<TableStateStore>(app.Get<IStateStore>());
        Assert.IsType<TableAuditRunStore>(app.Get<IAuditRunStore>());
        var queue = Assert.IsType<StorageQueueCheckJobSender>(app.Get<ICheckJobSender>()).Queue;
        Assert.Equal(new Uri("https://cwstorage.queue.core.windows.net/check-jobs"), queue.Uri);
        Assert.IsType<ServiceBusEventPublisher>(app.Get<IEventPublisher>());
    }

    private static readonly string[] Required =
        ["TERMS_SCHEDULE", "REACHABILITY_SCHEDULE", "REGULATORY_SCHEDULE", "RELAY_SCHEDULE", "DISPATCH_SCHEDULE", "CHECK_QUEUE", "AzureWebJobsStorage"];

    public static TheoryData<string> RequiredSettings => new(Required);

    [Theory]
    [MemberData(nameof(RequiredSettings))]
    public void Startup_WithASettingMissing_FailsNamingIt(string setting)
    {
        using var app = FunctionsApp.Build(Settings((setting, null)));
        var error = StartupFailure(app);
        Assert.Contains($"{setting}: missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EverySettingTheTriggersBindTo_IsRequiredAtStartup()
    {
        var bound = FunctionsMetadataTests.ReadMetadata().Values
            .SelectMany(f => Regex.Matches(f.GetRawText(), "%([A-Za-z0-9_]+)%").Select(m => m.Groups[1].Value))
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(bound);
        Assert.All(bound, setting => Assert.Contains(setting, Required));
    }

    [Theory]
    [InlineData("TERMS_SCHEDULE", "every six hours", "TERMS_SCHEDULE: 'every six hours' is not a 6-field NCRONTAB schedule")]
    [InlineData("RELAY_SCHEDULE", "*/5 * * * *", "RELAY_SCHEDULE: '*/5 * * * *' is not a 6-field NCRONTAB schedule")]
    [InlineData("CHECK_QUEUE", "Check_Jobs", "CHECK_QUEUE: 'Check_Jobs' is not a queue name")]
    [InlineData("AzureWebJobsStorage:queueServiceUri", "not a url", "AzureWebJobsStorage__queueServiceUri: 'not a url' is not an absolute http(s) URL")]
    [InlineData("ComplianceWatch:MaxConcurrency", "0", "MaxConcurrency")]
    [InlineData("ComplianceWatch:FanOut:Threshold", "-1", "Threshold")]
    [InlineData("ComplianceWatch:Storage:TableName", "state-table", "ComplianceWatch__Storage__TableName: 'state-table' is not a table name")]
    [InlineData("ComplianceWatch:Browser:Endpoint", "ftp://browser.internal/", "ComplianceWatch:Browser:Endpoint must be a ws:// or wss:// Playwright server")]
    [InlineData("ComplianceWatch:Browser:MaxPages", "0", "ComplianceWatch:Browser:MaxPages")]
    public void Startup_WithAnInvalidSetting_FailsNamingIt(string setting, string value, string message)
    {
        var settings = Settings((setting, value));
        if (setting.StartsWith("AzureWebJobsStorage:", StringComparison.Ordinal))
        {
            settings["AzureWebJobsStorage"] = null;
        }

        using var app = FunctionsApp.Build(settings);
        var error = StartupFailure(app);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The Functions app renders <c>render: true</c> sources with the remote browser of <c>ComplianceWatch__Browser__Endpoint</c>
    /// (its plan has no Chromium); when that browser cannot be reached the source is <c>browser-unavailable</c>, naming the setting.
    /// </summary>
    [Fact]
    public async Task RenderRequest_InTheFunctionsApp_GoesToTheBrowserEndpoint()
    {
        using var app = FunctionsApp.Build(Settings(("ComplianceWatch:Browser:Endpoint", "ws://127.0.0.1:1/"), ("ComplianceWatch:Browser:LaunchTimeout", "00:00:10")));
        app.ValidateOnStart();

        var result = await app.Services.GetRequiredService<ComplianceWatch.Core.Fetching.IContentFetcher>()
            .FetchAsync(new ComplianceWatch.Core.Fetching.FetchRequest(new Uri("http://127.0.0.1:1/terms"), Render: true, WaitFor: "main"));

        Assert.Equal(ComplianceWatch.Core.Fetching.ErrorCategories.BrowserUnavailable, result.ErrorCategory);
        Assert.Contains("ComplianceWatch__Browser__Endpoint", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_WithoutAStore_FailsNamingTheTableEndpoint()
    {
        using var app = FunctionsApp.Build(Settings(("ComplianceWatch:StateDirectory", null)));
        var error = StartupFailure(app);
        Assert.Contains("ComplianceWatch__Storage__TableEndpoint: missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_WithoutServiceBus_FailsNamingIt_UnlessTheRelayIsDisabled()
    {
        using (var app = FunctionsApp.Build(Settings(("ServiceBusConnection", null))))
        {
            var error = StartupFailure(app);
            Assert.Contains("ServiceBusConnection__fullyQualifiedNamespace: missing", error.Message, StringComparison.Ordinal);
        }

        using (var probe = FunctionsApp.Build(Settings(("ServiceBusConnection", null), ("AzureWebJobs.RelayOutbox.Disabled", "true"))))
        {
            probe.ValidateOnStart();
        }
    }

    [Fact]
    public void Startup_WithAnInvalidCatalog_FailsNamingTheFileSourceAndField()
    {
        using var directory = new ComplianceWatch.Testing.TempDirectory();
        var catalog = directory.File("bad.json");
        File.WriteAllText(catalog, """{ "sources": [ { "id": "x-terms", "kind": "terms", "title": "X", "url": "https://x.example/", "selector": "main" } ] }""");
        using var app = FunctionsApp.Build(Settings(("ComplianceWatch:Catalog", catalog)));
        var error = StartupFailure(app);
        Assert.Contains("ComplianceWatch__Catalog:", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("'x-terms'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'selector'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SLACK_WEBHOOK_URL", "SLACK_WEBHOOK_URL")]
    [InlineData("ComplianceWatch:Globalping:Token", "ComplianceWatch__Globalping__Token")]
    [InlineData("TERMS_SCHEDULE", "TERMS_SCHEDULE")]
    public void Startup_WithAnUnresolvedKeyVaultReference_FailsNamingTheSetting(string setting, string named)
    {
        using var app = FunctionsApp.Build(Settings((setting, "@Microsoft.KeyVault(SecretUri=https://cw-kv.vault.azure.net/secrets/slack-webhook-url)")));
        var error = StartupFailure(app);
        Assert.Contains($"{named}: unresolved Key Vault reference", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cw-kv.vault.azure.net", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_WithAResolvedKeyVaultReference_Starts()
    {
        using var app = FunctionsApp.Build(Settings(("SLACK_WEBHOOK_URL", "https://hooks.slack.example/services/T/B/x")));
        app.ValidateOnStart();
    }

    /// <summary>The real worker process, started as the Functions host starts it (which passes the host's endpoint), stops naming the setting.</summary>
    [Theory]
    [InlineData("TERMS_SCHEDULE", null, "TERMS_SCHEDULE: missing")]
    [InlineData("TEAMS_WEBHOOK_URL", "@Microsoft.KeyVault(SecretUri=https://cw-kv.vault.azure.net/secrets/teams-webhook-url)", "TEAMS_WEBHOOK_URL: unresolved Key Vault reference")]
    public async Task WorkerProcess_WithABadSetting_ExitsNamingIt(string setting, string? value, string message)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = FunctionsMetadataTests.OutputDirectory };
        info.ArgumentList.Add(Path.Combine(FunctionsMetadataTests.OutputDirectory, "ComplianceWatch.Functions.dll"));
        foreach (var (key, v) in Settings((setting, value)).Where(s => s.Value is not null))
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = v;
        }

        info.Environment["Functions__Worker__HostEndpoint"] = "http://127.0.0.1:9"; // what the host passes; never dialled: start-up stops first
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stderr + await stdout;
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }
}
