using System.Buffers;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Infrastructure.Http;
using Microsoft.Playwright;

namespace ComplianceWatch.Browser;

/// <summary>
/// The network of one rendered page. Every request the page makes (the document, scripts, styles, frames, XHR and
/// fetch, each redirect hop, since redirects are handed back to the browser to follow) is routed here and sent by our
/// own HTTP client, whose connections go through the <see cref="GuardedConnector"/>: the host is resolved once, a
/// refused address is refused before any connection is opened, and the connection goes to the address checked. The
/// browser itself never connects anywhere; WebSockets are answered here and never connected.
/// </summary>
internal sealed class GuardedPageNetwork(HttpClient http, BrowserTraffic traffic, long maxBytes, TimeSpan attemptTimeout, CancellationToken pageToken)
{
    private static readonly HashSet<string> RequestHeadersNotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "connection", "keep-alive", "content-length", "transfer-encoding", "accept-encoding", "upgrade", "te", "trailer",
        "proxy-authorization", "proxy-connection",
    };

    private static readonly HashSet<string> ResponseHeadersNotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        // the body handed to the browser is already decompressed and complete
        "content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive", "trailer", "upgrade",
    };

    /// <summary>Why the page's own document (a main-frame navigation) could not be had, when it could not.</summary>
    public (string Category, string Message)? DocumentFailure { get; private set; }

    public async Task HandleAsync(IRoute route)
    {
        var request = route.Request;
        var isDocument = IsMainDocument(request);
        try
        {
            if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                Refuse(request, isDocument, ErrorCategories.BlockedAddress, $"only http and https requests leave the browser, not {request.Url}");
                await AbortAsync(route, "blockedbyclient");
                return;
            }

            using var message = await ToMessageAsync(request, url);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(pageToken);
            attempt.CancelAfter(attemptTimeout);
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
            var body = await ReadAsync(response, attempt.Token);
            if (body is null)
            {
                Refuse(request, isDocument, ErrorCategories.TooLarge, $"a response of the page ({url}) exceeds the cap of {maxBytes:N0} bytes (after decompression)");
                await AbortAsync(route, "failed");
                return;
            }

            traffic.Record(new BrowserRequest(request.Method, request.Url, request.ResourceType, "fulfilled", $"HTTP {(int)response.StatusCode}"));
            await route.FulfillAsync(new RouteFulfillOptions { Status = (int)response.StatusCode, Headers = ResponseHeaders(response), BodyBytes = body });
        }
        catch (OperationCanceledException) when (pageToken.IsCancellationRequested)
        {
            Refuse(request, isDocument, ErrorCategories.Timeout, $"{request.Url} did not answer before the page's time was up");
            await AbortAsync(route, "timedout");
        }
        catch (PlaywrightException)
        {
            // the page or its context closed while the request was in flight: nothing to answer any more
        }
        catch (Exception ex)
        {
            var host = Uri.TryCreate(request.Url, UriKind.Absolute, out var u) ? u.Host : request.Url;
            var (category, reason) = HttpContentFetcher.Categorize(ex, host) ?? (ErrorCategories.Connect, $"request to {host} failed: {ex.Message}");
            Refuse(request, isDocument, category, reason);
            await AbortAsync(route, category == ErrorCategories.BlockedAddress ? "blockedbyclient" : category == ErrorCategories.Timeout ? "timedout" : "failed");
        }
    }

    /// <summary>A WebSocket the page opens is never connected: it is closed as soon as it opens.</summary>
    public Task RefuseWebSocketAsync(IWebSocketRoute socket)
    {
        traffic.Record(new BrowserRequest("GET", socket.Url, "websocket", "refused", "WebSockets are not connected from rendered pages"));
        return socket.CloseAsync(new WebSocketRouteCloseOptions { Code = 1008, Reason = "not allowed" });
    }

    private void Refuse(IRequest request, bool isDocument, string category, string reason)
    {
        traffic.Record(new BrowserRequest(request.Method, request.Url, request.ResourceType, "refused", $"{category}: {reason}"));
        if (isDocument)
        {
            DocumentFailure ??= (category, reason);
        }
    }

    private static bool IsMainDocument(IRequest request)
    {
        try
        {
            return request.IsNavigationRequest && request.Frame.ParentFrame is null;
        }
        catch (PlaywrightException)
        {
            return false; // a request without a frame (a worker's) is no document
        }
    }

    private static async Task AbortAsync(IRoute route, string errorCode)
    {
        try
        {
            await route.AbortAsync(errorCode);
        }
        catch (PlaywrightException)
        {
            // already closed
        }
    }

    private static async Task<HttpRequestMessage> ToMessageAsync(IRequest request, Uri url)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), url);
        var contentHeaders = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in await request.AllHeadersAsync())
        {
            if (name.StartsWith(':') || RequestHeadersNotForwarded.Contains(name))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                contentHeaders.Add(new(name, value));
            }
        }

        if (request.PostDataBuffer is { Length: > 0 } body)
        {
            message.Content = new ByteArrayContent(body);
            foreach (var (name, value) in contentHeaders)
            {
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return message;
    }

    private static Dictionary<string, string> ResponseHeaders(HttpResponseMessage response)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!ResponseHeadersNotForwarded.Contains(name))
            {
                // Playwright takes several Set-Cookie values separated by new lines
                headers[name] = string.Join(name.Equals("set-cookie", StringComparison.OrdinalIgnoreCase) ? "\n" : ", ", values);
            }
        }

        return headers;
    }

    /// <summary>The body, or null when it exceeds the cap (after decompression: a compressed bomb is cut, not expanded).</summary>
    private async Task<byte[]?> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is { } length && length > maxBytes)
        {
            return null;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        while (true)
        {
            var read = await stream.ReadAsync(buffer.GetMemory(16 * 1024), cancellationToken);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                return null;
            }
        }
    }
}
