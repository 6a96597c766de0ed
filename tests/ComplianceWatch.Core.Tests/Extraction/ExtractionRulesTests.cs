using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Extraction;

namespace ComplianceWatch.Core.Tests.Extraction;

public class ExtractionRulesTests
{
    private static readonly ExtractionRules Baseline = new(["main"], ["nav", "footer"], ["Updated \\d+ days ago"], ExtractMode.Text);

    [Fact]
    public void Hash_EqualRules_HaveEqualHashes()
    {
        var copy = new ExtractionRules(new List<string> { "main" }, new List<string> { "nav", "footer" }, new List<string> { "Updated \\d+ days ago" }, ExtractMode.Text);

        Assert.Equal(Baseline.Hash, copy.Hash);
    }

    [Fact]
    public void Hash_Is64LowerCaseHexCharacters()
    {
        Assert.Matches("^[0-9a-f]{64}$", Baseline.Hash);
    }

    [Fact]
    public void Hash_ChangesWhenSelectChanges()
    {
        Assert.NotEqual(Baseline.Hash, (Baseline with { Select = ["article"] }).Hash);
        Assert.NotEqual(Baseline.Hash, (Baseline with { Select = [] }).Hash);
    }

    [Fact]
    public void Hash_ChangesWhenRemoveChanges()
    {
        Assert.NotEqual(Baseline.Hash, (Baseline with { Remove = ["nav"] }).Hash);
    }

    [Fact]
    public void Hash_ChangesWhenIgnoreChanges()
    {
        Assert.NotEqual(Baseline.Hash, (Baseline with { Ignore = ["Updated today"] }).Hash);
        Assert.NotEqual(Baseline.Hash, (Baseline with { Ignore = [] }).Hash);
    }

    [Fact]
    public void Hash_ChangesWhenExtractModeChanges()
    {
        Assert.NotEqual(Baseline.Hash, (Baseline with { Extract = ExtractMode.List }).Hash);
    }

    [Fact]
    public void Hash_DistinguishesWhichListASelectorIsIn()
    {
        var a = new ExtractionRules(["main"], [], [], ExtractMode.Text);
        var b = new ExtractionRules([], ["main"], [], ExtractMode.Text);

        Assert.NotEqual(a.Hash, b.Hash);
    }

    [Fact]
    public void From_TermsSource_CopiesTheRules()
    {
        var source = new TermsSource
        {
            Id = "t", Kind = SourceKinds.Terms, Title = "T", Url = "https://x.example",
            Select = ["main"], Remove = ["nav", "footer"], Ignore = ["Updated \\d+ days ago"], Extract = ExtractMode.Text,
        };

        var rules = ExtractionRules.From(source);

        Assert.Equal(Baseline.Hash, rules.Hash);
        Assert.Equal(ExtractMode.Text, rules.Extract);
    }

    [Fact]
    public void Hash_ChangesWhenRenderIsTurnedOn_SoTogglingItIsARulesUpdate()
    {
        Assert.NotEqual(Baseline.Hash, (Baseline with { Render = true }).Hash);
    }

    [Fact]
    public void Hash_OfAStaticSource_IsWhatItWasBeforeRenderExisted()
    {
        // snapshots recorded before the render field must not all turn into rules updates
        var before = Hashing.Sha256(System.Text.Json.JsonSerializer.Serialize(new
        {
            select = Baseline.Select,
            remove = Baseline.Remove,
            ignore = Baseline.Ignore,
            extract = "text",
            normalizer = TextNormalizer.Version,
        }));

        Assert.Equal(before, Baseline.Hash);
    }

    [Fact]
    public void From_TermsSourceWithRender_CarriesIt()
    {
        var source = new TermsSource { Id = "x", Kind = "terms", Title = "X", Url = "https://x.example/", Render = true };

        Assert.True(ExtractionRules.From(source).Render);
    }
}
