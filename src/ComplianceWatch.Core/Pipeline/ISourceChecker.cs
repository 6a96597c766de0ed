using ComplianceWatch.Core.Catalog;

namespace ComplianceWatch.Core.Pipeline;

/// <summary>Checks the sources of one kind: fetch, extract, compare with the stored snapshot, commit.</summary>
public interface ISourceChecker
{
    string Kind { get; }

    Task<SourceCheckResult> CheckAsync(SourceDefinition source, CatalogSettings settings, CancellationToken cancellationToken = default);
}
