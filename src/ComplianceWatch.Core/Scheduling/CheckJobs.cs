using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace ComplianceWatch.Core.Scheduling;

/// <summary>One queued check of one source: what a timer or an audit fans out when too many sources are due at once.</summary>
public sealed record CheckJob
{
    public required string SourceId { get; init; }
    /// <summary>The on-demand audit the job belongs to (its result is recorded there), or null for a scheduled check.</summary>
    public string? AuditId { get; init; }
    public DateTimeOffset EnqueuedAt { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, JsonDefaults.Options);

    /// <summary>Parses a queued job; null when the text is not one (such a message can only be dropped).</summary>
    public static CheckJob? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            var job = JsonSerializer.Deserialize<CheckJob>(text, JsonDefaults.Options);
            return job is { SourceId.Length: > 0 } ? job : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The port to a durable queue of check jobs (an Azure Storage queue read by a queue-triggered function).</summary>
public interface ICheckJobSender
{
    Task EnqueueAsync(IReadOnlyList<CheckJob> jobs, CancellationToken cancellationToken = default);
}

/// <summary>Settings of the fan-out (section <c>ComplianceWatch:FanOut</c>).</summary>
public sealed class FanOutOptions
{
    public const string SectionName = "ComplianceWatch:FanOut";

    /// <summary>A timer that finds more due sources than this enqueues one job per source instead of checking them itself (0: always).</summary>
    [Range(0, 1_000_000)]
    public int Threshold { get; set; } = 50;

    /// <summary>An on-demand audit of more sources than this answers 202 with a status URL and fans out.</summary>
    [Range(1, 10_000)]
    public int MaxSourcesPerRequest { get; set; } = 10;
}
