using ComplianceWatch.Testing;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Fetching;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Reachability;
using ComplianceWatch.Core.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ComplianceWatch.Infrastructure.Tests;

/// <summary>
/// The production service graph (real HTTP fetcher, real store) with test settings. The store is the embedded store
/// in <c>stateDirectory</c> unless <c>store</c> registers another one (Table Storage on Azurite).
/// </summary>
public sealed class PipelineHost : IAsyncDisposable
{
    private readonly ServiceProvider provider;

    public PipelineHost(string stateDirectory, bool allowPrivateNetwork = true, IDictionary<string, string?>? settings = null, TimeProvider? time = null, Action<IServiceCollection>? store = null)
    {
        var values = TestSettings.Fast(allowPrivateNetwork, settings);

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging();
        services.AddComplianceWatchCore();
        services.AddComplianceWatchHttp();
        if (store is null)
        {
            services.AddEmbeddedStateStore(stateDirectory);
        }
        else
        {
            store(services);
        }

        if (time is not null)
        {
            services.AddSingleton(time);
        }

        provider = services.BuildServiceProvider();
    }

    public IServiceProvider Services => provider;

    public IStateStore Store => provider.GetRequiredService<IStateStore>();

    /// <summary>The registered probe of a vantage point kind (<c>local</c>, <c>proxy</c>, <c>globalping</c>).</summary>
    public IProbe Probe(string kind) => provider.GetServices<IProbe>().Single(p => p.Kind == kind);

    public IContentFetcher Fetcher => provider.GetRequiredService<IContentFetcher>();

    public Task<CheckReport> CheckAsync(SourceCatalog catalog) =>
        provider.GetRequiredService<CheckRunner>().RunAsync(catalog, catalog.Sources);

    public Task<CheckReport> CheckAsync(string catalogJson) => CheckAsync(CatalogLoader.Parse(catalogJson, "test.json"));

    /// <summary>Asserts that <c>audit verify</c> finds every history chain and current snapshot of the store intact.</summary>
    public async Task AssertVerifiedAsync()
    {
        var verification = await ChainVerifier.VerifyAsync(Store);
        Assert.True(verification.Intact, string.Join("\n", verification.Problems));
    }

    /// <summary>Rewrites the stored current snapshot of a source in the embedded store, as an insider could.</summary>
    public static async Task EditSnapshotAsync(string stateDirectory, string sourceId, Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        var path = Path.Combine(stateDirectory, "sources", sourceId, "state.json");
        var state = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(path))!.AsObject();
        var snapshot = state["snapshot"]!.AsObject();
        if (snapshot["contentEntry"] is { } entry)
        {
            // the text is stored once, in the history entry state.json names: the insider writes an edited copy inline
            snapshot.Remove("contentEntry");
            var entryPath = Path.Combine(stateDirectory, "sources", sourceId, "history", $"{entry.GetValue<long>():D10}.json");
            snapshot["content"] = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(entryPath))!["content"]!.DeepClone();
        }

        edit(snapshot);
        await File.WriteAllTextAsync(path, state.ToJsonString());
    }

    public ValueTask DisposeAsync() => provider.DisposeAsync();
}
