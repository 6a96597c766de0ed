using System.Text.Json.Serialization;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Pipeline;

namespace ComplianceWatch.Core.Audits;

/// <summary>An on-demand audit that was too large to answer at once: its sources were fanned out as check jobs.</summary>
public sealed record AuditRun
{
    public required string Id { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }
    /// <summary>What was asked for: <c>all</c>, <c>kind:K</c> or <c>sources</c>.</summary>
    public required string Selection { get; init; }
    public required IReadOnlyList<string> SourceIds { get; init; }

    /// <summary>A new id: 32 hex characters, safe in a URL and as a table key.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N");

    public static bool IsValidId(string? id) => id is { Length: 32 } && id.All(char.IsAsciiHexDigitLower);
}

/// <summary>The result of one source's check within an audit run.</summary>
public sealed record AuditSourceResult
{
    public required string SourceId { get; init; }
    public required CheckOutcome Outcome { get; init; }
    public required DateTimeOffset CheckedAt { get; init; }
    public IReadOnlyList<string> EventIds { get; init; } = [];
    public CheckError? Error { get; init; }
    public string? Summary { get; init; }

    public static AuditSourceResult From(SourceCheckResult result, DateTimeOffset checkedAt)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new AuditSourceResult
        {
            SourceId = result.SourceId,
            Outcome = result.Outcome,
            CheckedAt = checkedAt,
            EventIds = result.Events.Select(e => e.Id).ToArray(),
            Error = result.Error,
            Summary = result.Summary,
        };
    }
}

/// <summary>The port where audit runs and their per-source results are kept (embedded files, or Azure Table Storage).</summary>
public interface IAuditRunStore
{
    Task CreateAsync(AuditRun run, CancellationToken cancellationToken = default);

    Task<AuditRun?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Records (or replaces) the result of one source of the run: a re-delivered job overwrites its own result.</summary>
    Task RecordResultAsync(string auditId, AuditSourceResult result, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AuditSourceResult>> GetResultsAsync(string auditId, CancellationToken cancellationToken = default);
}

/// <summary>What <c>GET /api/audits/runs/{id}</c> answers: progress, and the report of the checks done so far.</summary>
public sealed record AuditRunStatus
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    /// <summary><c>running</c> or <c>completed</c>.</summary>
    [JsonPropertyName("status")] public required string Status { get; init; }
    [JsonPropertyName("requestedAt")] public required DateTimeOffset RequestedAt { get; init; }
    [JsonPropertyName("selection")] public required string Selection { get; init; }
    [JsonPropertyName("sources")] public required int Sources { get; init; }
    [JsonPropertyName("completed")] public required int Completed { get; init; }
    /// <summary>Sources not checked yet (the first 1,000; <see cref="Sources"/> − <see cref="Completed"/> counts them all).</summary>
    [JsonPropertyName("pending")] public required IReadOnlyList<string> Pending { get; init; }
    [JsonPropertyName("changes")] public required IReadOnlyList<ChangeEvent> Changes { get; init; }
    [JsonPropertyName("errors")] public required IReadOnlyList<CheckError> Errors { get; init; }
    [JsonPropertyName("checked")] public int Checked => Completed;
    [JsonPropertyName("unchanged")] public required int Unchanged { get; init; }
    [JsonPropertyName("baselined")] public required int Baselined { get; init; }
}
