using System.Collections.Concurrent;
using System.Globalization;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Infrastructure.Http;
using Microsoft.Extensions.Options;
using Octokit;
using Octokit.Internal;
using Notification = ComplianceWatch.Core.Notifications.Notification;

namespace ComplianceWatch.Infrastructure.Notifications;

/// <summary>
/// GitHub issues through Octokit (API base URL configurable for GitHub Enterprise Server: <c>https://HOST/api/v3/</c>).
/// One issue per change event; labels created if missing; every content-creating request paced (serial, ≥ 1 s apart,
/// 80/min, 500/h). When an earlier attempt may have created the issue, it first lists the repository's issues with the
/// <c>compliancewatch</c> label (not the search API, whose index lags) and looks for the event's marker. A recovery
/// comments on and closes the issue it ends. Rate limits: 403/429 → <c>retry-after</c>, else <c>x-ratelimit-reset</c>,
/// else a minute — read from the response, since Octokit maps a 429 to a plain <see cref="ApiException"/>.
/// </summary>
public sealed class GitHubNotifier(IOptions<NotificationOptions> options, IOptionsMonitor<ComplianceWatchOptions> settings, TimeProvider time) : INotifier, IDisposable
{
    private static readonly string Version = typeof(GitHubNotifier).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    private readonly ConcurrentDictionary<string, (GitHubClient Client, HttpMessageHandler Handler)> clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HashSet<string>> knownLabels = new(StringComparer.Ordinal);

    public string ChannelType => ChannelTypes.GitHub;

    public int MaxDigestEvents => 1;

    public SinkLimits Limits => new(options.Value.GitHubMinInterval, options.Value.GitHubPerMinute, options.Value.GitHubPerHour);

