using System.Diagnostics;
using System.Text.Json;
using ComplianceWatch.Testing;
using Xunit.Abstractions;

namespace ComplianceWatch.Cli.Tests;

/// <summary><c>compliancewatch check</c> on federal-register, feed and screening sources, and a 50 MB list in a real process.</summary>
public sealed class RegulatoryCheckTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDirectory directory = new();
    private LoopbackServer server = null!;
    private FakeFederalRegisterApi api = null!;

    public async Task InitializeAsync()
    {
        server = await LoopbackServer.StartAsync();
        api = await FakeFederalRegisterApi.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        await server.DisposeAsync();
        directory.Dispose();
    }

    [Fact]
    public async Task Check_RunsFederalRegisterFeedAndScreeningSources_AndPrintsTheirEventsAsJson()
    {
        var today = DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime);
        api.Publish(FakeDocument.BisRule("2026-09001", today.AddDays(-3), "Revisions to the Export Administration Regulations"));
        server.Set("press.xml", new Page { Body = """<rss version="2.0"><channel><title>BIS</title><item><title>Old news</title><guid>urn:1</guid></item></channel></rss>""", ContentType = "application/rss+xml", Validators = false });
        server.Set("csl.json", new Page { Body = ScreeningLists.Csl([new ListEntry("e1", "Example Trading Co., Ltd.")]), ContentType = "application/json", Validators = false });
        var catalog = directory.File("catalog.json");
        await File.WriteAllTextAsync(catalog, JsonSerializer.Serialize(new
        {
            sources = new object[]
            {
                new { id = "bis-rules", kind = "federal-register", title = "BIS rules", agencies = new[] { "industry-and-security-bureau" }, types = new[] { "RULE" }, endpoint = api.Endpoint },
                new { id = "bis-press", kind = "feed", title = "BIS press", url = server.Url("press.xml").ToString() },
                new { id = "vendors", kind = "screening", title = "Vendors", list = new { url = server.Url("csl.json").ToString(), format = "csl-json" }, entities = new[] { new { name = "Zhipu AI", aliases = new[] { "Beijing Zhipu Huazhang Technology" } } } },
            },
        }));
        string[] Args() => ["check", "--catalog", catalog, "--state", directory.File("state"), "--allow-private-network", "--json"];

        var first = await CliRunner.RunAsync(Args());
        Assert.True(first.ExitCode == 0, first.Error + first.Out);
        using (var doc = JsonDocument.Parse(first.Out))
        {
            Assert.Equal(3, doc.RootElement.GetProperty("baselined").GetInt32());
            Assert.Empty(doc.RootElement.GetProperty("changes").EnumerateArray());
        }

        api.Publish(FakeDocument.BisRule("2026-09002", today, "Additions to the Entity List", "Entities in China."));
        server.Set("press.xml", new Page { Body = """<rss version="2.0"><channel><title>BIS</title><item><title>Commerce Adds Entities</title><guid>urn:2</guid></item><item><title>Old news</title><guid>urn:1</guid></item></channel></rss>""", ContentType = "application/rss+xml", Validators = false });
        server.Set("csl.json", new Page { Body = ScreeningLists.Csl([new ListEntry("e1", "Example Trading Co., Ltd."), new ListEntry("e2", "BEIJING ZHIPU HUAZHANG TECHNOLOGY CO., LTD.")]), ContentType = "application/json", Validators = false });
        var second = await CliRunner.RunAsync(Args());
        Assert.True(second.ExitCode == 0, second.Error + second.Out);
        using var report = JsonDocument.Parse(second.Out);
        var changes = report.RootElement.GetProperty("changes").EnumerateArray().ToArray();
        Assert.Equal(3, changes.Length);
        var regulatory = changes.Single(c => c.GetProperty("subject").GetString() == "bis-rules");
        Assert.Equal("compliancewatch.regulatory.published", regulatory.GetProperty("type").GetString());
        var data = regulatory.GetProperty("data");
        Assert.Equal("2026-09002", data.GetProperty("documentNumber").GetString());
        Assert.Equal("critical", data.GetProperty("severity").GetString());
        Assert.Equal("published", data.GetProperty("stage").GetString());
        Assert.False(data.TryGetProperty("provider", out _));
        Assert.Equal("urn:2", changes.Single(c => c.GetProperty("subject").GetString() == "bis-press").GetProperty("data").GetProperty("documentNumber").GetString());
        var screening = changes.Single(c => c.GetProperty("subject").GetString() == "vendors");
        Assert.Equal("compliancewatch.screening.changed", screening.GetProperty("type").GetString());
        Assert.Equal("added", screening.GetProperty("data").GetProperty("change").GetString());
        Assert.Equal("Zhipu AI", screening.GetProperty("data").GetProperty("entity").GetString());
    }

    [Fact]
    public async Task DefaultCatalog_WatchesBisTreasuryAndOfac_AndScreensTheChineseAiVendors()
    {
        var catalog = await Core.Catalog.CatalogLoader.LoadFileAsync(Path.Combine(RepositoryPaths.Root, "catalog", "default.json"));
        var registers = catalog.Sources.OfType<Core.Catalog.FederalRegisterSource>().ToArray();
        Assert.Contains(registers, s => s.Agencies.Contains("industry-and-security-bureau") && s.Types.SequenceEqual(["RULE"]) && s.Cfr is null);
        Assert.Contains(registers, s => s.Agencies.Contains("industry-and-security-bureau") && s.Cfr == new Core.Catalog.CfrReference(15, 744));
        Assert.Contains(registers, s => s.Agencies.Contains("investment-security-office"));
        Assert.Contains(registers, s => s.Cfr == new Core.Catalog.CfrReference(31, 850));
        Assert.Contains(registers, s => s.Agencies.Contains("foreign-assets-control-office"));
        Assert.All(registers, s => Assert.Equal(Core.Catalog.FederalRegisterSource.DefaultEndpoint, s.Endpoint));
        Assert.Equal(2, catalog.Sources.OfType<Core.Catalog.FeedSource>().Count());
        var screening = catalog.Sources.OfType<Core.Catalog.ScreeningSource>().ToArray();
        Assert.Equal(["csl-json", "ofac-sdn-xml"], screening.Select(s => s.List.Format).Order().ToArray());
        foreach (var vendor in new[] { "Zhipu AI", "Baidu", "SenseTime", "iFlytek", "Megvii" })
        {
            Assert.All(screening, s => Assert.Contains(s.Entities, e => e.Name == vendor));
        }

        // every screened vendor that has terms sources carries the same provider name, so its events route alike
        var providers = catalog.Sources.Select(s => s.Provider).OfType<string>().ToHashSet();
        Assert.All(screening.SelectMany(s => s.Entities).Where(e => e.Name != "Megvii"), e => Assert.Contains(e.Name, providers));
    }

    /// <summary>The memory ceiling stated in the README for a 50 MB list (peak working set of the whole tool process).</summary>
    private const long MaxPeakBytes = 128L * 1024 * 1024;

    [Fact]
    public async Task FiftyMegabyteList_IsStreamed_WithinTheStatedMemory()
    {
        var list = ScreeningLists.LargeCsl(50L * 1024 * 1024, new ListEntry("el-0420", "Beijing Zhipu Huazhang Technology Co., Ltd.", ["Zhipu AI"]));
        Assert.InRange(list.LongLength, 50L * 1024 * 1024, 52L * 1024 * 1024);
        server.Set("consolidated.json", new Page { RawBody = list, ContentType = "application/json", Validators = false });
        var catalog = directory.File("catalog.json");
        await File.WriteAllTextAsync(catalog, RegulatoryCatalogs.Screening(server.Url("consolidated.json"), entities: [("Zhipu AI", ["Beijing Zhipu Huazhang Technology"]), ("SenseTime", [])]));

        var stopwatch = Stopwatch.StartNew();
        using var process = CliRunner.Start(directory.Path, "check", "--catalog", catalog, "--allow-private-network", "--json");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (!process.HasExited)
        {
            try
            {
                process.Refresh();
                peak = Math.Max(peak, process.PeakWorkingSet64);
            }
            catch (InvalidOperationException)
            {
                break; // exited between the check and the read
            }

            await Task.Delay(20, timeout.Token);
        }

        await process.WaitForExitAsync(timeout.Token);
        stopwatch.Stop();
        output.WriteLine($"50 MB list ({list.LongLength:N0} bytes): {stopwatch.Elapsed.TotalSeconds:F1} s, peak working set {peak / (1024.0 * 1024):F0} MiB");
        Assert.True(process.ExitCode == 0, await stderr + await stdout);
        using var doc = JsonDocument.Parse(await stdout);
        var summary = doc.RootElement.GetProperty("baselined").GetInt32();
        Assert.Equal(1, summary);
        var state = await File.ReadAllTextAsync(Path.Combine(directory.Path, ".compliancewatch", "sources", "vendor-screening", "state.json"));
        Assert.Contains("el-0420", state, StringComparison.Ordinal);
        var baseline = await File.ReadAllTextAsync(Path.Combine(directory.Path, ".compliancewatch", "sources", "vendor-screening", "history", "0000000001.json"));
        using (var entry = JsonDocument.Parse(baseline))
        {
            var text = entry.RootElement.GetProperty("summary").GetString()!;
            output.WriteLine(text);
            Assert.Contains("listed: Zhipu AI (Entity List (EL) - Bureau of Industry and Security)", text, StringComparison.Ordinal);
        }

        Assert.True(peak > 0, "the peak working set could not be read");
        Assert.True(peak < MaxPeakBytes, $"peak working set {peak:N0} bytes exceeds {MaxPeakBytes:N0}"); // the time is printed, not asserted: it depends on the machine's load
    }
}
