using System.Text;
using System.Text.Json.Nodes;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Notifications;

namespace ComplianceWatch.Infrastructure.Notifications;

/// <summary>
/// An Adaptive Card inside the Workflows webhook envelope. Event text goes only into <c>TextRun</c>s of
/// <c>RichTextBlock</c>s, which Teams shows as plain text (no markdown, no mentions); <c>TextBlock</c>s and facts carry
/// only our own words and constrained values. The whole payload stays under 28 KB: excerpts shrink until it fits.
/// </summary>
public static class TeamsCardBuilder
{
    public const int MaxPayloadBytes = 28 * 1024;
    public const int MaxDigestEvents = 10;

    /// <summary>The envelope as JSON, within <see cref="MaxPayloadBytes"/>.</summary>
    public static string Build(Notification notification, NotificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(notification);
        foreach (var (lines, length) in new[] { (MessageContent.ExcerptLines, 300), (4, 200), (2, 120), (0, 80), (0, 40) })
        {
            var json = Envelope(Card(notification, options, lines, length)).ToJsonString(JsonDefaults.Options);
            if (Encoding.UTF8.GetByteCount(json) <= MaxPayloadBytes - 512)
            {
                return json;
            }
        }

        // last resort: headline only
        return Envelope(Card(notification with { Items = notification.Items.Select(i => i with { Affects = [] }).ToArray() }, options, 0, 20)).ToJsonString(JsonDefaults.Options);
    }

    public static JsonObject Envelope(JsonObject card) => new()
    {
        ["type"] = "message",
        ["attachments"] = new JsonArray(new JsonObject
        {
            ["contentType"] = "application/vnd.microsoft.card.adaptive",
            ["contentUrl"] = null,
            ["content"] = card,
        }),
    };

    private static JsonObject Card(Notification notification, NotificationOptions options, int excerptLines, int textLength)
    {
        var body = new JsonArray();
        var actions = new JsonArray();
        if (notification.IsTest)
        {
            body.Add(Title("ComplianceWatch test message", "Good"));
            body.Add(Rich(Run($"Channel {notification.Channel.Name}: change alerts for the subscribed teams will arrive here.")));
        }
        else if (notification.IsDigest)
        {
            var items = notification.Items.Take(MaxDigestEvents).ToArray();
            body.Add(Title($"ComplianceWatch: {items.Length} changes (highest: {items.Max(i => i.Event.Data.Severity).ToName()})", Color(items.Max(i => i.Event.Data.Severity))));
            foreach (var item in items)
            {
                var evt = item.Event;
                var runs = new List<JsonObject>
                {
                    Run($"[{evt.Data.Severity.ToName()}] {MessageContent.Cut(MessageContent.Subject(evt), 80)} · {evt.Data.SourceId}\n", bold: true),
                    Run(MessageContent.Cut(evt.Data.Summary, Math.Max(40, textLength * 2))),
                };
                runs.AddRange(item.Affects.Take(3).Select(a => Run("\n" + MessageContent.Cut(a, 120), bold: true, color: "Attention")));
                body.Add(Rich([.. runs], separator: true));
            }

            body.Add(Rich(Run($"Digest {notification.DigestIndex} of {notification.DigestCount}: many changes arrived at once, so they are grouped. Full diffs: compliancewatch audit.", subtle: true)));
        }
        else
        {
            var item = notification.Items[0];
            var evt = item.Event;
            var d = evt.Data;
            body.Add(Title($"{d.Severity.ToName().ToUpperInvariant()}: {MessageContent.Headline(evt)}", Color(d.Severity)));
            body.Add(Rich(Run(MessageContent.Cut(MessageContent.Subject(evt), 120) + ": ", bold: true), Run(MessageContent.Cut(d.Summary, Math.Max(80, textLength * 3)))));
            foreach (var note in item.Affects.Take(5))
            {
                body.Add(Rich(Run(MessageContent.Cut(note, 200), bold: true, color: "Attention")));
            }

            body.Add(Rich(MessageContent.Facts(evt).SelectMany(f => new[] { Run(f.Label + ": ", bold: true), Run(MessageContent.Cut(f.Value, 200) + "\n") }).ToArray()));
            if (d.Diff is { } diff && excerptLines > 0)
            {
                var shown = MessageContent.ExcerptOf(diff);
                AddExcerpt(body, shown.RemovedLabel, shown.Removed, excerptLines, textLength);
                AddExcerpt(body, shown.AddedLabel, shown.Added, excerptLines, textLength);
            }

            body.Add(Rich(Run($"Event {evt.Id}" + (item.Teams.Count > 0 ? $" · for {string.Join(", ", item.Teams)}" : "") +
                (options.AuditLink(d.SourceId, evt.Id) is null ? $" · full diff: {MessageContent.AuditHint(evt)}" : ""), subtle: true)));
            if (MessageContent.PageUrl(evt) is { } page)
            {
                actions.Add(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = "Source page", ["url"] = page });
            }

            if (MessageContent.SafeUrl(options.AuditLink(d.SourceId, evt.Id)) is { } audit)
            {
                actions.Add(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = "Full diff and evidence", ["url"] = audit });
            }
        }

        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["msteams"] = new JsonObject { ["width"] = "Full" },
            ["body"] = body,
        };
        if (actions.Count > 0)
        {
            card["actions"] = actions;
        }

        return card;
    }

    private static void AddExcerpt(JsonArray body, string label, IReadOnlyList<string> lines, int count, int length)
    {
        var (excerpt, more) = MessageContent.Excerpt(lines, count, length);
        if (excerpt.Count == 0)
        {
            return;
        }

        var runs = new List<JsonObject> { Run($"{label} ({lines.Count})\n", bold: true) };
        runs.Add(Run(string.Join("\n", excerpt) + (more > 0 ? $"\n…and {more} more" : ""), monospace: true));
        body.Add(Rich([.. runs]));
    }

    private static string Color(Severity severity) => severity switch
    {
        Severity.Critical => "Attention",
        Severity.Warning => "Warning",
        Severity.Notice => "Accent",
        _ => "Default",
    };

    /// <summary>A heading of our own words only.</summary>
    private static JsonObject Title(string text, string color) => new()
    {
        ["type"] = "TextBlock", ["text"] = text, ["weight"] = "Bolder", ["size"] = "Medium", ["color"] = color, ["wrap"] = true,
    };

    private static JsonObject Rich(params JsonObject[] runs) => Rich(runs, separator: false);

    private static JsonObject Rich(JsonObject[] runs, bool separator)
    {
        var block = new JsonObject { ["type"] = "RichTextBlock", ["inlines"] = new JsonArray(runs.Select(r => (JsonNode)r).ToArray()) };
        if (separator)
        {
            block["separator"] = true;
        }

        return block;
    }

    /// <summary>Plain text: a TextRun is not parsed for markdown.</summary>
    private static JsonObject Run(string text, bool bold = false, bool subtle = false, bool monospace = false, string? color = null)
    {
        var run = new JsonObject { ["type"] = "TextRun", ["text"] = text };
        if (bold)
        {
            run["weight"] = "Bolder";
        }

        if (subtle)
        {
            run["isSubtle"] = true;
        }

        if (monospace)
        {
            run["fontType"] = "Monospace";
        }

        if (color is not null)
        {
            run["color"] = color;
        }

        return run;
    }
}
