using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace ComplianceWatch.Deployment.Tests;

/// <summary><c>bicep build</c> and <c>bicep lint</c> of <c>infra/main.bicep</c> pass with no error and no warning.</summary>
public sealed class BicepTests
{
    private static string Bicep => typeof(BicepTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!;

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ComplianceWatch.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    private static async Task<(int Code, string Out, string Error)> RunBicepAsync(params string[] args)
    {
        Assert.True(File.Exists(Bicep), $"bicep not found at {Bicep} (restored by PackageDownload)");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Bicep, File.GetUnixFileMode(Bicep) | UnixFileMode.UserExecute);
        }

        var info = new ProcessStartInfo(Bicep) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot() };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["BICEP_TELEMETRY_DISABLED"] = "true";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Build_MainBicep_SucceedsWithoutWarnings()
    {
        var (code, stdout, stderr) = await RunBicepAsync("build", "infra/main.bicep", "--stdout");
        Assert.True(code == 0, stderr);
        Assert.True(string.IsNullOrWhiteSpace(stderr), $"bicep build reported:\n{stderr}");
        using var template = JsonDocument.Parse(stdout);
        Assert.Equal("https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#", template.RootElement.GetProperty("$schema").GetString());
    }

    [Fact]
    public async Task Lint_MainBicep_ReportsNothing()
    {
        var (code, stdout, stderr) = await RunBicepAsync("lint", "infra/main.bicep");
        Assert.True(code == 0, stderr + stdout);
        Assert.True(string.IsNullOrWhiteSpace(stderr) && !stdout.Contains("Warning", StringComparison.OrdinalIgnoreCase), $"bicep lint reported:\n{stderr}{stdout}");
    }

    [Fact]
    public async Task Template_DeclaresTheContractedResources()
    {
        var (_, stdout, _) = await RunBicepAsync("build", "infra/main.bicep", "--stdout");
        foreach (var expected in new[]
        {
            "Microsoft.ManagedIdentity/userAssignedIdentities", "Microsoft.Storage/storageAccounts", "Microsoft.ServiceBus/namespaces/topics",
            "Microsoft.ServiceBus/namespaces/topics/subscriptions", "Microsoft.KeyVault/vaults", "Microsoft.Insights/components",
            "Microsoft.OperationalInsights/workspaces", "Microsoft.Web/serverfarms", "Microsoft.Web/sites", "Microsoft.Authorization/roleAssignments",
            "\"allowSharedKeyAccess\": false", "\"requiresDuplicateDetection\": true", "\"FlexConsumption\"", "\"dotnet-isolated\"",
            "AzureWebJobsStorage__credential", "ServiceBusConnection__fullyQualifiedNamespace", "@Microsoft.KeyVault(SecretUri=",
            "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39", "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0", "4633458b-17de-408a-b874-0445c86b69e6",
        })
        {
            Assert.Contains(expected, stdout, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The Function App's settings cover what the app refuses to start without (its start-up validation names these):
    /// the timers' schedules, the check queue, host storage, the Table endpoint and the Service Bus namespace; and a
    /// probe region switches off what only the primary runs.
    /// </summary>
    [Fact]
    public async Task FunctionApp_SetsEverySettingTheAppRequires()
    {
        var (_, stdout, _) = await RunBicepAsync("build", "infra/main.bicep", "--stdout");
        foreach (var setting in new[]
        {
            "TERMS_SCHEDULE", "REACHABILITY_SCHEDULE", "REGULATORY_SCHEDULE", "RELAY_SCHEDULE", "DISPATCH_SCHEDULE", "CHECK_QUEUE",
            "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__queueServiceUri", "ComplianceWatch__Storage__TableEndpoint",
            "ServiceBusConnection__fullyQualifiedNamespace", "ComplianceWatch__FanOut__Threshold",
            "ComplianceWatch__ServiceBus__Subscription", "ComplianceWatch__Dispatcher__Enabled",
            "AzureWebJobs.CheckTermsSources.Disabled", "AzureWebJobs.CheckRegulatorySources.Disabled", "AzureWebJobs.RelayOutbox.Disabled",
        })
        {
            Assert.Contains($"\"{setting}\":", stdout, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The optional browser (parameter <c>deployBrowser</c>, default off): the Playwright server image in an internal
    /// Container Apps environment (no public address), its ingress admitting only the Function App's subnet, and its
    /// endpoint in the Function App's <c>ComplianceWatch__Browser__Endpoint</c>.
    /// </summary>
    [Fact]
    public async Task Browser_IsOptional_PrivateAndWiredIntoTheFunctionApp()
    {
        var (_, stdout, _) = await RunBicepAsync("build", "infra/main.bicep", "--stdout");
        using var template = JsonDocument.Parse(stdout);
        var parameter = template.RootElement.GetProperty("parameters").GetProperty("deployBrowser");
        Assert.Equal("bool", parameter.GetProperty("type").GetString());
        Assert.False(parameter.GetProperty("defaultValue").GetBoolean());
        foreach (var expected in new[]
        {
            "Microsoft.App/managedEnvironments", "Microsoft.App/containerApps", "mcr.microsoft.com/playwright:v{0}-noble", "run-server --port 3000",
            "\"internal\": true", "ipSecurityRestrictions", "Microsoft.Network/privateDnsZones", "virtualNetworkSubnetId",
            "ComplianceWatch__Browser__Endpoint", "wss://",
        })
        {
            Assert.Contains(expected, stdout, StringComparison.Ordinal);
        }

        var parameters = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "infra", "main.parameters.json"));
        Assert.Contains("\"deployBrowser\"", parameters, StringComparison.Ordinal);
    }
}
