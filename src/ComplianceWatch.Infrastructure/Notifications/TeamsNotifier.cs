using ComplianceWatch.Core.Notifications;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Infrastructure.Notifications;

/// <summary>
/// Microsoft Teams through a Workflows webhook (answers 202): an Adaptive Card in the message envelope, under 28 KB,
/// at most 4 requests per second. 202 only means the flow accepted the request, not that the card was posted.
/// </summary>
public sealed class TeamsNotifier(IHttpClientFactory httpClientFactory, IOptions<NotificationOptions> options, TimeProvider time) : INotifier
{
    public string ChannelType => ChannelTypes.Teams;

    public int MaxDigestEvents => TeamsCardBuilder.MaxDigestEvents;

    public SinkLimits Limits => new(options.Value.TeamsMinInterval);

    public async Task<DeliveryOutcome> SendAsync(Notification notification, ISendContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentNullException.ThrowIfNull(context);
        var channel = (TeamsChannelDefinition)notification.Channel;
        var json = TeamsCardBuilder.Build(notification, options.Value);
        await context.PaceAsync(cancellationToken);
        var client = httpClientFactory.CreateClient(WebhookPoster.ClientName);
        return await WebhookPoster.PostAsync(client, channel.WebhookUrl, json, $"teams channel '{channel.Name}'", time, options.Value.HttpTimeout, cancellationToken);
    }
}
