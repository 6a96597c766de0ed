namespace ComplianceWatch.Core.Fetching;

/// <summary>Categories of check errors (reported in <c>errors[].category</c> and kept in source health).</summary>
public static class ErrorCategories
{
    public const string Dns = "dns";
    public const string Connect = "connect";
    public const string Tls = "tls";
    public const string Timeout = "timeout";
    public const string Http4xx = "http-4xx";
    public const string Http5xx = "http-5xx";
    public const string BotChallenge = "bot-challenge";
    /// <summary>The page served an error page instead of the document, or lost most of its text (outage, soft 404): the baseline is kept.</summary>
    public const string Unavailable = "unavailable";
    public const string EmptyContent = "empty-content";
    public const string SelectorNotFound = "selector-not-found";
    public const string TooLarge = "too-large";
    public const string BlockedAddress = "blocked-address";
    public const string InvalidContent = "invalid-content";
    /// <summary>A source asks for <c>render</c> and no browser could be had (none installed, the remote one unreachable).</summary>
    public const string BrowserUnavailable = "browser-unavailable";
    public const string Unsupported = "unsupported";
    public const string Internal = "internal";
    /// <summary>A reachability observation that could not be made (our side or the probe network failed); never a transition.</summary>
    public const string Unknown = "unknown";
}

/// <summary>
/// What to fetch. <paramref name="Render"/>: load the page in a headless browser and return the rendered DOM (after
/// <paramref name="WaitFor"/>, a CSS selector, is in the page) instead of the document the server sent.
/// </summary>
public sealed record FetchRequest(Uri Url, string? IfNoneMatch = null, string? IfModifiedSince = null, bool Render = false, string? WaitFor = null);

/// <summary>The outcome of a fetch: content, "not modified", or a categorized error.</summary>
public sealed record FetchResult
{
    public int StatusCode { get; init; }
    public bool NotModified { get; init; }
    public string? Text { get; init; }
    public string? MediaType { get; init; }
    public string? ETag { get; init; }
    public string? LastModified { get; init; }
    public Uri? FinalUrl { get; init; }
    public long BytesRead { get; init; }
    public string? ErrorCategory { get; init; }
    public string? ErrorMessage { get; init; }

    public bool IsError => ErrorCategory is not null;

    public static FetchResult Error(string category, string message, int statusCode = 0) =>
        new() { ErrorCategory = category, ErrorMessage = message, StatusCode = statusCode };
}

/// <summary>The port to fetch a document over the network (an HTTP adapter in production, loopback servers in tests).</summary>
public interface IContentFetcher
{
    Task<FetchResult> FetchAsync(FetchRequest request, CancellationToken cancellationToken = default);
}
