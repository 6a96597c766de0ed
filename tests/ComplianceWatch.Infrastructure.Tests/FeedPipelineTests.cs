using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Feeds;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Regulatory;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>feed sources end to end: RSS 2.0 and Atom served on loopback, the real fetcher, parser and store.</summary>
public sealed class FeedPipelineTests : IAsyncLifetime
{
    private readonly TempDirectory directory = new();
    private LoopbackServer server = null!;
    private PipelineHost host = null!;

    public async Task InitializeAsync()
    {
        server = await LoopbackServer.StartAsync();
        host = new PipelineHost(directory.File("state"));
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await server.DisposeAsync();
        directory.Dispose();
    }

    private sealed record Item(string Title, string? Guid, string Link, string PubDate, string Description = "");

    private static readonly Item[] Items =
    [
        new("Treasury Sanctions Network Procuring Drone Components", "https://home.treasury.gov/news/press-releases/sb0101", "https://home.treasury.gov/news/press-releases/sb0101", "Mon, 02 Mar 2026 14:00:00 EST"),
        new("Readout: Secretary's Meeting with G7 Counterparts", "https://home.treasury.gov/news/press-releases/sb0102", "https://home.treasury.gov/news/press-releases/sb0102", "Wed, 04 Mar 2026 09:30:00 -0500"),
        new("Treasury Issues Outbound Investment Guidance", null, "https://home.treasury.gov/news/press-releases/sb0103", "Fri, 06 Mar 2026 11:00:00 GMT"),
    ];

