using System.Text;
using System.Text.RegularExpressions;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Notifications;

namespace ComplianceWatch.Infrastructure.Notifications;

/// <summary>
/// The GitHub issue of a change event: title <c>[severity] provider: summary</c>, labels for kind, provider and severity,
/// a body with the summary, facts, a fenced diff (the fence longer than any backtick run inside), evidence and links,
/// and hidden markers at its end. Event text outside the fence is escaped and <c>@mentions</c> / <c>#refs</c> are
/// neutralised, so a page can neither ping anyone, link an issue, inject markup nor forge a marker.
/// </summary>
public static partial class GitHubIssueBuilder
{
    public const string Label = "compliancewatch";
    public const int MaxTitle = 256;
    public const int MaxBody = 60_000;
    private const int MaxSentences = 20;

    public static string EventMarker(string eventId) => $"<!-- compliancewatch:event={eventId} -->";

    public static string ThreadMarker(string key) => $"<!-- compliancewatch:thread={key} -->";

    public static string Title(ChangeEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var title = $"[{evt.Data.Severity.ToName()}] {MessageContent.OneLine(MessageContent.Subject(evt))}: {MessageContent.OneLine(evt.Data.Summary)}";
        return NeutralizeReferences(MessageContent.Cut(title, MaxTitle));
    }

    public static IReadOnlyList<string> Labels(ChangeEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var labels = new List<string> { Label, LabelName("kind", evt.Data.Kind), LabelName("severity", evt.Data.Severity.ToName()) };
        if (evt.Data.Provider is { } provider)
        {
            labels.Add(LabelName("provider", provider));
        }

        if (evt.Type == ChangeEventTypes.HealthChanged)
        {
            labels.Add("compliancewatch:health");
        }

        return labels.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    public static string LabelColor(string label) => label switch
    {
        "severity:critical" => "b60205",
        "severity:warning" => "d93f0b",
        "severity:notice" => "1d76db",
        "severity:info" => "c5def5",
        Label => "5319e7",
        _ when label.StartsWith("provider:", StringComparison.Ordinal) => "0e8a16",
        _ => "bfdadc",
    };

    private static string LabelName(string prefix, string value)
    {
        var name = $"{prefix}:{MessageContent.OneLine(value).Replace(',', ' ')}";
        return name.Length <= 50 ? name : name[..50];
    }

    /// <summary>Escapes Markdown and HTML, and breaks <c>@mention</c>, <c>#123</c> and <c>GH-123</c> with a zero-width space.</summary>
    public static string Neutralize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in MessageContent.OneLine(text))
        {
            switch (c)
            {
                case '&': builder.Append("&amp;"); break;
                case '<': builder.Append("&lt;"); break;
                case '>': builder.Append("&gt;"); break;
                case '\\' or '`' or '*' or '_' or '[' or ']' or '(' or ')' or '|' or '~' or '!' or '{' or '}':
                    builder.Append('\\').Append(c);
                    break;
                default: builder.Append(c); break;
            }
        }

