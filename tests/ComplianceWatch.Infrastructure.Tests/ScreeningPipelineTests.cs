using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Screening;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Infrastructure.Screening;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>screening sources end to end: lists served on loopback in their real shapes, streamed, matched and compared.</summary>
public sealed class ScreeningPipelineTests : IAsyncLifetime
{
    private readonly TempDirectory directory = new();
    private LoopbackServer server = null!;
    private PipelineHost host = null!;

    private static readonly (string, string[])[] Vendors =
    [
        ("Zhipu AI", ["Beijing Zhipu Huazhang Technology", "北京智谱华章科技有限公司"]),
        ("Baidu", ["Baidu, Inc.", "百度"]),
        ("SenseTime", ["Shangtang Keji", "商汤科技"]),
    ];

    private static readonly ListEntry[] Unrelated =
    [
        new("el-0001", "Hefei Bitland Information Technology Co., Ltd.", FederalRegisterNotice: "84 FR 29371", StartDate: "2019-06-24"),
        new("el-0002", "Tianjin Phytium Information Technology Co., Ltd.", ["Tianjin Feiteng Information Technology"], FederalRegisterNotice: "86 FR 17289"),
        new("sdn-0003", "BANK OF KUNLUN CO., LTD.", Source: ScreeningLists.Sdn, Programs: ["IRAN"]),
    ];

    private static readonly ListEntry Zhipu = new("el-0420", "Beijing Zhipu Huazhang Technology Co., Ltd.", ["Zhipu Huazhang"],
        FederalRegisterNotice: "90 FR 3687", StartDate: "2025-01-16");

    private static readonly ListEntry[] SimilarButUnrelated =
    [
        new("el-0421", "Baidu Fan Club Trading Co., Ltd."),
        new("el-0422", "Zhipu Culture Media Co., Ltd.", ["Beijing Zhipu Media"]),
        new("el-0423", "SenseTimes Logistics Holdings Limited"),
    ];

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

    private static Page Json(string body) => new() { Body = body, ContentType = "application/json", Validators = false };

    private string Catalog(string path = "consolidated.json", string format = "csl-json") =>
        RegulatoryCatalogs.Screening(server.Url(path), format, "vendor-screening", Vendors);

    [Fact]
    public async Task VendorAddedUnderAnAliasWithALegalSuffix_IsMatched_AndUnrelatedCompaniesWithASimilarWordAreNot()
    {
        server.Set("consolidated.json", Json(ScreeningLists.Csl(Unrelated)));
        var baseline = await host.CheckAsync(Catalog());
        Assert.Empty(baseline.Changes);
        Assert.Empty(baseline.Errors);
        Assert.Contains("no watched entity is listed", baseline.Results[0].Summary, StringComparison.Ordinal);

        server.Set("consolidated.json", Json(ScreeningLists.Csl([.. Unrelated, .. SimilarButUnrelated, Zhipu])));
        var report = await host.CheckAsync(Catalog());
        Assert.Empty(report.Errors);
        var change = Assert.Single(report.Changes);
        Assert.Equal(ChangeEventTypes.ScreeningChanged, change.Type);
        Assert.Equal("screening", change.Data.Kind);
        Assert.Equal("Zhipu AI", change.Data.Entity);
        Assert.Equal("Zhipu AI", change.Data.Provider);
        Assert.Equal(ScreeningLists.EntityList, change.Data.List);
        Assert.Equal(ScreeningChecker.Added, change.Data.Change);
        Assert.Equal(Severity.Critical, change.Data.Severity);
        var entry = change.Data.Entry!.Value;
        Assert.Equal("Beijing Zhipu Huazhang Technology Co., Ltd.", entry.GetProperty("name").GetString());
        Assert.Equal("el-0420", entry.GetProperty("id").GetString());
        Assert.Equal("90 FR 3687", entry.GetProperty("federalRegisterNotice").GetString());
        Assert.Contains("Zhipu AI: listed on Entity List (EL) - Bureau of Industry and Security as \"Beijing Zhipu Huazhang Technology Co., Ltd.\"", change.Data.Summary, StringComparison.Ordinal);
        Assert.Contains("matched \"Beijing Zhipu Huazhang Technology\"", change.Data.Summary, StringComparison.Ordinal);

        Assert.Empty((await host.CheckAsync(Catalog())).Changes);
    }

