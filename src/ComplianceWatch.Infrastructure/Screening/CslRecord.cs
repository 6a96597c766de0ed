using System.Text.Json;
using System.Text.Json.Serialization;
using ComplianceWatch.Core.Screening;

namespace ComplianceWatch.Infrastructure.Screening;

/// <summary>One entry of the Consolidated Screening List as trade.gov publishes it (the fields ComplianceWatch reads).</summary>
internal sealed class CslRecord
{
    [JsonPropertyName("id")] public JsonElement Id { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("alt_names")] public List<string?>? AltNames { get; set; }
    [JsonPropertyName("source")] public string? Source { get; set; }
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("programs")] public List<string?>? Programs { get; set; }
    [JsonPropertyName("addresses")] public List<CslAddress?>? Addresses { get; set; }
    [JsonPropertyName("federal_register_notice")] public string? FederalRegisterNotice { get; set; }
    [JsonPropertyName("start_date")] public string? StartDate { get; set; }
    [JsonPropertyName("remarks")] public string? Remarks { get; set; }
    [JsonPropertyName("source_list_url")] public string? SourceListUrl { get; set; }
    [JsonPropertyName("entity_number")] public JsonElement EntityNumber { get; set; }

    public ScreeningEntry? ToEntry()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            return null;
        }

        var list = string.IsNullOrWhiteSpace(Source) ? "Consolidated Screening List" : Source.Trim();
        var id = Text(Id) ?? Text(EntityNumber) ?? Core.Hashing.Sha256(list + "\n" + Name)[..16];
        return new ScreeningEntry
        {
            List = list,
            Id = id,
            Name = Name.Trim(),
            AltNames = Clean(AltNames),
            Type = Type,
            Programs = Clean(Programs),
            Countries = Clean(Addresses?.Select(a => a?.Country).ToList()).Distinct(StringComparer.Ordinal).ToArray(),
            FederalRegisterNotice = string.IsNullOrWhiteSpace(FederalRegisterNotice) ? null : FederalRegisterNotice.Trim(),
            StartDate = StartDate,
            Remarks = Remarks,
            SourceListUrl = SourceListUrl,
        };
    }

    private static string? Text(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String when element.GetString() is { Length: > 0 } s => s,
        JsonValueKind.Number => element.GetRawText(),
        _ => null,
    };

    private static string[] Clean(List<string?>? values) =>
        values is null ? [] : values.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToArray();
}

internal sealed class CslAddress
{
    [JsonPropertyName("country")] public string? Country { get; set; }
}

[JsonSerializable(typeof(CslRecord))]
internal sealed partial class CslJsonContext : JsonSerializerContext;