        return NeutralizeReferences(builder.ToString());
    }

    /// <summary>Breaks <c>@mention</c>, <c>#123</c> and <c>GH-123</c> with a zero-width space (titles are not Markdown, but GitHub links them).</summary>
    public static string NeutralizeReferences(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = Mention().Replace(text, "@\u200B$1");
        text = Reference().Replace(text, "#\u200B$1");
        return GhReference().Replace(text, "$1\u200B-$2");
    }

    /// <summary>A fence longer than any run of backticks in <paramref name="content"/> (at least three).</summary>
    public static string Fence(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var longest = 0;
        var run = 0;
        foreach (var c in content)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return new string('`', Math.Max(3, longest + 1));
    }

    public static string Body(NotificationItem item, NotificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(options);
        var evt = item.Event;
        var d = evt.Data;
        var body = new StringBuilder();
        body.Append("**").Append(Neutralize(d.Summary)).Append("**\n\n");
        foreach (var note in item.Affects)
        {
            body.Append("> [!IMPORTANT]\n> ").Append(Neutralize(note)).Append('\n');
        }

        if (item.Affects.Count > 0)
        {
            body.Append('\n');
        }

        body.Append("| | |\n|---|---|\n");
        foreach (var (label, value) in MessageContent.Facts(evt))
        {
            body.Append("| ").Append(label).Append(" | ").Append(Neutralize(value)).Append(" |\n");
        }

        if (item.Teams.Count > 0)
        {
            body.Append("| Teams | ").Append(Neutralize(string.Join(", ", item.Teams))).Append(" |\n");
        }

        if (evt.Type == ChangeEventTypes.HealthChanged && d.Health == "stopped")
        {
            body.Append("\nThis source failed its recent checks and is **not tracked** until it recovers; this issue is closed automatically when tracking resumes.\n");
        }

        var diff = DiffText(evt);
        if (diff.Length > 0)
        {
            var (added, removed) = (d.Diff?.Added.Count ?? 0, d.Diff?.Removed.Count ?? 0);
            body.Append("\n### What changed\n\n");
            if (d.Diff is not null)
            {
                body.Append($"{removed} removed, {added} added.\n\n");
            }

            if (d.Diff is { } changed && MessageContent.HasInformativeSentences(changed))
            {
                var sentences = new StringBuilder();
                foreach (var sentence in changed.Sentences!.Removed.Take(MaxSentences)) { sentences.Append("- ").Append(MessageContent.OneLine(sentence)).Append('\n'); }
                foreach (var sentence in changed.Sentences.Added.Take(MaxSentences)) { sentences.Append("+ ").Append(MessageContent.OneLine(sentence)).Append('\n'); }
                var sentenceFence = Fence(sentences.ToString());
                body.Append("Changed sentences:\n\n").Append(sentenceFence).Append("diff\n").Append(sentences).Append(sentenceFence).Append("\n\n");
                var left = changed.Sentences.Removed.Count + changed.Sentences.Added.Count - Math.Min(MaxSentences, changed.Sentences.Removed.Count) - Math.Min(MaxSentences, changed.Sentences.Added.Count);
                if (left > 0)
                {
                    body.Append($"…and {left} more changed sentences in the diff below.\n\n");
                }

                body.Append("Full diff:\n\n");
            }

            var room = MaxBody - body.Length - 2_000;
            var truncated = diff.Length > room;
            if (truncated)
            {
                diff = diff[..Math.Max(0, room)];
            }

            var fence = Fence(diff);
            body.Append(fence).Append(d.Diff is not null ? "diff" : "json").Append('\n').Append(diff.TrimEnd('\n')).Append('\n').Append(fence).Append('\n');
            if (truncated)
            {
                body.Append("\n_The diff is cut here; the audit view has all of it._\n");
            }
        }

        body.Append("\n### Evidence\n\n");
        if (MessageContent.PageUrl(evt) is { } page)
        {
            body.Append("- Source: ").Append(page).Append('\n');
        }

        if (d.PdfUrl is { } pdf && MessageContent.SafeUrl(pdf) is { } safePdf)
        {
            body.Append("- PDF: ").Append(safePdf).Append('\n');
        }

        if (d.PreviousHash is not null || d.CurrentHash is not null)
        {
            body.Append("- Content hash: `").Append(d.PreviousHash ?? "-").Append("` → `").Append(d.CurrentHash ?? "-").Append("`\n");
        }

        if (d.PreviousEntryHash is not null)
        {
            body.Append("- History chain head: `").Append(d.PreviousEntryHash).Append("`\n");
        }

        body.Append("- Event: `").Append(evt.Id).Append("` (").Append(evt.Type).Append(")\n");
        body.Append(options.AuditLink(d.SourceId, evt.Id) is { } audit && MessageContent.SafeUrl(audit) is { } safeAudit
            ? $"- Audit view: {safeAudit}\n"
            : $"- Audit: `{MessageContent.AuditHint(evt)}`\n");
        body.Append('\n');
        if (item.Thread is { } thread)
        {
            body.Append(ThreadMarker(thread.Key)).Append('\n');
        }

        body.Append(EventMarker(evt.Id)).Append('\n');
        return body.ToString();
    }

    /// <summary>The diff lines for the fence: removed and added entries, or the unified diff; the evidence JSON for reachability.</summary>
    private static string DiffText(ChangeEvent evt)
    {
        var d = evt.Data;
        if (d.Diff is { } diff)
        {
            if (!string.IsNullOrWhiteSpace(diff.Unified) && MessageContent.IsTerms(evt) && diff.Unified.Length < 40_000)
            {
                return diff.Unified;
            }

            var text = new StringBuilder();
            foreach (var line in diff.Removed)
            {
                text.Append("- ").Append(line).Append('\n');
            }

            foreach (var line in diff.Added)
            {
                text.Append("+ ").Append(line).Append('\n');
            }

            return text.ToString();
        }

        return d.Evidence is { } evidence ? evidence.ToString() : "";
    }

    /// <summary>The markers at the end of an issue body (only trailing marker lines count: fetched text cannot put one there).</summary>
    public static (string? EventId, string? Thread) ReadMarkers(string? body)
    {
        if (string.IsNullOrEmpty(body))
        {
            return (null, null);
        }

        string? eventId = null, thread = null;
        foreach (var line in body.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd().Split('\n').Reverse())
        {
            var match = Marker().Match(line.Trim());
            if (!match.Success)
            {
                break;
            }

            if (match.Groups[1].Value == "event")
            {
                eventId ??= match.Groups[2].Value;
            }
            else
            {
                thread ??= match.Groups[2].Value;
            }
        }

        return (eventId, thread);
    }

    public static string TestBody(string channel) =>
        $"This is a test message of ComplianceWatch for channel `{Neutralize(channel)}`; it was closed right away. Change alerts open issues like this one.\n\n<!-- compliancewatch:test -->\n";

    public static string RecoveryComment(NotificationItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var evt = item.Event;
        return $"**{Neutralize(evt.Data.Summary)}** ({MessageContent.Time(evt)})\n\nClosing: the condition this issue reported has ended.\n\n- Event: `{evt.Id}` ({evt.Type})\n\n{EventMarker(evt.Id)}\n";
    }

    [GeneratedRegex(@"@([A-Za-z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Mention();

    [GeneratedRegex(@"#([0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();

    [GeneratedRegex(@"\b(GH)-([0-9])", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex GhReference();

    [GeneratedRegex(@"^<!-- compliancewatch:(event|thread)=([^\s<>]+) -->$", RegexOptions.CultureInvariant)]
    private static partial Regex Marker();
}