    private static string Rss(IEnumerable<Item> items) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
          <channel>
            <title>Press Releases | U.S. Department of the Treasury</title>
            <link>https://home.treasury.gov/news/press-releases</link>
            <description>Treasury press releases</description>
            <atom:link href="https://home.treasury.gov/system/files/126/ofac.xml" rel="self" type="application/rss+xml" />
            {string.Concat(items.Select(i => $"""
            <item>
              <title>{i.Title}</title>
              <link>{i.Link}</link>
              <description><![CDATA[<p>{i.Description}</p>]]></description>
              <pubDate>{i.PubDate}</pubDate>
              <dc:creator>Treasury</dc:creator>
              {(i.Guid is null ? "" : $"<guid isPermaLink=\"true\">{i.Guid}</guid>")}
            </item>
            """))}
          </channel>
        </rss>
        """;

    private static Page Xml(string body) => new() { Body = body, ContentType = "application/rss+xml; charset=utf-8", Validators = false };

    private string Catalog(string[]? match = null) => RegulatoryCatalogs.Feed(server.Url("feed.xml"), match: match);

    [Fact]
    public async Task FirstCheckIsABaseline_ThenANewItemIsOneEvent()
    {
        server.Set("feed.xml", Xml(Rss(Items)));
        var first = await host.CheckAsync(Catalog());
        Assert.Empty(first.Changes);
        Assert.Empty(first.Errors);
        Assert.Equal(1, first.Baselined);

        var added = new Item("Treasury Sanctions PRC-Based Suppliers of Advanced AI Chips", "https://home.treasury.gov/news/press-releases/sb0104",
            "https://home.treasury.gov/news/press-releases/sb0104", "Mon, 09 Mar 2026 10:00:00 EDT", "OFAC designated 12 entities in China.");
        server.Set("feed.xml", Xml(Rss(Items.Prepend(added))));
        var report = await host.CheckAsync(Catalog());
        var change = Assert.Single(report.Changes);
        Assert.Equal(ChangeEventTypes.RegulatoryPublished, change.Type);
        Assert.Equal("feed", change.Data.Kind);
        Assert.Equal("https://home.treasury.gov/news/press-releases/sb0104", change.Data.DocumentNumber);
        Assert.Equal(added.Title, change.Data.Title);
        Assert.Equal(added.Link, change.Data.HtmlUrl);
        Assert.Equal(added.Link, change.Data.Url);
        Assert.Equal("2026-03-09", change.Data.PublicationDate);
        Assert.Equal(DocumentStages.Published, change.Data.Stage);
        Assert.Equal(Severity.Critical, change.Data.Severity); // press release (3) naming China (3) and AI (3)
        Assert.Contains(added.Title, change.Data.Summary, StringComparison.Ordinal);

        Assert.Empty((await host.CheckAsync(Catalog())).Changes);
    }

    [Fact]
    public async Task ReorderedOrRedatedItems_AreNothingNew()
    {
        server.Set("feed.xml", Xml(Rss(Items)));
        await host.CheckAsync(Catalog());

        server.Set("feed.xml", Xml(Rss(Items.Reverse())));
        var reordered = await host.CheckAsync(Catalog());
        Assert.Empty(reordered.Changes);
        Assert.Equal(1, reordered.Unchanged);

        // re-dated, and the item without a guid (identified by its link) too
        server.Set("feed.xml", Xml(Rss(Items.Select(i => i with { PubDate = "Tue, 10 Mar 2026 08:00:00 GMT" }))));
        var redated = await host.CheckAsync(Catalog());
        Assert.Empty(redated.Changes);
        Assert.Empty(redated.Errors);
        Assert.Equal(1, redated.Unchanged);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "truncated", Rss(Items)[..400] },
        { "not XML", "<html><body>Service Unavailable</body>" },
        { "HTML page", "<!DOCTYPE html><html><head><title>Treasury</title></head><body><p>Press releases</p></body></html>" },
        { "unknown root", "<?xml version=\"1.0\"?><urlset><url><loc>https://home.treasury.gov/</loc></url></urlset>" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task MalformedXml_IsAnInvalidContentError_AndKeepsTheBaseline(string what, string body)
    {
        server.Set("feed.xml", Xml(Rss(Items)));
        await host.CheckAsync(Catalog());
        var before = (await host.Store.GetAsync("treasury-press")).Snapshot!;

        server.Set("feed.xml", Xml(body));
        var failed = await host.CheckAsync(Catalog());
        Assert.True(failed.Changes.Count == 0, what);
        var error = Assert.Single(failed.Errors);
        Assert.Equal(ErrorCategories.InvalidContent, error.Category);
        Assert.Equal(before.ContentHash, (await host.Store.GetAsync("treasury-press")).Snapshot!.ContentHash);

        // the baseline survived: the same items are still nothing new
        server.Set("feed.xml", Xml(Rss(Items)));
        var recovered = await host.CheckAsync(Catalog());
        Assert.Empty(recovered.Changes);
        Assert.Empty(recovered.Errors);
    }

    [Fact]
    public async Task AtomFeed_IdentifiesEntriesById()
    {
        static string Atom(params (string Id, string Title, string Updated)[] entries) => $"""
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
              <title>BIS Press Releases</title>
              <id>urn:bis:press</id>
              <updated>2026-03-10T12:00:00Z</updated>
              {string.Concat(entries.Select(e => $"""
              <entry>
                <id>{e.Id}</id>
                <title type="text">{e.Title}</title>
                <link rel="alternate" href="/press-release/{e.Id[^4..]}" />
                <updated>{e.Updated}</updated>
                <summary type="html">&lt;p&gt;{e.Title}&lt;/p&gt;</summary>
              </entry>
              """))}
            </feed>
            """;
        var atom = new Page { Body = Atom(("urn:bis:pr:0001", "Commerce Strengthens Export Controls", "2026-03-01T10:00:00Z")), ContentType = "application/atom+xml", Validators = false };
        server.Set("atom.xml", atom);
        var catalog = RegulatoryCatalogs.Feed(server.Url("atom.xml"), id: "bis-press");
        await host.CheckAsync(catalog);

        server.Set("atom.xml", atom with { Body = Atom(("urn:bis:pr:0002", "Commerce Adds Entities to the Entity List", "2026-03-09T10:00:00Z"), ("urn:bis:pr:0001", "Commerce Strengthens Export Controls", "2026-03-09T11:00:00Z")) });
        var change = Assert.Single((await host.CheckAsync(catalog)).Changes);
        Assert.Equal("urn:bis:pr:0002", change.Data.DocumentNumber);
        Assert.Equal(server.Url("press-release/0002").ToString(), change.Data.HtmlUrl);
    }

    [Fact]
    public async Task MatchKeywords_DecideWhichNewItemsAreAnnounced()
    {
        server.Set("feed.xml", Xml(Rss(Items)));
        var catalog = Catalog(match: ["sanction", "outbound investment", "Entity List"]);
        await host.CheckAsync(catalog);

        var unrelated = new Item("Treasury Announces Marketable Borrowing Estimates", "urn:t:1", "https://home.treasury.gov/news/press-releases/sb0105", "Mon, 09 Mar 2026 10:00:00 GMT");
        var relevant = new Item("Treasury Sanctions Shipping Network", "urn:t:2", "https://home.treasury.gov/news/press-releases/sb0106", "Mon, 09 Mar 2026 11:00:00 GMT");
        server.Set("feed.xml", Xml(Rss(Items.Append(unrelated).Append(relevant))));
        var report = await host.CheckAsync(catalog);
        Assert.Equal("urn:t:2", Assert.Single(report.Changes).Data.DocumentNumber);
        Assert.Equal(CheckOutcome.Changed, report.Results[0].Outcome);

        // the unrelated item was seen: it stays unannounced
        Assert.Empty((await host.CheckAsync(catalog)).Changes);
        await host.AssertVerifiedAsync(); // remembered without an entry, legitimately
    }

    [Fact]
    public async Task UnchangedFeedWithValidators_Is304AndWritesNothing()
    {
        server.Set("feed.xml", new Page { Body = Rss(Items), ContentType = "application/rss+xml" });
        await host.CheckAsync(Catalog());
        var report = await host.CheckAsync(Catalog());
        Assert.Equal(1, report.Unchanged);
        Assert.Equal(1, server.NotModifiedCount);
        Assert.False(report.Results[0].Written);
    }

    [Fact]
    public void Parser_ReadsUnusualDatesAsDatesOrNoDate_NeverFails()
    {
        var parser = new Feeds.SyndicationFeedParser();
        var feed = parser.Parse(Rss([Items[0] with { PubDate = "2026-03-02" }, Items[1] with { PubDate = "sometime last week" }]));
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero), feed.Items[0].Published);
        Assert.Null(feed.Items[1].Published);
        Assert.Throws<FeedFormatException>(() => parser.Parse("<rss version=\"2.0\"><channel><item><title>x</item></channel></rss>"));
    }
}
