using System.Collections.Concurrent;
using System.Diagnostics;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Fetching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Core.Pipeline;

/// <summary>
/// Runs the checks of many sources concurrently (bounded overall and per host) and collects one report. A source that
/// fails never stops the others; an unexpected exception in one check is reported as that source's error.
/// </summary>
public sealed partial class CheckRunner
{
    private readonly IOptions<ComplianceWatchOptions> options;
    private readonly Lazy<ILogger> logger;
    private readonly Lazy<IRunResource[]> resources;
    private readonly Lazy<Dictionary<string, ISourceChecker>> byKind;

    public CheckRunner(IEnumerable<ISourceChecker> checkers, IOptions<ComplianceWatchOptions> options, ILogger<CheckRunner> logger, IEnumerable<IRunResource>? runResources = null)
        : this(() => checkers, options, () => logger, () => runResources ?? [])
    {
    }

    /// <summary>
    /// A runner whose checkers, logger and run resources are obtained on first use: a run without sources never builds
    /// them (nor the HTTP clients, resilience pipelines, probes and logging they hold).
    /// </summary>
    public CheckRunner(Func<IEnumerable<ISourceChecker>> checkers, IOptions<ComplianceWatchOptions> options, Func<ILogger> logger, Func<IEnumerable<IRunResource>> runResources)
    {
        ArgumentNullException.ThrowIfNull(checkers);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(runResources);
        this.options = options;
        this.logger = new Lazy<ILogger>(logger);
        resources = new Lazy<IRunResource[]>(() => runResources().ToArray());
        byKind = new Lazy<Dictionary<string, ISourceChecker>>(() => checkers().ToDictionary(c => c.Kind, StringComparer.Ordinal));
    }

    public IReadOnlyCollection<string> SupportedKinds => byKind.Value.Keys;

    public async Task<CheckReport> RunAsync(
        SourceCatalog catalog,
        IReadOnlyList<SourceDefinition> sources,
        IProgress<SourceCheckResult>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count > 0)
        {
            _ = byKind.Value; // a checker that cannot be built fails the run here, not each source's check
        }

        var results = new SourceCheckResult[sources.Count];
        var perHost = new ConcurrentDictionary<string, SemaphoreSlim>(StringComparer.OrdinalIgnoreCase);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Value.MaxConcurrency, CancellationToken = cancellationToken };
        var entered = sources.Count == 0 ? [] : resources.Value.Select(r => r.EnterRun()).ToArray(); // e.g. one browser per run, released when the run ends
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, sources.Count), parallel, async (index, ct) =>
            {
                var source = sources[index];
                var gate = perHost.GetOrAdd(HostOf(source), _ => new SemaphoreSlim(options.Value.MaxConnectionsPerHost));
                await gate.WaitAsync(ct);
                try
                {
                    results[index] = await CheckOneAsync(source, catalog.Settings, ct);
                }
                finally
                {
                    gate.Release();
                }

                progress?.Report(results[index]);
            });
        }
        finally
        {
            foreach (var gate in perHost.Values)
            {
                gate.Dispose();
            }

            foreach (var handle in entered)
            {
                await handle.DisposeAsync();
            }
        }

        return new CheckReport(results);
    }

    private async Task<SourceCheckResult> CheckOneAsync(SourceDefinition source, CatalogSettings settings, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (!byKind.Value.TryGetValue(source.Kind, out var checker))
        {
            var error = new CheckError(source.Id, ErrorCategories.Unsupported, $"checks of kind '{source.Kind}' are not available in this version");
            return new SourceCheckResult(source.Id, source.Kind, CheckOutcome.Failed, [], error, Stopwatch.GetElapsedTime(started), false);
        }

        try
        {
            var result = await checker.CheckAsync(source, settings, cancellationToken);
            if (result.Error is { } e)
            {
                LogCheckFailed(logger.Value, source.Id, e.Category, e.Message);
            }

            return result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogCheckCrashed(logger.Value, ex, source.Id);
            var error = new CheckError(source.Id, ErrorCategories.Internal, $"the check failed unexpectedly: {ex.GetType().Name}: {ex.Message}");
            return new SourceCheckResult(source.Id, source.Kind, CheckOutcome.Failed, [], error, Stopwatch.GetElapsedTime(started), false);
        }
    }

    private static string HostOf(SourceDefinition source) =>
        Uri.TryCreate(source.PrimaryUrl, UriKind.Absolute, out var uri) ? uri.Authority : source.Id;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Check of source {SourceId} failed: {Category}: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string sourceId, string category, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Check of source {SourceId} crashed")]
    private static partial void LogCheckCrashed(ILogger logger, Exception exception, string sourceId);
}
