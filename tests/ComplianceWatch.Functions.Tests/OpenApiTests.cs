using ComplianceWatch.Api;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace ComplianceWatch.Functions.Tests;

/// <summary>The hand-written OpenAPI document parses as OpenAPI 3 without errors and describes exactly the routes the app serves.</summary>
public sealed class OpenApiTests
{
    private static async Task<(OpenApiDocument Document, OpenApiDiagnostic Diagnostic)> ParseAsync()
    {
        var settings = new OpenApiReaderSettings();
        settings.AddYamlReader();
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(ComplianceWatchApi.OpenApiDocument));
        var result = await OpenApiDocument.LoadAsync(stream, "yaml", settings);
        return (result.Document!, result.Diagnostic!);
    }

    [Fact]
    public async Task Document_ParsesAsOpenApi3_WithoutErrorsOrWarnings()
    {
        var (document, diagnostic) = await ParseAsync();
        Assert.Empty(diagnostic.Errors);
        Assert.Empty(diagnostic.Warnings);
        Assert.StartsWith("3.", diagnostic.SpecificationVersion.ToString().Replace("OpenApi", "", StringComparison.Ordinal).Replace('_', '.'), StringComparison.Ordinal);
        Assert.Equal("/api", document.Servers!.Single().Url);
    }

    [Fact]
    public async Task Document_DescribesExactlyTheServedRoutes()
    {
        var (document, _) = await ParseAsync();
        var described = document.Paths.SelectMany(p => p.Value.Operations!.Keys.Select(m => (m.Method.ToLowerInvariant(), p.Key.TrimStart('/'))));
        var served = FunctionsMetadataTests.ReadMetadata().Values
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "httpTrigger")
            .SelectMany(b => b.GetProperty("methods").EnumerateArray().Select(m => (m.GetString()!, b.GetProperty("route").GetString()!)));
        Assert.Equal(served.Order(), described.Order());
    }

    [Fact]
    public async Task Health_IsTheOnlyOperationWithoutAFunctionKey()
    {
        var (document, _) = await ParseAsync();
        var open = document.Paths.SelectMany(p => p.Value.Operations!.Where(o => o.Value.Security is { Count: 0 }).Select(_ => p.Key));
        Assert.Equal(["/health"], open);
        Assert.NotEmpty(document.Security!);
    }

    [Fact]
    public void Endpoint_ServesTheDocument()
    {
        var result = Http.Api(ApiFunctions.GetOpenApi(Http.Get("/api/openapi.yaml")));
        Assert.Equal(200, result.StatusCode);
        Assert.StartsWith("application/yaml", result.ContentType, StringComparison.Ordinal);
        Assert.Equal(ComplianceWatchApi.OpenApiDocument, result.Body);
    }
}
