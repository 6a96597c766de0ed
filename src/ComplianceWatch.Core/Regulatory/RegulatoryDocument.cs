using System.Text.Json.Serialization;

namespace ComplianceWatch.Core.Regulatory;

/// <summary>The stages of a Federal Register document that ComplianceWatch announces.</summary>
public static class DocumentStages
{
    public const string PublicInspection = "public-inspection";
    public const string Published = "published";
}

/// <summary>The Federal Register's document types: the API's names and the codes the catalog and its conditions use.</summary>
public static class DocumentTypes
{
    public const string Rule = "RULE";
    public const string ProposedRule = "PRORULE";
    public const string Notice = "NOTICE";
    public const string PresidentialDocument = "PRESDOCU";

    private static readonly Dictionary<string, string> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Rule"] = Rule,
        ["Proposed Rule"] = ProposedRule,
        ["Notice"] = Notice,
        ["Presidential Document"] = PresidentialDocument,
    };

    /// <summary>The code of an API type name ("Proposed Rule" → PRORULE); an unknown name becomes upper case with '-' for blanks.</summary>
    public static string CodeOf(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "UNKNOWN"
        : ByName.TryGetValue(name.Trim(), out var code) ? code
        : ByName.ContainsValue(name.Trim().ToUpperInvariant()) ? name.Trim().ToUpperInvariant()
        : name.Trim().ToUpperInvariant().Replace(' ', '-');
}

public sealed record AgencyRef(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("slug")] string? Slug);

/// <summary>A Federal Register document as ComplianceWatch keeps it: published, or on public inspection before publication.</summary>
public sealed record RegulatoryDocument
{
    [JsonPropertyName("documentNumber")] public required string DocumentNumber { get; init; }
    [JsonPropertyName("title")] public required string Title { get; init; }
    /// <summary>The API's type name: <c>Rule</c>, <c>Proposed Rule</c>, <c>Notice</c>, <c>Presidential Document</c>.</summary>
    [JsonPropertyName("type")] public string? Type { get; init; }
    [JsonPropertyName("abstract")] public string? Abstract { get; init; }
    [JsonPropertyName("agencies")] public IReadOnlyList<AgencyRef> Agencies { get; init; } = [];
    /// <summary>yyyy-MM-dd; for a document on public inspection, the date it is scheduled to be published.</summary>
    [JsonPropertyName("publicationDate")] public string? PublicationDate { get; init; }
    [JsonPropertyName("effectiveOn")] public string? EffectiveOn { get; init; }
    [JsonPropertyName("cfrReferences")] public IReadOnlyList<string> CfrReferences { get; init; } = [];
    [JsonPropertyName("htmlUrl")] public string? HtmlUrl { get; init; }
    [JsonPropertyName("pdfUrl")] public string? PdfUrl { get; init; }
    /// <summary>The document number of the document this one corrects.</summary>
    [JsonPropertyName("correctionOf")] public string? CorrectionOf { get; init; }
    [JsonPropertyName("stage")] public required string Stage { get; init; }
    [JsonPropertyName("filedAt")] public string? FiledAt { get; init; }

    [JsonIgnore] public string TypeCode => DocumentTypes.CodeOf(Type);

    [JsonIgnore] public DateOnly? Date =>
        DateOnly.TryParseExact(PublicationDate, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var d) ? d : null;
}
