using System.Text.Json.Serialization;
using ComplianceWatch.Core.Catalog;

namespace ComplianceWatch.Core.Screening;

/// <summary>The list formats a screening source reads.</summary>
public static class ScreeningFormats
{
    /// <summary>The Consolidated Screening List (trade.gov) JSON: <c>{"total", "results": [{"name", "alt_names", "source", "programs", "id", …}]}</c>.</summary>
    public const string CslJson = "csl-json";

    /// <summary>OFAC's SDN list XML: <c>sdnList/sdnEntry</c> with <c>uid</c>, <c>lastName</c>, <c>firstName</c>, <c>programList</c>, <c>akaList</c>.</summary>
    public const string OfacSdnXml = "ofac-sdn-xml";
}

/// <summary>One entry of a screening list, in the fields ComplianceWatch compares.</summary>
public sealed record ScreeningEntry
{
    /// <summary>The list the entry is on, e.g. "Entity List (EL) - Bureau of Industry and Security" or "Specially Designated Nationals (SDN) - Treasury Department".</summary>
    [JsonPropertyName("list")] public required string List { get; init; }
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("altNames")] public IReadOnlyList<string> AltNames { get; init; } = [];
    [JsonPropertyName("type")] public string? Type { get; init; }
    [JsonPropertyName("programs")] public IReadOnlyList<string> Programs { get; init; } = [];
    [JsonPropertyName("countries")] public IReadOnlyList<string> Countries { get; init; } = [];
    [JsonPropertyName("federalRegisterNotice")] public string? FederalRegisterNotice { get; init; }
    [JsonPropertyName("startDate")] public string? StartDate { get; init; }
    [JsonPropertyName("remarks")] public string? Remarks { get; init; }
    [JsonPropertyName("sourceListUrl")] public string? SourceListUrl { get; init; }

    /// <summary>
    /// A hash of what makes a listing different in substance: name, aliases, type, programs, list, Federal Register
    /// notice and start date (not remarks or addresses, which lists reformat).
    /// </summary>
    public string Fingerprint() => Hashing.Sha256(string.Join("\n",
        List, Name, string.Join("|", AltNames.Order(StringComparer.Ordinal)), Type, string.Join("|", Programs.Order(StringComparer.Ordinal)),
        FederalRegisterNotice, StartDate));
}

/// <summary>How reading a list went: how many entries and bytes were read, or a categorized error.</summary>
public sealed record ScreeningReadResult(long EntriesRead, long BytesRead, string? ErrorCategory = null, string? ErrorMessage = null)
{
    public bool IsError => ErrorCategory is not null;
}

/// <summary>The port to read a screening list entry by entry, streamed: the list is never held in memory as a whole.</summary>
public interface IScreeningListReader
{
    Task<ScreeningReadResult> ReadAsync(ScreeningList list, Action<ScreeningEntry> onEntry, CancellationToken cancellationToken = default);
}
