using ComplianceWatch.Core.Catalog;

namespace ComplianceWatch.Cli;

internal static class SourceSelection
{
    /// <summary>The sources named by <c>--source</c> (all when none) and of <c>--kind</c>; an unknown id or kind is a usage error.</summary>
    public static IReadOnlyList<SourceDefinition> Select(SourceCatalog catalog, IReadOnlyList<string>? ids, string? kind)
    {
        if (kind is not null && !SourceKinds.All.Contains(kind))
        {
            throw new UsageException($"--kind: unknown kind '{kind}' (expected one of: {string.Join(", ", SourceKinds.All)})");
        }

        var byId = catalog.Sources.ToDictionary(s => s.Id, StringComparer.Ordinal);
        IEnumerable<SourceDefinition> selected = catalog.Sources;
        if (ids is { Count: > 0 })
        {
            var unknown = ids.Where(id => !byId.ContainsKey(id)).ToArray();
            if (unknown.Length > 0)
            {
                throw new UsageException($"--source: no source '{string.Join("', '", unknown)}' in catalog {catalog.File}");
            }

            selected = ids.Distinct(StringComparer.Ordinal).Select(id => byId[id]);
        }

        return selected.Where(s => kind is null || s.Kind == kind).ToArray();
    }
}
