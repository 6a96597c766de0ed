using ComplianceWatch.Core.Audits;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Core.Scheduling;

/// <summary>What a scheduled run did: how many sources were due, and either the report of checking them or how many jobs were queued.</summary>
public sealed record ScheduledRunResult(int Due, int Enqueued, CheckReport? Report);

/// <summary>
/// The work behind the timers and the check queue. A timer run selects the sources of its kinds that fell due since the
/// timer last ran; up to <see cref="FanOutOptions.Threshold"/> of them it checks itself, more it fans out as one job per
/// source so that a large catalog spreads over instances. A job checks one source through the same
/// <see cref="CheckRunner"/>; a job that ended in the poison queue counts as a failed check in the source's health.
/// </summary>
public sealed partial class ScheduledChecks(
    ICatalogProvider catalogs,
    CheckRunner runner,
    ICheckJobSender queue,
    IAuditRunStore audits,
    SourceHealthRecorder health,
    TimeProvider time,
    IOptions<FanOutOptions> options,
    ILogger<ScheduledChecks> logger)
{
    /// <summary>The message recorded in a source's health when its check job was moved to the poison queue.</summary>
    public const string PoisonMessage = "the check job failed on every attempt and was moved to the poison queue";

    public async Task<ScheduledRunResult> RunDueAsync(IReadOnlyCollection<string> kinds, DateTimeOffset? lastRun, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        var catalog = await catalogs.GetCatalogAsync(cancellationToken);
        var now = time.GetUtcNow();
        var due = catalog.Sources.Where(s => kinds.Contains(s.Kind) && SourceSchedules.IsDue(s, lastRun, now)).ToArray();
        if (due.Length == 0)
        {
            return new ScheduledRunResult(0, 0, null);
        }

        if (due.Length > options.Value.Threshold)
        {
            await queue.EnqueueAsync(due.Select(s => new CheckJob { SourceId = s.Id, EnqueuedAt = now }).ToArray(), cancellationToken);
            LogFannedOut(logger, due.Length, options.Value.Threshold);
            return new ScheduledRunResult(due.Length, due.Length, null);
        }

        var report = await runner.RunAsync(catalog, due, null, cancellationToken);
        return new ScheduledRunResult(due.Length, 0, report);
    }

    /// <summary>Checks the job's source; records the result in its audit run, if any. Null when the source left the catalog.</summary>
    public async Task<SourceCheckResult?> ProcessJobAsync(CheckJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var catalog = await catalogs.GetCatalogAsync(cancellationToken);
        var source = catalog.Sources.FirstOrDefault(s => s.Id == job.SourceId);
        if (source is null)
        {
            LogUnknownSource(logger, job.SourceId);
            await RecordAsync(job, new SourceCheckResult(job.SourceId, "unknown", CheckOutcome.Failed, [],
                new CheckError(job.SourceId, ErrorCategories.Unsupported, "the source is no longer in the catalog"), TimeSpan.Zero, false), cancellationToken);
            return null;
        }

        var report = await runner.RunAsync(catalog, [source], null, cancellationToken);
        var result = report.Results[0];
        await RecordAsync(job, result, cancellationToken);
        return result;
    }

    /// <summary>A job that failed on every attempt: a failed check of its source (health, and the audit run's result).</summary>
    public async Task<SourceCheckResult?> ProcessPoisonJobAsync(CheckJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var catalog = await catalogs.GetCatalogAsync(cancellationToken);
        var source = catalog.Sources.FirstOrDefault(s => s.Id == job.SourceId);
        LogPoisonJob(logger, job.SourceId, job.AuditId);
        if (source is null)
        {
            return null;
        }

        var result = await health.RecordFailureAsync(source, ErrorCategories.Internal, PoisonMessage, cancellationToken);
        await RecordAsync(job, result, cancellationToken);
        return result;
    }

    private async Task RecordAsync(CheckJob job, SourceCheckResult result, CancellationToken cancellationToken)
    {
        if (job.AuditId is { } auditId)
        {
            await audits.RecordResultAsync(auditId, AuditSourceResult.From(result, time.GetUtcNow()), cancellationToken);
        }
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "{Count} sources due, more than the fan-out threshold {Threshold}: one check job each was queued")]
    private static partial void LogFannedOut(ILogger logger, int count, int threshold);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Check job for source {SourceId} dropped: the source is no longer in the catalog")]
    private static partial void LogUnknownSource(ILogger logger, string sourceId);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Error, Message = "Check job for source {SourceId} (audit {AuditId}) failed on every attempt and reached the poison queue; recorded in the source's health")]
    private static partial void LogPoisonJob(ILogger logger, string sourceId, string? auditId);
}
