namespace ComplianceWatch.Core.Fetching;

/// <summary>
/// The port to read a page as a browser shows it (a headless browser in production): the page is loaded, its scripts
/// run, <see cref="FetchRequest.WaitFor"/> is awaited, and the rendered DOM comes back as HTML in which every element
/// the browser lays out as a block carries <see cref="Extraction.HtmlExtractor.BlockAttribute"/>. Every request the page makes obeys the same
/// network rules as a fetch. Failures come back as a categorized <see cref="FetchResult"/>
/// (<c>browser-unavailable</c> when no browser could be had).
/// </summary>
public interface IPageRenderer
{
    Task<FetchResult> RenderAsync(FetchRequest request, CancellationToken cancellationToken = default);
}

/// <summary>
/// Sends <see cref="FetchRequest.Render"/> requests to the <see cref="IPageRenderer"/> and every other request to the
/// HTTP fetcher. Without a renderer (a host built without a browser) a render request is <c>browser-unavailable</c>.
/// </summary>
public sealed class RenderingContentFetcher(IContentFetcher fetcher, IPageRenderer? renderer = null) : IContentFetcher
{
    public Task<FetchResult> FetchAsync(FetchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Render)
        {
            return fetcher.FetchAsync(request, cancellationToken);
        }

        return renderer is null
            ? Task.FromResult(FetchResult.Error(ErrorCategories.BrowserUnavailable, "this host has no browser to render pages with (render: true)"))
            : renderer.RenderAsync(request, cancellationToken);
    }
}
