namespace ComplianceWatch.Core.Fetching;

/// <summary>
/// The port to read a large document (a screening list of tens of megabytes) as a stream instead of one string: the
/// body is handed to <c>read</c> as it arrives, cut at <c>maxBytes</c> after decompression. Network failures, HTTP
/// errors and the size cap come back as a categorized <see cref="FetchResult"/>; exceptions that <c>read</c> throws
/// for content it cannot parse propagate to the caller, which maps them to <c>invalid-content</c>.
/// </summary>
public interface IStreamingContentFetcher
{
    Task<FetchResult> FetchStreamAsync(FetchRequest request, long maxBytes, Func<Stream, CancellationToken, Task> read, CancellationToken cancellationToken = default);
}
