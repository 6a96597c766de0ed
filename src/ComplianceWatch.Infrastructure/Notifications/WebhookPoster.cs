using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Infrastructure.Http;

namespace ComplianceWatch.Infrastructure.Notifications;

/// <summary>
/// Posts a JSON payload to a webhook once (never retried here: a retry is the dispatcher's decision, after the ledger)
/// and maps the answer to a <see cref="DeliveryOutcome"/>. Messages never contain the URL: it is the secret.
/// </summary>
internal static class WebhookPoster
{
    public const string ClientName = "ComplianceWatch.Notify";

    public static async Task<DeliveryOutcome> PostAsync(HttpClient client, Uri url, string json, string sink, TimeProvider time, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        HttpResponseMessage response;
        try
        {
            using var content = new StringContent(json, Encoding.UTF8, "application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
            response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryOutcome.Failed("timeout", $"{sink} did not answer within {timeout.TotalSeconds:0} s", maybeSent: true);
        }
        catch (HttpRequestException ex)
        {
            return Network(ex, sink);
        }

        using (response)
        {
            var body = await ReadShortAsync(response, cancellationToken);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return DeliveryOutcome.Delivered(response.Headers.TryGetValues("x-slack-req-id", out var ids) ? ids.FirstOrDefault() : null);
            }

            if (status == 429)
            {
                var retryAt = RetryAt(response.Headers, time) ?? time.GetUtcNow().AddMinutes(1);
                return DeliveryOutcome.Deferred(retryAt, "rate-limited", $"{sink} answered 429 (retry after {(retryAt - time.GetUtcNow()).TotalSeconds:0} s)");
            }

            var detail = string.IsNullOrWhiteSpace(body) ? "" : $": {body}";
            return status switch
            {
                400 or 413 or 422 => DeliveryOutcome.Rejected("rejected", $"{sink} refused the message with HTTP {status}{detail}"),
                >= 500 => DeliveryOutcome.Failed("http-5xx", $"{sink} answered HTTP {status}{detail}", maybeSent: true),
                _ => DeliveryOutcome.Failed("http-4xx", $"{sink} answered HTTP {status}{detail} (check the webhook URL setting)"),
            };
        }
    }

    public static DateTimeOffset? RetryAt(HttpResponseHeaders headers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.RetryAfter is { } retry)
        {
            if (retry.Delta is { } delta)
            {
                return time.GetUtcNow() + delta;
            }

            if (retry.Date is { } date)
            {
                return date;
            }
        }

        return headers.TryGetValues("Retry-After", out var values) && int.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? time.GetUtcNow().AddSeconds(seconds)
            : null;
    }

    public static DeliveryOutcome Network(HttpRequestException ex, string sink)
    {
        ArgumentNullException.ThrowIfNull(ex);
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is BlockedAddressException blocked)
            {
                return DeliveryOutcome.Failed("blocked-address", $"{sink}: {blocked.Message}");
            }
        }

        return DeliveryOutcome.Failed("connect", $"{sink} could not be reached: {ex.HttpRequestError}", maybeSent: ex.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.Unknown);
    }

    private static async Task<string> ReadShortAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            text = MessageContent.OneLine(text);
            return text.Length > 200 ? text[..200] : text;
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }

    public static bool IsSuccess(HttpStatusCode code) => (int)code is >= 200 and < 300;

    public static MediaTypeHeaderValue Json { get; } = new("application/json");
}
