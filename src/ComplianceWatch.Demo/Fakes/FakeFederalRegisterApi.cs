using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ComplianceWatch.Demo.Fakes;

public sealed record FakeAgency(string Name, string Slug, int Id, int? ParentId = null)
{
    public static readonly FakeAgency Commerce = new("Commerce Department", "commerce-department", 54);
    public static readonly FakeAgency Bis = new("Industry and Security Bureau", "industry-and-security-bureau", 241, 54);
    public static readonly FakeAgency Treasury = new("Treasury Department", "treasury-department", 497);
    public static readonly FakeAgency Ofac = new("Foreign Assets Control Office", "foreign-assets-control-office", 203, 497);
    public static readonly FakeAgency InvestmentSecurity = new("Investment Security Office", "investment-security-office", 812, 497);
}

/// <summary>A Federal Register document as the fake API serves it.</summary>
public sealed record FakeDocument
{
    public required string DocumentNumber { get; init; }
    public required string Title { get; init; }
    /// <summary>"Rule", "Proposed Rule", "Notice" or "Presidential Document".</summary>
    public string Type { get; init; } = "Rule";
    public string? Abstract { get; init; }
    public IReadOnlyList<FakeAgency> Agencies { get; init; } = [FakeAgency.Commerce, FakeAgency.Bis];
    public required DateOnly PublicationDate { get; init; }
    public DateOnly? EffectiveOn { get; init; }
    public IReadOnlyList<(int Title, int Part)> Cfr { get; init; } = [];
    /// <summary>The document number this one corrects.</summary>
    public string? CorrectionOf { get; init; }

    public static FakeDocument BisRule(string number, DateOnly date, string title, string? summary = null) => new()
    {
        DocumentNumber = number, Title = title, Abstract = summary ?? "This rule amends the Export Administration Regulations (EAR).",
        PublicationDate = date, EffectiveOn = date, Cfr = [(15, 744)],
    };
}

