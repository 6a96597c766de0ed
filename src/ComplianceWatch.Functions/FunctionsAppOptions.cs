namespace ComplianceWatch.Functions;

/// <summary>
/// Settings of the Functions app beyond the pipeline's (section <c>ComplianceWatch</c>, app settings such as
/// <c>ComplianceWatch__Catalog</c>). Validated at start-up with every other setting the app needs, see <see cref="StartupSettingsValidator"/>.
/// </summary>
public sealed class FunctionsAppOptions
{
    public const string SectionName = "ComplianceWatch";

    /// <summary>The catalog file; relative paths are relative to the app's directory (the catalog ships inside the app).</summary>
    public string Catalog { get; set; } = Path.Combine("catalog", "default.json");

    /// <summary>
    /// A directory for the embedded store, for running the app locally without Azure Storage. In Azure the state lives
    /// in Table Storage.
    /// </summary>
    public string? StateDirectory { get; set; }

    public string CatalogPath => Path.IsPathRooted(Catalog) ? Catalog : Path.Combine(AppContext.BaseDirectory, Catalog);
}

/// <summary>App settings read by the triggers' binding expressions (<c>%NAME%</c>) and the host.</summary>
public static class AppSettingNames
{
    public const string TermsSchedule = "TERMS_SCHEDULE";
    public const string ReachabilitySchedule = "REACHABILITY_SCHEDULE";
    public const string RegulatorySchedule = "REGULATORY_SCHEDULE";
    public const string RelaySchedule = "RELAY_SCHEDULE";
    /// <summary>The dispatcher's timer: required everywhere (the host resolves every trigger's schedule), idle where the dispatcher is not enabled.</summary>
    public const string DispatchSchedule = "DISPATCH_SCHEDULE";
    /// <summary>The Storage queue of check jobs; its poison queue is <c>{CHECK_QUEUE}-poison</c>. One per region, so a probe region checks its own jobs.</summary>
    public const string CheckQueue = "CHECK_QUEUE";
    /// <summary>The storage connection of the host, the queue trigger and the check-job sender (one account by construction).</summary>
    public const string Storage = "AzureWebJobsStorage";

    public static IReadOnlyList<string> Schedules { get; } = [TermsSchedule, ReachabilitySchedule, RegulatorySchedule, RelaySchedule, DispatchSchedule];
}
