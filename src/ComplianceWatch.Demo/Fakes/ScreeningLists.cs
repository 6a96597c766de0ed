using System.Security;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComplianceWatch.Demo.Fakes;

/// <summary>A list entry for the fakes: serialized in the Consolidated Screening List's JSON shape or OFAC's SDN XML.</summary>
public sealed record ListEntry(string Id, string Name, string[]? AltNames = null, string Source = ScreeningLists.EntityList,
    string[]? Programs = null, string? FederalRegisterNotice = null, string? StartDate = null, string Country = "CN", string Type = "Entity");

public static class ScreeningLists
{
    public const string EntityList = "Entity List (EL) - Bureau of Industry and Security";
    public const string Sdn = "Specially Designated Nationals (SDN) - Treasury Department";

    public static JsonObject CslEntry(ListEntry e) => new()
    {
        ["addresses"] = new JsonArray(new JsonObject { ["address"] = "No. 1 Example Road", ["city"] = e.Country == "HK" ? "Hong Kong" : "Beijing", ["country"] = e.Country, ["postal_code"] = null, ["state"] = null }),
        ["alt_names"] = new JsonArray((e.AltNames ?? []).Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
        ["call_sign"] = null,
        ["citizenships"] = new JsonArray(),
        ["dates_of_birth"] = new JsonArray(),
        ["entity_number"] = null,
        ["federal_register_notice"] = e.FederalRegisterNotice,
        ["id"] = e.Id,
        ["ids"] = new JsonArray(),
        ["license_policy"] = e.Source == EntityList ? "Presumption of denial." : null,
        ["license_requirement"] = e.Source == EntityList ? "For all items subject to the EAR." : null,
        ["name"] = e.Name,
        ["programs"] = new JsonArray((e.Programs ?? []).Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()),
        ["remarks"] = null,
        ["source"] = e.Source,
        ["source_information_url"] = "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/entity-list",
        ["source_list_url"] = "https://www.bis.doc.gov/index.php/documents/regulations-docs/2326-supplement-no-4-to-part-744-entity-list-4/file",
        ["start_date"] = e.StartDate,
        ["title"] = null,
        ["type"] = e.Type,
    };

    /// <summary>The Consolidated Screening List JSON: <c>{"total", "sources_used", "results"}</c>.</summary>
    public static string Csl(IEnumerable<ListEntry> entries)
    {
        var results = entries.Select(e => (JsonNode)CslEntry(e)).ToArray();
        return new JsonObject
        {
            ["total"] = results.Length,
            ["sources_used"] = new JsonArray(new JsonObject { ["source"] = EntityList, ["source_last_updated"] = "2026-03-09T04:12:00+00:00", ["last_imported"] = "2026-03-10T03:00:00+00:00" }),
            ["results"] = new JsonArray(results),
        }.ToJsonString();
    }

    /// <summary>OFAC's SDN.XML: <c>sdnList</c> with <c>publshInformation</c> and <c>sdnEntry</c> elements.</summary>
    public static string SdnXml(IEnumerable<ListEntry> entries)
    {
        var list = entries.ToArray();
        var xml = new StringBuilder();
        xml.Append("""<?xml version="1.0" standalone="yes"?>""").Append('\n');
        xml.Append("""<sdnList xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML">""");
        xml.Append($"<publshInformation><Publish_Date>03/09/2026</Publish_Date><Record_Count>{list.Length}</Record_Count></publshInformation>");
        var aka = 90000;
        foreach (var e in list)
        {
            xml.Append($"<sdnEntry><uid>{e.Id}</uid><lastName>{SecurityElement.Escape(e.Name)}</lastName><sdnType>{e.Type}</sdnType><programList>");
            foreach (var program in e.Programs ?? [])
            {
                xml.Append($"<program>{SecurityElement.Escape(program)}</program>");
            }

            xml.Append("</programList><akaList>");
            foreach (var alias in e.AltNames ?? [])
            {
                xml.Append($"<aka><uid>{aka++}</uid><type>a.k.a.</type><category>strong</category><lastName>{SecurityElement.Escape(alias)}</lastName></aka>");
            }

            xml.Append($"</akaList><addressList><address><uid>{aka++}</uid><city>Beijing</city><country>China</country></address></addressList></sdnEntry>");
        }

        return xml.Append("</sdnList>").ToString();
    }

    /// <summary>Unrelated filler entries (names that match no watched vendor).</summary>
    public static IEnumerable<ListEntry> Filler(int count) =>
        Enumerable.Range(0, count).Select(i => new ListEntry($"f{i:x8}", $"Filler Industrial Supply Company Number {i} Limited",
            [$"Filler Trading {i}", $"FIS {i} Co., Ltd."], Programs: ["EAR"], FederalRegisterNotice: $"85 FR {10000 + i % 5000}", StartDate: "2020-05-22"));

    /// <summary>Writes a Consolidated Screening List of at least <paramref name="bytes"/> bytes, with <paramref name="extra"/> entries in the middle.</summary>
    public static byte[] LargeCsl(long bytes, params ListEntry[] extra)
    {
        using var buffer = new MemoryStream((int)Math.Min(int.MaxValue, bytes + (1 << 20)));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("results");
            var count = 0;
            var inserted = false;
            foreach (var entry in Filler(int.MaxValue))
            {
                if (!inserted && buffer.Length + json.BytesPending > bytes / 2)
                {
                    foreach (var e in extra)
                    {
                        CslEntry(e).WriteTo(json);
                        count++;
                    }

                    inserted = true;
                }

                WriteFiller(json, entry);
                count++;
                if (count % 1000 == 0)
                {
                    json.Flush();
                    if (buffer.Length >= bytes)
                    {
                        break;
                    }
                }
            }

            json.WriteEndArray();
            json.WriteNumber("total", count);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The same shape as <see cref="CslEntry"/>, written directly (a 50 MB list is generated in well under a second).</summary>
    private static void WriteFiller(Utf8JsonWriter json, ListEntry e)
    {
        json.WriteStartObject();
        json.WriteStartArray("addresses");
        json.WriteStartObject();
        json.WriteString("address", "No. 1 Example Road");
        json.WriteString("city", "Beijing");
        json.WriteString("country", e.Country);
        json.WriteNull("postal_code");
        json.WriteNull("state");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartArray("alt_names");
        foreach (var alias in e.AltNames ?? [])
        {
            json.WriteStringValue(alias);
        }

        json.WriteEndArray();
        json.WriteNull("call_sign");
        json.WriteStartArray("citizenships");
        json.WriteEndArray();
        json.WriteNull("entity_number");
        json.WriteString("federal_register_notice", e.FederalRegisterNotice);
        json.WriteString("id", e.Id);
        json.WriteString("license_policy", "Presumption of denial.");
        json.WriteString("license_requirement", "For all items subject to the EAR.");
        json.WriteString("name", e.Name);
        json.WriteStartArray("programs");
        foreach (var program in e.Programs ?? [])
        {
            json.WriteStringValue(program);
        }

        json.WriteEndArray();
        json.WriteNull("remarks");
        json.WriteString("source", e.Source);
        json.WriteString("source_list_url", "https://www.bis.doc.gov/index.php/documents/regulations-docs/2326-supplement-no-4-to-part-744-entity-list-4/file");
        json.WriteString("start_date", e.StartDate);
        json.WriteString("type", e.Type);
        json.WriteEndObject();
    }
}
