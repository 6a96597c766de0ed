using ComplianceWatch.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace ComplianceWatch.Functions;

/// <summary>
/// Exception handling once, for HTTP invocations only: an unexpected exception becomes a 500 problem document that
/// names the invocation id (the exception's message may carry an account URL or worse, so it goes to the log, not the
/// client). Timer and queue invocations are left to fail, so the host's retries and poison queue apply.
/// </summary>
public sealed partial class HttpExceptionMiddleware(ILogger<HttpExceptionMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public static bool IsHttpInvocation(FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.FunctionDefinition.InputBindings.Values.Any(b => string.Equals(b.Type, "httpTrigger", StringComparison.OrdinalIgnoreCase));
    }

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            await next(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            LogUnhandled(logger, ex, context.FunctionDefinition.Name, context.InvocationId);
            if (context.GetHttpContext() is not { Response.HasStarted: false } http)
            {
                throw;
            }

            http.Response.Clear();
            await ApiResult.Problem(
                StatusCodes.Status500InternalServerError,
                "Internal error",
                $"The request could not be completed; the error was logged with invocation id {context.InvocationId}.").ExecuteAsync(http);
        }
    }

    [LoggerMessage(EventId = 7301, Level = LogLevel.Error, Message = "HTTP function {Function} failed (invocation {InvocationId})")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string function, string invocationId);
}
