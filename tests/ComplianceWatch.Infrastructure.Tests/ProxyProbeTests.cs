using System.Text.Json;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Reachability;
using ComplianceWatch.Core.Store;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>
/// The <c>proxy:NAME</c> vantage point through a loopback HTTP proxy that asks for Basic credentials: the credentials
/// reach the proxy and nothing else — not the target, not the evidence, not the errors, not the store.
/// </summary>
public sealed class ProxyProbeTests : IAsyncLifetime
{
    private const string User = "cw-probe";
    private const string Password = "s3cret-Proxy-Pa55";
    private const string GeoBlockedBody = """{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}""";

    private readonly TempDirectory directory = new();
    private LoopbackServer provider = null!;
    private LoopbackConnectProxy proxy = null!;

    public async Task InitializeAsync()
    {
        provider = await LoopbackServer.StartAsync();
        proxy = new LoopbackConnectProxy(User, Password);
    }

    public async Task DisposeAsync()
    {
        await proxy.DisposeAsync();
        await provider.DisposeAsync();
        directory.Dispose();
    }

    private PipelineHost Host(string proxyUrl) => new(directory.File("state"), settings: new Dictionary<string, string?>
    {
        ["ComplianceWatch:Proxies:hk"] = proxyUrl,
    });

    [Fact]
    public async Task HttpTarget_GoesThroughTheProxy_WithCredentialsForTheProxyOnly()
    {
        provider.Set("v1/models", new Page { Status = 403, Body = GeoBlockedBody, ContentType = "application/json", Validators = false });
        await using var host = Host(proxy.Url(User, Password));

        var report = await host.CheckAsync(Catalogs.Reachability(provider.Url("v1/models"), ["proxy:hk"]));

        Assert.Empty(report.Errors);
        var entry = Assert.Single(await host.Store.QueryHistoryAsync(new HistoryQuery { IncludeContent = true }));
        var record = ReachabilityRecord.TryRead(entry)!;
        Assert.Equal(("proxy:hk", "geo-blocked"), (record.VantagePoint, record.Verdict));
        Assert.True(record.Evidence[0].Connect!.ViaProxy);
        Assert.Equal("proxy hk", record.Evidence[0].Probe);

        // the proxy was asked for the target and got the credentials (after its 407 challenge)
        Assert.Contains(proxy.Requests, r => r.Target.StartsWith("http://127.0.0.1:", StringComparison.Ordinal) && r.ProxyAuthorization is not null);
        // the target never saw them, nor any other credential
        var headers = Assert.Single(provider.RequestHeaders);
        Assert.DoesNotContain(headers.Keys, k => k.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase) || k.Equals("Authorization", StringComparison.OrdinalIgnoreCase));
        await AssertSecretNowhereAsync(host, report);
    }

    [Fact]
    public async Task HttpsTarget_IsTunnelledWithConnect_AndTheTargetsCertificateIsTheEvidence()
    {
        await using var tls = await LoopbackServer.StartAsync(FailingEndpoints.CertificateFor("wrong.example"));
        await using var host = Host(proxy.Url(User, Password));
        var target = new Uri($"https://127.0.0.1:{tls.BaseUrl.Port}/v1/models");

        var observation = await host.Probe("proxy").ProbeAsync(VantagePoint.Parse("proxy:hk"), target);

        Assert.Contains(proxy.Requests, r => r.Method == "CONNECT" && r.Target == $"127.0.0.1:{tls.BaseUrl.Port}" && r.ProxyAuthorization is not null);
        var evidence = Assert.Single(observation.Probes).Evidence;
        Assert.Equal((ProbeStages.Tls, FailureSide.Target), (evidence.Failure!.Stage, evidence.Failure.Side));
        Assert.Equal("CN=wrong.example", evidence.Tls!.Subject);
        Assert.DoesNotContain(Password, JsonSerializer.Serialize(observation, JsonDefaults.Options), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TargetUnreachableFromTheProxy_IsAFailureAtTheTarget()
    {
        await using var host = Host(proxy.Url(User, Password));
        var target = new Uri($"https://127.0.0.1:{FailingEndpoints.ClosedPort()}/v1/models");

        var observation = await host.Probe("proxy").ProbeAsync(VantagePoint.Parse("proxy:hk"), target);

        var failure = Assert.Single(observation.Probes).Evidence.Failure!;
        Assert.Equal((ProbeStages.Connect, FailureSide.Target), (failure.Stage, failure.Side));
        Assert.Contains("CONNECT answered 502", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongCredentials_AreOurSide_Unknown_AndNeverEchoed()
    {
        provider.Set("v1/models", new Page { Status = 401, Body = "{}", ContentType = "application/json", Validators = false });
        await using var host = Host(proxy.Url(User, "wrong-Password-123"));

        var report = await host.CheckAsync(Catalogs.Reachability(provider.Url("v1/models"), ["proxy:hk"]));

        var error = Assert.Single(report.Errors);
        Assert.Equal("unknown", error.Category);
        Assert.Contains("refused our credentials", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-Password-123", JsonSerializer.Serialize(report, JsonDefaults.Options), StringComparison.Ordinal);
        Assert.Empty(provider.RequestHeaders);
    }

    [Fact]
    public async Task UnconfiguredProxy_IsUnknown_NamingTheSetting()
    {
        await using var host = new PipelineHost(directory.File("state"));
        var report = await host.CheckAsync(Catalogs.Reachability(provider.Url("v1/models"), ["proxy:sg"]));
        var error = Assert.Single(report.Errors);
        Assert.Equal("unknown", error.Category);
        Assert.Contains("ComplianceWatch:Proxies:sg", error.Message, StringComparison.Ordinal);
    }

    private async Task AssertSecretNowhereAsync(PipelineHost host, Core.Pipeline.CheckReport report)
    {
        Assert.DoesNotContain(Password, JsonSerializer.Serialize(report, JsonDefaults.Options), StringComparison.Ordinal);
        foreach (var file in Directory.EnumerateFiles(directory.File("state"), "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(Password, await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(Password, JsonSerializer.Serialize(await host.Store.GetAsync("test-reach"), JsonDefaults.Options), StringComparison.Ordinal);
    }
}
