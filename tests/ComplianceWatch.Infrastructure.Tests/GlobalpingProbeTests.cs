using System.Text.Json.Nodes;
using ComplianceWatch.Core.Reachability;
using ComplianceWatch.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>
/// The Globalping client against a fake Globalping API on loopback, on a fake clock: 202 + Location, polling no
/// faster than every 500 ms, in-progress results, 429 with Retry-After, the hourly budget, retries in the same
/// country, and no credential ever leaving through it.
/// </summary>
public sealed class GlobalpingProbeTests : IAsyncLifetime
{
    private static readonly Uri Target = new("https://api.openai.com/v1/models");
    private readonly TempDirectory directory = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
    private FakeGlobalping globalping = null!;

    public async Task InitializeAsync() => globalping = await FakeGlobalping.StartAsync(clock);

    public async Task DisposeAsync()
    {
        await globalping.DisposeAsync();
        directory.Dispose();
    }

    private PipelineHost Host(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ComplianceWatch:Globalping:Endpoint"] = globalping.Endpoint.ToString(),
            ["ComplianceWatch:Globalping:PollInterval"] = "00:00:00.5",
            ["ComplianceWatch:Globalping:Probes"] = "3",
            ["ComplianceWatch:Globalping:MinProbes"] = "2",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return new PipelineHost(directory.File("state"), settings: settings, time: clock);
    }

    /// <summary>Runs a probe while the fake clock moves on in steps of 100 ms.</summary>
    private async Task<VantageObservation> RunAsync(IProbe probe, string vantagePoint = "globalping:HK")
    {
        var task = probe.ProbeAsync(VantagePoint.Parse(vantagePoint), Target);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!task.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the probe did not finish");
            clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(3);
        }

