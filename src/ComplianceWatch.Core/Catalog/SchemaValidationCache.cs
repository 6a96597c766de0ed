using System.Security.Cryptography;
using System.Text;

namespace ComplianceWatch.Core.Catalog;

/// <summary>
/// Remembers catalogs that passed the catalog's JSON Schema, so that loading the same catalog again does not build the
/// schema and evaluate it (a third of the tool's start, docs/benchmark.md). An entry is an empty file whose name is the
/// SHA-256 of the catalog's exact text, the schema's text and the builds of ComplianceWatch.Core and the schema library:
/// a catalog, schema or tool that differs in any byte has another name and is validated again. Only catalogs that
/// passed are remembered, and only the schema is skipped: the checks beyond it (ids, selectors, patterns, schedules)
/// run on every load. The directory is created readable and writable by its owner only; a cache that cannot be read
/// or written is no cache (the catalog is validated, nothing fails).
/// </summary>
public sealed class SchemaValidationCache(string directory)
{
    private const string SchemaLibrary = "JsonSchema.Net";

    // The build: Core's own module id (any change to Core, the schema it embeds included), the schema library's
    // identity and bytes, and the schema's text. The library is named, not loaded: loading it runs its start-up.
    private static readonly Lazy<byte[]> Build = new(() => SHA256.HashData(Encoding.UTF8.GetBytes(
        $"compliancewatch catalog schema cache 1\n{typeof(CatalogLoader).Assembly.ManifestModule.ModuleVersionId}\n{LibraryVersion()}\n{CatalogLoader.SchemaText}")));

    public string Directory { get; } = directory;

    /// <summary>The user's cache (<c>$XDG_CACHE_HOME/compliancewatch/catalogs</c>, else <c>~/.cache/…</c>; on Windows the local application data), or null when there is no home.</summary>
    public static SchemaValidationCache? ForUser()
    {
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathFullyQualified(xdg)
            ? xdg
            : OperatingSystem.IsWindows()
                ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home ? Path.Combine(home, ".cache") : "";
        return root.Length == 0 ? null : new SchemaValidationCache(Path.Combine(root, "compliancewatch", "catalogs"));
    }

    /// <summary>Whether <paramref name="catalogText"/>, byte for byte, passed this build's schema before.</summary>
    public bool Contains(string catalogText)
    {
        try
        {
            return File.Exists(EntryPath(catalogText));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Records that <paramref name="catalogText"/> passed the schema (best effort: a failure to write is ignored).</summary>
    public void Add(string catalogText)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                System.IO.Directory.CreateDirectory(Directory);
            }
            else
            {
                System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            // an empty file: there is nothing to be half-written, and two runs creating it at once both succeed
            using var _ = new FileStream(EntryPath(catalogText), FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // no cache: the next load validates again
        }
    }

    /// <summary>The schema library's identity and, when it is a file beside the tool, the SHA-256 of that file (reading its version resource would cost more).</summary>
    private static string LibraryVersion()
    {
        var reference = typeof(CatalogLoader).Assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == SchemaLibrary)?.FullName ?? "";
        var file = Path.Combine(AppContext.BaseDirectory, SchemaLibrary + ".dll");
        try
        {
            return $"{reference} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)))}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return reference; // e.g. a single-file build: Core's module id then stands for the build
        }
    }

    private string EntryPath(string catalogText)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Build.Value);
        hash.AppendData(Encoding.UTF8.GetBytes(catalogText));
        return Path.Combine(Directory, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
