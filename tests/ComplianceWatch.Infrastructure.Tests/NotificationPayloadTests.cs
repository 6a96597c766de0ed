using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Infrastructure.Notifications;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>Golden payloads for Slack, Teams and GitHub, and hostile page text arriving inert in each.</summary>
public sealed class NotificationPayloadTests
{
    private static readonly NotificationConfig Config = TestChannels.Config(new Uri("https://hooks.example/services/T/B/X"), new Uri("https://flows.example/x?sig=S"), new Uri("https://api.github.com/"));
    private static readonly NotificationOptions Options = new() { AuditUrl = "https://compliancewatch.example/audit?source={sourceId}&event={eventId}" };

    private static NotificationItem Item(ChangeEvent evt, params string[] affects) => new()
    {
        Event = evt, Teams = ["ml-platform"], Affects = affects, Thread = EventThread.Of(evt), QueuedAt = SampleEvents.Time,
    };

    private static Notification Single(string channel, ChangeEvent evt, params string[] affects) =>
        new() { Channel = Config.Channels[channel], Items = [Item(evt, affects)] };

    private static ChangeEvent HostileEvent() => SampleEvents.Terms(
        summary: "OpenAI terms: " + SampleEvents.Hostile,
        added: ["<!channel> please click <https://evil.example|here>", "@octocat fixed #1", "````"],
        removed: ["China"]);

    private static string Pretty(string json) => JsonNode.Parse(json)!.ToJsonString(JsonDefaults.Indented);

    [Fact]
    public void Slack_Change_MatchesGolden()
    {
        var json = SlackMessageBuilder.Build(Single("slack", SampleEvents.Terms(), "affects ml-platform: OpenAI"), Options).ToJsonString(JsonDefaults.Indented);
        Golden.Match("slack-change.json", json);
    }

    [Fact]
    public void ParagraphEdit_ShowsTheChangedSentencesInSlackTeamsAndGitHub()
    {
        var evt = SampleEvents.TermsParagraphEdit();
        const string Before = "except where permitted by applicable law.";
        const string After = "except where required by applicable law.";

        var slack = SlackMessageBuilder.Build(Single("slack", evt), Options).ToJsonString(JsonDefaults.Indented);
        Golden.Match("slack-sentences.json", slack);
        Assert.Contains("*Removed sentences* (1)", slack, StringComparison.Ordinal);
        Assert.Contains(After, slack, StringComparison.Ordinal);

        var teams = Pretty(TeamsCardBuilder.Build(Single("teams", evt), Options));
        Golden.Match("teams-sentences.json", teams);
        Assert.Contains("Added sentences (1)", teams, StringComparison.Ordinal);
        Assert.Contains(Before, teams, StringComparison.Ordinal);

        var github = GitHubIssueBuilder.Body(Item(evt), Options);
        Golden.Match("github-sentences.md", github);
        Assert.Contains("Changed sentences:\n\n```diff\n- You must not use the Services to develop models that compete with us, " + Before + "\n+ You must not use the Services to develop models that compete with us, " + After + "\n```", github, StringComparison.Ordinal);
    }

    [Fact]
    public void OneLineChange_ShowsTheLinesOnce_WhenTheSentencesAreTheLines()
    {
        var evt = SampleEvents.Terms();
        evt = evt with { Data = evt.Data with { Diff = evt.Data.Diff! with { Sentences = new SentenceDiff(["Vietnam"], ["China"]) } } };
        var slack = SlackMessageBuilder.Build(Single("slack", evt, "affects ml-platform: OpenAI"), Options).ToJsonString(JsonDefaults.Indented);
        Golden.Match("slack-change.json", slack);
        Assert.DoesNotContain("Changed sentences", GitHubIssueBuilder.Body(Item(evt), Options), StringComparison.Ordinal);
    }

