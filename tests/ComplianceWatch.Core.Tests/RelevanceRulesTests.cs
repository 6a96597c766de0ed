using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Regulatory;

namespace ComplianceWatch.Core.Tests;

/// <summary>The shipped relevance rules (Regulatory/relevance-rules.json) and how text is searched for terms.</summary>
public sealed class RelevanceRulesTests
{
    private static readonly CatalogSettings Settings = new();
    private const string Bis = "industry-and-security-bureau";
    private const string Iso = "investment-security-office";
    private const string Ofac = "foreign-assets-control-office";

    public static TheoryData<string, string[], string, Severity> Cases => new()
    {
        { "RULE", ["commerce-department", Bis], "Additions to the Entity List\nThis rule adds entities in China.", Severity.Critical },
        { "RULE", ["commerce-department", Bis], "Export Controls on Advanced Computing Items and AI Model Weights", Severity.Critical },
        { "RULE", ["treasury-department", Iso], "Provisions Pertaining to U.S. Investments in Certain National Security Technologies and Products in Countries of Concern\nThe People's Republic of China, including Hong Kong and Macau.", Severity.Critical },
        { "RULE", ["commerce-department", Bis], "Revisions to License Exception ACE", Severity.Warning },
        { "PRORULE", [Bis], "Proposed: Reporting Requirements for the Development of Advanced AI Models", Severity.Warning },
        { "RULE", ["treasury-department", Ofac], "Cuban Assets Control Regulations", Severity.Notice },
        { "NOTICE", ["treasury-department", Ofac], "Notice of OFAC Sanctions Actions\nPersons in China designated.", Severity.Notice },
        { "NOTICE", ["treasury-department"], "Agency Information Collection Activities; Submission for OMB Review", Severity.Info },
        { "NOTICE", ["commerce-department", Bis], "Proposed Information Collection; Comment Request; Import Certificates", Severity.Info },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Severity_FollowsTypeAgencyAndMentions(string type, string[] agencies, string text, Severity expected)
    {
        var relevance = RelevanceRules.Default.Assess(type, agencies, text, Settings, [], floor: null);
        Assert.Equal(expected, relevance.Severity);
    }

    [Fact]
    public void BisRuleNamingChina_ScoresTypePlusAgencyPlusJurisdiction_AndNamesWhatItFound()
    {
        var relevance = RelevanceRules.Default.Assess("RULE", [Bis], "Additions to the Entity List: entities in China", Settings, [], null);
        Assert.Equal(4 + 2 + 3 + 1, relevance.Score);
        Assert.Equal(["China", "Entity List"], relevance.Mentions);
    }

    [Fact]
    public void SourceSeverity_IsAFloor()
    {
        Assert.Equal(Severity.Warning, RelevanceRules.Default.Assess("NOTICE", [], "Routine", Settings, [], Severity.Warning).Severity);
    }

    [Fact]
    public void WatchedJurisdictions_ComeFromTheCatalogSettings()
    {
        var settings = new CatalogSettings { WatchedJurisdictions = ["Russia"] };
        Assert.Equal(Severity.Warning, RelevanceRules.Default.Assess("RULE", [Bis], "Entities in China", settings, [], null).Severity);
        Assert.Equal(Severity.Critical, RelevanceRules.Default.Assess("RULE", [Bis], "Entities in Russia", settings, [], null).Severity);
    }

    [Theory]
    [InlineData("Imposition of sanctions on entities", "sanction", true)]
    [InlineData("Chinese entities", "China", false)]
    [InlineData("Chinese entities", "Chin", true)]
    [InlineData("entities in the PRC", "PRC", true)]
    [InlineData("Advanced AI models", "AI", true)]
    [InlineData("AIDS relief", "AI", false)]
    [InlineData("said the agency", "AI", false)]
    [InlineData("Ai Weiwei", "AI", false)]
    [InlineData("对中国实体的出口管制", "中国", true)]
    [InlineData("Hong Kong", "hong kong", true)]
    public void Terms_MatchAtTheStartOfAWord_AcronymsAsWholeWordsWithTheirCase(string text, string term, bool expected) =>
        Assert.Equal(expected, RelevanceRules.IsMentioned(text, term));

    [Fact]
    public void Rules_AreData_ThatCanBeReplaced()
    {
        var rules = RelevanceRules.Parse("""{"types": {"NOTICE": 9}, "thresholds": {"critical": 9, "warning": 5, "notice": 1}}""");
        Assert.Equal(Severity.Critical, rules.Assess("NOTICE", [], "anything", Settings, [], null).Severity);
    }
}
