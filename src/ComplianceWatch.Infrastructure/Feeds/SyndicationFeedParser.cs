using System.Globalization;
using System.Net;
using System.ServiceModel.Syndication;
using System.Text.RegularExpressions;
using System.Xml;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Feeds;

namespace ComplianceWatch.Infrastructure.Feeds;

/// <summary>
/// Parses RSS 2.0 and Atom 1.0 with System.ServiceModel.Syndication. DTDs are ignored and external entities never
/// resolved; dates in the many formats feeds use in practice are accepted (an unreadable date is no date, not an error);
/// anything that is not a well-formed RSS or Atom document is a <see cref="FeedFormatException"/>.
/// </summary>
public sealed partial class SyndicationFeedParser : IFeedParser
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Ignore,
        XmlResolver = null,
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
    };

    public FeedDocument Parse(string text, Uri? feedUrl = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            using var reader = XmlReader.Create(new StringReader(text), Settings);
            reader.MoveToContent();
            SyndicationFeedFormatter formatter = new Rss20FeedFormatter { DateTimeParser = ParseDate, PreserveElementExtensions = false };
            if (!formatter.CanRead(reader))
            {
                formatter = new Atom10FeedFormatter { DateTimeParser = ParseDate, PreserveElementExtensions = false };
                if (!formatter.CanRead(reader))
                {
                    throw new FeedFormatException($"the document's root element <{reader.Name}> is neither an RSS 2.0 <rss> nor an Atom <feed>");
                }
            }

            formatter.ReadFrom(reader);
            var feed = formatter.Feed;
            var items = feed.Items.Select(item => ToItem(item, feed, feedUrl)).ToArray();
            return new FeedDocument(feed.Title?.Text, items);
        }
        catch (XmlException ex)
        {
            throw new FeedFormatException(ex.Message, ex);
        }
        catch (FormatException ex)
        {
            throw new FeedFormatException(ex.Message, ex);
        }
    }

    private static FeedItem ToItem(SyndicationItem item, SyndicationFeed feed, Uri? feedUrl)
    {
        var link = item.Links.FirstOrDefault(l => string.IsNullOrEmpty(l.RelationshipType) || l.RelationshipType == "alternate") ?? item.Links.FirstOrDefault();
        string? url = null;
        if (link?.Uri is { } uri)
        {
            var absolute = uri.IsAbsoluteUri ? uri : (link.BaseUri ?? item.BaseUri ?? feed.BaseUri ?? feedUrl) is { IsAbsoluteUri: true } b ? new Uri(b, uri) : null;
            url = absolute?.ToString() ?? uri.OriginalString;
        }

        var title = Plain(item.Title?.Text) ?? "";
        var summary = Plain(item.Summary?.Text ?? (item.Content as TextSyndicationContent)?.Text);
        var id = !string.IsNullOrWhiteSpace(item.Id) ? item.Id.Trim()
            : url ?? "sha256:" + Hashing.Sha256(title + "\n" + summary);
        DateTimeOffset? published = item.PublishDate != default ? item.PublishDate : item.LastUpdatedTime != default ? item.LastUpdatedTime : null;
        return new FeedItem(id, title, summary, url, published);
    }

    /// <summary>Text without markup, entities decoded and white space collapsed (null when empty).</summary>
    private static string? Plain(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var plain = WhiteSpace().Replace(WebUtility.HtmlDecode(Tags().Replace(text, " ")), " ").Trim();
        return plain.Length == 0 ? null : plain;
    }

    private static readonly string[] DateFormats =
    [
        "ddd, d MMM yyyy HH:mm:ss zzz", "ddd, d MMM yyyy HH:mm zzz", "d MMM yyyy HH:mm:ss zzz", "ddd, d MMM yyyy HH:mm:ss",
        "ddd, dd MMM yyyy HH:mm:ss 'GMT'", "ddd, dd MMM yyyy HH:mm:ss 'UTC'", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd",
    ];

    private static readonly Dictionary<string, string> Zones = new(StringComparer.OrdinalIgnoreCase)
    {
        ["GMT"] = "+00:00", ["UT"] = "+00:00", ["UTC"] = "+00:00", ["Z"] = "+00:00",
        ["EST"] = "-05:00", ["EDT"] = "-04:00", ["CST"] = "-06:00", ["CDT"] = "-05:00",
        ["MST"] = "-07:00", ["MDT"] = "-06:00", ["PST"] = "-08:00", ["PDT"] = "-07:00",
    };

    /// <summary>Lenient date parsing: RFC 822/1123 with named or numeric zones, ISO 8601; an unreadable date becomes "no date".</summary>
    private static bool ParseDate(XmlDateTimeData data, out DateTimeOffset value)
    {
        var text = data.DateTimeString?.Trim() ?? "";
        var zone = ZoneSuffix().Match(text);
        if (zone.Success && Zones.TryGetValue(zone.Groups[1].Value, out var offset))
        {
            text = text[..zone.Index] + " " + offset;
        }
        else if (NumericZone().Match(text) is { Success: true } numeric)
        {
            text = text[..numeric.Index] + $" {numeric.Groups[1].Value}{numeric.Groups[2].Value}:{numeric.Groups[3].Value}";
        }

        if (DateTimeOffset.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal, out value) ||
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal, out value))
        {
            return true;
        }

        value = default;
        return true; // an unreadable date is no date; the item is still read
    }

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();

    [GeneratedRegex("\\s+")]
    private static partial Regex WhiteSpace();

    [GeneratedRegex("\\s([A-Za-z]{1,3})$")]
    private static partial Regex ZoneSuffix();

    [GeneratedRegex("\\s([+-])(\\d{2}):?(\\d{2})$")]
    private static partial Regex NumericZone();
}
