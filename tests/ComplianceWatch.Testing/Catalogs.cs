using System.Text.Json;

namespace ComplianceWatch.Testing;

/// <summary>Writes catalog files for tests.</summary>
public static class Catalogs
{
    public static string Terms(Uri url, string id = "test-terms", string? select = null, string[]? remove = null, string[]? ignore = null, string extract = "text", string provider = "TestAI")
    {
        var source = new Dictionary<string, object?>
        {
            ["id"] = id, ["kind"] = "terms", ["title"] = $"{provider} terms ({id})", ["provider"] = provider, ["url"] = url.ToString(), ["extract"] = extract,
        };
        if (select is not null) { source["select"] = select; }
        if (remove is not null) { source["remove"] = remove; }
        if (ignore is not null) { source["ignore"] = ignore; }
        return JsonSerializer.Serialize(new { sources = new[] { source } });
    }

    /// <summary>A catalog of one reachability source.</summary>
    public static string Reachability(Uri url, string[] vantagePoints, string? control = null, int confirmations = 3, string id = "test-reach",
        string provider = "TestAI", object[]? signatures = null, string? severity = null)
    {
        var source = new Dictionary<string, object?>
        {
            ["id"] = id, ["kind"] = "reachability", ["title"] = $"{provider} API ({id})", ["provider"] = provider, ["url"] = url.ToString(),
            ["vantagePoints"] = vantagePoints, ["tags"] = new[] { "reachability" },
        };
        if (control is not null) { source["control"] = control; }
        if (signatures is not null) { source["signatures"] = signatures; }
        if (severity is not null) { source["severity"] = severity; }
        return JsonSerializer.Serialize(new { settings = new { confirmations }, sources = new[] { source } });
    }

    public static string Many(IEnumerable<(string Id, Uri Url)> sources, string? select = null) =>
        JsonSerializer.Serialize(new
        {
            sources = sources.Select(s => new Dictionary<string, object?>
            {
                ["id"] = s.Id, ["kind"] = "terms", ["title"] = s.Id, ["provider"] = "TestAI", ["url"] = s.Url.ToString(), ["select"] = select ?? "main",
            }),
        });
}
