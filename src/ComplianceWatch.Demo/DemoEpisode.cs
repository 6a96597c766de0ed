using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using ComplianceWatch.Demo.Fakes;

namespace ComplianceWatch.Demo;

/// <summary>One step of the episode: what changes in the outside world, and how many checks the tool runs after it.</summary>
public sealed record DemoStep(int Number, string Title, string Story, int Checks);

/// <summary>
/// The 2024 episode the product exists for, as data shipped in this assembly (<c>Episode/</c>): OpenAI announces that
/// it blocks API traffic from unsupported regions; the API answers <c>unsupported_country_region_territory</c> in China
/// and Hong Kong; Chinese vendors publish migration offers; Treasury's Outbound Investment Security Program final rule
/// (31 CFR 850) appears in the Federal Register; an AI vendor is added to the Entity List. Every document is written for
/// the demo in the shape of the real one.
/// </summary>
public static class DemoEpisode
{
    /// <summary>K of the demo catalog (<c>settings.confirmations</c>): a reachability transition needs this many checks.</summary>
    public const int Confirmations = 2;

    /// <summary>The earliest publication date the demo's Federal Register window must reach.</summary>
    public static readonly DateOnly EpisodeStart = new(2024, 6, 1);

    public static IReadOnlyList<DemoStep> Steps { get; } =
    [
        new(0, "Before: the tool records its baselines",
            "The pages, the API, the Federal Register and the screening list as they were in spring 2024. The first check of each source records a baseline and announces nothing.", 1),
        new(1, "OpenAI announces it will block API traffic from unsupported regions",
            "June 2024: the supported-countries article and the usage policies gain a notice that API traffic from unsupported countries and territories, mainland China and Hong Kong among them, is blocked from July 9.", 1),
        new(2, "The API answers 403 unsupported_country_region_territory in China and Hong Kong",
            $"July 2024: Globalping probes in CN and HK get OpenAI's 403 request_forbidden error; the US control still gets the API's ordinary 401. A verdict changes only after {Confirmations} consistent checks (settings.confirmations), so the tool checks twice.", Confirmations),
        new(3, "Chinese vendors publish migration offers for OpenAI API users",
            "Zhipu AI's announcements page and Baidu's Qianfan feed gain migration programmes for developers leaving the OpenAI API.", 1),
        new(4, "Treasury's Outbound Investment Security Program final rule (31 CFR 850)",
            "November 15, 2024: the final rule appears in the Federal Register API (the proposed rule of July 2024 was already in the baseline).", 1),
        new(5, "An AI vendor is added to the Entity List",
            "January 2025: Beijing Zhipu Huazhang Technology (Zhipu AI) appears in the Consolidated Screening List as an Entity List entry.", 1),
    ];

    /// <summary>A file of the episode (<c>Episode/…</c>, embedded).</summary>
    public static string Read(string name)
    {
        // the resources keep their folder in the name, with the build machine's separator
        var assembly = Assembly.GetExecutingAssembly();
        var resource = assembly.GetManifestResourceNames().FirstOrDefault(r => r.Replace('\\', '/') == $"ComplianceWatch.Demo.Episode.{name}")
            ?? throw new InvalidOperationException($"The demo's episode file '{name}' is not embedded in ComplianceWatch.Demo.");
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// A page or feed of the demo's sites (<c>Episode/site/NAME</c>) as it is at <paramref name="step"/>: each slot
    /// <c>&lt;!--demo:SLOT--&gt;</c> shows its <c>before</c> text until the page's step in <c>site/changes.json</c>, then its <c>after</c> text.
    /// </summary>
    public static string SitePage(string name, int step)
    {
        var page = JsonNode.Parse(Read("site/changes.json"))!["pages"]![name]
            ?? throw new InvalidOperationException($"site/changes.json has no entry for the page '{name}'.");
        var when = page["step"]!.GetValue<int>() <= step ? "after" : "before";
        var text = Read("site/" + name);
        foreach (var (slot, value) in page["slots"]!.AsObject())
        {
            text = text.Replace($"<!--demo:{slot}-->", value![when]!.GetValue<string>(), StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>The Federal Register documents published by the end of <paramref name="step"/>.</summary>
    public static IReadOnlyList<FakeDocument> FederalRegisterDocuments(int step)
    {
        var agencies = new[] { FakeAgency.Commerce, FakeAgency.Bis, FakeAgency.Treasury, FakeAgency.Ofac, FakeAgency.InvestmentSecurity }.ToDictionary(a => a.Slug, StringComparer.Ordinal);
        var documents = JsonNode.Parse(Read("federal-register.json"))!["documents"]!.AsArray();
        return documents
            .Where(d => d!["step"]!.GetValue<int>() <= step)
            .Select(d => new FakeDocument
            {
                DocumentNumber = d!["documentNumber"]!.GetValue<string>(),
                Title = d["title"]!.GetValue<string>(),
                Type = d["type"]!.GetValue<string>(),
                Abstract = d["abstract"]?.GetValue<string>(),
                Agencies = d["agencies"]!.AsArray().Select(a => agencies[a!.GetValue<string>()]).ToArray(),
                PublicationDate = Date(d["publicationDate"]!)!.Value,
                EffectiveOn = Date(d["effectiveOn"]),
                Cfr = (d["cfr"] as JsonArray ?? []).Select(c => (c!["title"]!.GetValue<int>(), c["part"]!.GetValue<int>())).ToArray(),
            })
            .ToArray();

        static DateOnly? Date(JsonNode? node) => node is null ? null : DateOnly.ParseExact(node.GetValue<string>(), "yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    /// <summary>The Consolidated Screening List (CSL JSON) at the end of <paramref name="step"/>.</summary>
    public static string ScreeningList(int step)
    {
        var entries = JsonNode.Parse(Read("screening.json"))!["entries"]!.AsArray()
            .Where(e => e!["step"]!.GetValue<int>() <= step)
            .Select(e => new ListEntry(
                e!["id"]!.GetValue<string>(),
                e["name"]!.GetValue<string>(),
                e["altNames"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray(),
                Programs: e["programs"]!.AsArray().Select(p => p!.GetValue<string>()).ToArray(),
                StartDate: e["startDate"]?.GetValue<string>(),
                Country: e["country"]!.GetValue<string>()));
        return ScreeningLists.Csl(entries);
    }

    /// <summary>What Globalping probes in <paramref name="country"/> get from api.openai.com at <paramref name="step"/>: three probes.</summary>
    public static IReadOnlyList<JsonObject> ProbeResults(string country, int step)
    {
        var blocked = step >= 2 && country is "CN" or "HK";
        var (status, body) = blocked ? (403, FakeGlobalping.OpenAiUnsupportedRegion) : (401, FakeGlobalping.OpenAiMissingKey);
        return [FakeGlobalping.Http(country, status, body), FakeGlobalping.Http(country, status, body), FakeGlobalping.Http(country, status, body)];
    }

    /// <summary>The days the Federal Register window must reach back on <paramref name="today"/> to cover the episode.</summary>
    public static int LookbackDays(DateOnly today) => Math.Clamp(today.DayNumber - EpisodeStart.DayNumber + 1, 30, 3650);
}
