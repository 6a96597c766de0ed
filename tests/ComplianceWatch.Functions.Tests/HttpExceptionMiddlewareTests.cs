using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;

namespace ComplianceWatch.Functions.Tests;

/// <summary>The exception middleware, on <see cref="FunctionContext"/> substitutes: HTTP invocations only, a problem document, no leak.</summary>
public sealed class HttpExceptionMiddlewareTests
{
    private static FunctionContext Context(string triggerType, HttpContext? http = null)
    {
        var binding = Substitute.For<BindingMetadata>();
        binding.Type.Returns(triggerType);
        binding.Name.Returns("trigger");
        var definition = Substitute.For<FunctionDefinition>();
        definition.Name.Returns("RunAudit");
        definition.InputBindings.Returns(ImmutableDictionary<string, BindingMetadata>.Empty.Add("trigger", binding));
        var context = Substitute.For<FunctionContext>();
        context.FunctionDefinition.Returns(definition);
        context.InvocationId.Returns("0f8fad5b-d9cb-469f-a165-70867728950e");
        context.CancellationToken.Returns(CancellationToken.None);
        var items = new Dictionary<object, object>();
        if (http is not null)
        {
            items["HttpRequestContext"] = http; // where the ASP.NET Core integration keeps the invocation's HttpContext
        }

        context.Items.Returns(items);
        return context;
    }

    [Theory]
    [InlineData("httpTrigger", true)]
    [InlineData("timerTrigger", false)]
    [InlineData("queueTrigger", false)]
    public void AppliesToHttpInvocationsOnly(string trigger, bool applies) =>
        Assert.Equal(applies, HttpExceptionMiddleware.IsHttpInvocation(Context(trigger)));

    [Fact]
    public async Task UnhandledException_BecomesA500ProblemNamingTheInvocation_WithoutTheExceptionsMessage()
    {
        var http = new DefaultHttpContext();
        http.Response.Body = new MemoryStream();
        var context = Context("httpTrigger", http);
        var middleware = new HttpExceptionMiddleware(NullLogger<HttpExceptionMiddleware>.Instance);

        await middleware.Invoke(context, _ => throw new InvalidOperationException("connection to https://secret.table.core.windows.net refused"));

        Assert.Equal(500, http.Response.StatusCode);
        Assert.StartsWith("application/problem+json", http.Response.ContentType, StringComparison.Ordinal);
        http.Response.Body.Position = 0;
        using var problem = await JsonDocument.ParseAsync(http.Response.Body);
        Assert.Equal(500, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Contains("0f8fad5b-d9cb-469f-a165-70867728950e", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("secret", problem.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoException_LeavesTheResponseAlone()
    {
        var http = new DefaultHttpContext();
        var context = Context("httpTrigger", http);
        var ran = false;
        await new HttpExceptionMiddleware(NullLogger<HttpExceptionMiddleware>.Instance).Invoke(context, _ =>
        {
            ran = true;
            return Task.CompletedTask;
        });
        Assert.True(ran);
        Assert.Equal(200, http.Response.StatusCode);
    }

    [Fact]
    public async Task WithoutAnHttpContext_TheExceptionPropagates()
    {
        var context = Context("httpTrigger");
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new HttpExceptionMiddleware(NullLogger<HttpExceptionMiddleware>.Instance).Invoke(context, _ => throw new InvalidOperationException("boom")));
    }
}