    public async Task<DeliveryOutcome> SendAsync(Notification notification, ISendContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentNullException.ThrowIfNull(context);
        var channel = (GitHubChannelDefinition)notification.Channel;
        var client = Client(channel);
        var sink = $"github channel '{channel.Name}' ({channel.Repository})";
        var creating = false;
        try
        {
            if (notification.IsTest)
            {
                await EnsureLabelsAsync(client, channel, [GitHubIssueBuilder.Label], context, cancellationToken);
                await context.PaceAsync(cancellationToken);
                creating = true;
                var test = new NewIssue("[test] ComplianceWatch notification test") { Body = GitHubIssueBuilder.TestBody(channel.Name) };
                test.Labels.Add(GitHubIssueBuilder.Label);
                var created = await client.Issue.Create(channel.Owner, channel.RepositoryName, test);
                creating = false;
                await context.PaceAsync(cancellationToken);
                await client.Issue.Update(channel.Owner, channel.RepositoryName, created.Number, new IssueUpdate { State = ItemState.Closed, StateReason = ItemStateReason.Completed });
                return DeliveryOutcome.Delivered(created.Number.ToString(CultureInfo.InvariantCulture));
            }

            var item = notification.Items[0];
            if (item.Thread is { Role: ThreadRole.Closes } thread)
            {
                return await CloseAsync(client, channel, item, thread, context, cancellationToken);
            }

            var evt = item.Event;
            if (item.MaybeSent && await FindAsync(client, channel, ItemStateFilter.All, item.QueuedAt.AddMinutes(-10), m => m.EventId == evt.Id) is { } existing)
            {
                return DeliveryOutcome.Delivered(existing.Number.ToString(CultureInfo.InvariantCulture));
            }

            var labels = GitHubIssueBuilder.Labels(evt);
            await EnsureLabelsAsync(client, channel, labels, context, cancellationToken);
            var issue = new NewIssue(GitHubIssueBuilder.Title(evt)) { Body = GitHubIssueBuilder.Body(item, options.Value) };
            foreach (var label in labels)
            {
                issue.Labels.Add(label);
            }

            await context.PaceAsync(cancellationToken);
            creating = true;
            var opened = await client.Issue.Create(channel.Owner, channel.RepositoryName, issue);
            return DeliveryOutcome.Delivered(opened.Number.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is not DeliveryDeferredException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            return Map(ex, sink, creating);
        }
    }

    private static async Task<DeliveryOutcome> CloseAsync(GitHubClient client, GitHubChannelDefinition channel, NotificationItem item, EventThread thread, ISendContext context, CancellationToken cancellationToken)
    {
        int? number = int.TryParse(item.OpenReference, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
        if (number is null && await FindAsync(client, channel, ItemStateFilter.Open, null, m => m.Thread == thread.Key) is { } open)
        {
            number = open.Number;
        }

        if (number is not { } issueNumber)
        {
            return DeliveryOutcome.Delivered(); // nothing open to close: the alert was never opened here
        }

        var current = await client.Issue.Get(channel.Owner, channel.RepositoryName, issueNumber);
        if (current.State.Value == ItemState.Closed)
        {
            return DeliveryOutcome.Delivered(issueNumber.ToString(CultureInfo.InvariantCulture));
        }

        var comments = item.MaybeSent ? await client.Issue.Comment.GetAllForIssue(channel.Owner, channel.RepositoryName, issueNumber) : [];
        if (!comments.Any(c => GitHubIssueBuilder.ReadMarkers(c.Body).EventId == item.Event.Id))
        {
            await context.PaceAsync(cancellationToken);
            await client.Issue.Comment.Create(channel.Owner, channel.RepositoryName, issueNumber, GitHubIssueBuilder.RecoveryComment(item));
        }

        await context.PaceAsync(cancellationToken);
        await client.Issue.Update(channel.Owner, channel.RepositoryName, issueNumber, new IssueUpdate { State = ItemState.Closed, StateReason = ItemStateReason.Completed });
        return DeliveryOutcome.Delivered(issueNumber.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Lists issues with the ComplianceWatch label (newest first) and returns the first whose trailing markers match.</summary>
    private static async Task<Issue?> FindAsync(GitHubClient client, GitHubChannelDefinition channel, ItemStateFilter state, DateTimeOffset? since, Func<(string? EventId, string? Thread), bool> match)
    {
        var request = new RepositoryIssueRequest { State = state, SortProperty = IssueSort.Created, SortDirection = SortDirection.Descending, Since = since };
        request.Labels.Add(GitHubIssueBuilder.Label);
        var issues = await client.Issue.GetAllForRepository(channel.Owner, channel.RepositoryName, request, new ApiOptions { PageSize = 100, PageCount = 10 });
        return issues.FirstOrDefault(i => i.PullRequest is null && match(GitHubIssueBuilder.ReadMarkers(i.Body)));
    }

    private async Task EnsureLabelsAsync(GitHubClient client, GitHubChannelDefinition channel, IReadOnlyList<string> labels, ISendContext context, CancellationToken cancellationToken)
    {
        if (!knownLabels.TryGetValue(channel.Name, out var known))
        {
            var existing = await client.Issue.Labels.GetAllForRepository(channel.Owner, channel.RepositoryName, new ApiOptions { PageSize = 100 });
            known = new HashSet<string>(existing.Select(l => l.Name), StringComparer.OrdinalIgnoreCase);
            knownLabels[channel.Name] = known;
        }

        foreach (var label in labels)
        {
            lock (known)
            {
                if (known.Contains(label))
                {
                    continue;
                }
            }

            await context.PaceAsync(cancellationToken);
            try
            {
                await client.Issue.Labels.Create(channel.Owner, channel.RepositoryName, new NewLabel(label, GitHubIssueBuilder.LabelColor(label)));
            }
            catch (ApiValidationException)
            {
                // created meanwhile (422 already_exists)
            }

            lock (known)
            {
                known.Add(label);
            }
        }
    }

    private DeliveryOutcome Map(Exception ex, string sink, bool creating)
    {
        switch (ex)
        {
            case ApiException api:
            {
                var status = (int)api.StatusCode;
                var headers = api.HttpResponse?.Headers;
                if (status is 403 or 429)
                {
                    var now = time.GetUtcNow();
                    if (Header(headers, "Retry-After") is { } retryAfter && int.TryParse(retryAfter, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
                    {
                        return DeliveryOutcome.Deferred(now.AddSeconds(Math.Max(1, seconds)), "rate-limited", $"{sink}: HTTP {status}, retry after {seconds} s");
                    }

                    if (Header(headers, "x-ratelimit-remaining") == "0" && Header(headers, "x-ratelimit-reset") is { } reset &&
                        long.TryParse(reset, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch))
                    {
                        var at = DateTimeOffset.FromUnixTimeSeconds(epoch);
                        return DeliveryOutcome.Deferred(at > now ? at : now.AddSeconds(1), "rate-limited", $"{sink}: HTTP {status}, rate limit resets at {at:u}");
                    }

                    if (status == 429 || api is RateLimitExceededException or SecondaryRateLimitExceededException ||
                        api.Message.Contains("rate limit", StringComparison.OrdinalIgnoreCase))
                    {
                        return DeliveryOutcome.Deferred(now.AddMinutes(1), "rate-limited", $"{sink}: HTTP {status} (rate limited), backing off a minute");
                    }

                    return DeliveryOutcome.Failed("forbidden", $"{sink}: HTTP 403: {api.Message} (check the token's permissions on the repository)");
                }

                return status switch
                {
                    401 => DeliveryOutcome.Failed("unauthorized", $"{sink}: HTTP 401: the token was refused"),
                    404 => DeliveryOutcome.Failed("not-found", $"{sink}: HTTP 404: the repository does not exist or the token cannot see it"),
                    410 => DeliveryOutcome.Failed("gone", $"{sink}: HTTP 410: issues are disabled in the repository"),
                    422 => DeliveryOutcome.Rejected("rejected", $"{sink}: HTTP 422: {api.Message}"),
                    >= 500 => DeliveryOutcome.Failed("http-5xx", $"{sink}: HTTP {status}: {api.Message}", maybeSent: creating),
                    _ => DeliveryOutcome.Failed("http-4xx", $"{sink}: HTTP {status}: {api.Message}"),
                };
            }

            case HttpRequestException http:
                return WebhookPoster.Network(http, sink) with { MaybeSent = creating };
            case OperationCanceledException:
                return DeliveryOutcome.Failed("timeout", $"{sink} did not answer in time", maybeSent: creating);
            default:
                return DeliveryOutcome.Failed("internal", $"{sink}: {ex.GetType().Name}: {ex.Message}", maybeSent: creating);
        }
    }

    private static string? Header(IReadOnlyDictionary<string, string>? headers, string name) =>
        headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private GitHubClient Client(GitHubChannelDefinition channel) =>
        clients.GetOrAdd(channel.Name, _ =>
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = GuardedConnector.Create(() => settings.CurrentValue.AllowPrivateNetwork),
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                UseProxy = true,
            };
            var connection = new Connection(
                new Octokit.ProductHeaderValue("ComplianceWatch", Version),
                channel.ApiUrl,
                new InMemoryCredentialStore(new Credentials(channel.Token)),
                new HttpClientAdapter(() => handler),
                new SimpleJsonSerializer());
            connection.SetRequestTimeout(options.Value.HttpTimeout);
            return (new GitHubClient(connection), handler);
        }).Client;

    public void Dispose()
    {
        foreach (var (_, handler) in clients.Values)
        {
            handler.Dispose();
        }

        clients.Clear();
    }
}
