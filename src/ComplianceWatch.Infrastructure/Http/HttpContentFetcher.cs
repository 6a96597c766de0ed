using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.RegularExpressions;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Fetching;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace ComplianceWatch.Infrastructure.Http;

/// <summary>
/// Fetches documents over HTTP(S): conditional requests, the body streamed and cut at the size cap after
/// decompression, decoded in the charset the response declares, and every failure mapped to an error category.
/// Retries and timeouts come from the resilience pipeline of the typed client (see <see cref="InfrastructureServiceCollectionExtensions"/>).
/// </summary>
public sealed partial class HttpContentFetcher(HttpClient client, IOptions<ComplianceWatchOptions> options) : IContentFetcher
{
    public const string ClientName = "compliancewatch-fetch";
    private const int ErrorExcerptBytes = 64 * 1024;

    static HttpContentFetcher() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public async Task<FetchResult> FetchAsync(FetchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Url.Scheme is not ("http" or "https"))
        {
            return FetchResult.Error(ErrorCategories.InvalidContent, $"only http and https URLs are fetched, not '{request.Url.Scheme}'");
        }

        var cap = options.Value.MaxResponseBytes;
        using var message = new HttpRequestMessage(HttpMethod.Get, request.Url);
        message.Headers.TryAddWithoutValidation("User-Agent", options.Value.UserAgent);
        message.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.8");
        message.Headers.TryAddWithoutValidation("Accept-Language", "en");
        if (request.IfNoneMatch is { } etag)
        {
            message.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        if (request.IfModifiedSince is { } since)
        {
            message.Headers.TryAddWithoutValidation("If-Modified-Since", since);
        }

        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var finalUrl = response.RequestMessage?.RequestUri ?? request.Url;
            string? Header(string name) =>
                response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
                    ? string.Join(", ", values) : null;

            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return new FetchResult { StatusCode = status, NotModified = true, FinalUrl = finalUrl, ETag = Header("ETag"), LastModified = Header("Last-Modified") };
            }

            if (!response.IsSuccessStatusCode)
            {
                var excerpt = await ReadTextAsync(response, ErrorExcerptBytes, truncate: true, cancellationToken);
                if (ChallengeDetector.BuiltIn.Match(status, Header, excerpt.Text) is { } challenge)
                {
                    return FetchResult.Error(ErrorCategories.BotChallenge, $"HTTP {status} bot challenge ({challenge.Vendor}, {challenge.Name}) from {finalUrl.Host} (a CDN asked for a browser check; not the page)", status);
                }

                var category = status >= 500 ? ErrorCategories.Http5xx : ErrorCategories.Http4xx;
                return FetchResult.Error(category, $"HTTP {status} {response.ReasonPhrase} from {finalUrl}", status);
            }

            if (response.Content.Headers.ContentLength is { } length && length > cap)
            {
                return FetchResult.Error(ErrorCategories.TooLarge, $"the response of {length:N0} bytes exceeds the cap of {cap:N0} bytes", status);
            }

            var body = await ReadTextAsync(response, cap, truncate: false, cancellationToken);
            if (body.TooLarge)
            {
                return FetchResult.Error(ErrorCategories.TooLarge, $"the response exceeds the cap of {cap:N0} bytes (after decompression)", status);
            }

            if (ChallengeDetector.BuiltIn.Match(status, Header, body.Text) is { } interstitial)
            {
                return FetchResult.Error(ErrorCategories.BotChallenge, $"HTTP {status} with a bot challenge page ({interstitial.Vendor}, {interstitial.Name}) from {finalUrl.Host} instead of the document", status);
            }

            return new FetchResult
            {
                StatusCode = status,
                Text = body.Text,
                MediaType = response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant(),
                ETag = Header("ETag"),
                LastModified = Header("Last-Modified"),
                FinalUrl = finalUrl,
                BytesRead = body.Bytes,
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (Categorize(ex, request.Url.Host) is { } failure)
        {
            return FetchResult.Error(failure.Category, failure.Message);
        }
    }

