using System.Xml;
using System.Xml.Linq;
using ComplianceWatch.Core.Screening;

namespace ComplianceWatch.Infrastructure.Screening;

/// <summary>
/// Reads OFAC's SDN list XML (<c>sdnList/sdnEntry</c>, in whichever namespace the publication uses) from a stream, one
/// <c>sdnEntry</c> at a time. DTDs are refused and external entities never resolved.
/// </summary>
public static class OfacSdnXmlReader
{
    public const string ListName = "Specially Designated Nationals (SDN) - Treasury Department";

    private const int CollectEveryEntries = 1000;

    private static readonly XmlReaderSettings Settings = new()
    {
        Async = true,
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreWhitespace = true,
        IgnoreProcessingInstructions = true,
    };

    public static async Task<long> ReadAsync(Stream stream, Action<ScreeningEntry> onEntry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(onEntry);
        long entries = 0;
        long? declared = null;
        try
        {
            using var reader = XmlReader.Create(stream, Settings);
            if (await reader.MoveToContentAsync() != XmlNodeType.Element || reader.LocalName != "sdnList")
            {
                throw new ScreeningFormatException($"the list's root element is <{reader.LocalName}>, not OFAC's <sdnList>");
            }

            await reader.ReadAsync();
            while (!reader.EOF)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "sdnEntry")
                {
                    var element = (XElement)await XNode.ReadFromAsync(reader, cancellationToken);
                    entries++;
                    if (entries % CollectEveryEntries == 0)
                    {
                        // as in CslJsonReader: keep the young generation small, so the list's size does not show in the process's
                        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                    }

                    if (ToEntry(element) is { } entry)
                    {
                        onEntry(entry);
                    }
                }
                else if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "publshInformation")
                {
                    var info = (XElement)await XNode.ReadFromAsync(reader, cancellationToken);
                    declared = long.TryParse(Child(info, "Record_Count"), out var count) ? count : null;
                }
                else
                {
                    await reader.ReadAsync();
                }
            }
        }
        catch (XmlException ex)
        {
            throw new ScreeningFormatException($"the list is not well-formed XML: {ex.Message}", ex);
        }

        if (declared is { } total && total > entries)
        {
            throw new ScreeningFormatException($"the list declares {total:N0} entries but holds {entries:N0} (truncated?)");
        }

        return entries;
    }

    internal static ScreeningEntry? ToEntry(XElement entry)
    {
        var uid = Child(entry, "uid");
        var last = Child(entry, "lastName");
        if (uid is null || last is null)
        {
            return null;
        }

        var aliases = Children(entry, "akaList", "aka")
            .Select(aka => Join(Child(aka, "firstName"), Child(aka, "lastName")))
            .Where(name => name.Length > 0)
            .ToArray();
        return new ScreeningEntry
        {
            List = ListName,
            Id = uid,
            Name = Join(Child(entry, "firstName"), last),
            AltNames = aliases,
            Type = Child(entry, "sdnType"),
            Programs = Children(entry, "programList", "program").Select(p => p.Value.Trim()).Where(p => p.Length > 0).ToArray(),
            Countries = Children(entry, "addressList", "address").Select(a => Child(a, "country")).OfType<string>().Distinct(StringComparer.Ordinal).ToArray(),
            Remarks = Child(entry, "remarks"),
        };
    }

    private static string Join(string? first, string? last) => $"{first} {last}".Trim();

    private static string? Child(XElement element, string name) =>
        element.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value.Trim() is { Length: > 0 } value ? value : null;

    private static IEnumerable<XElement> Children(XElement element, string list, string item) =>
        element.Elements().Where(e => e.Name.LocalName == list).SelectMany(l => l.Elements().Where(e => e.Name.LocalName == item));
}
