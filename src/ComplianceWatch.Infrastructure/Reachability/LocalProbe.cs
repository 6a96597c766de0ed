using ComplianceWatch.Core;
using ComplianceWatch.Core.Reachability;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Infrastructure.Reachability;

/// <summary>
/// The <c>local</c> vantage point: the host itself, directly (no proxy), with the SSRF guard on the address actually
/// connected to. It reports as <c>local:REGION</c> (setting <c>Region</c>).
/// </summary>
internal sealed class LocalProbe(HttpProbeRunner runner, IOptionsMonitor<ComplianceWatchOptions> options) : IProbe
{
    public string Kind => VantagePointKinds.Local;

    public async Task<VantageObservation> ProbeAsync(VantagePoint vantagePoint, Uri target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vantagePoint);
        var region = options.CurrentValue.Region;
        var route = ProbeRoute.Direct with { ProbeName = region is { Length: > 0 } and not VantagePointKinds.Local ? $"this host ({region})" : "this host" };
        var observation = await runner.RunAsync(target, route, cancellationToken);
        return new VantageObservation
        {
            VantagePoint = vantagePoint.Name,
            Probes = [observation],
            RequiredAnswers = 1,
            PrivateAnswersExpected = options.CurrentValue.AllowPrivateNetwork,
        };
    }
}
