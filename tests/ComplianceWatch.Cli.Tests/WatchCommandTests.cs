using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
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

    [Fact]
    public async Task Watch_WithOutputRedirected_PrintsOneSummaryLinePerCycle_AndAFailureOnce_NoSourceRows()
    {
        var (lines, cycles) = await WatchAsProcessAsync([]);

        var summary = new Regex(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z cycle \d+: 5 checked: 0 changed, \d unchanged, \d baselined, 1 failed$");
        var summaries = lines.Count(l => summary.IsMatch(l));
        var all = string.Join("\n", lines);
        Assert.True(summaries >= 3, all);
        Assert.True(summaries <= cycles + 1, all); // a cycle may finish while the process is being stopped

        // besides the summaries: one startup line, the failing source once (it keeps failing the same way), and the
        // health change it causes after 3 failed checks (a change: "no longer tracked")
        Assert.StartsWith("watching 5 sources", lines[0], StringComparison.Ordinal);
        var failure = Assert.Single(lines, l => l.StartsWith("failed missing:", StringComparison.Ordinal));
        Assert.Contains("http-4xx", failure, StringComparison.Ordinal);
        Assert.Single(lines, l => l.Contains("Gone: no longer tracked after 3 failed checks", StringComparison.Ordinal));
        Assert.Equal(summaries + 3, lines.Count);
        Assert.DoesNotContain(lines, l => l.Contains("unchanged-", StringComparison.Ordinal) || l.Contains('│'));
    }

    [Fact]
    public async Task Watch_WithTable_PrintsEverySourceRowEveryCycle_EvenWhenRedirected()
    {
        var (lines, _) = await WatchAsProcessAsync(["--table"]);

        var rows = lines.Count(l => l.Contains("unchanged-1", StringComparison.Ordinal));
        Assert.True(rows >= 3, string.Join("\n", lines));
        Assert.DoesNotContain(lines, l => l.Contains(" cycle ", StringComparison.Ordinal));
    }

    /// <summary>
    /// Runs the built tool as a real process with stdout redirected: four unchanged sources and one that answers 404,
    /// all due every second, until each unchanged source was fetched at least 4 times; returns stdout's lines and how
    /// many cycles the server saw.
    /// </summary>
    private async Task<(List<string> Lines, int Cycles)> WatchAsProcessAsync(string[] extra)
    {
        var sources = new List<object>();
        for (var i = 1; i <= 4; i++)
        {
            server.Set($"unchanged-{i}", $"<html><body><main><p>Terms {i}</p></main></body></html>");
            sources.Add(new { id = $"unchanged-{i}", kind = "terms", title = $"Unchanged {i}", url = server.Url($"unchanged-{i}").ToString(), select = "main", schedule = "* * * * * *" });
        }

        sources.Add(new { id = "missing", kind = "terms", title = "Gone", url = server.Url("missing").ToString(), select = "main", schedule = "* * * * * *" });
        var catalog = directory.File("catalog.json");
        await File.WriteAllTextAsync(catalog, JsonSerializer.Serialize(new { sources }));

        var lines = new ConcurrentQueue<string>();
        using var process = CliRunner.Start(directory.Path, ["watch", "--catalog", catalog, "--state", directory.File("state"), "--allow-private-network", .. extra]);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lines.Enqueue(line);
            }
        };
        process.BeginOutputReadLine();
        var error = process.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Enumerable.Range(1, 4).Any(i => server.CountRequests($"unchanged-{i}") < 4) && DateTime.UtcNow < deadline && !process.HasExited)
        {
            await Task.Delay(100);
        }

        if (process.HasExited)
        {
            Assert.Fail($"watch stopped (exit {process.ExitCode}): {await error}");
        }

        var cycles = server.CountRequests("unchanged-1");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        Assert.True(cycles >= 4, $"only {cycles} cycles ran: {await error}");
        return (lines.Where(l => l.Length > 0).ToList(), cycles);
    }

    private static string Read(TextWriter synchronizedWriter, StringWriter inner)
    {
        lock (synchronizedWriter)
        {
            return inner.ToString();
        }
    }
}