/// <summary>
/// A fake of the Federal Register API v1 on 127.0.0.1 with the real envelope and the real limits:
/// <c>/api/v1/documents.json</c> filters by <c>conditions[…]</c>, answers only the requested <c>fields[]</c>, serves at
/// most <see cref="MaxPerPage"/> per page, resets a <c>page</c> outside 1–50 to 1 and caps <c>total_pages</c> at 50;
/// <c>/api/v1/public-inspection-documents/current.json</c> lists the documents on public inspection.
/// </summary>
public sealed class FakeFederalRegisterApi : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly object gate = new();
    private readonly List<FakeDocument> published = [];
    private readonly List<FakeDocument> inspection = [];

    private FakeFederalRegisterApi(WebApplication app) => this.app = app;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The API root to configure as a source's <c>endpoint</c>.</summary>
    public string Endpoint => new Uri(BaseUrl, "api/v1").ToString();

    /// <summary>The real API serves at most 1,000 documents a page; tests lower it to reach the 50-page cap cheaply.</summary>
    public int MaxPerPage { get; set; } = 1000;

    /// <summary>When set, <c>documents.json</c> answers this body instead (e.g. malformed JSON).</summary>
    public string? DocumentsOverride { get; set; }

    public ConcurrentQueue<(string Path, IQueryCollection Query)> Requests { get; } = new();

    public static async Task<FakeFederalRegisterApi> StartAsync()
    {
        FakeFederalRegisterApi? api = null;
        var (app, url) = await LoopbackHost.StartAsync(context => api!.HandleAsync(context)); // nobody knows the URL before it returns
        api = new FakeFederalRegisterApi(app) { BaseUrl = url };
        return api;
    }

    public void Publish(params FakeDocument[] documents)
    {
        lock (gate)
        {
            foreach (var document in documents)
            {
                inspection.RemoveAll(d => d.DocumentNumber == document.DocumentNumber);
                published.Add(document);
            }
        }
    }

    public void PutOnPublicInspection(params FakeDocument[] documents)
    {
        lock (gate)
        {
            inspection.AddRange(documents);
        }
    }

    public void ClearPublicInspection()
    {
        lock (gate)
        {
            inspection.Clear();
        }
    }

    public IReadOnlyList<(string Path, IQueryCollection Query)> DocumentRequests => Requests.Where(r => r.Path.EndsWith("/documents.json", StringComparison.Ordinal)).ToArray();

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        Requests.Enqueue((path, context.Request.Query));
        context.Response.ContentType = "application/json; charset=utf-8";
        string body;
        if (path == "/api/v1/documents.json")
        {
            body = DocumentsOverride ?? Documents(context.Request.Query);
        }
        else if (path == "/api/v1/public-inspection-documents/current.json")
        {
            FakeDocument[] current;
            lock (gate)
            {
                current = [.. inspection];
            }

            body = new JsonObject
            {
                ["count"] = current.Length,
                ["results"] = new JsonArray(current.Select(d => (JsonNode)PublicInspectionJson(d)).ToArray()),
            }.ToJsonString();
        }
        else
        {
            context.Response.StatusCode = 404;
            body = """{"status":404,"message":"Not Found"}""";
        }

        await context.Response.WriteAsync(body);
    }

    private string Documents(IQueryCollection query)
    {
        FakeDocument[] all;
        lock (gate)
        {
            all = [.. published];
        }

        var agencies = query["conditions[agencies][]"].Select(a => a!).ToHashSet(StringComparer.Ordinal);
        var types = query["conditions[type][]"].Select(t => t!).ToHashSet(StringComparer.Ordinal);
        var terms = ((string?)query["conditions[term]"] ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => t.Trim('"')).Where(t => t.Length > 0).ToArray();
        var gte = DateOnly.TryParse(query["conditions[publication_date][gte]"], CultureInfo.InvariantCulture, out var g) ? g : DateOnly.MinValue;
        var lte = DateOnly.TryParse(query["conditions[publication_date][lte]"], CultureInfo.InvariantCulture, out var l) ? l : DateOnly.MaxValue;
        int? cfrTitle = int.TryParse(query["conditions[cfr][title]"], out var ct) ? ct : null;
        int? cfrPart = int.TryParse(query["conditions[cfr][part]"], out var cp) ? cp : null;
        var selected = all.Where(d =>
                (agencies.Count == 0 || d.Agencies.Any(a => agencies.Contains(a.Slug))) &&
                (types.Count == 0 || types.Contains(TypeCode(d.Type))) &&
                (terms.Length == 0 || terms.Any(t => (d.Title + " " + d.Abstract).Contains(t, StringComparison.OrdinalIgnoreCase))) &&
                (cfrTitle is null || d.Cfr.Any(c => c.Title == cfrTitle && (cfrPart is null || c.Part == cfrPart))) &&
                d.PublicationDate >= gte && d.PublicationDate <= lte)
            .ToList();
        selected = (string?)query["order"] == "newest"
            ? selected.OrderByDescending(d => d.PublicationDate).ThenByDescending(d => d.DocumentNumber, StringComparer.Ordinal).ToList()
            : selected.OrderBy(d => d.PublicationDate).ThenBy(d => d.DocumentNumber, StringComparer.Ordinal).ToList();

        // the real API: per_page default 20, at most 1000; a page outside 1–50 silently becomes 1; total_pages capped at 50
        var perPage = int.TryParse(query["per_page"], out var pp) ? Math.Clamp(pp, 1, MaxPerPage) : Math.Min(20, MaxPerPage);
        var page = int.TryParse(query["page"], out var p) && p is >= 1 and <= 50 ? p : 1;
        var totalPages = Math.Min((selected.Count + perPage - 1) / perPage, 50);
        var fields = query["fields[]"].Select(f => f!).ToArray();
        var result = new JsonObject
        {
            ["count"] = selected.Count,
            ["description"] = "Documents matching your search",
            ["total_pages"] = totalPages,
        };
        if (page < totalPages)
        {
            var next = string.Join("&", query.Where(q => q.Key != "page").SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v!)}")));
            result["next_page_url"] = new Uri(BaseUrl, $"api/v1/documents.json?{next}&page={page + 1}").ToString();
        }

        if (selected.Count > 0)
        {
            result["results"] = new JsonArray(selected.Skip((page - 1) * perPage).Take(perPage).Select(d => (JsonNode)DocumentJson(d, fields)).ToArray());
        }

        return result.ToJsonString();
    }

    private static string TypeCode(string type) => type switch
    {
        "Rule" => "RULE",
        "Proposed Rule" => "PRORULE",
        "Notice" => "NOTICE",
        "Presidential Document" => "PRESDOCU",
        _ => "UNKNOWN",
    };

    private static JsonArray AgenciesJson(FakeDocument d) => new(d.Agencies.Select(a => (JsonNode)new JsonObject
    {
        ["raw_name"] = a.Name.ToUpperInvariant(),
        ["name"] = a.Name,
        ["id"] = a.Id,
        ["url"] = $"https://www.federalregister.gov/agencies/{a.Slug}",
        ["json_url"] = $"https://www.federalregister.gov/api/v1/agencies/{a.Id}",
        ["parent_id"] = a.ParentId,
        ["slug"] = a.Slug,
    }).ToArray());

    private static JsonObject DocumentJson(FakeDocument d, string[] fields)
    {
        var all = new JsonObject
        {
            ["abstract"] = d.Abstract,
            ["action"] = d.Type == "Rule" ? "Final rule." : null,
            ["agencies"] = AgenciesJson(d),
            ["cfr_references"] = new JsonArray(d.Cfr.Select(c => (JsonNode)new JsonObject { ["title"] = c.Title, ["part"] = c.Part, ["chapter"] = null, ["citation_url"] = null }).ToArray()),
            ["correction_of"] = d.CorrectionOf is null ? null : $"https://www.federalregister.gov/api/v1/documents/{d.CorrectionOf}",
            ["document_number"] = d.DocumentNumber,
            ["effective_on"] = d.EffectiveOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["html_url"] = $"https://www.federalregister.gov/documents/{d.PublicationDate:yyyy/MM/dd}/{d.DocumentNumber}/{Slug(d.Title)}",
            ["pdf_url"] = $"https://www.govinfo.gov/content/pkg/FR-{d.PublicationDate:yyyy-MM-dd}/pdf/{d.DocumentNumber}.pdf",
            ["publication_date"] = d.PublicationDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["title"] = d.Title,
            ["type"] = d.Type,
        };
        if (fields.Length == 0)
        {
            fields = ["title", "type", "abstract", "document_number", "html_url", "pdf_url", "publication_date", "agencies"];
        }

        var selected = new JsonObject();
        foreach (var field in fields)
        {
            if (all.TryGetPropertyValue(field, out var value))
            {
                selected[field] = value?.DeepClone();
            }
        }

        return selected;
    }

    private static JsonObject PublicInspectionJson(FakeDocument d) => new()
    {
        ["agencies"] = AgenciesJson(d),
        ["document_number"] = d.DocumentNumber,
        ["filed_at"] = $"{d.PublicationDate.AddDays(-2):yyyy-MM-dd}T08:45:00.000-05:00",
        ["filing_type"] = "regular",
        ["html_url"] = $"https://www.federalregister.gov/public-inspection/{d.DocumentNumber}/{Slug(d.Title)}",
        ["json_url"] = $"https://www.federalregister.gov/api/v1/public-inspection-documents/{d.DocumentNumber}.json",
        ["num_pages"] = 12,
        ["pdf_file_name"] = $"{d.DocumentNumber}.pdf",
        ["pdf_url"] = $"https://public-inspection.federalregister.gov/{d.DocumentNumber}.pdf",
        ["publication_date"] = d.PublicationDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["title"] = d.Title,
        ["type"] = d.Type,
    };

    private static string Slug(string title) =>
        string.Join("-", title.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => new string(w.Where(char.IsLetterOrDigit).ToArray())).Where(w => w.Length > 0));

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
