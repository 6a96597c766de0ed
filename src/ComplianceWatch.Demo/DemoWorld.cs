using System.Globalization;
using ComplianceWatch.Demo.Fakes;

namespace ComplianceWatch.Demo;

/// <summary>
/// The outside world of the demo, on 127.0.0.1: the web sites and the screening list (one <see cref="LoopbackServer"/>),
/// Globalping, the Federal Register API, and the inbox that answers as Slack, Teams and GitHub. <see cref="Apply"/> moves
/// it to a step of <see cref="DemoEpisode"/>.
/// </summary>
public sealed class DemoWorld : IAsyncDisposable
{
    private const string GitHubToken = "ghp_demoTokenForTheLocalInbox0000000000";

    private readonly HashSet<string> published = new(StringComparer.Ordinal);

    private DemoWorld(LoopbackServer site, FakeGlobalping globalping, FakeFederalRegisterApi federalRegister, DemoInbox inbox)
    {
        Site = site;
        Globalping = globalping;
        FederalRegister = federalRegister;
        Inbox = inbox;
    }

    public LoopbackServer Site { get; }
    public FakeGlobalping Globalping { get; }
    public FakeFederalRegisterApi FederalRegister { get; }
    public DemoInbox Inbox { get; }

    /// <summary>The step the world is at (-1 before the first <see cref="Apply"/>).</summary>
    public int Step { get; private set; } = -1;

    /// <summary>Starts every server; the inbox keeps each request it receives, and writes them under <paramref name="inboxDirectory"/> when collected.</summary>
    public static async Task<DemoWorld> StartAsync(string inboxDirectory)
    {
        var site = await LoopbackServer.StartAsync();
        var globalping = await FakeGlobalping.StartAsync();
        var federalRegister = await FakeFederalRegisterApi.StartAsync();
        var inbox = await DemoInbox.StartAsync(inboxDirectory, GitHubToken);
        globalping.Results = country => DemoEpisode.ProbeResults(country, 0);
        return new DemoWorld(site, globalping, federalRegister, inbox);
    }

    /// <summary>Serves the world as it is at the end of <paramref name="step"/>.</summary>
    public void Apply(int step)
    {
        Step = step;
        Site.Set("en/articles/5347006-openai-api-supported-countries-and-territories", Page.Html(DemoEpisode.SitePage("supported-countries.html", step)));
        Site.Set("policies/usage-policies/", Page.Html(DemoEpisode.SitePage("usage-policies.html", step)));
        Site.Set("zhipu/announcements", Page.Html(DemoEpisode.SitePage("zhipu-announcements.html", step)));
        Site.Set("qianfan/announcements.rss", new Page { Body = DemoEpisode.SitePage("qianfan-announcements.rss", step), ContentType = "application/rss+xml; charset=utf-8" });
        Site.Set("downloadable_consolidated_screening_list/v1/consolidated.json", new Page { Body = DemoEpisode.ScreeningList(step), ContentType = "application/json; charset=utf-8" });
        Globalping.Results = country => DemoEpisode.ProbeResults(country, step);
        foreach (var document in DemoEpisode.FederalRegisterDocuments(step).Where(d => published.Add(d.DocumentNumber)))
        {
            FederalRegister.Publish(document);
        }
    }

    /// <summary>The demo's catalog, pointed at this world (<c>Episode/catalog.json</c> with its placeholders filled).</summary>
    public string Catalog(DateOnly today) => DemoEpisode.Read("catalog.json")
        .Replace("{{SITE}}", Site.BaseUrl.ToString(), StringComparison.Ordinal)
        .Replace("{{FEDERAL_REGISTER}}", FederalRegister.Endpoint, StringComparison.Ordinal)
        .Replace("{{LOOKBACK_DAYS}}", DemoEpisode.LookbackDays(today).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>The demo's channels and subscriptions (<c>Episode/channels.json</c>); its references resolve through <see cref="Settings"/>.</summary>
    public static string Channels() => DemoEpisode.Read("channels.json");

    /// <summary>
    /// The settings the demo's checks run with, over the environment's: Globalping is the demo's, the channel references
    /// resolve to the inbox, and a Service Bus or Table Storage the environment may name is not used (the demo keeps to
    /// 127.0.0.1 and its own directory).
    /// </summary>
    public IReadOnlyDictionary<string, string?> Settings() => new Dictionary<string, string?>
    {
        ["ComplianceWatch:Globalping:Endpoint"] = Globalping.Endpoint.ToString(),
        ["ComplianceWatch:Globalping:Token"] = "",
        ["ComplianceWatch:Globalping:PollInterval"] = "00:00:00.500",
        ["ComplianceWatch:ServiceBus:ConnectionString"] = "",
        ["ComplianceWatch:Storage:ConnectionString"] = "",
        // the inbox has no rate limits to respect: pace at 5 requests a second instead of Slack's and GitHub's 1
        ["ComplianceWatch:Notifications:SlackMinInterval"] = "00:00:00.200",
        ["ComplianceWatch:Notifications:GitHubMinInterval"] = "00:00:00.200",
        ["DEMO_SLACK_WEBHOOK_URL"] = Inbox.Slack.WebhookUrl.AbsoluteUri,
        ["DEMO_TEAMS_WEBHOOK_URL"] = Inbox.Teams.WebhookUrl.AbsoluteUri,
        ["DEMO_GITHUB_TOKEN"] = GitHubToken,
        ["DEMO_GITHUB_API_URL"] = Inbox.GitHub.ApiUrl.AbsoluteUri,
    };

    public async ValueTask DisposeAsync()
    {
        await Inbox.DisposeAsync();
        await FederalRegister.DisposeAsync();
        await Globalping.DisposeAsync();
        await Site.DisposeAsync();
    }
}
