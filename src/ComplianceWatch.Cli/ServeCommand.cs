using System.CommandLine;
using System.Net;
using ComplianceWatch.Api;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Scheduling;
using ComplianceWatch.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ComplianceWatch.Cli;

/// <summary>
/// <c>serve [--port P] [--bind ADDRESS]</c>: the dashboard and the audit API on Kestrel, bound to 127.0.0.1 unless told
/// otherwise. The routes and handlers are those of the Functions app (<see cref="ComplianceWatchApi"/>, <see cref="ApiRoutes"/>),
/// over the store and catalog the other commands use; there are no function keys on a loopback server.
/// </summary>
internal static class ServeCommand
{
    public const int DefaultPort = 7071;

    /// <summary>Settings of <c>serve</c> that the environment may override.</summary>
    internal static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?> { [$"{FanOutOptions.SectionName}:MaxSourcesPerRequest"] = "10000" };

    /// <summary>The services <c>serve</c> adds to those of every command: the API over the catalog file and the store.</summary>
    internal static void AddServices(IServiceCollection services, string catalogPath, string stateDirectory)
    {
        services.AddSingleton<ICatalogProvider>(new FileCatalogProvider(catalogPath));
        services.AddSingleton<ICheckJobSender, NoQueue>();
        services.AddEmbeddedAuditRunStore(stateDirectory); // used only by an audit fanned out, which serve never does
        services.AddComplianceWatchFanOut();
        services.AddComplianceWatchApi();
    }

    public static Command Create(CliEnvironment environment)
    {
        var port = new Option<int>("--port") { Description = $"TCP port (default {DefaultPort}; 0 picks a free one and prints it)", DefaultValueFactory = _ => DefaultPort };
        var bind = new Option<string>("--bind") { Description = "Address to listen on (default 127.0.0.1: this machine only)", DefaultValueFactory = _ => "127.0.0.1" };
        var command = new Command("serve", "Serve the dashboard and the audit API (on 127.0.0.1 by default) until stopped");
        command.Options.Add(port);
        command.Options.Add(bind);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var portNumber = parse.GetValue(port);
            if (portNumber is < 0 or > 65535)
            {
                throw new UsageException($"--port: {portNumber} is not a TCP port (0-65535)");
            }

            if (!IPAddress.TryParse(parse.GetValue(bind), out var address))
            {
                throw new UsageException($"--bind: '{parse.GetValue(bind)}' is not an IP address");
            }

            var catalogPath = parse.GetValue(CliApp.CatalogOption)!;
            await CatalogLoader.LoadFileAsync(catalogPath, environment.CatalogCache, cancellationToken); // a catalog that does not validate stops here (exit 2)
            var stateDirectory = parse.GetValue(CliApp.StateOption)!;
            await using var services = CliApp.BuildServices(parse, environment, extra => AddServices(extra, catalogPath, stateDirectory), Defaults);

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, portNumber));
            await using var app = builder.Build();
            Map(app, services.GetRequiredService<ComplianceWatchApi>());
            await app.StartAsync(cancellationToken);
            var url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            await environment.Out.WriteLineAsync($"Serving the dashboard at {url}/{ApiRoutes.Prefix}/{ApiRoutes.Dashboard} (Ctrl+C stops)");
            await environment.Out.FlushAsync(cancellationToken);
            try
            {
                await app.WaitForShutdownAsync(cancellationToken);
            }
            finally
            {
                await app.StopAsync(CancellationToken.None);
            }

            return CliApp.ExitOk;
        });
        return command;
    }

    /// <summary>The same routes as the Functions app's HTTP triggers, each over the same handler.</summary>
    private static void Map(WebApplication app, ComplianceWatchApi api)
    {
        static string Route(string route) => $"/{ApiRoutes.Prefix}/{route}";
        app.MapGet("/", () => Results.Redirect(Route(ApiRoutes.Dashboard)));
        app.MapGet(Route(ApiRoutes.Dashboard), () => ComplianceWatchApi.GetDashboard());
        app.MapPost(Route(ApiRoutes.Audits), (HttpRequest request, CancellationToken ct) => api.RunAuditAsync(request, ct));
        app.MapGet(Route(ApiRoutes.AuditRun), (HttpRequest request, string id, CancellationToken ct) => api.GetAuditRunAsync(request, id, ct));
        app.MapGet(Route(ApiRoutes.AuditReport), (HttpRequest request, CancellationToken ct) => api.GetAuditReportAsync(request, ct));
        app.MapGet(Route(ApiRoutes.AuditVerify), (HttpRequest request, CancellationToken ct) => api.VerifyChainsAsync(request, ct));
        app.MapGet(Route(ApiRoutes.Changes), (HttpRequest request, CancellationToken ct) => api.ListChangesAsync(request, ct));
        app.MapGet(Route(ApiRoutes.Change), (HttpRequest request, string id, CancellationToken ct) => api.GetChangeAsync(request, id, ct));
        app.MapGet(Route(ApiRoutes.Sources), (HttpRequest request, CancellationToken ct) => api.ListSourcesAsync(request, ct));
        app.MapGet(Route(ApiRoutes.OpenApi), () => ComplianceWatchApi.GetOpenApi());
        app.MapGet(Route(ApiRoutes.Health), (CancellationToken ct) => api.GetHealthAsync(ct));
    }

    /// <summary>serve checks every audit within the request (no queue on a developer's machine).</summary>
    private sealed class NoQueue : ICheckJobSender
    {
        public Task EnqueueAsync(IReadOnlyList<CheckJob> jobs, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("compliancewatch serve has no check queue: audits run within the request");
    }
}
