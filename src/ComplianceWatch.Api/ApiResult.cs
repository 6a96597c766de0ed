using System.Text;
using System.Text.Json;
using ComplianceWatch.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace ComplianceWatch.Api;

/// <summary>
/// A response of the API, host-neutral: an <see cref="IResult"/> for ASP.NET Core endpoints and an
/// <see cref="IActionResult"/> for Functions HTTP triggers (ASP.NET Core integration). Tests read it directly.
/// </summary>
public sealed class ApiResult : IResult, IActionResult
{
    public const string JsonType = "application/json; charset=utf-8";
    public const string ProblemType = "application/problem+json; charset=utf-8";

    private ApiResult(int statusCode, string contentType, string body, IReadOnlyDictionary<string, string>? headers = null)
    {
        StatusCode = statusCode;
        ContentType = contentType;
        Body = body;
        Headers = headers ?? new Dictionary<string, string>();
    }

    public int StatusCode { get; }

    public string ContentType { get; }

    public string Body { get; }

    public IReadOnlyDictionary<string, string> Headers { get; }

    public static ApiResult Json<T>(T value, int statusCode = StatusCodes.Status200OK, IReadOnlyDictionary<string, string>? headers = null) =>
        new(statusCode, JsonType, JsonSerializer.Serialize(value, JsonDefaults.Indented), headers);

    public static ApiResult Text(string text, string contentType, IReadOnlyDictionary<string, string>? headers = null) =>
        new(StatusCodes.Status200OK, contentType, text, headers);

    /// <summary>An RFC 9457 problem document. <paramref name="parameter"/> names the request field at fault.</summary>
    public static ApiResult Problem(int statusCode, string title, string detail, string? parameter = null)
    {
        var problem = new Dictionary<string, object?> { ["type"] = "about:blank", ["title"] = title, ["status"] = statusCode, ["detail"] = detail };
        if (parameter is not null)
        {
            problem["parameter"] = parameter;
        }

        return new(statusCode, ProblemType, JsonSerializer.Serialize(problem, JsonDefaults.Indented));
    }

    public static ApiResult BadRequest(string detail, string? parameter = null) =>
        Problem(StatusCodes.Status400BadRequest, "Bad request", detail, parameter);

    public static ApiResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "Not found", detail);

    public JsonDocument ParseBody() => JsonDocument.Parse(Body);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = ContentType;
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }

        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(Body), httpContext.RequestAborted);
    }

    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ExecuteAsync(context.HttpContext);
    }
}
