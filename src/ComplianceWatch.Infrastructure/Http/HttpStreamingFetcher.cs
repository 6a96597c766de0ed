using System.Text;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Fetching;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Infrastructure.Http;

/// <summary>
/// Fetches a large document as a stream: the same named client as <see cref="HttpContentFetcher"/> (SSRF guard on every
/// connection, decompression, GET-only resilience) and the same error categories, with the body handed to the reader
/// as it arrives and cut at the caller's cap after decompression.
/// </summary>
public sealed class HttpStreamingFetcher(HttpClient client, IOptions<ComplianceWatchOptions> options) : IStreamingContentFetcher
{
    private const int ErrorExcerptBytes = 64 * 1024;

    public async Task<FetchResult> FetchStreamAsync(FetchRequest request, long maxBytes, Func<Stream, CancellationToken, Task> read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(read);
        if (request.Url.Scheme is not ("http" or "https"))
        {
            return FetchResult.Error(ErrorCategories.InvalidContent, $"only http and https URLs are fetched, not '{request.Url.Scheme}'");
        }

        using var message = new HttpRequestMessage(HttpMethod.Get, request.Url);
        message.Headers.TryAddWithoutValidation("User-Agent", options.Value.UserAgent);
        message.Headers.TryAddWithoutValidation("Accept", "application/json,application/xml,text/xml;q=0.9,*/*;q=0.8");
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var finalUrl = response.RequestMessage?.RequestUri ?? request.Url;
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                string? Header(string name) =>
                    response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;
                var excerpt = await ReadExcerptAsync(response, cancellationToken);
                if (ChallengeDetector.BuiltIn.Match(status, Header, excerpt) is { } challenge)
                {
                    return FetchResult.Error(ErrorCategories.BotChallenge, $"HTTP {status} bot challenge ({challenge.Vendor}, {challenge.Name}) from {finalUrl.Host} (a CDN asked for a browser check; not the document)", status);
                }

                return FetchResult.Error(status >= 500 ? ErrorCategories.Http5xx : ErrorCategories.Http4xx, $"HTTP {status} {response.ReasonPhrase} from {finalUrl}", status);
            }

            if (response.Content.Headers.ContentLength is { } length && length > maxBytes)
            {
                return FetchResult.Error(ErrorCategories.TooLarge, $"the response of {length:N0} bytes exceeds the cap of {maxBytes:N0} bytes", status);
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await using var capped = new CappedStream(body, maxBytes);
            try
            {
                await read(capped, cancellationToken);
            }
            catch (CappedStream.CapExceededException)
            {
                return FetchResult.Error(ErrorCategories.TooLarge, $"the response exceeds the cap of {maxBytes:N0} bytes (after decompression)", status);
            }
            catch (Exception ex) when (ex.InnerException is CappedStream.CapExceededException)
            {
                return FetchResult.Error(ErrorCategories.TooLarge, $"the response exceeds the cap of {maxBytes:N0} bytes (after decompression)", status);
            }

            return new FetchResult
            {
                StatusCode = status,
                MediaType = response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant(),
                ETag = response.Headers.ETag?.ToString(),
                FinalUrl = finalUrl,
                BytesRead = capped.BytesRead,
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (HttpContentFetcher.Categorize(ex, request.Url.Host) is { } failure)
        {
            return FetchResult.Error(failure.Category, failure.Message);
        }
    }

    private static async Task<string> ReadExcerptAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[ErrorExcerptBytes];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    /// <summary>A read-only stream that counts the bytes read and throws once more than the cap was read.</summary>
    private sealed class CappedStream(Stream inner, long cap) : Stream
    {
        internal sealed class CapExceededException : Exception;

        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            BytesRead += read;
            return BytesRead > cap ? throw new CapExceededException() : read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
