using System.Text.Json;
using ComplianceWatch.Testing;

namespace ComplianceWatch.Cli.Tests;

public sealed class WatchCommandTests : IAsyncLifetime
{
    private readonly TempDirectory directory = new();
    private LoopbackServer server = null!;

    public async Task InitializeAsync() => server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        directory.Dispose();
    }

    [Fact]
    public async Task Watch_ChecksOnTheSourceScheduleUntilStopped()
    {
        server.Set("every-second", "<html><body><main><p>Terms v1</p></main></body></html>");
        var catalog = directory.File("catalog.json");
        await File.WriteAllTextAsync(catalog, JsonSerializer.Serialize(new
        {
            sources = new[]
            {
                new { id = "every-second", kind = "terms", title = "T", url = server.Url("every-second").ToString(), select = "main", schedule = "* * * * * *" },
            },
        }));
        using var stop = new CancellationTokenSource();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var output = TextWriter.Synchronized(stdout); // the test reads while the tool writes
        var watch = CliApp.RunAsync(
            ["watch", "--catalog", catalog, "--state", directory.File("state"), "--allow-private-network", "--quiet"],
            new CliEnvironment(output, TextWriter.Synchronized(stderr), CliRunner.FastRetries, interactive: false),
            stop.Token);

        // the first check runs at once; the schedule brings the next ones
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (server.CountRequests("every-second") < 3 && DateTime.UtcNow < deadline && !watch.IsCompleted)
        {
            await Task.Delay(100);
        }

        Assert.False(watch.IsCompleted, stderr.ToString());
        Assert.True(server.CountRequests("every-second") >= 3, $"only {server.CountRequests("every-second")} checks ran");
        server.Set("every-second", "<html><body><main><p>Terms v2</p></main></body></html>");
        deadline = DateTime.UtcNow.AddSeconds(20);
        while (!Read(output, stdout).Contains("Terms v2", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        Assert.Equal(0, await watch);
        Assert.Contains("added: \"Terms v2\"", Read(output, stdout), StringComparison.Ordinal);
    }

    private static string Read(TextWriter synchronizedWriter, StringWriter inner)
    {
        lock (synchronizedWriter)
        {
            return inner.ToString();
        }
    }
}
