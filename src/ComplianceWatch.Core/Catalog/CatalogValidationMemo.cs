namespace ComplianceWatch.Core.Catalog;

/// <summary>
/// Remembers the catalogs this build of the tool found valid, byte for byte, so that a catalog checked again and again
/// (a cron job every few minutes, <c>watch</c>) is validated once: evaluating the JSON Schema and the semantic checks
/// (selectors, patterns, schedules) of a 1,000-source catalog costs more CPU than its 1,000 conditional requests.
/// An entry is an empty file named by the SHA-256 of this build's identity, the schema and the catalog's text, so any
/// edit of the catalog, another schema or another build of the tool is a miss, and only a catalog that passed every
/// check is ever remembered: a catalog that fails is refused on every run, with every error named.
/// </summary>
/// <remarks>
/// The directory is <c>COMPLIANCEWATCH_CACHE</c> when set (<c>off</c>: no memo), else <c>$XDG_CACHE_HOME/compliancewatch</c>
/// or <c>~/.cache/compliancewatch</c>. A memo that cannot be read or written only makes the run validate again.
/// </remarks>
public sealed class CatalogValidationMemo
{
    private static readonly string BuildId = typeof(CatalogValidationMemo).Assembly.ManifestModule.ModuleVersionId.ToString("N");
    private readonly string directory;

    public CatalogValidationMemo(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        this.directory = Path.Combine(Path.GetFullPath(directory), "valid-catalogs");
    }

    /// <summary>The memo of the current user (see remarks), or null when it is turned off or no home directory is known.</summary>
    public static CatalogValidationMemo? ForCurrentUser()
    {
        var configured = Environment.GetEnvironmentVariable("COMPLIANCEWATCH_CACHE");
        if (configured is { Length: > 0 })
        {
            return string.Equals(configured, "off", StringComparison.OrdinalIgnoreCase) ? null : new CatalogValidationMemo(configured);
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (xdg is { Length: > 0 } && Path.IsPathRooted(xdg))
        {
            return new CatalogValidationMemo(Path.Combine(xdg, "compliancewatch"));
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : new CatalogValidationMemo(Path.Combine(home, ".cache", "compliancewatch"));
    }

    /// <summary>The entry name of <paramref name="catalogText"/> under the current schema and build.</summary>
    internal static string KeyOf(string catalogText) => Hashing.Sha256($"{BuildId}\n{CatalogLoader.SchemaText}\n{catalogText}");

    /// <summary>How many loads this memo spared a validation.</summary>
    public int Recognized => recognized;

    private int recognized;

    internal bool Knows(string key)
    {
        try
        {
            var known = File.Exists(Path.Combine(directory, key));
            if (known)
            {
                Interlocked.Increment(ref recognized);
            }

            return known;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    internal void Remember(string key)
    {
        try
        {
            Directory.CreateDirectory(directory);
            using (File.Create(Path.Combine(directory, key)))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // not remembered: the next run validates again
        }
    }
}
