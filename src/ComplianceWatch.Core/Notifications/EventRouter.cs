using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Notifications;

/// <summary>Where one event goes: a channel, the teams it goes to there, and the dependencies it touches ("affects …").</summary>
public sealed record ChannelRoute(string Channel, IReadOnlyList<string> Teams, IReadOnlyList<string> Affects);

/// <summary>The region an event concerns: for reachability events, the region of the vantage point it was observed from.</summary>
public static class EventRegions
{
    /// <summary>
    /// <c>globalping:HK</c> → <c>HK</c>; <c>proxy:hk</c> → <c>HK</c>; <c>local</c> → <paramref name="localRegion"/> (when it
    /// names a region); other events → null (they do not match a <c>regions</c> filter).
    /// </summary>
    public static string? Of(ChangeEvent evt, string? localRegion = null)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var vantage = evt.Data.VantagePoint;
        if (string.IsNullOrWhiteSpace(vantage))
        {
            return null;
        }

        var colon = vantage.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            var name = vantage[(colon + 1)..].Trim();
            return name.Length > 0 ? name.ToUpperInvariant() : null;
        }

        return string.Equals(vantage, "local", StringComparison.OrdinalIgnoreCase)
            ? (string.IsNullOrWhiteSpace(localRegion) || string.Equals(localRegion, "local", StringComparison.OrdinalIgnoreCase) ? null : localRegion.Trim().ToUpperInvariant())
            : vantage.Trim().ToUpperInvariant();
    }
}

/// <summary>
/// Decides who hears about an event: every subscription whose filter matches, and every team with a dependency the event
/// touches (even when its filter does not match) — merged into one route per channel, so a channel gets an event once.
/// </summary>
public sealed class EventRouter(NotificationConfig config, string? localRegion = null)
{
    public IReadOnlyList<ChannelRoute> Route(ChangeEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var region = EventRegions.Of(evt, localRegion);
        var routes = new Dictionary<string, (List<string> Teams, List<string> Affects)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var subscription in config.Subscriptions)
        {
            var affects = subscription.DependsOn
                .Where(d => Touches(d, evt, region))
                .Select(d => $"affects {subscription.Team}: {d.Provider}{(region is not null && d.Regions.Count > 0 ? " from " + region : "")}")
                .Distinct(StringComparer.Ordinal)
                .ToList();
            if (!Matches(subscription.Filter, evt, region) && affects.Count == 0)
            {
                continue;
            }

            foreach (var channel in subscription.Channels)
            {
                if (!routes.TryGetValue(channel, out var route))
                {
                    route = ([], []);
                    routes[channel] = route;
                    order.Add(channel);
                }

                if (!route.Teams.Contains(subscription.Team, StringComparer.Ordinal))
                {
                    route.Teams.Add(subscription.Team);
                }

                route.Affects.AddRange(affects.Where(a => !route.Affects.Contains(a, StringComparer.Ordinal)));
            }
        }

        return order.Select(c => new ChannelRoute(c, routes[c].Teams, routes[c].Affects)).ToArray();
    }

    public static bool Matches(SubscriptionFilter filter, ChangeEvent evt, string? region)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(evt);
        var data = evt.Data;
        if (filter.Kinds.Count > 0 && !filter.Kinds.Contains(data.Kind, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }

        if (filter.Providers.Count > 0 && (data.Provider is null || !filter.Providers.Contains(data.Provider, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        if (filter.Sources.Count > 0 && !filter.Sources.Contains(data.SourceId, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }

        if (filter.Tags.Count > 0 && !(data.Tags ?? []).Any(t => filter.Tags.Contains(t, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        if (filter.Regions.Count > 0 && (region is null || !filter.Regions.Contains(region, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        return filter.MinSeverity is not { } min || data.Severity >= min;
    }

    /// <summary>The event concerns the dependency's provider and, for reachability, one of the regions it serves users from.</summary>
    public static bool Touches(Dependency dependency, ChangeEvent evt, string? region)
    {
        ArgumentNullException.ThrowIfNull(dependency);
        ArgumentNullException.ThrowIfNull(evt);
        if (evt.Data.Provider is null || !string.Equals(evt.Data.Provider, dependency.Provider, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (evt.Data.Kind == SourceKinds.Reachability && dependency.Regions.Count > 0)
        {
            return region is not null && dependency.Regions.Contains(region, StringComparer.OrdinalIgnoreCase);
        }

        return true;
    }
}

/// <summary>Whether an event opens something that a later event closes (a block and its recovery, a source that stopped and resumed).</summary>
public enum ThreadRole
{
    Opens,
    Closes,
}

/// <summary>The thread an event belongs to: its key (per source, and per vantage point for reachability) and its role.</summary>
public sealed record EventThread(string Key, ThreadRole Role)
{
    public const string Reachable = "reachable";

    public static EventThread? Of(ChangeEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var data = evt.Data;
        if (evt.Type == ChangeEventTypes.HealthChanged && data.Health is { } health)
        {
            return new EventThread("health:" + data.SourceId, health == "resumed" ? ThreadRole.Closes : ThreadRole.Opens);
        }

        if (evt.Type == ChangeEventTypes.ReachabilityChanged && data.Verdict is { } verdict)
        {
            var key = $"reachability:{data.SourceId}:{data.VantagePoint ?? "local"}";
            return new EventThread(key, string.Equals(verdict, Reachable, StringComparison.OrdinalIgnoreCase) ? ThreadRole.Closes : ThreadRole.Opens);
        }

        return null;
    }
}
