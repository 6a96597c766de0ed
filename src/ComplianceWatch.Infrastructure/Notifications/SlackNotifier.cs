using ComplianceWatch.Core;
using ComplianceWatch.Core.Notifications;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Infrastructure.Notifications;

/// <summary>Slack through an incoming webhook: Block Kit, ~1 message per second, 429 Retry-After honoured by the dispatcher.</summary>
public sealed class SlackNotifier(IHttpClientFactory httpClientFactory, IOptions<NotificationOptions> options, TimeProvider time) : INotifier
{
    public string ChannelType => ChannelTypes.Slack;

    public int MaxDigestEvents => SlackMessageBuilder.MaxDigestEvents;

    public SinkLimits Limits => new(options.Value.SlackMinInterval);

    public async Task<DeliveryOutcome> SendAsync(Notification notification, ISendContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentNullException.ThrowIfNull(context);
        var channel = (SlackChannelDefinition)notification.Channel;
        var json = SlackMessageBuilder.Build(notification, options.Value).ToJsonString(JsonDefaults.Options);
        await context.PaceAsync(cancellationToken);
        var client = httpClientFactory.CreateClient(WebhookPoster.ClientName);
        return await WebhookPoster.PostAsync(client, channel.WebhookUrl, json, $"slack channel '{channel.Name}'", time, options.Value.HttpTimeout, cancellationToken);
    }
}
