using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Reachability;

namespace ComplianceWatch.Core.Tests.Reachability;

/// <summary>
/// The classifier over recorded response shapes of each provider (as they answer an unauthenticated request from a
/// supported and an unsupported region), and the control comparison for failures.
/// </summary>
public sealed class ReachabilityClassifierTests
{
    // Response bodies as the providers serve them (shapes recorded from their public APIs).
    private const string OpenAiUnsupported = """{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}""";
    private const string OpenAiMissingKey = """{"error":{"message":"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":null}}""";
    private const string OpenAiInvalidKey = """{"error":{"message":"Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""";
    private const string AnthropicForbidden = """{"type":"error","error":{"type":"forbidden","message":"Request not allowed"}}""";
    private const string AnthropicMissingKey = """{"type":"error","error":{"type":"authentication_error","message":"x-api-key header is required"}}""";
    private const string GeminiLocation = """{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}""";
    private const string GeminiNoKey = """{"error":{"code":403,"message":"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.","status":"PERMISSION_DENIED"}}""";
    private const string BedrockUnsupported = """{"message":"Access to Anthropic models is not allowed from unsupported countries, regions, or territories. Please refer to https://www.anthropic.com/supported-countries for more information on the countries, regions, and territories that are supported."}""";
    private const string BedrockNoAuth = """{"message":"Missing Authentication Token"}""";
    private const string CloudflareChallenge = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title><meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper" role="main"><div class="main-content"><noscript>Enable JavaScript and cookies to continue</noscript></div></div><script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'api.anthropic.com',cType: 'managed'};var a = document.createElement('script');a.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8f1c2d3e4f5a6b7c';document.getElementsByTagName('head')[0].appendChild(a);}());</script></body></html>""";
    private const string CloudflareCountryBanned = """<!DOCTYPE html><html><head><title>Access denied | api.example.com used Cloudflare to restrict access</title></head><body><div id="cf-error-details"><h1><span class="cf-error-type">Error</span> <span class="cf-error-code">1009</span></h1><h2 class="cf-subheadline">Access denied</h2><p>The owner of this website (api.example.com) has banned the country or region your IP address is in (CN) from accessing this website.</p></div></body></html>""";

    private static readonly Dictionary<string, string> Json = new() { ["content-type"] = "application/json" };

