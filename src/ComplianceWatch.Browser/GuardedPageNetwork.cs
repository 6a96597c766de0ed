using System.Buffers;
using System.Net;
using ComplianceWatch.Core.Net;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Infrastructure.Http;
using Microsoft.Playwright;

namespace ComplianceWatch.Browser;

/// <summary>
/// The network of one rendered page. Every request the page makes (the document, scripts, styles, frames, XHR and
/// fetch) is routed here and sent by our
/// own HTTP client, whose connections go through the <see cref="GuardedConnector"/>: the host is resolved once, a
/// refused address is refused before any connection is opened, and the connection goes to the address checked.
/// Redirects are never handed to the browser (Chromium follows a fulfilled redirect itself, past the route): a
/// resource's redirects are followed here, hop by hop through the guard; the document's make the renderer navigate
/// anew. The browser itself never connects anywhere; WebSockets are answered here and never connected.
/// </summary>
internal sealed class GuardedPageNetwork(HttpClient http, BrowserTraffic traffic, bool allowPrivateNetwork, long maxBytes, TimeSpan attemptTimeout, CancellationToken pageToken)
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

    private const int MaxRedirects = 10;

    /// <summary>Where the page's own document moved to (a redirect of the main-frame navigation), for the renderer to navigate to.</summary>
    public Uri? DocumentRedirect { get; set; }

    /// <summary>Why the page's own document (a main-frame navigation) could not be had, when it could not.</summary>
    public (string Category, string Message)? DocumentFailure { get; private set; }

    public async Task HandleAsync(IRoute route)
    {
        var request = route.Request;
        var isDocument = IsMainDocument(request);
        Uri? current = null;
        try
        {
            if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                Refuse(request, isDocument, ErrorCategories.BlockedAddress, $"only http and https requests leave the browser, not {request.Url}");
                await AbortAsync(route, "blockedbyclient");
                return;
            }

            var headers = await request.AllHeadersAsync();
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(pageToken);
            attempt.CancelAfter(attemptTimeout);
            var method = request.Method;
            var payload = request.PostDataBuffer;
            current = url;
            HttpResponseMessage response;
            for (var hop = 0; ; hop++)
            {
                // a hop to another origin carries none of the first origin's credentials
                var sameOrigin = Uri.Compare(current, url, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
                RefuseLiteralAddress(current);
                using var message = ToMessage(method, current, headers, payload, sameOrigin);
                response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
                if ((int)response.StatusCode is not (301 or 302 or 303 or 307 or 308) || response.Headers.Location is not { } location)
                {
                    break;
                }

                var next = new Uri(current, location);
                response.Dispose();
                if (isDocument)
                {
                    // the page's own document moves: the renderer navigates there, so the page has its real address;
                    // a redirect handed to the browser would be followed by the browser itself, past this route
                    traffic.Record(new BrowserRequest(method, current.ToString(), request.ResourceType, "redirected", next.ToString()));
                    DocumentRedirect = next;
                    await AbortAsync(route, "aborted");
                    return;
                }

                traffic.Record(new BrowserRequest(method, current.ToString(), request.ResourceType, "redirected", next.ToString()));
                if (hop >= MaxRedirects || next.Scheme is not ("http" or "https"))
                {
                    Refuse(request, isDocument, ErrorCategories.InvalidContent, $"{url} redirects too often or to a scheme that is not http(s)");
                    await AbortAsync(route, "failed");
                    return;
                }

                if ((int)response.StatusCode == 303 || ((int)response.StatusCode is 301 or 302 && method == "POST"))
                {
                    method = "GET";
                    payload = null;
                }

                current = next;
            }

            using var _ = response;
            var body = await ReadAsync(response, attempt.Token);
            if (body is null)
            {
                Refuse(request, isDocument, ErrorCategories.TooLarge, $"a response of the page ({current}) exceeds the cap of {maxBytes:N0} bytes (after decompression)");
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
            Refuse(request, isDocument, category, reason, current);
            await AbortAsync(route, category == ErrorCategories.BlockedAddress ? "blockedbyclient" : category == ErrorCategories.Timeout ? "timedout" : "failed");
        }
    }

    /// <summary>
    /// An address written in the URL is judged before anything is sent, even when the standard proxy variables send
    /// the request through a proxy (which the connect-time guard trusts and which would resolve the target itself).
    /// </summary>
    private void RefuseLiteralAddress(Uri url)
    {
        if (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && !AddressGuard.IsAllowed(address, allowPrivateNetwork))
        {
            traffic.Record(new AddressDecision(url.Host, url.Port, [address], false, false));
            throw new BlockedAddressException(url.Host, address, AddressGuard.Classify(address) == AddressVerdict.Private);
        }
    }

    /// <summary>A WebSocket the page opens is never connected: it is closed as soon as it opens.</summary>
    public Task RefuseWebSocketAsync(IWebSocketRoute socket)
    {
        traffic.Record(new BrowserRequest("GET", socket.Url, "websocket", "refused", "WebSockets are not connected from rendered pages"));
        return socket.CloseAsync(new WebSocketRouteCloseOptions { Code = 1008, Reason = "not allowed" });
    }

    private void Refuse(IRequest request, bool isDocument, string category, string reason, Uri? hop = null)
    {
        traffic.Record(new BrowserRequest(request.Method, hop?.ToString() ?? request.Url, request.ResourceType, "refused", $"{category}: {reason}"));
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

    private static HttpRequestMessage ToMessage(string method, Uri url, Dictionary<string, string> headers, byte[]? body, bool sameOrigin)
    {
        var message = new HttpRequestMessage(new HttpMethod(method), url);
        var contentHeaders = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in headers)
        {
            if (name.StartsWith(':') || RequestHeadersNotForwarded.Contains(name) ||
                (!sameOrigin && (name.Equals("cookie", StringComparison.OrdinalIgnoreCase) || name.Equals("authorization", StringComparison.OrdinalIgnoreCase))))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                contentHeaders.Add(new(name, value));
            }
        }

        if (body is { Length: > 0 })
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
