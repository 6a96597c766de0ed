using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using OpenTelemetry;

namespace ComplianceWatch.Functions;

/// <summary>
/// OpenTelemetry for the worker (traces, metrics and logs; host.json sets <c>telemetryMode</c> to OpenTelemetry so the
/// host's telemetry joins the same traces), exported to Application Insights when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set — with Entra ID authentication when
/// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> says <c>Authorization=AAD</c> (the app's managed identity), as the
/// Bicep configures it. Without a connection string (a local run) nothing is exported.
/// </summary>
public static class Telemetry
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    public static IOpenTelemetryBuilder UseAzureMonitorWhenConfigured(this IOpenTelemetryBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrWhiteSpace(configuration[ConnectionStringSetting]))
        {
            return builder;
        }

        var authentication = ParseAuthentication(configuration[AuthenticationSetting]);
        return builder.UseAzureMonitorExporter(options =>
        {
            options.ConnectionString = configuration[ConnectionStringSetting];
            if (authentication.TryGetValue("Authorization", out var mode) && string.Equals(mode, "AAD", StringComparison.OrdinalIgnoreCase))
            {
                options.Credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions
                {
                    ManagedIdentityClientId = authentication.GetValueOrDefault("ClientId"),
                });
            }
        });
    }

    private static Dictionary<string, string> ParseAuthentication(string? text) =>
        (text ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.OrdinalIgnoreCase);
}