    [Fact]
    public async Task ChangedListing_IsModified_AndRemoval_IsReported()
    {
        server.Set("consolidated.json", Json(ScreeningLists.Csl([.. Unrelated, Zhipu])));
        var baseline = await host.CheckAsync(Catalog());
        Assert.Contains("listed: Zhipu AI (Entity List (EL) - Bureau of Industry and Security)", baseline.Results[0].Summary, StringComparison.Ordinal);

        var changed = Zhipu with { Programs = ["FDP"], FederalRegisterNotice = "91 FR 1200" };
        server.Set("consolidated.json", Json(ScreeningLists.Csl([.. Unrelated, changed])));
        var modified = Assert.Single((await host.CheckAsync(Catalog())).Changes);
        Assert.Equal(ScreeningChecker.Modified, modified.Data.Change);
        Assert.Equal(Severity.Warning, modified.Data.Severity);
        Assert.Contains("programs +FDP", modified.Data.Summary, StringComparison.Ordinal);
        Assert.Contains("Federal Register notice 90 FR 3687 → 91 FR 1200", modified.Data.Summary, StringComparison.Ordinal);

        server.Set("consolidated.json", Json(ScreeningLists.Csl(Unrelated)));
        var removed = Assert.Single((await host.CheckAsync(Catalog())).Changes);
        Assert.Equal(ScreeningChecker.Removed, removed.Data.Change);
        Assert.Equal("Zhipu AI", removed.Data.Entity);
        Assert.Equal(ScreeningLists.EntityList, removed.Data.List);
        Assert.Equal("el-0420", removed.Data.Entry!.Value.GetProperty("id").GetString());
        Assert.Equal(Severity.Notice, removed.Data.Severity);
        Assert.Contains("no longer on", removed.Data.Summary, StringComparison.Ordinal);

        // added again later: a new event, not a duplicate id
        server.Set("consolidated.json", Json(ScreeningLists.Csl([.. Unrelated, Zhipu])));
        var again = Assert.Single((await host.CheckAsync(Catalog())).Changes);
        Assert.Equal(ScreeningChecker.Added, again.Data.Change);
        Assert.Equal(3, new[] { modified.Id, removed.Id, again.Id }.Distinct().Count());
        await host.AssertVerifiedAsync();

        // a listing slipped into the current snapshot by hand: when the list adds it, nothing would be announced
        var slipped = "SenseTime | Entity List (EL) - Bureau of Industry and Security | el-9999";
        await PipelineHost.EditSnapshotAsync(directory.File("state"), "vendor-screening", snapshot =>
        {
            var state = JsonNode.Parse(snapshot["content"]!.GetValue<string>())!;
            state["matches"]![slipped] = JsonNode.Parse(state["matches"]!.AsObject().First().Value!.ToJsonString());
            snapshot["content"] = state.ToJsonString();
            snapshot["contentHash"] = Hashing.Sha256(state.ToJsonString());
        });
        Assert.StartsWith($"vendor-screening: the current snapshot holds '{slipped}', which neither its last baseline (entry #1) nor a later entry recorded",
            Assert.Single((await ChainVerifier.VerifyAsync(host.Store)).Problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfacSdnXml_MatchesAnAkaWithDiacriticsAndOtherSpacing()
    {
        server.Set("sdn.xml", new Page { Body = ScreeningLists.SdnXml(Unrelated), ContentType = "application/xml", Validators = false });
        await host.CheckAsync(Catalog("sdn.xml", "ofac-sdn-xml"));

        var sense = new ListEntry("41234", "SHANGHAI SENSE TIME INTELLIGENT TECHNOLOGY CO., LTD.", ["Shāngtāng Kējì", "SENSE TIME GROUP LIMITED"],
            Source: ScreeningLists.Sdn, Programs: ["CMIC-EO13959"]);
        server.Set("sdn.xml", new Page { Body = ScreeningLists.SdnXml([.. Unrelated, sense]), ContentType = "application/xml", Validators = false });
        var change = Assert.Single((await host.CheckAsync(Catalog("sdn.xml", "ofac-sdn-xml"))).Changes);
        Assert.Equal("SenseTime", change.Data.Entity);
        Assert.Equal(ScreeningLists.Sdn, change.Data.List);
        Assert.Equal("41234", change.Data.Entry!.Value.GetProperty("id").GetString());
        Assert.Equal(["CMIC-EO13959"], change.Data.Entry.Value.GetProperty("programs").EnumerateArray().Select(p => p.GetString()!).ToArray());
    }

    public static TheoryData<string, string> BrokenLists => new()
    {
        { "malformed JSON", ScreeningLists.Csl(Unrelated)[..300] },
        { "not JSON", "<html><body>Maintenance</body></html>" },
        { "no results", """{"total": 0, "sources_used": []}""" },
        { "empty results", """{"total": 0, "results": []}""" },
        { "a page of a search", """{"total": 5000, "results": [{"id": "x", "name": "Example Co."}]}""" },
        { "results not an array", """{"results": {"name": "x"}}""" },
    };

    [Theory]
    [MemberData(nameof(BrokenLists))]
    public async Task BrokenList_IsAnInvalidContentError_AndKeepsTheBaseline(string what, string body)
    {
        server.Set("consolidated.json", Json(ScreeningLists.Csl([.. Unrelated, Zhipu])));
        await host.CheckAsync(Catalog());
        var before = (await host.Store.GetAsync("vendor-screening")).Snapshot!;

        server.Set("consolidated.json", Json(body));
        var failed = await host.CheckAsync(Catalog());
        Assert.True(failed.Changes.Count == 0, $"{what}: a broken list must not report removals");
        Assert.Equal(ErrorCategories.InvalidContent, Assert.Single(failed.Errors).Category);
        Assert.Equal(before.ContentHash, (await host.Store.GetAsync("vendor-screening")).Snapshot!.ContentHash);

        server.Set("consolidated.json", Json(ScreeningLists.Csl([.. Unrelated, Zhipu])));
        Assert.Empty((await host.CheckAsync(Catalog())).Changes);
    }

    [Fact]
    public async Task BrokenSdnXml_IsAnInvalidContentError()
    {
        server.Set("sdn.xml", new Page { Body = ScreeningLists.SdnXml(Unrelated), ContentType = "application/xml", Validators = false });
        await host.CheckAsync(Catalog("sdn.xml", "ofac-sdn-xml"));
        foreach (var body in new[] { ScreeningLists.SdnXml(Unrelated)[..500], "<?xml version=\"1.0\"?><html/>", "<!DOCTYPE sdnList [<!ENTITY x \"y\">]><sdnList/>" })
        {
            server.Set("sdn.xml", new Page { Body = body, ContentType = "application/xml", Validators = false });
            var failed = await host.CheckAsync(Catalog("sdn.xml", "ofac-sdn-xml"));
            Assert.DoesNotContain(failed.Changes, c => c.Type == ChangeEventTypes.ScreeningChanged);
            Assert.Equal(ErrorCategories.InvalidContent, Assert.Single(failed.Errors).Category);
        }
    }

    [Fact]
    public async Task ListOverTheCap_IsTooLarge()
    {
        await using var capped = new PipelineHost(directory.File("capped"), settings: new Dictionary<string, string?> { ["ComplianceWatch:MaxListBytes"] = "4096" });
        server.Set("consolidated.json", new Page { Body = ScreeningLists.Csl(ScreeningLists.Filler(100)), ContentType = "application/json", Validators = false, Gzip = true });
        var report = await capped.CheckAsync(Catalog());
        Assert.Equal(ErrorCategories.TooLarge, Assert.Single(report.Errors).Category);
    }

    [Fact]
    public async Task CslReader_ReadsTheSameEntries_WhateverTheChunksTheStreamArrivesIn()
    {
        var json = ScreeningLists.Csl([.. Unrelated, .. SimilarButUnrelated, Zhipu, .. ScreeningLists.Filler(300)]);
        var whole = new List<ScreeningEntry>();
        var count = await CslJsonReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), whole.Add);
        var trickled = new List<ScreeningEntry>();
        var trickledCount = await CslJsonReader.ReadAsync(new TrickleStream(Encoding.UTF8.GetBytes(json), 7), trickled.Add);
        Assert.Equal(307, count);
        Assert.Equal(count, trickledCount);
        Assert.Equal(JsonSerializer.Serialize(whole), JsonSerializer.Serialize(trickled));
        Assert.Equal(["Zhipu Huazhang"], whole.Single(e => e.Id == "el-0420").AltNames);
        Assert.Equal(["CN"], whole[0].Countries);
    }

    /// <summary>A stream that hands out at most a few bytes per read, as a slow network does.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
