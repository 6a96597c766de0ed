using System.Text;
using System.Text.RegularExpressions;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Core.Tests.Fetching;

public class RequiredLiteralsTests
{
    [Theory]
    [InlineData(@"window\._cf_chl_opt", new[] { "window._cf_chl_opt" })]
    [InlineData(@"/cdn-cgi/challenge-platform/(h/[a-z]/)?orchestrate/", new[] { "/cdn-cgi/challenge-platform/" })]
    [InlineData(@"id=[""']challenge-form[""']|cf-turnstile\b", new[] { "challenge-form", "cf-turnstile" })]
    [InlineData(@"<title>\s*(Just a moment\.\.\.|Please Wait\.\.\. \| Cloudflare)\s*</title>", new[] { "Just a moment...", "Please Wait... | Cloudflare" })]
    [InlineData(@"(geo|ct)\.captcha-delivery\.com", new[] { ".captcha-delivery.com" })]
    [InlineData(@"<title>\s*Access to this page has been denied\.?\s*</title>", new[] { "Access to this page has been denied" })]
    [InlineData(@"abcd+efgh", new[] { "efgh" })] // the quantified 'd' is no part of a literal
    [InlineData(@"(?:optional-part)?required", new[] { "required" })]
    [InlineData(@"(?:abc|defg){2}", new[] { "abc", "defg" })]
    [InlineData(@"Akamai Reference", new[] { "amai Reference" })] // 'k' also matches the Kelvin sign
    [InlineData(@"Übersicht", new[] { "bersicht" })] // only ASCII: case folding beyond it is the regex's own
    public void Of_NamesTheLiteralsEveryMatchContains(string pattern, string[] expected)
    {
        Assert.Equal(expected, RequiredLiterals.Of(pattern));
    }

    [Theory]
    [InlineData(@"ab|cdef")] // a branch whose literal is too short to be worth a search
    [InlineData(@"challenge|")] // an empty branch matches anything
    [InlineData(@"\s+\d{3}")] // no literal at all
    [InlineData(@"(?i)challenge")] // inline options are not understood
    [InlineData(@"(?=challenge)x")] // nor lookarounds
    [InlineData(@"(challenge)\1")] // nor back-references
    [InlineData(@"challenge)")] // nor an unbalanced pattern
    public void Of_PatternThatNamesNoUsefulLiteral_IsNull(string pattern)
    {
        Assert.Null(RequiredLiterals.Of(pattern));
    }

    [Fact]
    public void Branches_NameTheKeyAndEveryRequiredPartOfEachBranch()
    {
        var branches = RequiredLiterals.Branches(@"/cdn-cgi/challenge-platform/(h/[a-z]/)?orchestrate/|var dd\s*=\s*\{\s*['""]rt['""]");

        Assert.NotNull(branches);
        Assert.Collection(
            branches,
            first =>
            {
                Assert.Equal(["/cdn-cgi/challenge-platform/"], first.Key);
                Assert.Equal([["/cdn-cgi/challenge-platform/"], ["orchestrate/"]], first.AllOf);
            },
            second =>
            {
                Assert.Equal(["var dd"], second.Key);
                Assert.Equal([["var dd"], ["="], ["{"], ["rt"]], second.AllOf);
            });
    }

    [Fact]
    public void BuiltInDetector_DocumentCarryingOnlyTheDetectionScript_IsNoChallenge()
    {
        var body = "<html><head><title>Terms</title></head><body><p>Short terms.</p>" +
            "<script src=\"/cdn-cgi/challenge-platform/scripts/jsd/main.js\"></script></body></html>";

        Assert.Null(ChallengeDetector.BuiltIn.Match(200, _ => null, body));
    }

    [Fact]
    public void BuiltInDetector_InterstitialWhoseOnlyMarkerIsTheOrchestratePath_IsMatched()
    {
        // the key literal and the second required part are far apart: both must be found
        var body = "<html><head><title>One moment</title></head><body><p>Checking your browser.</p>" +
            "<script src=\"/CDN-CGI/challenge-platform/h/b/orchestrate/chl_page/v1?ray=8f\"></script></body></html>";

        Assert.Equal("cloudflare-challenge-page", ChallengeDetector.BuiltIn.Match(200, _ => null, body)?.Name);
    }

    [Fact]
    public void CaseInsensitiveRegex_MatchesAsciiCharactersOnlyAsOrdinalIgnoreCaseDoes_ExceptK()
    {
        // the premise of the prefilter: for every ASCII character but k/K, the characters an IgnoreCase|CultureInvariant
        // regex matches are the ones OrdinalIgnoreCase calls equal
        var all = new StringBuilder();
        for (var c = 0; c < 0x10000; c++)
        {
            if (c is < 0xD800 or > 0xDFFF) { all.Append((char)c); }
        }

        var text = all.ToString();
        var extra = new List<string>();
        for (var a = 0x20; a < 0x7F; a++)
        {
            var ascii = ((char)a).ToString();
            foreach (Match match in Regex.Matches(text, Regex.Escape(ascii), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant))
            {
                if (!string.Equals(match.Value, ascii, StringComparison.OrdinalIgnoreCase))
                {
                    extra.Add($"{ascii}~U+{(int)match.Value[0]:X4}");
                }
            }
        }

        Assert.Equal(["K~U+212A", "k~U+212A"], extra);
    }

    [Fact]
    public void BuiltInDetector_EveryInterstitialPatternNamesLiterals_SoDocumentsAreNotScannedByTheRegex()
    {
        Assert.True(ChallengeDetector.BuiltIn.ScansLiteralsFirst);
    }

    public static TheoryData<string> Interstitials => new()
    {
        RealPageShapes.CloudflareManagedChallenge,
        RealPageShapes.CloudflareTurnstilePage,
        RealPageShapes.AkamaiBotManagerChallenge,
        RealPageShapes.DataDomeCaptcha,
        RealPageShapes.ImpervaInterstitial,
    };

    [Theory]
    [MemberData(nameof(Interstitials))]
    public void BuiltInDetector_InterstitialServedWith200_IsStillMatched(string body)
    {
        Assert.NotNull(ChallengeDetector.BuiltIn.Match(200, _ => null, body));
    }

    [Fact]
    public void BuiltInDetector_InterstitialInAnotherCase_IsStillMatched()
    {
        var body = "<html><head><title>Pardon Our Interruption</title></head><body><p>Please wait.</p></body></html>";

        Assert.NotNull(ChallengeDetector.BuiltIn.Match(200, _ => null, body));
        Assert.NotNull(ChallengeDetector.BuiltIn.Match(200, _ => null, body.ToUpperInvariant()));
    }
}
