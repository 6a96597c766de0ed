using System.Text;
using System.Text.Json;
using ComplianceWatch.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace ComplianceWatch.Functions.Tests;

/// <summary>Requests as the ASP.NET Core integration hands them to an HTTP trigger, and the results read back.</summary>
public static class Http
{
    public static HttpRequest Request(string method, string path, string? query = null, string? body = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("compliancewatch.example");
        context.Request.Path = path;
        if (query is not null)
        {
            context.Request.QueryString = new QueryString(query.StartsWith('?') ? query : "?" + query);
        }

        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
            context.Request.ContentType = "application/json";
        }

        context.Response.Body = new MemoryStream();
        return context.Request;
    }

    public static HttpRequest Get(string path, string? query = null) => Request("GET", path, query);

    public static HttpRequest Post(string path, string? body) => Request("POST", path, body: body);

    public static ApiResult Api(IActionResult result) => Assert.IsType<ApiResult>(result);

    public static JsonElement Json(IActionResult result)
    {
        using var document = Api(result).ParseBody();
        return document.RootElement.Clone();
    }
}
