using System.Text.Json;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Functions.Tests;

/// <summary>A catalog of terms sources served by a loopback server, whose pages a test changes.</summary>
public sealed class Scenario : IAsyncDisposable
{
    private Scenario(LoopbackServer server) => Server = server;

    public LoopbackServer Server { get; }

    public static async Task<Scenario> StartAsync() => new(await LoopbackServer.StartAsync());

    public static string Page(params string[] lines) =>
        $"<html><body><nav>Home</nav><main>{string.Concat(lines.Select(l => $"<p>{l}</p>"))}</main></body></html>";

    /// <summary>A catalog of terms sources (id, provider, optional schedule), each at <c>/{id}</c> on the server.</summary>
    public string Catalog(params (string Id, string Provider, string? Schedule)[] sources) =>
        JsonSerializer.Serialize(new
        {
            sources = sources.Select(s =>
            {
                var source = new Dictionary<string, object?>
                {
                    ["id"] = s.Id, ["kind"] = "terms", ["title"] = $"{s.Provider} terms ({s.Id})", ["provider"] = s.Provider,
                    ["url"] = Server.Url(s.Id).ToString(), ["select"] = "main",
                };
                if (s.Schedule is not null)
                {
                    source["schedule"] = s.Schedule;
                }

                return source;
            }),
        });

    public string Catalog(params string[] ids) => Catalog(ids.Select(id => (id, "TestAI", (string?)null)).ToArray());

    public void Serve(string id, params string[] lines) => Server.Set(id, Page(lines));

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
