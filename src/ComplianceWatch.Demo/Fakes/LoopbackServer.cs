using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ComplianceWatch.Demo.Fakes;

/// <summary>What a route of the <see cref="LoopbackServer"/> answers.</summary>
public sealed record Page
{
    public int Status { get; init; } = 200;
    public string Body { get; init; } = "";
    public byte[]? RawBody { get; init; }
    public string ContentType { get; init; } = "text/html; charset=utf-8";
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    /// <summary>Serve an ETag derived from the body and answer 304 to a matching If-None-Match.</summary>
    public bool Validators { get; init; } = true;
    public bool Gzip { get; init; }
    public TimeSpan Delay { get; init; }

    public static Page Html(string body) => new() { Body = body };
}

/// <summary>A real Kestrel server on 127.0.0.1 with routes that tests change while it runs.</summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, Page> pages = new(StringComparer.Ordinal);

    private LoopbackServer(WebApplication app) => this.app = app;

    public Uri BaseUrl { get; private set; } = null!;

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Each request's path and arrival time (monotonic), in arrival order.</summary>
    public ConcurrentQueue<(string Path, TimeSpan At)> Arrivals { get; } = new();

    /// <summary>The most requests that were in flight at once.</summary>
    public int MaxInFlight => maxInFlight;

    private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
    private int inFlight;
    private int maxInFlight;

    /// <summary>Conditional requests answered 304.</summary>
    public int NotModifiedCount => notModified;

    private int notModified;

    /// <summary>Headers of every request, in order (tests assert what never reaches a target, such as credentials).</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> RequestHeaders { get; } = new();

    /// <summary>Starts the server; with <paramref name="certificate"/> it speaks HTTPS with that certificate.</summary>
    public static async Task<LoopbackServer> StartAsync(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        LoopbackServer? server = null;
        var (app, url) = await LoopbackHost.StartAsync(context => server!.HandleAsync(context), certificate); // nobody knows the URL before it returns
        server = new LoopbackServer(app) { BaseUrl = url };
        return server;
    }

    public Uri Url(string path) => new(BaseUrl, path.TrimStart('/'));

    public void Set(string path, Page page) => pages["/" + path.TrimStart('/')] = page;

    public void Set(string path, string html) => Set(path, Page.Html(html));

    public int CountRequests(string path) => Requests.Count(r => r == "/" + path.TrimStart('/'));

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        RequestHeaders.Enqueue(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
        Requests.Enqueue(path);
        Arrivals.Enqueue((path, clock.Elapsed));
        var now = Interlocked.Increment(ref inFlight);
        for (var seen = maxInFlight; now > seen; seen = maxInFlight)
        {
            Interlocked.CompareExchange(ref maxInFlight, now, seen);
        }

        try
        {
            await ServeAsync(context, path);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

    private async Task ServeAsync(HttpContext context, string path)
    {
        if (!pages.TryGetValue(path, out var page))
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync("<html><body><h1>Not found</h1></body></html>");
            return;
        }

        if (page.Delay > TimeSpan.Zero)
        {
            await Task.Delay(page.Delay, context.RequestAborted);
        }

        var body = page.RawBody ?? Encoding.UTF8.GetBytes(page.Body);
        var etag = $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body))[..16]}\"";
        if (page.Validators && page.Status == 200)
        {
            context.Response.Headers.ETag = etag;
            if (context.Request.Headers.IfNoneMatch.ToString() == etag)
            {
                Interlocked.Increment(ref notModified);
                context.Response.StatusCode = 304;
                return;
            }
        }

        context.Response.StatusCode = page.Status;
        context.Response.ContentType = page.ContentType;
        foreach (var (name, value) in page.Headers)
        {
            context.Response.Headers[name] = value;
        }

        if (page.Gzip)
        {
            context.Response.Headers.ContentEncoding = "gzip";
            using var buffer = new MemoryStream();
            await using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            {
                await gzip.WriteAsync(body);
            }

            body = buffer.ToArray();
        }

        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
