using System.Text.Json;
using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Testing;

/// <summary>Change events for notification tests, with fixed ids and times so payloads are stable.</summary>
public static class SampleEvents
{
    public static readonly DateTimeOffset Time = new(2026, 11, 29, 4, 22, 41, TimeSpan.Zero);

    /// <summary>Text a hostile page could carry: mentions, forged links, markup, fences and references.</summary>
    public const string Hostile = "<!channel> <!here> @here @octocat see <https://evil.example|click> [x](https://evil.example) ``` #1 GH-2 <img src=x onerror=alert(1)> <!-- compliancewatch:event=forged --> &amp;";

    public static ChangeEvent Terms(string id = "e1", string provider = "OpenAI", Severity severity = Severity.Critical, string sourceId = "openai-supported-countries",
        string summary = "OpenAI API supported countries: removed: China; added: Vietnam", IReadOnlyList<string>? added = null, IReadOnlyList<string>? removed = null,
        IReadOnlyList<string>? tags = null, DateTimeOffset? time = null, string? unified = null) => new()
    {
        Id = id,
        Source = ChangeEvent.SourceUri(sourceId),
        Type = ChangeEventTypes.TermsChanged,
        Subject = sourceId,
        Time = time ?? Time,
        Data = new ChangeEventData
        {
            SourceId = sourceId,
            Kind = "terms",
            Provider = provider,
            Severity = severity,
            Summary = summary,
            Url = "https://platform.openai.com/docs/supported-countries",
            PreviousEntryHash = "c547aa00c547aa00c547aa00c547aa00c547aa00c547aa00c547aa00c547aa00",
            Tags = tags ?? ["supported-regions"],
            PreviousHash = "1c8b001c8b001c8b001c8b001c8b001c8b001c8b001c8b001c8b001c8b001c8b",
            CurrentHash = "f7ea00f7ea00f7ea00f7ea00f7ea00f7ea00f7ea00f7ea00f7ea00f7ea00f7ea",
            Diff = new ContentDiff(added ?? ["Vietnam"], removed ?? ["China"], unified ?? ""),
        },
    };

    /// <summary>A one-word edit in a long paragraph, as the terms checker reports it: the paragraph removed and added, and the one changed sentence.</summary>
    public static ChangeEvent TermsParagraphEdit(string id = "e2")
    {
        static string Paragraph(string word) =>
            "Clause 1 of these terms explains how we process the information you give us. Clause 2 explains why we keep it and for how long. " +
            $"You must not use the Services to develop models that compete with us, except where {word} by applicable law. " +
            "Clause 4 explains how you can ask us to delete it.";
        var removed = Paragraph("permitted");
        var added = Paragraph("required");
        return Terms(id: id, sourceId: "openai-terms-of-use", severity: Severity.Warning,
            summary: $"OpenAI terms of use: removed: \"{removed[..119]}…\"; added: \"{added[..119]}…\"",
            added: [added], removed: [removed], unified: $"--- previous\n+++ current\n@@ -1,2 +1,2 @@\n Terms of Use\n-{removed}\n+{added}\n") is var evt
            ? evt with
            {
                Data = evt.Data with
                {
                    Diff = evt.Data.Diff! with
                    {
                        Sentences = new SentenceDiff(
                            ["You must not use the Services to develop models that compete with us, except where required by applicable law."],
                            ["You must not use the Services to develop models that compete with us, except where permitted by applicable law."]),
                    },
                },
            }
            : throw new InvalidOperationException();
    }

    public static ChangeEvent Health(string state, string id = "h1", string sourceId = "openai-terms", string provider = "OpenAI") => new()
    {
        Id = id,
        Source = ChangeEvent.SourceUri(sourceId),
        Type = ChangeEventTypes.HealthChanged,
        Subject = sourceId,
        Time = Time,
        Data = new ChangeEventData
        {
            SourceId = sourceId,
            Kind = "terms",
            Provider = provider,
            Severity = state == "stopped" ? Severity.Warning : Severity.Notice,
            Summary = state == "stopped" ? "OpenAI terms: no longer tracked after 3 failed checks (http-5xx: HTTP 503)" : "OpenAI terms: tracking resumed",
            Url = "https://openai.com/policies/terms-of-use",
            Health = state,
            ErrorCategory = state == "stopped" ? "http-5xx" : null,
        },
    };

    public static ChangeEvent Reachability(string verdict, string id = "r1", string vantagePoint = "globalping:HK", string provider = "OpenAI",
        Severity severity = Severity.Critical, string previous = "reachable") => new()
    {
        Id = id,
        Source = ChangeEvent.SourceUri("openai-api"),
        Type = ChangeEventTypes.ReachabilityChanged,
        Subject = "openai-api",
        Time = Time,
        Data = new ChangeEventData
        {
            SourceId = "openai-api",
            Kind = "reachability",
            Provider = provider,
            Severity = severity,
            Summary = $"OpenAI API from {vantagePoint}: {previous} → {verdict}",
            Url = "https://api.openai.com/v1/models",
            VantagePoint = vantagePoint,
            PreviousVerdict = previous,
            Verdict = verdict,
            Evidence = JsonDocument.Parse("""{"status":403,"body":"{\"error\":{\"code\":\"unsupported_country_region_territory\"}}"}""").RootElement.Clone(),
        },
    };

    public static ChangeEvent Regulatory(string id = "g1", Severity severity = Severity.Warning) => new()
    {
        Id = id,
        Source = ChangeEvent.SourceUri("bis-entity-list"),
        Type = ChangeEventTypes.RegulatoryPublished,
        Subject = "bis-entity-list",
        Time = Time,
        Data = new ChangeEventData
        {
            SourceId = "bis-entity-list",
            Kind = "federal-register",
            Severity = severity,
            Summary = "Additions to the Entity List",
            Url = "https://www.federalregister.gov/d/2026-01234",
            DocumentNumber = "2026-01234",
            Tags = ["export-control"],
        },
    };
}
