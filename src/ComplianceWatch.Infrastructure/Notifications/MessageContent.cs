using System.Globalization;
using System.Text;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Diffing;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Notifications;

namespace ComplianceWatch.Infrastructure.Notifications;

/// <summary>What every sink shows of an event, before sink-specific escaping: headline, facts, excerpt, links.</summary>
internal static class MessageContent
{
    public const int ExcerptLines = 8;
    public const int ExcerptLineLength = 200;

    public static string Headline(ChangeEvent evt) => evt.Type switch
    {
        ChangeEventTypes.HealthChanged => evt.Data.Health == "resumed" ? "tracking resumed" : "source no longer tracked",
        ChangeEventTypes.ReachabilityChanged => "reachability changed",
        ChangeEventTypes.RegulatoryPublished => "regulatory publication",
        ChangeEventTypes.ScreeningChanged => "screening list changed",
        _ => $"{evt.Data.Kind} change",
    };

    /// <summary>The name an event is announced under: its provider, else its source id.</summary>
    public static string Subject(ChangeEvent evt) => evt.Data.Provider ?? evt.Data.SourceId;

    public static string Time(ChangeEvent evt) => evt.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>Facts as (label, value) pairs; values are event data, to be escaped by the sink.</summary>
    public static IReadOnlyList<(string Label, string Value)> Facts(ChangeEvent evt)
    {
        var d = evt.Data;
        var facts = new List<(string, string)> { ("Severity", d.Severity.ToName()) };
        if (d.Provider is not null)
        {
            facts.Add(("Provider", d.Provider));
        }

        facts.Add(("Source", d.SourceId));
        facts.Add(("Kind", d.Kind));
        if (d.VantagePoint is not null)
        {
            facts.Add(("Vantage point", d.VantagePoint));
        }

        if (d.Verdict is not null)
        {
            facts.Add(("Verdict", d.PreviousVerdict is null ? d.Verdict : $"{d.PreviousVerdict} → {d.Verdict}"));
        }

        if (d.ErrorCategory is not null)
        {
            facts.Add(("Error", d.ErrorCategory));
        }

        if (d.DocumentNumber is not null)
        {
            facts.Add(("Document", d.DocumentNumber));
        }

        if (d.Entity is not null)
        {
            facts.Add(("Entity", d.Entity));
        }

        facts.Add(("Detected", Time(evt)));
        return facts;
    }

    /// <summary>The first lines of a list, each cut to a length, and how many were left out.</summary>
    public static (IReadOnlyList<string> Lines, int More) Excerpt(IReadOnlyList<string>? lines, int count = ExcerptLines, int length = ExcerptLineLength)
    {
        if (lines is null || lines.Count == 0)
        {
            return ([], 0);
        }

        return (lines.Take(count).Select(l => Cut(l, length)).ToArray(), Math.Max(0, lines.Count - count));
    }

    public static string Cut(string text, int length)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = OneLine(text);
        return text.Length <= length ? text : string.Concat(text.AsSpan(0, Math.Max(0, length - 1)), "…");
    }

    public static string OneLine(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return builder.ToString().Trim();
    }

    /// <summary>The evidence link of an event: the watched page, or for regulatory items the document.</summary>
    public static string? PageUrl(ChangeEvent evt) => SafeUrl(evt.Data.HtmlUrl ?? evt.Data.Url);

    public static string AuditHint(ChangeEvent evt) => $"compliancewatch audit --source {evt.Data.SourceId}";

    /// <summary>An absolute http(s) URL, or null: only such links are ever rendered.</summary>
    public static string? SafeUrl(string? url) =>
        url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri.AbsoluteUri
            : null;

    public static bool IsRecovery(NotificationItem item) => item.Thread is { Role: ThreadRole.Closes };

    public static string Emoji(Severity severity) => severity switch
    {
        Severity.Critical => ":red_circle:",
        Severity.Warning => ":large_orange_circle:",
        Severity.Notice => ":large_blue_circle:",
        _ => ":white_circle:",
    };

    /// <summary>
    /// What a message shows of a diff: the changed sentences (<c>diff.sentences</c>) when they say more precisely what
    /// changed than the lines do (a one-word edit in a long paragraph), else the lines or entries.
    /// </summary>
    public static DiffExcerpt ExcerptOf(ContentDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        return HasInformativeSentences(diff)
            ? new DiffExcerpt("Removed sentences", diff.Sentences!.Removed, "Added sentences", diff.Sentences.Added)
            : new DiffExcerpt("Removed", diff.Removed, "Added", diff.Added);
    }

    /// <summary>Whether <c>diff.sentences</c> differs from the changed lines (else showing it would repeat them).</summary>
    public static bool HasInformativeSentences(ContentDiff diff) => ContentDiffer.SentencesSayMore(diff);

    public static bool HasDiff(ChangeEvent evt) => evt.Data.Diff is { } d && (d.Added.Count > 0 || d.Removed.Count > 0);

    public static bool IsTerms(ChangeEvent evt) => evt.Data.Kind == SourceKinds.Terms;
}

/// <summary>The two sides of a diff as a message shows them, with their labels.</summary>
internal sealed record DiffExcerpt(string RemovedLabel, IReadOnlyList<string> Removed, string AddedLabel, IReadOnlyList<string> Added);
