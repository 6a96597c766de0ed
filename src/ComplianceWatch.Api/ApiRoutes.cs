namespace ComplianceWatch.Api;

/// <summary>
/// The routes of the API under <c>/api</c> (the Functions route prefix), with their methods. The Functions triggers
/// use these constants; a test compares them with the generated <c>functions.metadata</c> and with <c>openapi.yaml</c>.
/// </summary>
public static class ApiRoutes
{
    public const string Prefix = "api";

    public const string Audits = "audits";
    public const string AuditRun = "audits/runs/{id}";
    public const string AuditReport = "audits/report";
    public const string AuditVerify = "audits/verify";
    public const string Changes = "changes";
    public const string Change = "changes/{id}";
    public const string Sources = "sources";
    public const string OpenApi = "openapi.yaml";
    public const string Health = "health";
    public const string Dashboard = "dashboard";

    /// <summary>Every route with its method: what the hosts serve and the OpenAPI document describes.</summary>
    public static IReadOnlyList<(string Method, string Route)> All { get; } =
    [
        ("post", Audits), ("get", AuditRun), ("get", AuditReport), ("get", AuditVerify), ("get", Changes), ("get", Change),
        ("get", Sources), ("get", OpenApi), ("get", Health), ("get", Dashboard),
    ];

    public static string AuditRunPath(string id) => $"/{Prefix}/audits/runs/{Uri.EscapeDataString(id)}";

    public static string ChangePath(string id) => $"/{Prefix}/changes/{Uri.EscapeDataString(id)}";
}
