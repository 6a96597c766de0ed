using System.Text.Json;

namespace ComplianceWatch.Testing;

/// <summary>Writes catalogs of federal-register, feed and screening sources for tests.</summary>
public static class RegulatoryCatalogs
{
    public static string FederalRegister(string endpoint, string id = "bis-rules", string[]? agencies = null, string[]? types = null, string[]? terms = null,
        bool publicInspection = true, int lookbackDays = 30, (int Title, int Part)? cfr = null, string? severity = null)
    {
        var source = new Dictionary<string, object?>
        {
            ["id"] = id, ["kind"] = "federal-register", ["title"] = $"Federal Register ({id})", ["tags"] = new[] { "export-controls" },
            ["agencies"] = agencies ?? ["industry-and-security-bureau"], ["types"] = types ?? ["RULE"],
            ["publicInspection"] = publicInspection, ["endpoint"] = endpoint,
        };
        if (terms is not null) { source["terms"] = terms; }
        if (cfr is { } c) { source["cfr"] = new { title = c.Title, part = c.Part }; }
        if (severity is not null) { source["severity"] = severity; }
        return JsonSerializer.Serialize(new { settings = new { lookbackDays }, sources = new[] { source } });
    }

    public static string Feed(Uri url, string id = "treasury-press", string[]? match = null)
    {
        var source = new Dictionary<string, object?> { ["id"] = id, ["kind"] = "feed", ["title"] = $"Press releases ({id})", ["url"] = url.ToString() };
        if (match is not null) { source["match"] = match; }
        return JsonSerializer.Serialize(new { sources = new[] { source } });
    }

    public static string Screening(Uri url, string format = "csl-json", string id = "vendor-screening", params (string Name, string[] Aliases)[] entities) =>
        JsonSerializer.Serialize(new
        {
            sources = new[]
            {
                new Dictionary<string, object?>
                {
                    ["id"] = id, ["kind"] = "screening", ["title"] = $"Vendor screening ({id})",
                    ["list"] = new { url = url.ToString(), format },
                    ["entities"] = entities.Select(e => new { name = e.Name, aliases = e.Aliases }).ToArray(),
                },
            },
        });
}
