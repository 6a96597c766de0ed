using System.ComponentModel.DataAnnotations;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Screening;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Infrastructure.Screening;

/// <summary>Settings of screening lists (section <c>ComplianceWatch</c>, e.g. <c>ComplianceWatch__MaxListBytes</c>).</summary>
public sealed class ScreeningListOptions
{
    /// <summary>Cap of one list after decompression (default 512 MiB; the lists are tens of megabytes and streamed).</summary>
    [Range(1024, 1L << 40)]
    public long MaxListBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Time allowed to download and read one list.</summary>
    public TimeSpan ListTimeout { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Streams a screening list over HTTP and reads it in its format, entry by entry.</summary>
public sealed class ScreeningListReader(IStreamingContentFetcher fetcher, IOptions<ScreeningListOptions> options, TimeProvider time) : IScreeningListReader
{
    public async Task<ScreeningReadResult> ReadAsync(ScreeningList list, Action<ScreeningEntry> onEntry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(onEntry);
        Func<Stream, Action<ScreeningEntry>, CancellationToken, Task<long>> read = list.Format switch
        {
            ScreeningFormats.CslJson => CslJsonReader.ReadAsync,
            ScreeningFormats.OfacSdnXml => OfacSdnXmlReader.ReadAsync,
            _ => throw new ArgumentException($"unknown screening list format '{list.Format}'", nameof(list)),
        };

        using var deadline = new CancellationTokenSource(options.Value.ListTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        long entries = 0;
        try
        {
            var fetch = await fetcher.FetchStreamAsync(new FetchRequest(new Uri(list.Url)), options.Value.MaxListBytes,
                async (stream, ct) => entries = await read(stream, onEntry, ct), linked.Token);
            return fetch.IsError
                ? new ScreeningReadResult(entries, fetch.BytesRead, fetch.ErrorCategory, fetch.ErrorMessage)
                : new ScreeningReadResult(entries, fetch.BytesRead);
        }
        catch (ScreeningFormatException ex)
        {
            return new ScreeningReadResult(entries, 0, ErrorCategories.InvalidContent, $"{list.Url}: {ex.Message}");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new ScreeningReadResult(entries, 0, ErrorCategories.Timeout, $"reading the list at {list.Url} took longer than {options.Value.ListTimeout}");
        }
    }
}
