using System.Text.Json;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Api;

/// <summary>One change in <c>GET /api/changes</c>: the event's headline and where its history entry sits in the chain.</summary>
public sealed record ChangeSummary
{
    public required string Id { get; init; }
    public required string Type { get; init; }
    public required DateTimeOffset Time { get; init; }
    public required string SourceId { get; init; }
    public required string Kind { get; init; }
    public string? Provider { get; init; }
    public required string Severity { get; init; }
    public required string Summary { get; init; }
    public string? Url { get; init; }
    public required long Sequence { get; init; }
    public required string EntryHash { get; init; }
    public string? PreviousEntryHash { get; init; }
    public required string Href { get; init; }

    public static ChangeSummary From(HistoryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var e = entry.Event ?? throw new ArgumentException("the entry has no event", nameof(entry));
        return new ChangeSummary
        {
            Id = e.Id,
            Type = e.Type,
            Time = entry.Time,
            SourceId = entry.SourceId,
            Kind = e.Data.Kind,
            Provider = e.Data.Provider,
            Severity = e.Data.Severity.ToName(),
            Summary = e.Data.Summary,
            Url = e.Data.Url,
            Sequence = entry.Sequence,
            EntryHash = entry.EntryHash,
            PreviousEntryHash = entry.PreviousEntryHash,
            Href = ApiRoutes.ChangePath(e.Id),
        };
    }
}

public sealed record ChangePage(IReadOnlyList<ChangeSummary> Items, string? Next);

/// <summary>What a change is evidence of: the normalized content it recorded and its place in the hash chain.</summary>
public sealed record ChangeEvidence
{
    public string? ContentHash { get; init; }
    /// <summary>The normalized content the check recorded at this change.</summary>
    public string? Content { get; init; }
    public string? PreviousContentHash { get; init; }
    public required string EntryHash { get; init; }
    public string? PreviousEntryHash { get; init; }
    /// <summary>Per-probe evidence of a reachability transition (DNS, connect, TLS, status, headers, body excerpt).</summary>
    public JsonElement? Probes { get; init; }
}

/// <summary><c>GET /api/changes/{id}</c>: the change with its diff, evidence and the full CloudEvents document.</summary>
public sealed record ChangeDetail
{
    public required ChangeSummary Change { get; init; }
    public ContentDiff? Diff { get; init; }
    public required ChangeEvidence Evidence { get; init; }
    public required ChangeEvent Event { get; init; }
}

public sealed record SourceHealthView
{
    /// <summary><c>healthy</c>, <c>failing</c> (failed lately, still tracked), <c>not-tracked</c> (past the failure threshold) or <c>never-checked</c>.</summary>
    public required string Status { get; init; }
    public int ConsecutiveFailures { get; init; }
    public string? LastErrorCategory { get; init; }
    public string? LastErrorMessage { get; init; }
    public DateTimeOffset? LastFailureAt { get; init; }
    public DateTimeOffset? LastSuccessAt { get; init; }
}

/// <summary>One source in <c>GET /api/sources</c>.</summary>
public sealed record SourceView
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required string Title { get; init; }
    public string? Provider { get; init; }
    public string? Url { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public required string Schedule { get; init; }
    /// <summary>When a check of the source last recorded something (content, validators or health).</summary>
    public DateTimeOffset? LastCheck { get; init; }
    /// <summary>
    /// What the last recorded check concluded: for reachability, the verdict per vantage point; otherwise
    /// <c>tracked</c> (content recorded), <c>failed</c> (the last check failed) or <c>unchecked</c>.
    /// </summary>
    public required JsonElement Verdict { get; init; }
    public string? ContentHash { get; init; }
    public DateTimeOffset? CapturedAt { get; init; }
    public long? Version { get; init; }
    public required SourceHealthView Health { get; init; }
}