        return await task;
    }

    [Fact]
    public async Task Measurement_Is202WithLocation_PolledNoFasterThanEvery500ms_ThroughInProgressResults()
    {
        globalping.InProgressPolls = 3;
        globalping.Results = c => [FakeGlobalping.Http(c, 403, FakeGlobalping.OpenAiUnsupportedRegion), FakeGlobalping.Http(c, 403, FakeGlobalping.OpenAiUnsupportedRegion), FakeGlobalping.Http(c, 403, FakeGlobalping.OpenAiUnsupportedRegion)];
        await using var host = Host();

        var observation = await RunAsync(host.Probe("globalping"));

        var post = Assert.Single(globalping.Posts);
        var request = post.Json!;
        Assert.Equal("http", request["type"]!.GetValue<string>());
        Assert.Equal("api.openai.com", request["target"]!.GetValue<string>());
        Assert.Equal("HK", request["locations"]![0]!["country"]!.GetValue<string>());
        Assert.Equal(3, request["limit"]!.GetValue<int>());
        Assert.Equal("GET", request["measurementOptions"]!["request"]!["method"]!.GetValue<string>());
        Assert.Equal("/v1/models", request["measurementOptions"]!["request"]!["path"]!.GetValue<string>());
        Assert.Equal("HTTPS", request["measurementOptions"]!["protocol"]!.GetValue<string>());

        var polls = globalping.Polls.ToArray();
        Assert.Equal(4, polls.Length); // three in-progress answers, then finished
        Assert.All(polls, p => Assert.StartsWith("/v1/measurements/m", p.Path, StringComparison.Ordinal));
        var times = new[] { post.Time }.Concat(polls.Select(p => p.Time)).ToArray();
        for (var i = 1; i < times.Length; i++)
        {
            Assert.True(times[i] - times[i - 1] >= TimeSpan.FromMilliseconds(500), $"poll {i} came {(times[i] - times[i - 1]).TotalMilliseconds} ms after the previous request");
        }

        Assert.Null(observation.Unmeasured);
        Assert.Equal(3, observation.Probes.Count);
        var evidence = observation.Probes[0].Evidence;
        Assert.Equal(403, evidence.Status);
        Assert.Equal("HK", evidence.Country);
        Assert.Equal(["104.18.33.45"], evidence.DnsAnswers);
        Assert.Equal("CN=api.openai.com", evidence.Tls!.Subject);
        Assert.Equal(312, evidence.Timings!.Total);
        Assert.Contains("unsupported_country_region_territory", evidence.BodyExcerpt, StringComparison.Ordinal);
        Assert.Equal(Verdict.GeoBlocked, ReachabilityClassifier.Decide(observation, [], SignatureSet.BuiltIn).Verdict);
    }

    [Fact]
    public async Task PollInterval_BelowTheMinimum_IsRefusedAtStart()
    {
        var host = Host(new() { ["ComplianceWatch:Globalping:PollInterval"] = "00:00:00.2" });
        // the hosts read the options once at start (the tool exits 2 naming the setting)
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ComplianceWatch.Core.ComplianceWatchOptions>>().Value);
        Assert.Contains("PollInterval", error.Message, StringComparison.Ordinal);
        await host.DisposeAsync();
    }

    [Fact]
    public async Task TooManyRequests_RetryAfterIsHonoured_ThenTheMeasurementIsCreated()
    {
        globalping.CreateAnswers.Enqueue(new CreateAnswer(429, RetryAfter: "2"));
        await using var host = Host();

        var observation = await RunAsync(host.Probe("globalping"));

        var posts = globalping.Posts.ToArray();
        Assert.Equal(2, posts.Length);
        Assert.True(posts[1].Time - posts[0].Time >= TimeSpan.FromSeconds(2), "the second POST did not wait for Retry-After");
        Assert.Null(observation.Unmeasured);
        Assert.Equal(3, observation.Probes.Count);
    }

    [Fact]
    public async Task TooManyRequests_WithALongRetryAfter_IsUnknown_AndNoFurtherMeasurementIsSentBeforeThen()
    {
        globalping.CreateAnswers.Enqueue(new CreateAnswer(429, RetryAfter: "1800"));
        await using var host = Host();
        var probe = host.Probe("globalping");

        var first = await RunAsync(probe);
        Assert.Contains("429", first.Unmeasured, StringComparison.Ordinal);
        var second = await RunAsync(probe, "globalping:CN");
        Assert.Contains("wait", second.Unmeasured, StringComparison.Ordinal);
        Assert.Single(globalping.Posts);

        clock.Advance(TimeSpan.FromMinutes(31));
        var third = await RunAsync(probe, "globalping:CN");
        Assert.Null(third.Unmeasured);
        Assert.Equal(2, globalping.Posts.Count());
    }

    [Fact]
    public async Task HourlyBudget_IsKept_AndFreesUpAfterAnHour()
    {
        await using var host = Host(new() { ["ComplianceWatch:Globalping:TestsPerHour"] = "6" });
        var probe = host.Probe("globalping");

        Assert.Null((await RunAsync(probe)).Unmeasured);
        Assert.Null((await RunAsync(probe, "globalping:CN")).Unmeasured);
        var refused = await RunAsync(probe, "globalping:SG");
        Assert.Contains("budget of 6 tests per hour", refused.Unmeasured, StringComparison.Ordinal);
        Assert.Equal(2, globalping.Posts.Count());
        Assert.Equal(Verdict.Unknown, ReachabilityClassifier.Decide(refused, [], SignatureSet.BuiltIn).Verdict);

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Null((await RunAsync(probe, "globalping:SG")).Unmeasured);
        Assert.Equal(3, globalping.Posts.Count());
    }

    [Fact]
    public async Task NoAuthorization_EverLeavesThroughIt_AndTheMeasurementCarriesNoHeaders()
    {
        await using var host = Host();
        await RunAsync(host.Probe("globalping"));

        Assert.NotEmpty(globalping.Requests);
        Assert.All(globalping.Requests, r => Assert.False(r.Headers.ContainsKey("Authorization"), $"{r.Method} {r.Path} carried an Authorization header"));
        var post = globalping.Posts.Single();
        Assert.Null(post.Json!["measurementOptions"]!["request"]!["headers"]);
        Assert.DoesNotContain("authorization", post.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("key", post.Body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Token_GoesToTheGlobalpingApiOnly_NeverIntoTheMeasurement_NorToAnotherHost()
    {
        const string Token = "gp-token-0123456789abcdef";
        await using var elsewhere = await FakeGlobalping.StartAsync(clock);
        await using var host = Host(new() { ["ComplianceWatch:Globalping:Token"] = Token });
        await RunAsync(host.Probe("globalping"));

        Assert.All(globalping.Requests, r => Assert.Equal($"Bearer {Token}", r.Headers["Authorization"]));
        Assert.DoesNotContain(Token, globalping.Posts.Single().Body, StringComparison.Ordinal);

        // a Location on another host is polled without the token
        globalping.LocationFor = id => new Uri(elsewhere.Endpoint, "v1/measurements/" + id).ToString();
        await RunAsync(host.Probe("globalping"), "globalping:CN");
        Assert.NotEmpty(elsewhere.Requests);
        Assert.All(elsewhere.Requests, r => Assert.False(r.Headers.ContainsKey("Authorization")));
    }

    [Fact]
    public async Task TooFewProbesAnswering_IsRetriedInTheSameCountry_ThenUnknown()
    {
        globalping.Results = c => [FakeGlobalping.Http(c, 401, FakeGlobalping.OpenAiMissingKey), FakeGlobalping.Offline(c), FakeGlobalping.Offline(c)];
        await using var host = Host();

        var observation = await RunAsync(host.Probe("globalping"), "globalping:CN");

        var posts = globalping.Posts.ToArray();
        Assert.Equal(2, posts.Length);
        Assert.All(posts, p => Assert.Equal("""[{"country":"CN"}]""", p.Json!["locations"]!.ToJsonString()));
        var verdict = ReachabilityClassifier.Decide(observation, [], SignatureSet.BuiltIn);
        Assert.Equal(Verdict.Unknown, verdict.Verdict);
        Assert.Contains("only 1 of 3 probes answered (at least 2 needed)", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailureSourceInternal_IsUnknown_NotABlock()
    {
        globalping.Results = c => [FakeGlobalping.Failed(c, "Internal error: probe restarted", "internal"), FakeGlobalping.Failed(c, "Internal error", "internal"), FakeGlobalping.Failed(c, "Internal error", "internal")];
        await using var host = Host(new() { ["ComplianceWatch:Globalping:Retries"] = "0" });

        var observation = await RunAsync(host.Probe("globalping"), "globalping:CN");

        Assert.All(observation.Probes, p => Assert.Equal(FailureSide.ProbeNetwork, p.Evidence.Failure!.Side));
        Assert.Equal(Verdict.Unknown, ReachabilityClassifier.Decide(observation, [], SignatureSet.BuiltIn).Verdict);
    }

    public static TheoryData<string, string> FailedOutputs => new()
    {
        { "getaddrinfo ENOTFOUND api.openai.com", ProbeStages.Dns },
        { "connect ECONNREFUSED 104.18.33.45:443", ProbeStages.Connect },
        { "read ECONNRESET", ProbeStages.Reset },
        { "Timeout awaiting 'request' for 10000ms", ProbeStages.Timeout },
        { "Hostname/IP does not match certificate's altnames: Host: api.openai.com. is not in the cert's altnames: DNS:*.example.cn", ProbeStages.Tls },
        { "Private IP ranges are not allowed.", ProbeStages.BlockedAddress },
    };

    [Theory]
    [MemberData(nameof(FailedOutputs))]
    public async Task FailedTest_RawOutput_NamesTheFailureAtTheTarget(string rawOutput, string stage)
    {
        globalping.Results = c => [FakeGlobalping.Failed(c, rawOutput), FakeGlobalping.Failed(c, rawOutput), FakeGlobalping.Failed(c, rawOutput)];
        await using var host = Host();

        var observation = await RunAsync(host.Probe("globalping"), "globalping:CN");

        Assert.Single(globalping.Posts);
        Assert.All(observation.Probes, p => Assert.Equal((stage, FailureSide.Target), (p.Evidence.Failure!.Stage, p.Evidence.Failure.Side)));
    }

    [Fact]
    public async Task UntrustedCertificate_IsATlsFailureAtTheTarget_WithTheCertificateAsEvidence()
    {
        globalping.Results = c => Enumerable.Range(0, 3).Select(_ => FakeGlobalping.Http(c, 200, "<html>blocked</html>", authorized: false, subject: "*.example.cn")).ToArray();
        await using var host = Host();

        var observation = await RunAsync(host.Probe("globalping"), "globalping:CN");

        var probe = observation.Probes[0].Evidence;
        Assert.Equal(ProbeStages.Tls, probe.Failure!.Stage);
        Assert.False(probe.Tls!.Valid);
        Assert.Equal("CN=*.example.cn", probe.Tls.Subject);
    }

    [Fact]
    public async Task ProbesInAnotherCountry_DoNotCount()
    {
        globalping.Results = _ => [FakeGlobalping.Http("US", 401, FakeGlobalping.OpenAiMissingKey), FakeGlobalping.Http("US", 401, FakeGlobalping.OpenAiMissingKey)];
        await using var host = Host(new() { ["ComplianceWatch:Globalping:Retries"] = "0" });
        var observation = await RunAsync(host.Probe("globalping"), "globalping:CN");
        Assert.Equal(Verdict.Unknown, ReachabilityClassifier.Decide(observation, [], SignatureSet.BuiltIn).Verdict);
    }

    [Fact]
    public async Task UnreachableApi_IsUnknown()
    {
        await using var host = new PipelineHost(directory.File("state"), settings: new Dictionary<string, string?>
        {
            ["ComplianceWatch:Globalping:Endpoint"] = $"http://127.0.0.1:{FailingEndpoints.ClosedPort()}/",
        });
        var observation = await host.Probe("globalping").ProbeAsync(VantagePoint.Parse("globalping:HK"), Target);
        Assert.Contains("could not be used", observation.Unmeasured, StringComparison.Ordinal);
    }
}