    public static TheoryData<string, int, string, Dictionary<string, string>, Verdict> RecordedResponses => new()
    {
        { "OpenAI 403 unsupported_country_region_territory", 403, OpenAiUnsupported, Json, Verdict.GeoBlocked },
        { "OpenAI 401 missing API key", 401, OpenAiMissingKey, Json, Verdict.Reachable },
        { "OpenAI 401 invalid API key", 401, OpenAiInvalidKey, Json, Verdict.Reachable },
        { "OpenAI 200 model list", 200, """{"object":"list","data":[]}""", Json, Verdict.Reachable },
        { "Anthropic 403 forbidden / Request not allowed", 403, AnthropicForbidden, new() { ["content-type"] = "application/json", ["server"] = "cloudflare", ["cf-ray"] = "8f1c-HKG" }, Verdict.GeoBlocked },
        { "Anthropic 401 authentication_error", 401, AnthropicMissingKey, Json, Verdict.Reachable },
        { "Gemini 400 FAILED_PRECONDITION user location", 400, GeminiLocation, Json, Verdict.GeoBlocked },
        { "Gemini 403 PERMISSION_DENIED without key", 403, GeminiNoKey, Json, Verdict.Reachable },
        { "Bedrock 400 ValidationException unsupported countries", 400, BedrockUnsupported, new() { ["content-type"] = "application/json", ["x-amzn-ErrorType"] = "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/" }, Verdict.GeoBlocked },
        { "Bedrock 403 missing authentication token", 403, BedrockNoAuth, new() { ["content-type"] = "application/json", ["x-amzn-ErrorType"] = "MissingAuthenticationTokenException" }, Verdict.Reachable },
        { "Cloudflare challenge (cf-mitigated: challenge)", 403, CloudflareChallenge, new() { ["content-type"] = "text/html; charset=UTF-8", ["cf-mitigated"] = "challenge", ["server"] = "cloudflare" }, Verdict.BotChallenge },
        { "Cloudflare challenge page without the header, served as 503", 503, CloudflareChallenge, new() { ["content-type"] = "text/html", ["server"] = "cloudflare" }, Verdict.BotChallenge },
        { "Cloudflare error 1009: the owner banned the country", 403, CloudflareCountryBanned, new() { ["content-type"] = "text/html", ["server"] = "cloudflare" }, Verdict.GeoBlocked },
        { "404 from the provider", 404, """{"error":{"message":"Invalid URL (GET /v1/nothing)","type":"invalid_request_error"}}""", Json, Verdict.Reachable },
        { "503 from the provider", 503, "upstream connect error or disconnect/reset before headers. reset reason: overflow", new() { ["content-type"] = "text/plain" }, Verdict.Outage },
        { "502 bad gateway", 502, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>", new() { ["content-type"] = "text/html" }, Verdict.Outage },
    };

    [Theory]
    [MemberData(nameof(RecordedResponses))]
    public void ClassifyProbe_RecordedResponse_GivesItsVerdict(string shape, int status, string body, Dictionary<string, string> headers, Verdict expected)
    {
        var probe = Response(status, body, headers);
        var outcome = ReachabilityClassifier.ClassifyProbe(probe, SignatureSet.BuiltIn);
        Assert.True(expected == outcome.Verdict, $"{shape}: expected {expected.ToName()}, got {outcome.Verdict.ToName()} ({outcome.Reason})");
    }

    [Fact]
    public void ClassifyProbe_SourceSignature_IsTriedBeforeTheBuiltInOnes()
    {
        var custom = new SignatureRule("example-451", "geo-blocked", [451], null, null, "not available in your region");
        var probe = Response(451, """{"error":"Service not available in your region"}""", Json);
        Assert.Equal(Verdict.Reachable, ReachabilityClassifier.ClassifyProbe(probe, SignatureSet.BuiltIn).Verdict);
        var outcome = ReachabilityClassifier.ClassifyProbe(probe, SignatureSet.BuiltIn.With([custom]));
        Assert.Equal(Verdict.GeoBlocked, outcome.Verdict);
        Assert.Contains("example-451", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void BuiltInSignatures_AreData_WithTheProvidersOfTheReliabilityTable()
    {
        var names = SignatureSet.BuiltIn.Rules.Select(r => r.Name).ToArray();
        Assert.Contains("openai-unsupported-region", names);
        Assert.Contains("anthropic-request-not-allowed", names);
        Assert.Contains("gemini-user-location", names);
        Assert.Contains("bedrock-unsupported-region", names);
        Assert.Contains("cloudflare-challenge-header", names);
    }

    // ---------------------------------------------------------------- the control comparison

    public static TheoryData<string, string> TargetFailures => new()
    {
        { ProbeStages.Connect, "connection to 127.0.0.1:9 failed: Connection refused" },
        { ProbeStages.Dns, "DNS lookup of api.example.invalid failed: Name or service not known" },
        { ProbeStages.Timeout, "api.example.com did not answer within 10 s" },
        { ProbeStages.Tls, "TLS handshake with api.example.com failed: the certificate (CN=other.example) is not valid for it" },
        { ProbeStages.Reset, "the connection to api.example.com was reset" },
    };

    [Theory]
    [MemberData(nameof(TargetFailures))]
    public void Decide_TargetFailure_IsNetworkBlockedWhenTheControlSucceeds(string stage, string message)
    {
        var verdict = ReachabilityClassifier.Decide(Failure("globalping:HK", stage, message), [Vantage("globalping:US", Response(401, OpenAiMissingKey, Json))], SignatureSet.BuiltIn);
        Assert.Equal(Verdict.NetworkBlocked, verdict.Verdict);
        Assert.Contains("control", verdict.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TargetFailures))]
    public void Decide_TargetFailure_IsOutageWhenTheControlFailsToo(string stage, string message)
    {
        var controlDown = Failure("globalping:US", ProbeStages.Connect, "connection to api.example.com failed");
        Assert.Equal(Verdict.Outage, ReachabilityClassifier.Decide(Failure("globalping:HK", stage, message), [controlDown], SignatureSet.BuiltIn).Verdict);

        var controlServerError = Vantage("globalping:US", Response(503, "Service Unavailable", Json));
        Assert.Equal(Verdict.Outage, ReachabilityClassifier.Decide(Failure("globalping:HK", stage, message), [controlServerError], SignatureSet.BuiltIn).Verdict);
    }

    [Fact]
    public void Decide_TargetFailure_IsUnknownWhenTheControlCouldNotBeMeasured()
    {
        var control = VantageObservation.NotMeasured("globalping:US", "the Globalping budget of 250 tests per hour is used up");
        var verdict = ReachabilityClassifier.Decide(Failure("local", ProbeStages.Dns, "DNS lookup failed"), [control], SignatureSet.BuiltIn);
        Assert.Equal(Verdict.Unknown, verdict.Verdict);
    }

    [Fact]
    public void Decide_WithoutControl_OtherVantagePointsAreTheReference()
    {
        var verdict = ReachabilityClassifier.Decide(
            Failure("globalping:CN", ProbeStages.Timeout, "timed out"),
            [Vantage("local", Response(401, OpenAiMissingKey, Json)), Failure("globalping:HK", ProbeStages.Timeout, "timed out")],
            SignatureSet.BuiltIn);
        Assert.Equal(Verdict.NetworkBlocked, verdict.Verdict);
    }

    [Fact]
    public void Decide_ServerErrorsEverywhere_IsOutage()
    {
        var verdict = ReachabilityClassifier.Decide(Vantage("globalping:HK", Response(503, "down", Json)), [Vantage("globalping:US", Response(503, "down", Json))], SignatureSet.BuiltIn);
        Assert.Equal(Verdict.Outage, verdict.Verdict);
    }

    [Fact]
    public void Decide_DnsAnswerPointingAtInterference_IsNetworkBlockedEvenWithAResponse()
    {
        // a block page served from an address the local resolver made up, while the control resolved the real one
        var hijacked = Response(200, "<html><body>This site is not available</body></html>", new() { ["content-type"] = "text/html" }) with { };
        hijacked = hijacked with { Evidence = hijacked.Evidence with { DnsAnswers = ["10.10.34.35"], Url = "https://api.openai.com/v1/models" } };
        var control = Response(401, OpenAiMissingKey, Json);
        control = control with { Evidence = control.Evidence with { DnsAnswers = ["104.18.33.45"] } };

        var verdict = ReachabilityClassifier.Decide(Vantage("globalping:CN", hijacked), [Vantage("globalping:US", control)], SignatureSet.BuiltIn);
        Assert.Equal(Verdict.NetworkBlocked, verdict.Verdict);
        Assert.Contains("10.10.34.35", verdict.Reason, StringComparison.Ordinal);

        // on the local host with private networks allowed (a private endpoint), a private answer is legitimate
        var local = Vantage("local", hijacked) with { PrivateAnswersExpected = true };
        Assert.Equal(Verdict.Reachable, ReachabilityClassifier.Decide(local, [Vantage("globalping:US", control)], SignatureSet.BuiltIn).Verdict);
    }

    [Fact]
    public void Decide_DifferentPublicDnsAnswers_AreNoInterference()
    {
        var target = Response(401, OpenAiMissingKey, Json);
        target = target with { Evidence = target.Evidence with { DnsAnswers = ["162.159.140.245"] } };
        var control = Response(401, OpenAiMissingKey, Json);
        control = control with { Evidence = control.Evidence with { DnsAnswers = ["104.18.33.45"] } };
        Assert.Equal(Verdict.Reachable, ReachabilityClassifier.Decide(Vantage("globalping:HK", target), [Vantage("globalping:US", control)], SignatureSet.BuiltIn).Verdict);
    }

    [Fact]
    public void Decide_ProbeNetworkFailedInternally_IsUnknown()
    {
        var internalFailure = ProbeObservation.Failed(new ProbeEvidence(), ProbeStages.Probe, FailureSide.ProbeNetwork, "the probe failed internally");
        var target = new VantageObservation { VantagePoint = "globalping:CN", Probes = [internalFailure, internalFailure, internalFailure], RequiredAnswers = 2 };
        var verdict = ReachabilityClassifier.Decide(target, [Vantage("globalping:US", Response(401, OpenAiMissingKey, Json))], SignatureSet.BuiltIn);
        Assert.Equal(Verdict.Unknown, verdict.Verdict);
        Assert.Contains("only 0 of 3 probes answered", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_TooFewProbesAnswered_IsUnknown()
    {
        var offline = ProbeObservation.Failed(new ProbeEvidence(), ProbeStages.Probe, FailureSide.ProbeNetwork, "the probe was offline");
        var target = new VantageObservation { VantagePoint = "globalping:CN", Probes = [Response(403, OpenAiUnsupported, Json), offline, offline], RequiredAnswers = 2 };
        var verdict = ReachabilityClassifier.Decide(target, [], SignatureSet.BuiltIn);
        Assert.Equal(Verdict.Unknown, verdict.Verdict);
        Assert.Contains("only 1 of 3", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_OurSideFailed_IsUnknown()
    {
        var ours = new VantageObservation
        {
            VantagePoint = "proxy:hk",
            Probes = [ProbeObservation.Failed(new ProbeEvidence(), ProbeStages.Proxy, FailureSide.Ours, "cannot connect to the proxy for proxy hk")],
        };
        Assert.Equal(Verdict.Unknown, ReachabilityClassifier.Decide(ours, [Vantage("globalping:US", Response(401, OpenAiMissingKey, Json))], SignatureSet.BuiltIn).Verdict);
    }

    [Fact]
    public void Decide_MajorityOfProbes_Decides_AndASplitIsUnknown()
    {
        var geo = Response(403, OpenAiUnsupported, Json);
        var ok = Response(401, OpenAiMissingKey, Json);
        var majority = new VantageObservation { VantagePoint = "globalping:HK", Probes = [geo, geo, ok], RequiredAnswers = 2 };
        var decided = ReachabilityClassifier.Decide(majority, [], SignatureSet.BuiltIn);
        Assert.Equal(Verdict.GeoBlocked, decided.Verdict);
        Assert.StartsWith("2 of 3 probes", decided.Reason, StringComparison.Ordinal);
        Assert.All(decided.Evidence, e => Assert.NotNull(e.Outcome));

        var split = new VantageObservation { VantagePoint = "globalping:HK", Probes = [geo, ok], RequiredAnswers = 2 };
        Assert.Equal(Verdict.Unknown, ReachabilityClassifier.Decide(split, [], SignatureSet.BuiltIn).Verdict);
    }

    private static ProbeObservation Response(int status, string body, Dictionary<string, string> headers) => new()
    {
        Evidence = new ProbeEvidence { Status = status, Headers = EvidenceText.SelectHeaders(headers), BodyExcerpt = EvidenceText.Excerpt(body) },
        Headers = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase),
        Body = body,
    };

    private static VantageObservation Vantage(string name, ProbeObservation probe) => new() { VantagePoint = name, Probes = [probe] };

    private static VantageObservation Failure(string name, string stage, string message) =>
        Vantage(name, ProbeObservation.Failed(new ProbeEvidence(), stage, FailureSide.Target, message));
}
