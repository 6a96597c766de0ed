using System.CommandLine;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Cli;

/// <summary>
/// <c>--config FILE</c>: the channels and subscriptions. Loaded (and its <c>%NAME%</c> references resolved from the
/// environment and settings) before anything runs, so a bad file stops the tool with exit 2 and nothing written.
/// </summary>
internal static class NotificationSetup
{
    internal static readonly Option<string?> ConfigOption = new("--config")
    {
        Description = "Channels and subscriptions (JSON with comments): who is notified of what",
        Recursive = true,
    };

    /// <summary>Registers delivery when <c>--config</c> is given: the dispatcher, the notifiers and the embedded delivery ledger.</summary>
    internal static void Register(IServiceCollection services, ParseResult parse, IConfiguration configuration, string stateDirectory)
    {
        var file = parse.GetValue(ConfigOption);
        if (string.IsNullOrWhiteSpace(file))
        {
            return;
        }

        string json;
        try
        {
            json = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NotificationConfigException([$"{file}: cannot read the channels file: {ex.Message}"]);
        }

        var config = NotificationConfigLoader.Parse(json, file, name => Lookup(configuration, name));
        services.AddComplianceWatchNotifications(config);
        services.AddEmbeddedDeliveryLedger(stateDirectory);
    }

    /// <summary>Checks the delivery settings at start (a bad one stops the tool naming it).</summary>
    internal static void Validate(IServiceProvider services)
    {
        if (services.GetService<NotificationConfig>() is not null)
        {
            _ = services.GetRequiredService<IOptions<NotificationOptions>>().Value;
        }
    }

    /// <summary><c>%NAME%</c>: an environment variable or setting; <c>A__B</c> also finds the setting <c>A:B</c>.</summary>
    internal static string? Lookup(IConfiguration configuration, string name) =>
        configuration[name] is { Length: > 0 } value ? value : configuration[name.Replace("__", ":", StringComparison.Ordinal)];

    internal static NotificationConfig RequireConfig(IServiceProvider services) =>
        services.GetService<NotificationConfig>() ?? throw new UsageException("this command needs --config FILE (the channels and subscriptions)");

    /// <summary>After a check: hands the outbox to the dispatcher (through the relay) and delivers what is due. Null without --config.</summary>
    internal static async Task<DispatchReport?> DeliverAsync(IServiceProvider services, ParseResult parse, CliEnvironment environment, CancellationToken cancellationToken)
    {
        if (services.GetService<NotificationDispatcher>() is not { } dispatcher)
        {
            return null;
        }

        var relay = await services.GetRequiredService<OutboxRelay>().RelayAsync(cancellationToken);
        var report = await dispatcher.DeliverDueAsync(cancellationToken);
        var json = parse.GetValue(CliApp.JsonOption);
        var quiet = parse.GetValue(CliApp.QuietOption);
        foreach (var failure in relay.Failures)
        {
            await environment.Error.WriteLineAsync($"warning: events stay in the outbox: {dispatcher.Config.Redactor.Redact(failure)}");
        }

        foreach (var problem in report.Problems)
        {
            var next = problem.Category == "rejected" ? "refused by the sink, see 'notify status'" : "kept pending, retried on the next run";
            await environment.Error.WriteLineAsync(
                $"warning: channel '{problem.Channel}'{(problem.Unhealthy ? " is unhealthy" : "")}: {problem.Category}: {problem.Message} ({next})");
        }

        if (!json && !quiet && (report.Delivered + report.Deferred + report.Failed + report.Rejected) > 0)
        {
            await environment.Out.WriteLineAsync(
                $"Notifications: {report.Delivered} delivered in {report.Messages} message{(report.Messages == 1 ? "" : "s")}, " +
                $"{report.Deferred} deferred, {report.Failed} failing, {report.Rejected} refused");
        }

        return report;
    }
}
