namespace ComplianceWatch.Functions;

/// <summary>The functions of the app. Names are stable: app settings such as <c>AzureWebJobs.RelayOutbox.Disabled</c> use them.</summary>
public static class FunctionNames
{
    public const string CheckTermsSources = "CheckTermsSources";
    public const string CheckReachabilitySources = "CheckReachabilitySources";
    public const string CheckRegulatorySources = "CheckRegulatorySources";
    public const string CheckSourceJob = "CheckSourceJob";
    public const string CheckSourceJobPoison = "CheckSourceJobPoison";
    public const string RelayOutbox = "RelayOutbox";
    public const string DispatchChanges = "DispatchChanges";
    public const string RunAudit = "RunAudit";
    public const string GetAuditRun = "GetAuditRun";
    public const string GetAuditReport = "GetAuditReport";
    public const string VerifyChains = "VerifyChains";
    public const string ListChanges = "ListChanges";
    public const string GetChange = "GetChange";
    public const string ListSources = "ListSources";
    public const string GetOpenApi = "GetOpenApi";
    public const string Health = "Health";
    public const string Dashboard = "Dashboard";
}
