using ComplianceWatch.Cli;
using ComplianceWatch.Core.Catalog;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

// a catalog that passed the schema is not evaluated against it again while its text, the schema and the tool are unchanged
var environment = new CliEnvironment(Console.Out, Console.Error) { CatalogCache = SchemaValidationCache.ForUser() };
return await CliApp.RunAsync(args, environment, cancellation.Token);
