using System.Net;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Reachability;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Infrastructure.Reachability;

/// <summary>
/// The <c>proxy:NAME</c> vantage point: the request goes through the HTTP CONNECT proxy of the setting
/// <c>ComplianceWatch:Proxies:NAME</c>. Credentials in the proxy URL are sent to the proxy only (as
/// <c>Proxy-Authorization</c> when it asks); the target never sees them, and they never appear in evidence or errors.
/// </summary>
internal sealed class ProxyProbe(HttpProbeRunner runner, IOptionsMonitor<ComplianceWatchOptions> options) : IProbe
{
    public string Kind => VantagePointKinds.Proxy;

    public async Task<VantageObservation> ProbeAsync(VantagePoint vantagePoint, Uri target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vantagePoint);
        var name = vantagePoint.Argument ?? "";
        if (!options.CurrentValue.Proxies.TryGetValue(name, out var setting) || string.IsNullOrWhiteSpace(setting))
        {
            return VantageObservation.NotMeasured(vantagePoint.Name, $"proxy '{name}' is not configured (setting ComplianceWatch:Proxies:{name})");
        }

        if (!TryParse(setting, out var proxy, out var credential, out var secrets))
        {
            return VantageObservation.NotMeasured(vantagePoint.Name, $"the setting ComplianceWatch:Proxies:{name} is not an http:// or https:// proxy URL");
        }

        var route = new ProbeRoute($"proxy {name}", proxy, credential, secrets);
        var observation = await runner.RunAsync(target, route, cancellationToken);
        return new VantageObservation { VantagePoint = vantagePoint.Name, Probes = [observation], RequiredAnswers = 1 };
    }

    /// <summary>Splits a proxy URL into the address (without user info) and its credentials.</summary>
    internal static bool TryParse(string setting, out Uri proxy, out NetworkCredential? credential, out IReadOnlyList<string> secrets)
    {
        proxy = null!;
        credential = null;
        secrets = [setting];
        if (!Uri.TryCreate(setting.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return false;
        }

        if (uri.UserInfo is { Length: > 0 } userInfo)
        {
            var parts = userInfo.Split(':', 2);
            var user = Uri.UnescapeDataString(parts[0]);
            var password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
            credential = new NetworkCredential(user, password);
            secrets = [setting, userInfo, user, password, parts.Length > 1 ? parts[1] : ""];
        }

        proxy = new UriBuilder(uri) { UserName = "", Password = "" }.Uri;
        return true;
    }
}
