using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Diffing;

/// <summary>
/// Severity of a content change, from data: <c>critical</c> when the added or removed text names a watched
/// jurisdiction or a watched term (catalog settings), otherwise <c>warning</c>; never below the source's floor.
/// </summary>
public static class SeverityRules
{
    public static (Severity Severity, IReadOnlyList<string> Matches) Assess(ContentDiff diff, CatalogSettings settings, Severity? floor)
    {
        ArgumentNullException.ThrowIfNull(diff);
        ArgumentNullException.ThrowIfNull(settings);
        var changed = diff.Added.Concat(diff.Removed).ToArray();
        var matches = settings.WatchedJurisdictions.Concat(settings.WatchedTerms)
            .Where(word => changed.Any(line => line.Contains(word, StringComparison.OrdinalIgnoreCase)))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToArray();
        var severity = matches.Length > 0 ? Severity.Critical : Severity.Warning;
        return (SeverityNames.Max(severity, floor), matches);
    }
}