    [Fact]
    public void Slack_Digest_MatchesGolden_AndStaysWithinBlockAndSectionLimits()
    {
        var items = Enumerable.Range(1, 20).Select(i => Item(SampleEvents.Terms(id: $"e{i:D2}", summary: new string('x', 5000)))).ToArray();
        var payload = SlackMessageBuilder.Build(new Notification { Channel = Config.Channels["slack"], Items = items, DigestIndex = 2, DigestCount = 10 }, Options);
        var blocks = payload["blocks"]!.AsArray();
        Assert.True(blocks.Count <= 50);
        Assert.All(blocks, b => Assert.True((b!["text"]?["text"]?.GetValue<string>().Length ?? 0) <= 3000));
        var small = SlackMessageBuilder.Build(new Notification
        {
            Channel = Config.Channels["slack"],
            Items = [Item(SampleEvents.Terms(id: "d1")), Item(SampleEvents.Health("stopped", id: "d2")), Item(SampleEvents.Reachability("blocked", id: "d3"), "affects ml-platform: OpenAI from HK")],
            DigestIndex = 1,
            DigestCount = 1,
        }, Options);
        Golden.Match("slack-digest.json", small.ToJsonString(JsonDefaults.Indented));
    }

    [Fact]
    public void Slack_HostilePageText_ArrivesInert()
    {
        var json = SlackMessageBuilder.Build(Single("slack", HostileEvent()), Options).ToJsonString(JsonDefaults.Options);
        Assert.DoesNotContain("<!channel>", json, StringComparison.Ordinal);
        Assert.DoesNotContain("<!here>", json, StringComparison.Ordinal);
        Assert.DoesNotContain("<https://evil.example", json, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", json, StringComparison.Ordinal);
        Assert.Contains("&lt;!channel&gt;", json, StringComparison.Ordinal);
        Assert.Contains("&lt;https://evil.example|click&gt;", json, StringComparison.Ordinal);
        Assert.Contains("&amp;amp;", json, StringComparison.Ordinal); // even an entity in the page stays text
        // the only links are ours
        var links = System.Text.RegularExpressions.Regex.Matches(json, "<([^>]*)>").Select(m => m.Groups[1].Value).ToArray();
        Assert.All(links, l => Assert.True(l.StartsWith("https://platform.openai.com/", StringComparison.Ordinal) || l.StartsWith("https://compliancewatch.example/", StringComparison.Ordinal), l));
    }

    [Fact]
    public void Teams_Change_MatchesGolden_InTheWorkflowsEnvelope()
    {
        var json = TeamsCardBuilder.Build(Single("teams", SampleEvents.Terms(), "affects ml-platform: OpenAI"), Options);
        var envelope = JsonNode.Parse(json)!;
        Assert.Equal("message", envelope["type"]!.GetValue<string>());
        Assert.Equal("application/vnd.microsoft.card.adaptive", envelope["attachments"]![0]!["contentType"]!.GetValue<string>());
        Assert.Equal("AdaptiveCard", envelope["attachments"]![0]!["content"]!["type"]!.GetValue<string>());
        Golden.Match("teams-change.json", Pretty(json));
    }

    [Fact]
    public void Teams_HostilePageText_OnlyInPlainTextRuns()
    {
        var json = TeamsCardBuilder.Build(Single("teams", HostileEvent()), Options);
        var card = JsonNode.Parse(json)!["attachments"]![0]!["content"]!;
        var textBlocks = card["body"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "TextBlock").Select(b => b!["text"]!.GetValue<string>()).ToArray();
        Assert.All(textBlocks, t => Assert.DoesNotContain("evil", t, StringComparison.Ordinal));
        var runs = card["body"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "RichTextBlock")
            .SelectMany(b => b!["inlines"]!.AsArray()).Select(r => r!["text"]!.GetValue<string>()).ToArray();
        Assert.Contains(runs, r => r.Contains("[x](https://evil.example)", StringComparison.Ordinal)); // shown as text, not a link
        var urls = card["actions"]!.AsArray().Select(a => a!["url"]!.GetValue<string>());
        Assert.DoesNotContain(urls, u => u.Contains("evil", StringComparison.Ordinal));
    }

    [Fact]
    public void Teams_HugeDiff_StaysUnder28KB()
    {
        var lines = Enumerable.Range(0, 5000).Select(i => $"line {i} " + new string('y', 300)).ToArray();
        var json = TeamsCardBuilder.Build(Single("teams", SampleEvents.Terms(added: lines, removed: lines, summary: new string('z', 50_000))), Options);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(json) <= 28 * 1024);
        var digest = TeamsCardBuilder.Build(new Notification
        {
            Channel = Config.Channels["teams"],
            Items = Enumerable.Range(0, 10).Select(i => Item(SampleEvents.Terms(id: $"big{i}", summary: new string('z', 50_000)), new string('a', 5000))).ToArray(),
        }, Options);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(digest) <= 28 * 1024);
    }

    [Fact]
    public void GitHub_Issue_MatchesGolden_TitleLabelsBodyAndMarker()
    {
        var evt = SampleEvents.Terms(unified: "--- previous\n+++ current\n@@ -1,3 +1,3 @@\n France\n-China\n+Vietnam\n Japan\n");
        Assert.Equal("[critical] OpenAI: OpenAI API supported countries: removed: China; added: Vietnam", GitHubIssueBuilder.Title(evt));
        Assert.Equal(["compliancewatch", "kind:terms", "severity:critical", "provider:OpenAI"], GitHubIssueBuilder.Labels(evt));
        var body = GitHubIssueBuilder.Body(Item(evt, "affects ml-platform: OpenAI"), Options);
        Assert.EndsWith("<!-- compliancewatch:event=e1 -->\n", body, StringComparison.Ordinal);
        Golden.Match("github-change.md", body);
        Golden.Match("github-health.md", GitHubIssueBuilder.Body(Item(SampleEvents.Health("stopped")), new NotificationOptions()));
    }

    [Fact]
    public void GitHub_HostilePageText_IsNeutralizedOutsideTheFence_AndCannotForgeAMarker()
    {
        var evt = HostileEvent();
        var body = GitHubIssueBuilder.Body(Item(evt), Options);
        var fence = GitHubIssueBuilder.Fence(string.Join("\n", evt.Data.Diff!.Added));
        Assert.Equal("`````", fence); // longer than the 4-backtick run in the diff
        var start = body.IndexOf(fence + "diff\n", StringComparison.Ordinal);
        var end = body.IndexOf("\n" + fence + "\n", start + 1, StringComparison.Ordinal);
        Assert.True(start > 0 && end > start);
        var outside = body[..start] + body[(end + fence.Length + 2)..];
        var inside = body[start..end];
        Assert.Contains("@octocat fixed #1", inside, StringComparison.Ordinal); // evidence kept verbatim inside the fence
        Assert.DoesNotContain("@octocat", outside, StringComparison.Ordinal);
        Assert.DoesNotContain("@here", outside, StringComparison.Ordinal);
        Assert.DoesNotContain("#1", outside, StringComparison.Ordinal);
        Assert.DoesNotContain("GH-2", outside, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", outside, StringComparison.Ordinal);
        Assert.DoesNotContain("[x](https://evil.example)", outside, StringComparison.Ordinal);
        Assert.DoesNotContain("<!-- compliancewatch:event=forged", outside, StringComparison.Ordinal);
        Assert.Contains("@\u200Boctocat", outside, StringComparison.Ordinal);
        Assert.Equal(("e1", null), GitHubIssueBuilder.ReadMarkers(body));
        Assert.DoesNotContain("@octocat", GitHubIssueBuilder.Title(evt), StringComparison.Ordinal);
        Assert.DoesNotContain("#1", GitHubIssueBuilder.Title(evt), StringComparison.Ordinal);
    }
}
