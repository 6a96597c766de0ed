using ComplianceWatch.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace ComplianceWatch.Functions;

/// <summary>The audit API as HTTP triggers: one line each over <see cref="ComplianceWatchApi"/>, function keys required except for health.</summary>
public sealed class ApiFunctions(ComplianceWatchApi api)
{
    [Function(FunctionNames.RunAudit)]
    public async Task<IActionResult> RunAuditAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = ApiRoutes.Audits)] HttpRequest request, CancellationToken cancellationToken) =>
        await api.RunAuditAsync(request, cancellationToken);

    [Function(FunctionNames.GetAuditRun)]
    public async Task<IActionResult> GetAuditRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.AuditRun)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        await api.GetAuditRunAsync(request, id, cancellationToken);

    [Function(FunctionNames.GetAuditReport)]
    public async Task<IActionResult> GetAuditReportAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.AuditReport)] HttpRequest request, CancellationToken cancellationToken) =>
        await api.GetAuditReportAsync(request, cancellationToken);

    [Function(FunctionNames.VerifyChains)]
    public async Task<IActionResult> VerifyChainsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.AuditVerify)] HttpRequest request, CancellationToken cancellationToken) =>
        await api.VerifyChainsAsync(request, cancellationToken);

    /// <summary>The dashboard page, behind the same function key as the API it reads (the page passes its <c>code</c> on).</summary>
    [Function(FunctionNames.Dashboard)]
    public static IActionResult GetDashboard(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Dashboard)] HttpRequest request) =>
        ComplianceWatchApi.GetDashboard();

    [Function(FunctionNames.ListChanges)]
    public async Task<IActionResult> ListChangesAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Changes)] HttpRequest request, CancellationToken cancellationToken) =>
        await api.ListChangesAsync(request, cancellationToken);

    [Function(FunctionNames.GetChange)]
    public async Task<IActionResult> GetChangeAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Change)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        await api.GetChangeAsync(request, id, cancellationToken);

    [Function(FunctionNames.ListSources)]
    public async Task<IActionResult> ListSourcesAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Sources)] HttpRequest request, CancellationToken cancellationToken) =>
        await api.ListSourcesAsync(request, cancellationToken);

    [Function(FunctionNames.GetOpenApi)]
    public static IActionResult GetOpenApi(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.OpenApi)] HttpRequest request) =>
        ComplianceWatchApi.GetOpenApi();

    [Function(FunctionNames.Health)]
    public async Task<IActionResult> HealthAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.Health)] HttpRequest request, CancellationToken cancellationToken) =>
        await api.GetHealthAsync(cancellationToken);
}
