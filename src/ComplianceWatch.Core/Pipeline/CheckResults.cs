using System.Text.Json.Serialization;
using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Pipeline;

public enum CheckOutcome
{
    Baselined,
    Unchanged,
    Changed,
    RulesUpdated,
    Failed,
}

/// <summary>An error of one source's check, as reported in <c>check --json</c>'s <c>errors</c>.</summary>
public sealed record CheckError(
    [property: JsonPropertyName("sourceId")] string SourceId,
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("message")] string Message);

public sealed record SourceCheckResult(
    string SourceId,
    string Kind,
    CheckOutcome Outcome,
    IReadOnlyList<ChangeEvent> Events,
    CheckError? Error,
    TimeSpan Duration,
    bool Written,
    string? Summary = null);

/// <summary>What one run of checks found: the document <c>check --json</c> prints.</summary>
public sealed class CheckReport(IReadOnlyList<SourceCheckResult> results)
{
    [JsonIgnore] public IReadOnlyList<SourceCheckResult> Results { get; } = results;

    [JsonPropertyName("changes")] public IReadOnlyList<ChangeEvent> Changes { get; } = results.SelectMany(r => r.Events).ToArray();

    [JsonPropertyName("errors")] public IReadOnlyList<CheckError> Errors { get; } = results.Where(r => r.Error is not null).Select(r => r.Error!).ToArray();

    [JsonPropertyName("checked")] public int Checked => Results.Count;

    [JsonPropertyName("unchanged")] public int Unchanged => Results.Count(r => r.Outcome == CheckOutcome.Unchanged);

    [JsonPropertyName("baselined")] public int Baselined => Results.Count(r => r.Outcome is CheckOutcome.Baselined or CheckOutcome.RulesUpdated);
}
