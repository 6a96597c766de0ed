using System.Text;
using System.Text.Json.Nodes;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Notifications;

namespace ComplianceWatch.Infrastructure.Notifications;

/// <summary>
/// Block Kit messages for a Slack incoming webhook. Every piece of event text is escaped (<c>&amp;</c>, <c>&lt;</c>,
/// <c>&gt;</c>), so a page can never produce <c>&lt;!channel&gt;</c>, <c>&lt;!here&gt;</c> or a forged <c>&lt;url|text&gt;</c>
/// link; only our own links are written in link syntax. At most 50 blocks and 3,000 characters per section.
/// </summary>
public static class SlackMessageBuilder
{
    public const int MaxBlocks = 50;
    public const int MaxSectionText = 3000;
    public const int MaxDigestEvents = 20;

    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
    }

    /// <summary>Escapes and cuts so the escaped text fits <paramref name="limit"/> characters.</summary>
    public static string EscapeFit(string text, int limit)
    {
        var escaped = Escape(text);
        if (escaped.Length <= limit)
        {
            return escaped;
        }

        var raw = text;
        while (raw.Length > 0 && Escape(raw).Length > limit - 1)
        {
            raw = raw[..Math.Max(0, raw.Length - Math.Max(1, (Escape(raw).Length - limit + 1) / 5))];
        }

        return Escape(raw) + "…";
    }

    /// <summary>Our own link: the URL is validated and its link-breaking characters encoded; the label is escaped.</summary>
    public static string Link(string url, string label) =>
        $"<{url.Replace("|", "%7C", StringComparison.Ordinal).Replace("<", "%3C", StringComparison.Ordinal).Replace(">", "%3E", StringComparison.Ordinal).Replace("&", "&amp;", StringComparison.Ordinal)}|{Escape(label)}>";

    public static JsonObject Build(Notification notification, NotificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentNullException.ThrowIfNull(options);
        if (notification.IsTest)
        {
            return new JsonObject
            {
                ["text"] = $"ComplianceWatch test message for channel {Escape(notification.Channel.Name)}",
                ["blocks"] = new JsonArray(
                    Section($":white_check_mark: *ComplianceWatch test message* for channel `{Escape(notification.Channel.Name)}`.\nChange alerts for the subscribed teams will arrive here.")),
            };
        }

        return notification.IsDigest ? Digest(notification, options) : Single(notification.Items[0], options);
    }

    private static JsonObject Single(NotificationItem item, NotificationOptions options)
    {
        var evt = item.Event;
        var d = evt.Data;
        var blocks = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "header",
                ["text"] = new JsonObject
                {
                    ["type"] = "plain_text",
                    ["text"] = $"{d.Severity.ToName().ToUpperInvariant()}: {MessageContent.Headline(evt)}",
                    ["emoji"] = true,
                },
            },
            Section($"{MessageContent.Emoji(d.Severity)} *{Escape(MessageContent.Subject(evt))}*: {EscapeFit(MessageContent.OneLine(d.Summary), MaxSectionText - 200)}"),
        };
        var fields = new JsonArray();
        foreach (var (label, value) in MessageContent.Facts(evt).Take(10))
        {
            fields.Add(Mrkdwn($"*{label}*\n{EscapeFit(value, 1900)}"));
        }

        blocks.Add(new JsonObject { ["type"] = "section", ["fields"] = fields });
        foreach (var note in item.Affects.Take(5))
        {
            blocks.Add(Section($":dart: *{EscapeFit(note, 2900)}*"));
        }

        if (d.Diff is { } diff)
        {
            var shown = MessageContent.ExcerptOf(diff);
            AddExcerpt(blocks, shown.RemovedLabel, shown.Removed);
            AddExcerpt(blocks, shown.AddedLabel, shown.Added);
        }

        var audit = options.AuditLink(d.SourceId, evt.Id);
        var links = new List<string>();
        if (MessageContent.PageUrl(evt) is { } page)
        {
            links.Add(Link(page, "Source page"));
        }

        links.Add(audit is not null ? Link(audit, "Full diff and evidence") : $"Full diff and evidence: `{Escape(MessageContent.AuditHint(evt))}`");
        links.Add($"event `{Escape(evt.Id)}`");
        if (item.Teams.Count > 0)
        {
            links.Add("for " + Escape(string.Join(", ", item.Teams)));
        }

        blocks.Add(new JsonObject { ["type"] = "context", ["elements"] = new JsonArray(Mrkdwn(Fit(string.Join(" · ", links)))) });
        return new JsonObject
        {
            ["text"] = $"[{d.Severity.ToName()}] {Escape(MessageContent.Subject(evt))}: {EscapeFit(MessageContent.OneLine(d.Summary), 300)}",
            ["blocks"] = blocks,
        };
    }

    private static void AddExcerpt(JsonArray blocks, string label, IReadOnlyList<string> lines)
    {
        var (excerpt, more) = MessageContent.Excerpt(lines);
        if (excerpt.Count == 0)
        {
            return;
        }

        var text = new StringBuilder($"*{label}* ({lines.Count})\n```");
        foreach (var line in excerpt)
        {
            // backticks would end the code block early: shown as a look-alike (the evidence keeps the original)
            text.Append(Escape(line.Replace('`', 'ˋ'))).Append('\n');
        }

        text.Append("```");
        if (more > 0)
        {
            text.Append($"\n…and {more} more");
        }

        blocks.Add(Section(Fit(text.ToString())));
    }

    private static JsonObject Digest(Notification notification, NotificationOptions options)
    {
        var items = notification.Items.Take(MaxDigestEvents).ToArray();
        var worst = items.Max(i => i.Event.Data.Severity);
        var blocks = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "header",
                ["text"] = new JsonObject
                {
                    ["type"] = "plain_text",
                    ["text"] = $"ComplianceWatch: {items.Length} changes (highest: {worst.ToName()})",
                    ["emoji"] = true,
                },
            },
        };
        foreach (var item in items)
        {
            var evt = item.Event;
            var d = evt.Data;
            var text = new StringBuilder();
            text.Append($"{MessageContent.Emoji(d.Severity)} *[{d.Severity.ToName()}] {Escape(MessageContent.Subject(evt))}* · `{Escape(d.SourceId)}`\n");
            text.Append(EscapeFit(MessageContent.OneLine(d.Summary), 600));
            foreach (var note in item.Affects.Take(3))
            {
                text.Append($"\n:dart: *{EscapeFit(note, 200)}*");
            }

            var links = new List<string>();
            if (MessageContent.PageUrl(evt) is { } page)
            {
                links.Add(Link(page, "source page"));
            }

            if (options.AuditLink(d.SourceId, evt.Id) is { } audit)
            {
                links.Add(Link(audit, "details"));
            }

            links.Add($"event `{Escape(evt.Id[..Math.Min(12, evt.Id.Length)])}`");
            text.Append('\n').Append(string.Join(" · ", links));
            blocks.Add(Section(Fit(text.ToString())));
        }

        blocks.Add(new JsonObject
        {
            ["type"] = "context",
            ["elements"] = new JsonArray(Mrkdwn($"Digest {notification.DigestIndex} of {notification.DigestCount}: many changes arrived at once, so they are grouped. Full diffs: `compliancewatch audit`.")),
        });
        return new JsonObject
        {
            ["text"] = $"ComplianceWatch: {items.Length} changes (digest {notification.DigestIndex} of {notification.DigestCount})",
            ["blocks"] = blocks,
        };
    }

    private static string Fit(string mrkdwn) => mrkdwn.Length <= MaxSectionText ? mrkdwn : string.Concat(mrkdwn.AsSpan(0, MaxSectionText - 1), "…");

    private static JsonObject Mrkdwn(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    private static JsonObject Section(string text) => new() { ["type"] = "section", ["text"] = Mrkdwn(Fit(text)) };
}
