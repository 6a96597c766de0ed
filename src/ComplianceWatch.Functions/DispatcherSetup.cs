using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ComplianceWatch.Functions;

/// <summary>
/// Whether this app dispatches alerts, and the channels and subscriptions it delivers to. In Azure the same model as
/// the tool's <c>--config</c> file, from app settings: <c>ComplianceWatch__Notifications__ConfigFile</c> (a JSON file
/// shipped with the app; relative to the app's directory) or <c>ComplianceWatch__Notifications__Json</c> (the JSON
/// itself). Its <c>%NAME%</c> references resolve from app settings — Key Vault references included, which the platform
/// resolves before the app sees them. The dispatcher runs only when <c>ComplianceWatch__Dispatcher__Enabled</c> is true
/// and one of the two is set.
/// </summary>
public sealed record DispatcherSetup
{
    public const string EnabledKey = "ComplianceWatch:Dispatcher:Enabled";
    public const string ConfigFileKey = NotificationOptions.SectionName + ":ConfigFile";
    public const string JsonKey = NotificationOptions.SectionName + ":Json";

    public bool Enabled { get; init; }
    public string? ConfigFile { get; init; }
    public string? Json { get; init; }

    /// <summary>Notifications are configured (a file or the JSON).</summary>
    public bool Configured => ConfigFile is not null || Json is not null;

    /// <summary>Enabled and configured: the timer drains and delivers.</summary>
    public bool Active => Enabled && Configured;

    /// <summary>The setting the configuration comes from, as an app setting.</summary>
    public string Setting => AzureSettings.AppSetting(Json is not null ? JsonKey : ConfigFileKey);

    public string? ConfigPath => ConfigFile is null ? null : Path.IsPathRooted(ConfigFile) ? ConfigFile : Path.Combine(AppContext.BaseDirectory, ConfigFile);

    public static DispatcherSetup From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        static string? Value(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        return new DispatcherSetup
        {
            Enabled = bool.TryParse(configuration[EnabledKey], out var enabled) ? enabled : configuration[EnabledKey] == "1",
            ConfigFile = Value(configuration[ConfigFileKey]),
            Json = Value(configuration[JsonKey]),
        };
    }

    /// <summary>The channels and subscriptions; a <see cref="NotificationConfigException"/> lists what is wrong.</summary>
    public NotificationConfig Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string json;
        string name;
        if (Json is { } inline)
        {
            json = inline;
            name = Setting;
        }
        else
        {
            name = ConfigPath ?? throw new NotificationConfigException([$"{Setting}: missing"]);
            try
            {
                json = File.ReadAllText(name);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new NotificationConfigException([$"cannot read '{name}': {ex.Message}"]);
            }
        }

        return NotificationConfigLoader.Parse(json, name, key => Lookup(configuration, key));
    }

    /// <summary>Problems naming their setting when the dispatcher is active: its Service Bus settings and the channels configuration.</summary>
    public IEnumerable<string> Problems(IConfiguration configuration)
    {
        if (!Active)
        {
            yield break;
        }

        foreach (var problem in AzureSettings.From(configuration).DispatcherProblems())
        {
            yield return problem;
        }

        IReadOnlyList<string> errors;
        try
        {
            Load(configuration);
            errors = [];
        }
        catch (NotificationConfigException ex)
        {
            errors = ex.Errors;
        }

        foreach (var error in errors)
        {
            yield return $"{Setting}: {error}";
        }
    }

    /// <summary>
    /// Registers the notifiers, the dispatcher and the drain when the dispatcher is active and its Service Bus settings
    /// are there (when they are not, start-up validation names what is missing).
    /// </summary>
    public void Register(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(this);
        var azure = AzureSettings.From(configuration);
        if (!Active || azure.ServiceBusConnection is not { } connection || azure.Subscription is not { } subscription)
        {
            return;
        }

        services.AddComplianceWatchNotifications(sp => Load(sp.GetRequiredService<IConfiguration>()));
        services.AddServiceBusDispatchDrain(connection, azure.Topic, subscription);
    }

    /// <summary><c>%NAME%</c>: an app setting; <c>A__B</c> also finds the setting <c>A:B</c>.</summary>
    private static string? Lookup(IConfiguration configuration, string name) =>
        configuration[name] is { Length: > 0 } value ? value : configuration[name.Replace("__", ":", StringComparison.Ordinal)];
}
