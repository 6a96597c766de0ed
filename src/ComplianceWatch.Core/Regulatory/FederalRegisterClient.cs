using System.Globalization;
using System.Text;
using System.Text.Json;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Fetching;

namespace ComplianceWatch.Core.Regulatory;

/// <summary>A failure of a regulatory read: a categorized error (the category of <see cref="ErrorCategories"/>).</summary>
public sealed class RegulatoryFetchException(string category, string message) : Exception(message)
{
    public string Category { get; } = category;
}

public sealed record FederalRegisterFetch(IReadOnlyList<RegulatoryDocument> Documents, int Requests);

/// <summary>
/// Reads the Federal Register API v1 through the fetcher port. The API serves at most 50 pages of a query (a
/// <c>page</c> outside 1–50 silently resets to 1, and <c>total_pages</c> is capped at 50), so a query whose documents
/// do not fit in 50 pages is split into publication-date windows until each fits; pages are never requested past 50.
/// Any error (network, HTTP, a response that is not the documented envelope) fails the whole read.
/// </summary>
public sealed class FederalRegisterClient(IContentFetcher fetcher)
{
    public const int MaxPage = 50;
    public const int PerPage = 1000;

    /// <summary>Requests one read may make before it gives up (bounds a check in time).</summary>
    public const int MaxRequests = 500;

    public static IReadOnlyList<string> Fields { get; } =
    [
        "document_number", "title", "type", "abstract", "agencies", "publication_date", "effective_on",
        "cfr_references", "html_url", "pdf_url", "correction_of",
    ];

    /// <summary>The documents published from <paramref name="from"/> to <paramref name="to"/> (inclusive) that the source's conditions select.</summary>
    public async Task<FederalRegisterFetch> FetchPublishedAsync(FederalRegisterSource source, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var documents = new Dictionary<string, RegulatoryDocument>(StringComparer.Ordinal);
        var requests = 0;
        var windows = new Stack<(DateOnly From, DateOnly To)>();
        windows.Push((from, to));
        while (windows.TryPop(out var window))
        {
            var first = await GetPageAsync(source, window.From, window.To, 1, ++requests, cancellationToken);
            var pages = Math.Min(first.TotalPages, MaxPage);
            var pageSize = first.Results.Count;
            if (first.Count > 0 && pageSize == 0)
            {
                throw new RegulatoryFetchException(ErrorCategories.InvalidContent, $"the Federal Register API reported {first.Count} documents but returned none");
            }

            if ((long)pageSize * pages < first.Count)
            {
                // more documents than 50 pages hold: window by publication date instead of deep paging
                if (window.From >= window.To)
                {
                    throw new RegulatoryFetchException(ErrorCategories.InvalidContent,
                        $"{first.Count} documents were published on {window.From:yyyy-MM-dd}, more than the {pageSize * pages} the API serves for one query; narrow the source's conditions");
                }

                var mid = window.From.AddDays((window.To.DayNumber - window.From.DayNumber) / 2);
                windows.Push((mid.AddDays(1), window.To));
                windows.Push((window.From, mid));
                continue;
            }

            Add(first.Results);
            for (var page = 2; page <= pages; page++)
            {
                var next = await GetPageAsync(source, window.From, window.To, page, ++requests, cancellationToken);
                if (next.Results.Count > 0 && next.Results[0].DocumentNumber == first.Results[0].DocumentNumber)
                {
                    throw new RegulatoryFetchException(ErrorCategories.InvalidContent, $"page {page} of the Federal Register API repeats page 1 (the page number was reset)");
                }

                Add(next.Results);
            }
        }

        return new FederalRegisterFetch(documents.Values.OrderBy(d => d.PublicationDate, StringComparer.Ordinal).ThenBy(d => d.DocumentNumber, StringComparer.Ordinal).ToArray(), requests);

        void Add(IEnumerable<RegulatoryDocument> results)
        {
            foreach (var document in results)
            {
                documents[document.DocumentNumber] = document;
            }
        }
    }

    /// <summary>
    /// The documents on public inspection now (<c>/public-inspection-documents/current.json</c>) that the source selects:
    /// by agency slug and type, and by its terms in the title (public-inspection documents carry no abstract and no
    /// CFR references, so a <c>cfr</c> condition cannot be applied before publication).
    /// </summary>
    public async Task<FederalRegisterFetch> FetchPublicInspectionAsync(FederalRegisterSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var url = new Uri(source.Endpoint.TrimEnd('/') + "/public-inspection-documents/current.json");
        var page = ParsePage(await GetTextAsync(url, cancellationToken), DocumentStages.PublicInspection);
        var types = source.Types.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var agencies = source.Agencies.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var selected = page.Results.Where(d =>
            (types.Count == 0 || types.Contains(d.TypeCode)) &&
            (agencies.Count == 0 || d.Agencies.Any(a => a.Slug is not null && agencies.Contains(a.Slug))) &&
            (source.Terms.Count == 0 || source.Terms.Any(t => RelevanceRules.IsMentioned(d.Title, t))));
        return new FederalRegisterFetch(selected.ToArray(), 1);
    }