    internal static (string Category, string Message)? Categorize(Exception exception, string host)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case BlockedAddressException blocked:
                    return (ErrorCategories.BlockedAddress, blocked.Message);
                case TimeoutRejectedException or TimeoutException or TaskCanceledException:
                    return (ErrorCategories.Timeout, $"{host} did not answer in time");
                case AuthenticationException auth:
                    return (ErrorCategories.Tls, $"TLS handshake with {host} failed: {auth.Message}");
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } dns:
                    return (ErrorCategories.Dns, $"DNS lookup of {host} failed: {dns.Message}");
                case SocketException socket:
                    return (ErrorCategories.Connect, $"connection to {host} failed: {socket.Message}");
                case HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError }:
                    return (ErrorCategories.Dns, $"DNS lookup of {host} failed");
                case HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } http:
                    return (ErrorCategories.Tls, $"TLS with {host} failed: {http.Message}");
                case HttpRequestException http when http.InnerException is null:
                    return (ErrorCategories.Connect, $"request to {host} failed: {http.Message}");
                case InvalidDataException invalid:
                    return (ErrorCategories.InvalidContent, $"invalid response from {host}: {invalid.Message}");
                default:
                    continue;
            }
        }

        return exception is HttpRequestException or IOException ? (ErrorCategories.Connect, $"request to {host} failed: {exception.Message}") : null;
    }

    /// <summary>Failures worth retrying: not a refused address and not a name that does not exist.</summary>
    internal static bool IsPermanent(Exception? exception) =>
        exception is not null && Categorize(exception, "") is { Category: ErrorCategories.BlockedAddress or ErrorCategories.Dns or ErrorCategories.Tls };

    private sealed record BodyText(string Text, long Bytes, bool TooLarge);

    private static async Task<BodyText> ReadTextAsync(HttpResponseMessage response, long cap, bool truncate, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        // One pooled buffer of the announced size (grown only when the body is longer, e.g. compressed): a page costs
        // no chain of ever-larger arrays, each past the large-object threshold, before its text is decoded.
        var announced = response.Content.Headers.ContentLength is > 0 and var length && length < cap ? (int)length + 1 : 16 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(announced);
        var written = 0;
        try
        {
            long total = 0;
            while (true)
            {
                if (written == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, written).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(written), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                total += read;
                if (total > cap)
                {
                    if (!truncate)
                    {
                        return new BodyText("", total, TooLarge: true);
                    }

                    written += read - (int)(total - cap);
                    break;
                }

                written += read;
            }

            var bytes = buffer.AsSpan(0, written);
            var encoding = DetectEncoding(response.Content.Headers.ContentType?.CharSet, bytes, out var bomLength);
            return new BodyText(encoding.GetString(bytes[bomLength..]), bytes.Length, TooLarge: false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static Encoding DetectEncoding(string? declared, ReadOnlySpan<byte> bytes, out int bomLength)
    {
        bomLength = 0;
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) { bomLength = 3; return new UTF8Encoding(false); }
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) { bomLength = 2; return Encoding.Unicode; }
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) { bomLength = 2; return Encoding.BigEndianUnicode; }

        var name = declared?.Trim('"', '\'', ' ');
        if (string.IsNullOrEmpty(name))
        {
            var head = Encoding.ASCII.GetString(bytes[..Math.Min(bytes.Length, 2048)]);
            var meta = MetaCharset().Match(head);
            name = meta.Success ? meta.Groups[1].Value : null;
        }

        if (name is not null)
        {
            try
            {
                // gb2312 pages are served as GBK in practice (browsers decode them so)
                return Encoding.GetEncoding(name.Equals("gb2312", StringComparison.OrdinalIgnoreCase) ? "gbk" : name);
            }
            catch (ArgumentException)
            {
                // an unknown charset: fall back to UTF-8, invalid sequences become U+FFFD
            }
        }

        return new UTF8Encoding(false);
    }

    [GeneratedRegex("<meta[^>]+charset\\s*=\\s*[\"']?([A-Za-z0-9_:.-]+)", RegexOptions.IgnoreCase)]
    private static partial Regex MetaCharset();
}
