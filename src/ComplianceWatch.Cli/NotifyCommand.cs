using System.CommandLine;
using System.Text.Json;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Notifications;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace ComplianceWatch.Cli;

/// <summary><c>notify test --channel NAME</c> (0 sent, 1 failed, 2 configuration), <c>notify status</c>, <c>notify deliver</c>.</summary>
internal static class NotifyCommand
{
    internal static readonly Option<string> ChannelOption = new("--channel") { Description = "The channel (a name under 'channels' in --config)", Required = true };

    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("notify", "Channels: send a test message, show delivery status, deliver what is pending");

        var test = new Command("test", "Send a test message to one channel (GitHub: opens and closes a test issue)");
        test.Options.Add(ChannelOption);
        test.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = CliApp.BuildServices(parse, environment);
            var config = NotificationSetup.RequireConfig(services);
            var name = parse.GetValue(ChannelOption)!;
            if (!config.Channels.TryGetValue(name, out var channel))
            {
                throw new UsageException($"{config.File}: no channel '{name}' (channels: {string.Join(", ", config.Channels.Keys)})");
            }

            var outcome = await services.GetRequiredService<NotificationDispatcher>().SendTestAsync(name, cancellationToken);
            var ok = outcome.Status == DeliveryStatus.Delivered;
            if (parse.GetValue(CliApp.JsonOption))
            {
                await environment.Out.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    channel = name, type = channel.Type, sent = ok, reference = outcome.Reference,
                    category = ok ? null : outcome.ErrorCategory, message = ok ? null : outcome.Error,
                }, JsonDefaults.Indented));
            }
            else if (ok)
            {
                if (!parse.GetValue(CliApp.QuietOption))
                {
                    await environment.Out.WriteLineAsync($"Test message sent to channel '{name}' ({channel.Type}){(outcome.Reference is { } r && channel.Type == ChannelTypes.GitHub ? $": issue #{r}, closed" : "")}.");
                }
            }

            if (!ok)
            {
                await environment.Error.WriteLineAsync($"error: channel '{name}': {outcome.ErrorCategory}: {outcome.Error}");
            }

            return ok ? CliApp.ExitOk : CliApp.ExitFailed;
        });

        var status = new Command("status", "Show per channel what was delivered, what is pending or refused, and the channel's health");
        status.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = CliApp.BuildServices(parse, environment);
            var config = NotificationSetup.RequireConfig(services);
            var ledger = services.GetRequiredService<IDeliveryLedger>();
            var rows = new List<object>();
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var column in new[] { "Channel", "Type", "Delivered", "Pending", "Refused", "Health" })
            {
                table.AddColumn(column);
            }

            foreach (var (name, channel) in config.Channels)
            {
                var records = await ledger.ListAsync(name, cancellationToken);
                var state = await ledger.GetChannelStateAsync(name, cancellationToken);
                var pending = records.Count(r => r.State is DeliveryState.Pending or DeliveryState.Claimed);
                var refused = records.Where(r => r.State == DeliveryState.Failed).ToArray();
                var health = state is { ConsecutiveFailures: > 0 } ? $"{state.ConsecutiveFailures} failures: {state.LastErrorCategory}: {state.LastError}" : "ok";
                rows.Add(new
                {
                    channel = name, type = channel.Type, delivered = records.Count(r => r.State == DeliveryState.Delivered), pending,
                    refused = refused.Select(r => new { eventId = r.EventId, category = r.LastErrorCategory, message = r.LastError }),
                    nextAttempt = records.Where(r => r.State == DeliveryState.Pending).Min(r => r.NotBefore),
                    consecutiveFailures = state?.ConsecutiveFailures ?? 0, lastError = state?.LastError,
                });
                table.AddRow(Markup.Escape(name), channel.Type, records.Count(r => r.State == DeliveryState.Delivered).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    pending.ToString(System.Globalization.CultureInfo.InvariantCulture), refused.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    health == "ok" ? "[green]ok[/]" : $"[red]{Markup.Escape(health)}[/]");
            }

            if (parse.GetValue(CliApp.JsonOption))
            {
                await environment.Out.WriteLineAsync(JsonSerializer.Serialize(rows, JsonDefaults.Indented));
            }
            else
            {
                environment.CreateConsole(environment.Out).Write(table);
            }

            return CliApp.ExitOk;
        });

        var deliver = new Command("deliver", "Deliver what is pending (the outbox and deferred deliveries) without checking any source");
        deliver.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = CliApp.BuildServices(parse, environment);
            NotificationSetup.RequireConfig(services);
            var report = await NotificationSetup.DeliverAsync(services, parse, environment, cancellationToken);
            return report is { Failed: 0, Rejected: 0 } ? CliApp.ExitOk : CliApp.ExitFailed;
        });

        command.Subcommands.Add(test);
        command.Subcommands.Add(status);
        command.Subcommands.Add(deliver);
        return command;
    }
}
