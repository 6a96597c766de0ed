namespace ComplianceWatch.Core.Catalog;

/// <summary>Where a long-running host gets its catalog: a file shipped with the app, or (later) a blob.</summary>
public interface ICatalogProvider
{
    /// <summary>The current catalog; throws <see cref="CatalogException"/> naming file, source and field when it does not validate.</summary>
    Task<SourceCatalog> GetCatalogAsync(CancellationToken cancellationToken = default);
}

/// <summary>A catalog file, parsed once and parsed again only when the file changes (two concurrent reloads are harmless).</summary>
public sealed class FileCatalogProvider(string path) : ICatalogProvider
{
    private volatile Cached? cached;

    public string Path { get; } = path;

    public async Task<SourceCatalog> GetCatalogAsync(CancellationToken cancellationToken = default)
    {
        var written = File.Exists(Path) ? File.GetLastWriteTimeUtc(Path) : default;
        if (cached is { } hit && hit.Written == written)
        {
            return hit.Catalog;
        }

        var catalog = await CatalogLoader.LoadFileAsync(Path, cancellationToken);
        cached = new Cached(written, catalog);
        return catalog;
    }

    private sealed record Cached(DateTime Written, SourceCatalog Catalog);
}
