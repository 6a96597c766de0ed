using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Core.Tests;

/// <summary>Who gets what: filters, minimum severity and dependsOn, table-driven.</summary>
public sealed class EventRouterTests
{
    private const string Config = """
        {
          // comments are allowed, like in the catalog
          "channels": {
            "slack-all":    { "type": "slack",  "webhookUrl": "%SLACK_ALL%" },
            "slack-openai": { "type": "slack",  "webhookUrl": "%SLACK_OPENAI%" },
            "teams-hk":     { "type": "teams",  "webhookUrl": "%TEAMS_HK%" },
            "gh":           { "type": "github", "repository": "acme/compliance", "token": "%GITHUB_TOKEN%" },
          },
          "subscriptions": [
            { "team": "compliance", "channels": ["slack-all"] },
            { "team": "ml-platform", "channels": ["slack-openai", "gh"],
              "filter": { "kinds": ["terms", "reachability"], "providers": ["OpenAI"], "minSeverity": "warning" },
              "dependsOn": [ { "provider": "OpenAI", "regions": ["HK", "CN"] } ] },
            { "team": "china-ops", "channels": ["teams-hk"], "filter": { "kinds": ["reachability"], "regions": ["hk"] } },
            { "team": "export", "channels": ["gh"], "filter": { "tags": ["Export-Control"], "minSeverity": "notice" } },
            { "team": "anthropic-users", "channels": ["slack-openai"], "filter": { "providers": ["anthropic"], "sources": ["anthropic-aup"] },
              "dependsOn": [ { "provider": "Anthropic" } ] }
          ]
        }
        """;

    private static readonly NotificationConfig Parsed = NotificationConfigLoader.Parse(Config, "channels.json", name => "https://hooks.example/" + name);

    public static TheoryData<string, ChangeEvent, string> Cases => new()
    {
        {
            "OpenAI terms, critical: everything-team, the OpenAI team (filter and dependency) on both its channels",
            SampleEvents.Terms(severity: Severity.Critical),
            "slack-all:compliance; slack-openai:ml-platform|affects ml-platform: OpenAI; gh:ml-platform|affects ml-platform: OpenAI"
        },
        {
            "OpenAI terms, info: below minSeverity, but the dependency still routes it (and says so)",
            SampleEvents.Terms(severity: Severity.Info),
            "slack-all:compliance; slack-openai:ml-platform|affects ml-platform: OpenAI; gh:ml-platform|affects ml-platform: OpenAI"
        },
        {
            "providers match case-insensitively",
            SampleEvents.Terms(provider: "openai", severity: Severity.Warning),
            "slack-all:compliance; slack-openai:ml-platform|affects ml-platform: OpenAI; gh:ml-platform|affects ml-platform: OpenAI"
        },
        {
            "OpenAI blocked from HK: the dependency names the region; the HK team's region filter matches",
            SampleEvents.Reachability("blocked", vantagePoint: "globalping:HK"),
            "slack-all:compliance; slack-openai:ml-platform|affects ml-platform: OpenAI from HK; gh:ml-platform|affects ml-platform: OpenAI from HK; teams-hk:china-ops"
        },
        {
            "a proxy vantage point names its region too",
            SampleEvents.Reachability("blocked", vantagePoint: "proxy:hk", severity: Severity.Notice),
            "slack-all:compliance; slack-openai:ml-platform|affects ml-platform: OpenAI from HK; gh:ml-platform|affects ml-platform: OpenAI from HK; teams-hk:china-ops"
        },
        {
            "OpenAI from JP, notice: not a served region, below minSeverity: only the everything-team",
            SampleEvents.Reachability("blocked", vantagePoint: "globalping:JP", severity: Severity.Notice),
            "slack-all:compliance"
        },
        {
            "OpenAI from JP, critical: the filter matches, no dependency is touched",
            SampleEvents.Reachability("blocked", vantagePoint: "globalping:JP", severity: Severity.Critical),
            "slack-all:compliance; slack-openai:ml-platform; gh:ml-platform"
        },
        {
            "regulatory item without a provider: tag filter (case-insensitive) at or above notice",
            SampleEvents.Regulatory(severity: Severity.Warning),
            "slack-all:compliance; gh:export"
        },
        {
            "regulatory item below the export team's minSeverity",
            SampleEvents.Regulatory(severity: Severity.Info),
            "slack-all:compliance"
        },
        {
            "Anthropic terms of another source: the filter (providers and sources) fails, the dependency routes it",
            SampleEvents.Terms(provider: "Anthropic", sourceId: "anthropic-terms", severity: Severity.Warning),
            "slack-all:compliance; slack-openai:anthropic-users|affects anthropic-users: Anthropic"
        },
        {
            "two teams on one channel: one route naming both teams",
            SampleEvents.Terms(severity: Severity.Warning, tags: ["export-control"]),
            "slack-all:compliance; slack-openai:ml-platform|affects ml-platform: OpenAI; gh:ml-platform,export|affects ml-platform: OpenAI"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Route_DecidesChannelsTeamsAndAffects(string because, ChangeEvent evt, string expected)
    {
        var routes = new EventRouter(Parsed).Route(evt);
        var actual = string.Join("; ", routes.Select(r => $"{r.Channel}:{string.Join(",", r.Teams)}" + (r.Affects.Count > 0 ? "|" + string.Join(",", r.Affects) : "")));
        Assert.True(expected == actual, $"{because}\nexpected: {expected}\nactual:   {actual}");
    }

    [Fact]
    public void Route_LocalVantagePoint_UsesTheConfiguredRegion()
    {
        var evt = SampleEvents.Reachability("blocked", vantagePoint: "local", severity: Severity.Info);
        Assert.Equal("slack-all", Assert.Single(new EventRouter(Parsed).Route(evt)).Channel);
        var routes = new EventRouter(Parsed, localRegion: "cn").Route(evt);
        Assert.Contains(routes, r => r.Channel == "gh" && r.Affects.SequenceEqual(["affects ml-platform: OpenAI from CN"]));
    }

    public static TheoryData<SubscriptionFilter, ChangeEvent, bool> FilterCases => new()
    {
        { SubscriptionFilter.Everything, SampleEvents.Regulatory(), true },
        { new SubscriptionFilter { Providers = ["OpenAI"] }, SampleEvents.Regulatory(), false }, // no provider: no match
        { new SubscriptionFilter { Regions = ["HK"] }, SampleEvents.Terms(), false },             // no region: no match
        { new SubscriptionFilter { Sources = ["OPENAI-SUPPORTED-COUNTRIES"] }, SampleEvents.Terms(), true },
        { new SubscriptionFilter { Tags = ["other", "SUPPORTED-regions"] }, SampleEvents.Terms(), true },
        { new SubscriptionFilter { Kinds = ["reachability"] }, SampleEvents.Terms(), false },
        { new SubscriptionFilter { MinSeverity = Severity.Critical }, SampleEvents.Terms(severity: Severity.Warning), false },
        { new SubscriptionFilter { MinSeverity = Severity.Warning }, SampleEvents.Terms(severity: Severity.Warning), true },
        { new SubscriptionFilter { Kinds = ["terms"], Providers = ["OpenAI"], Tags = ["nope"] }, SampleEvents.Terms(), false }, // all fields must match
    };

    [Theory]
    [MemberData(nameof(FilterCases))]
    public void Matches_EveryGivenFieldMustMatch(SubscriptionFilter filter, ChangeEvent evt, bool expected) =>
        Assert.Equal(expected, EventRouter.Matches(filter, evt, EventRegions.Of(evt)));
}
