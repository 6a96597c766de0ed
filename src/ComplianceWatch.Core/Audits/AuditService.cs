using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Scheduling;
using ComplianceWatch.Core.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Core.Audits;

/// <summary>The outcome of an on-demand audit: the report of checks run now, or a run accepted and fanned out.</summary>
public sealed record AuditOutcome(CheckReport? Report, AuditRun? Accepted);

/// <summary>
/// Runs an on-demand audit: up to <see cref="FanOutOptions.MaxSourcesPerRequest"/> sources are checked at once and
/// reported; a larger audit is recorded as an <see cref="AuditRun"/> and fanned out, one check job per source, so no
/// request outlives the front end's timeout. Every check goes through the same <see cref="CheckRunner"/>.
/// </summary>
public sealed partial class AuditService(
    CheckRunner runner,
    ICheckJobSender queue,
    IAuditRunStore runs,
    IStateStore store,
    TimeProvider time,
    IOptions<FanOutOptions> options,
    ILogger<AuditService> logger)
{
    public int MaxSourcesPerRequest => options.Value.MaxSourcesPerRequest;

    public async Task<AuditOutcome> RunAsync(SourceCatalog catalog, IReadOnlyList<SourceDefinition> sources, string selection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count <= options.Value.MaxSourcesPerRequest)
        {
            return new AuditOutcome(await runner.RunAsync(catalog, sources, null, cancellationToken), null);
        }

        var now = time.GetUtcNow();
        var run = new AuditRun { Id = AuditRun.NewId(), RequestedAt = now, Selection = selection, SourceIds = sources.Select(s => s.Id).ToArray() };
        await runs.CreateAsync(run, cancellationToken);
        await queue.EnqueueAsync(run.SourceIds.Select(id => new CheckJob { SourceId = id, AuditId = run.Id, EnqueuedAt = now }).ToArray(), cancellationToken);
        LogAuditFannedOut(logger, run.Id, run.SourceIds.Count);
        return new AuditOutcome(null, run);
    }

    /// <summary>The progress and findings of an accepted audit run; null when there is no such run.</summary>
    public async Task<AuditRunStatus?> GetStatusAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!AuditRun.IsValidId(id) || await runs.GetAsync(id, cancellationToken) is not { } run)
        {
            return null;
        }

        var results = (await runs.GetResultsAsync(id, cancellationToken)).ToDictionary(r => r.SourceId, StringComparer.Ordinal);
        var wanted = results.Values.SelectMany(r => r.EventIds).ToHashSet(StringComparer.Ordinal);
        IReadOnlyList<ChangeEvent> changes = [];
        if (wanted.Count > 0)
        {
            var withEvents = results.Values.Where(r => r.EventIds.Count > 0).Select(r => r.SourceId).ToArray();
            var entries = await store.QueryHistoryAsync(new HistoryQuery { Since = run.RequestedAt, SourceIds = withEvents }, cancellationToken);
            changes = entries.Where(e => e.Event is not null && wanted.Contains(e.Event.Id)).Select(e => e.Event!).ToArray();
        }

        var pending = run.SourceIds.Where(s => !results.ContainsKey(s)).ToArray();
        const int ListedPending = 1000; // the counts tell the rest
        return new AuditRunStatus
        {
            Id = run.Id,
            Status = pending.Length == 0 ? "completed" : "running",
            RequestedAt = run.RequestedAt,
            Selection = run.Selection,
            Sources = run.SourceIds.Count,
            Completed = run.SourceIds.Count - pending.Length,
            Pending = pending.Take(ListedPending).ToArray(),
            Changes = changes,
            Errors = results.Values.Where(r => r.Error is not null).Select(r => r.Error!).OrderBy(e => e.SourceId, StringComparer.Ordinal).ToArray(),
            Unchanged = results.Values.Count(r => r.Outcome == CheckOutcome.Unchanged),
            Baselined = results.Values.Count(r => r.Outcome is CheckOutcome.Baselined or CheckOutcome.RulesUpdated),
        };
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Audit {AuditId} fanned out as {Count} check jobs")]
    private static partial void LogAuditFannedOut(ILogger logger, string auditId, int count);
}
