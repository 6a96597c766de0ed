using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Regulatory;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Core.Tests;

/// <summary>Which publication dates a federal-register check reads, and which documents it may forget.</summary>
public sealed class FederalRegisterWindowTests
{
    private static readonly DateOnly Today = new(2026, 3, 10);
    private static readonly CatalogSettings Settings = new() { LookbackDays = 30 };

    private static SourceState State(DateTimeOffset? lastSuccess, string rulesHash = "r") => new()
    {
        SourceId = "s",
        Snapshot = new Snapshot { Content = "{}", ContentHash = "h", RulesHash = rulesHash, CapturedAt = default, Version = 1 },
        Health = new SourceHealth { LastSuccessAt = lastSuccess },
    };

    [Fact]
    public void FirstCheck_ReadsTheLookback() =>
        Assert.Equal(Today.AddDays(-30), FederalRegisterChecker.WindowStart(SourceState.Empty("s"), "r", Settings, Today));

    [Fact]
    public void RegularCheck_ReadsTheLookback() =>
        Assert.Equal(Today.AddDays(-30), FederalRegisterChecker.WindowStart(State(new DateTimeOffset(2026, 3, 9, 0, 0, 0, TimeSpan.Zero)), "r", Settings, Today));

    [Fact]
    public void AfterAnOutageLongerThanTheLookback_ReadsBackToTheLastSuccess()
    {
        var last = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateOnly(2025, 12, 30), FederalRegisterChecker.WindowStart(State(last), "r", Settings, Today));
        Assert.True(FederalRegisterChecker.ForgetBefore(Settings, new DateOnly(2026, 1, 1)) < new DateOnly(2025, 12, 30));
    }

    [Fact]
    public void AfterAnOutage_ReadsAtMostAYearBack() =>
        Assert.Equal(Today.AddDays(-366), FederalRegisterChecker.WindowStart(State(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero)), "r", Settings, Today));

    [Fact]
    public void ForgottenDocuments_AreOlderThanAnyLaterWindowStarts()
    {
        foreach (var lookback in new[] { 0, 1, 2, 30 })
        {
            var settings = new CatalogSettings { LookbackDays = lookback };
            // the earliest a later check reads: the look-back from tomorrow, or two days before today's success
            var earliestLater = new[] { Today.AddDays(1 - lookback), Today.AddDays(-2) }.Min();
            Assert.True(FederalRegisterChecker.ForgetBefore(settings, Today) < earliestLater, $"lookback {lookback}");
        }
    }

    [Fact]
    public void DocumentsUrl_CarriesTheConditionsFieldsAndPage()
    {
        var source = new FederalRegisterSource
        {
            Id = "s", Kind = "federal-register", Title = "t", Endpoint = "https://www.federalregister.gov/api/v1/",
            Agencies = ["investment-security-office"], Types = ["RULE", "PRORULE"], Terms = ["outbound investment", "China"], Cfr = new CfrReference(31, 850),
        };
        var url = Uri.UnescapeDataString(FederalRegisterClient.DocumentsUrl(source, new DateOnly(2026, 2, 8), Today, 3).ToString());
        Assert.StartsWith("https://www.federalregister.gov/api/v1/documents.json?", url, StringComparison.Ordinal);
        Assert.Contains("conditions[agencies][]=investment-security-office", url, StringComparison.Ordinal);
        Assert.Contains("conditions[type][]=RULE&conditions[type][]=PRORULE", url, StringComparison.Ordinal);
        Assert.Contains("conditions[term]=\"outbound investment\" | China", url, StringComparison.Ordinal);
        Assert.Contains("conditions[cfr][title]=31&conditions[cfr][part]=850", url, StringComparison.Ordinal);
        Assert.Contains("conditions[publication_date][gte]=2026-02-08&conditions[publication_date][lte]=2026-03-10", url, StringComparison.Ordinal);
        Assert.Contains("fields[]=correction_of", url, StringComparison.Ordinal);
        Assert.Contains("per_page=1000&page=3&order=oldest", url, StringComparison.Ordinal);
    }
}
