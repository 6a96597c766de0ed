using System.Text.RegularExpressions;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Scheduling;
using ComplianceWatch.Infrastructure;
using ComplianceWatch.Infrastructure.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Functions;

/// <summary>
/// Checks, when the host starts, every setting the app cannot run without, and refuses to start with one message per
/// problem, each naming its setting: the timer schedules, the check queue, the storage connection, the catalog, the dispatcher's Service Bus
/// subscription and channels configuration (when it is enabled), and
/// any setting still holding an unresolved <c>@Microsoft.KeyVault(...)</c> reference (App Service leaves the literal
/// reference in place when it cannot read the secret: the app would otherwise post to a URL that is not one).
/// </summary>
public sealed partial class StartupSettingsValidator(IConfiguration configuration) : IValidateOptions<FunctionsAppOptions>
{
    public ValidateOptionsResult Validate(string? name, FunctionsAppOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        failures.AddRange(UnresolvedKeyVaultReferences(configuration));

        foreach (var setting in AppSettingNames.Schedules)
        {
            var value = configuration[setting];
            if (string.IsNullOrWhiteSpace(value))
            {
                failures.Add($"{setting}: missing (a 6-field NCRONTAB schedule such as \"0 0 */6 * * *\")");
            }
            else if (!IsKeyVaultReference(value) && SourceSchedules.TryParse(value) is null)
            {
                failures.Add($"{setting}: '{value}' is not a 6-field NCRONTAB schedule (second minute hour day month day-of-week)");
            }
        }

        var queue = configuration[AppSettingNames.CheckQueue];
        if (string.IsNullOrWhiteSpace(queue))
        {
            failures.Add($"{AppSettingNames.CheckQueue}: missing (the Storage queue of check jobs, e.g. \"check-jobs\")");
        }
        else if (!QueueName().IsMatch(queue) || queue.Contains("--", StringComparison.Ordinal))
        {
            failures.Add($"{AppSettingNames.CheckQueue}: '{queue}' is not a queue name (3-56 lower-case letters, digits and single hyphens; \"-poison\" is appended for its poison queue)");
        }

        if (StorageConnection.Problem(configuration, AppSettingNames.Storage) is { } storage)
        {
            failures.Add(storage);
        }

        var azure = AzureSettings.From(configuration);
        var publisherRequired = !IsDisabled(configuration, FunctionNames.RelayOutbox);
        failures.AddRange(azure.Problems(publisherRequired));
        var dispatcher = DispatcherSetup.From(configuration);
        failures.AddRange(dispatcher.Problems(configuration)
            .Where(p => !(publisherRequired && azure.ServiceBusConnection is null && p.StartsWith(AzureSettings.ServiceBusConnectionKey + "__", StringComparison.Ordinal))));

        try
        {
            CatalogLoader.Parse(File.ReadAllText(options.CatalogPath), options.CatalogPath);
        }
        catch (CatalogException ex)
        {
            failures.AddRange(ex.Errors.Select(e => $"ComplianceWatch__Catalog: {e}"));
        }
        catch (IOException ex)
        {
            failures.Add($"ComplianceWatch__Catalog: cannot read '{options.CatalogPath}': {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            failures.Add($"ComplianceWatch__Catalog: cannot read '{options.CatalogPath}': {ex.Message}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>One message per setting whose value is still a Key Vault reference, named as the app setting (<c>__</c> for <c>:</c>).</summary>
    public static IEnumerable<string> UnresolvedKeyVaultReferences(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.AsEnumerable()
            .Where(pair => pair.Value is { } value && IsKeyVaultReference(value))
            .Select(pair => pair.Key.Replace(":", "__", StringComparison.Ordinal))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)
            .Select(key => $"{key}: unresolved Key Vault reference: the app could not read the secret (grant its identity 'Key Vault Secrets User', check that the secret exists, and that keyVaultReferenceIdentity names the identity)");
    }

    /// <summary>Whether a function is switched off by <c>AzureWebJobs.NAME.Disabled</c> (or <c>AzureWebJobs__NAME__Disabled</c>).</summary>
    public static bool IsDisabled(IConfiguration configuration, string function)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[$"AzureWebJobs.{function}.Disabled"] ?? configuration[$"AzureWebJobs:{function}:Disabled"];
        return bool.TryParse(value, out var disabled) ? disabled : value == "1";
    }

    private static bool IsKeyVaultReference(string value) => value.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,54}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex QueueName();
}
