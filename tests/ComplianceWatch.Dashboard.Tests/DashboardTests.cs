using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace ComplianceWatch.Dashboard.Tests;

/// <summary>The dashboard served by <c>compliancewatch serve</c>, in Chromium, over a store seeded by real checks (see <see cref="DashboardFixture"/>).</summary>
public sealed class DashboardTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private static readonly string Docs = Path.Combine(RepoRoot(), "docs");

    [Fact]
    public async Task Matrix_ShowsTheGeoBlockedCellForTheProviderAndRegionThatWereBlocked_AndNothingIsFetchedFromElsewhere()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 768 } });
        var requested = new List<string>();
        context.Request += (_, request) => requested.Add(request.Url);
        var page = await fixture.OpenDashboardAsync(context);

        var hk = page.Locator("#matrix-table td[data-provider='OpenAI'][data-region='HK'] .verdict");
        Assert.Equal("geo-blocked", await hk.GetAttributeAsync("data-verdict"));
        Assert.Contains("Geo-blocked", await hk.InnerTextAsync(), StringComparison.Ordinal); // text, not colour alone
        var us = page.Locator("#matrix-table td[data-provider='OpenAI'][data-region='US'] .verdict");
        Assert.Equal("reachable", await us.GetAttributeAsync("data-verdict"));
        Assert.Equal(6, await page.Locator("#legend dt").CountAsync());

        // the cell links to its history and evidence: the timeline narrows to the source, the block's evidence opens
        await hk.ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#timeline > li').length === 1");
        Assert.Equal(fixture.ChangeIds["openai-api"], await page.Locator("#timeline > li").GetAttributeAsync("data-change-id"));

        Directory.CreateDirectory(Docs);
        await page.Locator("section[aria-labelledby='matrix-heading']").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(Docs, "dashboard-matrix.png") });
        Assert.All(requested, url => Assert.StartsWith(fixture.BaseUrl.ToString(), url, StringComparison.Ordinal));
        await context.CloseAsync();
    }

    [Fact]
    public async Task Filters_NarrowTheTimeline()
    {
        var page = await fixture.OpenDashboardAsync();
        var items = page.Locator("#timeline > li");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#timeline > li').length === 3");

        await page.SelectOptionAsync("#f-kind", "reachability");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#timeline > li').length === 1");
        Assert.Equal("reachability", await items.GetAttributeAsync("data-kind"));

        await page.SelectOptionAsync("#f-kind", "");
        await page.SelectOptionAsync("#f-provider", "Anthropic");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#timeline > li').length === 1");
        Assert.Equal(fixture.ChangeIds["anthropic-usage-policy"], await items.GetAttributeAsync("data-change-id"));

        // the export links follow the filters: Anthropic's sources only
        Assert.Contains("source=anthropic-usage-policy", await page.GetAttributeAsync("#export-csv", "href"), StringComparison.Ordinal);

        await page.SelectOptionAsync("#f-provider", "");
        await page.SelectOptionAsync("#f-period", "7");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#timeline > li').length === 3");
    }

    [Fact]
    public async Task OpeningAChange_ShowsItsAddedAndRemovedLines_ByKeyboard()
    {
        var page = await fixture.OpenDashboardAsync();
        var item = page.Locator($"#timeline > li[data-change-id='{fixture.ChangeIds["openai-countries"]}']");
        var button = item.Locator("button[aria-controls]");
        Assert.Equal("Show diff and evidence", await button.InnerTextAsync());
        await button.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await item.Locator("li.added").First.WaitForAsync();
        Assert.Equal("true", await button.GetAttributeAsync("aria-expanded"));
        Assert.Equal("Hide diff and evidence", await button.InnerTextAsync());

        Assert.Equal(["Vietnam"], await item.Locator("li.added").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.line)"));
        Assert.Equal(["China"], await item.Locator("li.removed").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.line)"));
        Assert.Equal("+ Added: Vietnam", await item.Locator("li.added").TextContentAsync()); // marked by sign, colour and words

        var policy = page.Locator($"#timeline > li[data-change-id='{fixture.ChangeIds["anthropic-usage-policy"]}']");
        await policy.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Show diff and evidence" }).ClickAsync();
        await policy.Locator("li.added").First.WaitForAsync();
        Assert.Equal(["Service is not offered in China, Russia or Iran. Accounts are personal and may not be shared."],
            await policy.Locator(".diff:not(.sentences) li.added").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.line)"));

        // the changed sentence of the paragraph, its changed words marked
        var sentences = policy.Locator(".diff.sentences[role=group]");
        Assert.Equal(["Service is not offered in China, Russia or Iran."], await sentences.Locator("li.added").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.line)"));
        Assert.Equal(["Service is offered worldwide."], await sentences.Locator("li.removed").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.line)"));
        Assert.Equal(["not", "in", "China,", "Russia", "or", "Iran."], await sentences.Locator("li.added ins").AllTextContentsAsync());
        Assert.Equal(["worldwide."], await sentences.Locator("li.removed del").AllTextContentsAsync());

        Directory.CreateDirectory(Docs);
        await policy.ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(Docs, "dashboard-diff.png") });
    }

    [Fact]
    public async Task CsvExport_DownloadsTheAuditReportWithTheChange()
    {
        var page = await fixture.OpenDashboardAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-csv"));
        Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.StartsWith("time,sourceId,sequence,type", csv, StringComparison.Ordinal);
        var row = Assert.Single(csv.Split('\n'), line => line.Contains(fixture.ChangeIds["openai-countries"], StringComparison.Ordinal));
        Assert.Contains("Vietnam", row, StringComparison.Ordinal);
        Assert.Contains("China", row, StringComparison.Ordinal);
        Assert.Contains(",openai-countries,2,chain-head,", csv, StringComparison.Ordinal); // the chain head travels with the report

        var md = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-md"));
        Assert.Contains("## Chain heads", await File.ReadAllTextAsync((await md.PathAsync())!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Axe_ReportsNoSeriousOrCriticalViolations_WithAChangeOpen()
    {
        var page = await fixture.OpenDashboardAsync();
        var item = page.Locator($"#timeline > li[data-change-id='{fixture.ChangeIds["openai-api"]}']");
        await item.GetByRole(AriaRole.Button).First.ClickAsync();
        await item.Locator(".detail dl").First.WaitForAsync();

        var results = await page.RunAxe();
        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").ToArray();
        Assert.True(serious.Length == 0, string.Join("\n", serious.Select(v => $"{v.Impact} {v.Id}: {v.Help} — {string.Join("; ", v.Nodes.Select(n => n.Html))}")));
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ComplianceWatch.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No directory above {AppContext.BaseDirectory} contains ComplianceWatch.sln.");
    }
}
