using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ComplianceWatch.Core.Catalog;
using System.Text.Json.Serialization;

namespace ComplianceWatch.Core.Events;

/// <summary>The CloudEvents 1.0 types ComplianceWatch emits.</summary>
public static class ChangeEventTypes
{
    public const string TermsChanged = "compliancewatch.terms.changed";
    public const string ReachabilityChanged = "compliancewatch.reachability.changed";
    public const string RegulatoryPublished = "compliancewatch.regulatory.published";
    public const string ScreeningChanged = "compliancewatch.screening.changed";
    public const string HealthChanged = "compliancewatch.health.changed";
}

/// <summary>A change event: a CloudEvents 1.0 JSON document (see ARCHITECTURE.md, "The change event").</summary>
public sealed record ChangeEvent
{
    public const string DataSchema = "urn:compliancewatch:change-event:1";

    [JsonPropertyName("specversion")] public string SpecVersion { get; init; } = "1.0";
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("source")] public required string Source { get; init; }
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("subject")] public required string Subject { get; init; }
    [JsonPropertyName("time")] public required DateTimeOffset Time { get; init; }
    [JsonPropertyName("datacontenttype")] public string DataContentType { get; init; } = "application/json";
    [JsonPropertyName("dataschema")] public string DataSchemaUri { get; init; } = DataSchema;
    [JsonPropertyName("data")] public required ChangeEventData Data { get; init; }

    public static string SourceUri(string sourceId) => "/compliancewatch/sources/" + Uri.EscapeDataString(sourceId);

    /// <summary>An event about <paramref name="source"/>: the CloudEvents envelope (source URI, subject) derives from it.</summary>
    public static ChangeEvent Create(SourceDefinition source, string id, string type, DateTimeOffset time, ChangeEventData data)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChangeEvent { Id = id, Source = SourceUri(source.Id), Type = type, Subject = source.Id, Time = time, Data = data };
    }

    /// <summary>
    /// Deterministic event id (64 hex characters): a hash of the source id, the source's version number and the new
    /// content hash, so a re-run never mints a second event for one change, yet A→B→A→B is two changes.
    /// </summary>
    public static string ComputeId(string sourceId, long version, string contentHash)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{sourceId}\n{version}\n{contentHash}"));
        return Convert.ToHexStringLower(bytes);
    }
}

/// <summary>The <c>data</c> of a change event. Kind-specific members are absent (not null) when they do not apply.</summary>
public sealed record ChangeEventData
{
    /// <summary>The members every event of <paramref name="source"/> carries; kind-specific ones are added with <c>with</c>.</summary>
    public static ChangeEventData For(SourceDefinition source, Severity severity, string summary, string? url, string? previousEntryHash)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChangeEventData
        {
            SourceId = source.Id,
            Kind = source.Kind,
            Provider = source.Provider,
            Severity = severity,
            Summary = summary,
            Url = url,
            PreviousEntryHash = previousEntryHash,
            Tags = source.Tags.Count > 0 ? source.Tags : null,
        };
    }

    public required string SourceId { get; init; }
    public required string Kind { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Provider { get; init; }
    public required Severity Severity { get; init; }
    public required string Summary { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Url { get; init; }
    public string? PreviousEntryHash { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? Tags { get; init; }

    // terms
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? PreviousHash { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? CurrentHash { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ContentDiff? Diff { get; init; }

    // reachability
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? VantagePoint { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? PreviousVerdict { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Verdict { get; init; }
    /// <summary>Per-probe evidence (DNS, connect, TLS, HTTP status, headers, body excerpt, timings).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public JsonElement? Evidence { get; init; }

    // regulatory (federal-register and feed items)
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? DocumentNumber { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Title { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? DocumentType { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? Agencies { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? PublicationDate { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? EffectiveOn { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? HtmlUrl { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? PdfUrl { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? CorrectionOf { get; init; }
    /// <summary><c>public-inspection</c> or <c>published</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Stage { get; init; }

    // screening
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Entity { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? List { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public JsonElement? Entry { get; init; }
    /// <summary><c>added</c>, <c>modified</c> or <c>removed</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Change { get; init; }

    // health
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Health { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ErrorCategory { get; init; }
}

/// <summary>
/// What changed between two versions of a text: the lines (or list entries) added and removed, a unified diff, and
/// for text the changed sentences (<c>sentences</c>: inside a changed paragraph, only the sentences that differ).
/// </summary>
public sealed record ContentDiff(IReadOnlyList<string> Added, IReadOnlyList<string> Removed, string Unified)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public SentenceDiff? Sentences { get; init; }
}

/// <summary>The sentences removed and added inside the changed paragraphs of a text (whole paragraphs added or removed count with all their sentences).</summary>
public sealed record SentenceDiff(IReadOnlyList<string> Added, IReadOnlyList<string> Removed);
