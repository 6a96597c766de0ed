using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Diffing;
using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Tests.Diffing;

public class SeverityRulesTests
{
    private static readonly CatalogSettings Defaults = new();

    private static ContentDiff Diff(string[]? added = null, string[]? removed = null, string unified = "") => new(added ?? [], removed ?? [], unified);

    public class Assess
    {
        [Theory]
        [InlineData("Service is not available in China")]
        [InlineData("Service is not available in mainland china")]
        [InlineData("Users in HONG KONG may not sign up")]
        [InlineData("Macau is no longer supported")]
        [InlineData("Entities owned by a PRC national")]
        [InlineData("本服务不向中国大陆地区提供")]
        [InlineData("香港用户")]
        [InlineData("澳门")]
        public void Assess_AddedLineNamingWatchedJurisdiction_IsCritical(string line)
        {
            var (severity, matches) = SeverityRules.Assess(Diff(added: [line]), Defaults, floor: null);

            Assert.Equal(Severity.Critical, severity);
            Assert.NotEmpty(matches);
        }

        [Theory]
        [InlineData("You must comply with Export Control laws")]
        [InlineData("Parties subject to sanctions")]
        [InlineData("Countries under EMBARGO")]
        [InlineData("Unsupported regions list")]
        [InlineData("Companies on the entity list")]
        public void Assess_AddedLineNamingWatchedTerm_IsCritical(string line)
        {
            var (severity, _) = SeverityRules.Assess(Diff(added: [line]), Defaults, floor: null);

            Assert.Equal(Severity.Critical, severity);
        }

        [Fact]
        public void Assess_RemovedLineNamingWatchedJurisdiction_IsCritical()
        {
            var (severity, matches) = SeverityRules.Assess(Diff(removed: ["Hong Kong"]), Defaults, floor: null);

            Assert.Equal(Severity.Critical, severity);
            Assert.Equal(["Hong Kong"], matches);
        }

        [Fact]
        public void Assess_Matches_NameEveryWatchedWordFoundOnce()
        {
            var (_, matches) = SeverityRules.Assess(
                Diff(added: ["China and Hong Kong", "china again"], removed: ["export control applies"]), Defaults, floor: null);

            Assert.Equal(["China", "Hong Kong", "export control"], matches);
        }

        [Fact]
        public void Assess_ChangeWithoutWatchedWords_IsWarning()
        {
            var (severity, matches) = SeverityRules.Assess(Diff(added: ["Our offices moved to Paris"], removed: ["Our offices are in Lyon"]), Defaults, floor: null);

            Assert.Equal(Severity.Warning, severity);
            Assert.Empty(matches);
        }

        [Fact]
        public void Assess_WatchedWordOnlyInUnchangedContext_IsWarning()
        {
            var diff = Diff(added: ["Effective June 1"], removed: ["Effective May 1"], unified: " Not available in China\n-Effective May 1\n+Effective June 1\n");

            var (severity, _) = SeverityRules.Assess(diff, Defaults, floor: null);

            Assert.Equal(Severity.Warning, severity);
        }

        [Theory]
        [InlineData(Severity.Critical, Severity.Critical)]
        [InlineData(Severity.Warning, Severity.Warning)]
        [InlineData(Severity.Notice, Severity.Warning)]
        [InlineData(Severity.Info, Severity.Warning)]
        public void Assess_SourceFloor_RaisesButNeverLowersAWarning(Severity floor, Severity expected)
        {
            var (severity, _) = SeverityRules.Assess(Diff(added: ["Effective June 1"]), Defaults, floor);

            Assert.Equal(expected, severity);
        }

        [Theory]
        [InlineData(Severity.Info)]
        [InlineData(Severity.Notice)]
        [InlineData(Severity.Warning)]
        public void Assess_SourceFloor_NeverLowersCritical(Severity floor)
        {
            var (severity, _) = SeverityRules.Assess(Diff(added: ["Not available in China"]), Defaults, floor);

            Assert.Equal(Severity.Critical, severity);
        }

        [Fact]
        public void Assess_CustomJurisdictions_ReplaceTheDefaults()
        {
            var settings = new CatalogSettings { WatchedJurisdictions = ["Vietnam"], WatchedTerms = [] };

            Assert.Equal(Severity.Critical, SeverityRules.Assess(Diff(added: ["Now available in vietnam"]), settings, null).Severity);
            Assert.Equal(Severity.Warning, SeverityRules.Assess(Diff(added: ["Now available in China"]), settings, null).Severity);
            Assert.Equal(Severity.Warning, SeverityRules.Assess(Diff(added: ["Export control applies"]), settings, null).Severity);
        }

        [Fact]
        public void Assess_CustomTerms_AreWatched()
        {
            var settings = new CatalogSettings { WatchedTerms = ["tariff"] };

            var (severity, matches) = SeverityRules.Assess(Diff(added: ["New TARIFF schedule"]), settings, null);

            Assert.Equal(Severity.Critical, severity);
            Assert.Equal(["tariff"], matches);
        }

        [Fact]
        public void Assess_NoWatchedWordsAtAll_IsWarning()
        {
            var settings = new CatalogSettings { WatchedJurisdictions = [], WatchedTerms = [] };

            Assert.Equal(Severity.Warning, SeverityRules.Assess(Diff(added: ["China"]), settings, null).Severity);
        }
    }
}
