using ComplianceWatch.Api;
using ComplianceWatch.Browser;
using ComplianceWatch.Functions;
using ComplianceWatch.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;

// The ComplianceWatch Functions app: thin triggers over the same Core pipeline the tool runs. Every setting it needs
// is validated when the host starts; a missing or invalid one, or an unresolved Key Vault reference, stops it with a
// message naming the setting.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// exception handling once, for HTTP invocations only (timers and queue jobs fail, so the host retries them)
builder.UseWhen<HttpExceptionMiddleware>(HttpExceptionMiddleware.IsHttpInvocation);

builder.Services
    .AddComplianceWatchCore()                           // Core: pipeline settings (validated at start), checkers, runner
    .AddComplianceWatchHttp()                           // Infrastructure: typed fetch client with SSRF guard and resilience
    .AddComplianceWatchBrowser()                        // Browser: render: true sources, on ComplianceWatch__Browser__Endpoint
    .AddComplianceWatchAzure(builder.Configuration)     // Infrastructure: Table Storage state, Service Bus publisher
    .AddComplianceWatchApi()                            // Api: the audit API's handlers
    .AddComplianceWatchFunctions()                      // this app: its settings, catalog, check queue, fan-out, relay
    .AddComplianceWatchDispatcher(builder.Configuration); // this app: alerting (drain the subscription, deliver), when enabled

// traces, metrics and logs through OpenTelemetry, to Application Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set
builder.Services.AddOpenTelemetry()
    .UseFunctionsWorkerDefaults()
    .UseAzureMonitorWhenConfigured(builder.Configuration);

builder.Build().Run();
