using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Screening;

namespace ComplianceWatch.Core.Tests;

/// <summary>The screening name-matching rule, case by case (README: "How names are matched").</summary>
public sealed class NameMatchingTests
{
    public static TheoryData<string, string> SameName => new()
    {
        { "Zhipu AI", "ZHIPU AI" },                                                            // case
        { "Beijing Zhipu Huazhang Technology", "Beijing Zhipu Huazhang Technology Co., Ltd." }, // legal suffix
        { "Baidu", "Baidu, Inc." },
        { "SenseTime", "SenseTime Group Limited" },
        { "SenseTime", "Sense Time Group Ltd" },                                                // transliteration spacing
        { "Zhi Pu Hua Zhang", "Zhipu Huazhang" },
        { "Shangtang Keji", "Shāngtāng Kējì" },                                                // diacritics
        { "iFlytek", "IFLYTEK CO., LTD." },
        { "01.AI", "01 AI" },                                                                   // punctuation
        { "Moonshot AI", "Moonshot-AI Pte. Ltd." },
        { "Alibaba Cloud Computing", "Alibaba Cloud Computing S.A." },                          // initials with dots
        { "Megvii", "Megvii (Face++)" },                                                        // a parenthesized part
        { "北京智谱华章科技", "北京智谱华章科技有限公司" },                                     // Chinese legal suffix
        { "ＤｅｅｐＳｅｅｋ", "DeepSeek" },                                                   // full-width letters
        { "The Tencent Company", "Tencent" },
    };

    [Theory]
    [MemberData(nameof(SameName))]
    public void Names_ThatDifferOnlyInFormAndLegalSuffix_Match(string watched, string listed)
    {
        var matcher = new ScreeningMatcher([new ScreenedEntity(watched, [])]);
        Assert.Single(matcher.Match(new ScreeningEntry { List = "EL", Id = "1", Name = listed }));
    }

    public static TheoryData<string, string> DifferentName => new()
    {
        { "Baidu", "Baidu Fan Club Trading Co., Ltd." },   // a similar word is not a match: names must be equal, not contain one another
        { "SenseTime", "SenseTimes Logistics Holdings Limited" },
        { "Zhipu AI", "Zhipu Culture Media Co., Ltd." },
        { "Megvii", "Megvii Foods" },
        { "Moonshot AI", "Moonshot" },
        { "DeepSeek", "Deep Seek Marine Salvage Co." },
        { "Baichuan", "Baichuan Pharmaceutical Co., Ltd." },
    };

    [Theory]
    [MemberData(nameof(DifferentName))]
    public void Names_WithOnlyAWordInCommon_DoNotMatch(string watched, string listed)
    {
        var matcher = new ScreeningMatcher([new ScreenedEntity(watched, [])]);
        Assert.Empty(matcher.Match(new ScreeningEntry { List = "EL", Id = "1", Name = listed }));
    }

    [Fact]
    public void AnEntry_IsMatchedByItsAlternativeNames_AgainstTheEntitysAliases_OncePerEntity()
    {
        var matcher = new ScreeningMatcher([
            new ScreenedEntity("Zhipu AI", ["Beijing Zhipu Huazhang Technology", "北京智谱华章科技有限公司"]),
            new ScreenedEntity("Baidu", ["百度"]),
        ]);
        var entry = new ScreeningEntry
        {
            List = "EL", Id = "1", Name = "Beijing Zhipu Huazhang Technology Co., Ltd.",
            AltNames = ["北京智谱华章科技有限公司", "Zhipu AI"],
        };
        var match = Assert.Single(matcher.Match(entry));
        Assert.Equal("Zhipu AI", match.Entity);
        Assert.Equal("Beijing Zhipu Huazhang Technology Co., Ltd.", match.MatchedName);
        Assert.Equal("Beijing Zhipu Huazhang Technology", match.Alias);
    }

    [Fact]
    public void Key_DropsOnlyTrailingLegalSuffixes_NeverTheWholeName()
    {
        Assert.Equal("group", NameMatching.Key("Group Limited"));
        Assert.Equal("companyxtrading", NameMatching.Key("Company X Trading Co."));
        Assert.Equal("", NameMatching.Key(" ,. "));
    }
}
