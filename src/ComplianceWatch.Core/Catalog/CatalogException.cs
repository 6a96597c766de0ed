namespace ComplianceWatch.Core.Catalog;

/// <summary>One problem found in a catalog: the file, the source (when the problem is inside one), the field and what is wrong.</summary>
public sealed record CatalogError(string File, string? SourceId, string? Field, string Message)
{
    public override string ToString()
    {
        var where = SourceId is null ? File : $"{File}: source '{SourceId}'";
        return Field is null ? $"{where}: {Message}" : $"{where}: field '{Field}': {Message}";
    }
}

/// <summary>A catalog that cannot be used as a whole; nothing may be fetched or written.</summary>
public sealed class CatalogException : Exception
{
    public CatalogException(IReadOnlyList<CatalogError> errors)
        : base(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
    {
        Errors = errors;
    }

    public CatalogException(string file, string message)
        : this([new CatalogError(file, null, null, message)])
    {
    }

    public IReadOnlyList<CatalogError> Errors { get; }
}