    /// <summary>The <c>documents.json</c> URL of one page of the source's query over a publication-date window.</summary>
    public static Uri DocumentsUrl(FederalRegisterSource source, DateOnly from, DateOnly to, int page)
    {
        ArgumentNullException.ThrowIfNull(source);
        var query = new List<(string Key, string Value)>();
        foreach (var agency in source.Agencies)
        {
            query.Add(("conditions[agencies][]", agency));
        }

        foreach (var type in source.Types)
        {
            query.Add(("conditions[type][]", type));
        }

        if (source.Terms.Count > 0)
        {
            // the full-text search's "|" is OR; phrases are quoted
            query.Add(("conditions[term]", string.Join(" | ", source.Terms.Select(t => t.Contains(' ', StringComparison.Ordinal) ? $"\"{t}\"" : t))));
        }

        if (source.Cfr is { } cfr)
        {
            query.Add(("conditions[cfr][title]", cfr.Title.ToString(CultureInfo.InvariantCulture)));
            if (cfr.Part is { } part)
            {
                query.Add(("conditions[cfr][part]", part.ToString(CultureInfo.InvariantCulture)));
            }
        }

        query.Add(("conditions[publication_date][gte]", from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        query.Add(("conditions[publication_date][lte]", to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        foreach (var field in Fields)
        {
            query.Add(("fields[]", field));
        }

        query.Add(("per_page", PerPage.ToString(CultureInfo.InvariantCulture)));
        query.Add(("page", page.ToString(CultureInfo.InvariantCulture)));
        query.Add(("order", "oldest"));
        var text = new StringBuilder(source.Endpoint.TrimEnd('/')).Append("/documents.json?");
        text.AppendJoin('&', query.Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value)));
        return new Uri(text.ToString());
    }

    private sealed record Page(int Count, int TotalPages, IReadOnlyList<RegulatoryDocument> Results);

    private async Task<Page> GetPageAsync(FederalRegisterSource source, DateOnly from, DateOnly to, int page, int request, CancellationToken cancellationToken)
    {
        if (page is < 1 or > MaxPage)
        {
            throw new ArgumentOutOfRangeException(nameof(page), page, "the Federal Register API serves pages 1 to 50 only");
        }

        if (request > MaxRequests)
        {
            throw new RegulatoryFetchException(ErrorCategories.TooLarge, $"reading the Federal Register took more than {MaxRequests} requests; narrow the source's conditions or the look-back");
        }

        return ParsePage(await GetTextAsync(DocumentsUrl(source, from, to, page), cancellationToken), DocumentStages.Published);
    }

    private async Task<string> GetTextAsync(Uri url, CancellationToken cancellationToken)
    {
        var fetch = await fetcher.FetchAsync(new FetchRequest(url), cancellationToken);
        if (fetch.IsError)
        {
            throw new RegulatoryFetchException(fetch.ErrorCategory!, fetch.ErrorMessage ?? fetch.ErrorCategory!);
        }

        return fetch.Text ?? "";
    }

    private static Page ParsePage(string text, string stage)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new RegulatoryFetchException(ErrorCategories.InvalidContent, $"the Federal Register API answered with something that is not JSON ({ex.Message})");
        }

        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("count", out var countElement) || !countElement.TryGetInt32(out var count))
            {
                throw new RegulatoryFetchException(ErrorCategories.InvalidContent, "the Federal Register API response has no \"count\": it changed shape");
            }

            var totalPages = root.TryGetProperty("total_pages", out var tp) && tp.TryGetInt32(out var pagesValue) ? pagesValue : (count > 0 ? 1 : 0);
            var results = new List<RegulatoryDocument>();
            if (root.TryGetProperty("results", out var items) && items.ValueKind != JsonValueKind.Null)
            {
                if (items.ValueKind != JsonValueKind.Array)
                {
                    throw new RegulatoryFetchException(ErrorCategories.InvalidContent, "the Federal Register API response's \"results\" is not an array: it changed shape");
                }

                foreach (var item in items.EnumerateArray())
                {
                    results.Add(ParseDocument(item, stage));
                }
            }

            return new Page(count, totalPages, results);
        }
    }

    internal static RegulatoryDocument ParseDocument(JsonElement item, string stage)
    {
        if (item.ValueKind != JsonValueKind.Object || Str(item, "document_number") is not { Length: > 0 } number)
        {
            throw new RegulatoryFetchException(ErrorCategories.InvalidContent, "a Federal Register document has no \"document_number\": the API changed shape");
        }

        var agencies = new List<AgencyRef>();
        if (item.TryGetProperty("agencies", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var agency in list.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.Object))
            {
                var name = Str(agency, "name") ?? Str(agency, "raw_name");
                if (name is not null)
                {
                    agencies.Add(new AgencyRef(name, Str(agency, "slug")));
                }
            }
        }

        var cfr = new List<string>();
        if (item.TryGetProperty("cfr_references", out var refs) && refs.ValueKind == JsonValueKind.Array)
        {
            foreach (var reference in refs.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.Object))
            {
                var title = Str(reference, "title");
                var part = Str(reference, "part");
                if (title is not null)
                {
                    cfr.Add(part is null ? $"{title} CFR" : $"{title} CFR {part}");
                }
            }
        }

        return new RegulatoryDocument
        {
            DocumentNumber = number,
            Title = Str(item, "title") ?? "(untitled)",
            Type = Str(item, "type"),
            Abstract = Str(item, "abstract"),
            Agencies = agencies,
            PublicationDate = Str(item, "publication_date"),
            EffectiveOn = Str(item, "effective_on"),
            CfrReferences = cfr,
            HtmlUrl = Str(item, "html_url"),
            PdfUrl = Str(item, "pdf_url") ?? Str(item, "pdf_file_url"),
            CorrectionOf = DocumentNumberOf(Str(item, "correction_of")),
            Stage = stage,
            FiledAt = Str(item, "filed_at"),
        };
    }

    /// <summary>"https://www.federalregister.gov/api/v1/documents/2026-01234.json" or "2026-01234" → "2026-01234".</summary>
    internal static string? DocumentNumberOf(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            return null;
        }

        var last = reference.TrimEnd('/').Split('/')[^1];
        return last.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? last[..^5] : last;
    }

    private static string? Str(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;
}
