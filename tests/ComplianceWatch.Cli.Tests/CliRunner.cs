using System.Diagnostics;
using System.Text;

namespace ComplianceWatch.Cli.Tests;

public sealed record CliResult(int ExitCode, string Out, string Error);

/// <summary>Runs the tool through its own entry point, in process or as a real process.</summary>
public static class CliRunner
{
    public static readonly IReadOnlyDictionary<string, string?> FastRetries = new Dictionary<string, string?>
    {
        ["ComplianceWatch:RetryDelay"] = "00:00:00.010",
        ["ComplianceWatch:MaxRetries"] = "1",
    };

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(null, args);

    /// <summary>Runs with <paramref name="settings"/> layered over <see cref="FastRetries"/>.</summary>
    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?>? settings, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var merged = new Dictionary<string, string?>(FastRetries);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        var code = await CliApp.RunAsync(args, new CliEnvironment(stdout, stderr, merged, interactive: false));
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Where the tool started by these tests keeps its cache (<c>XDG_CACHE_HOME</c>, unless a test names another).</summary>
    public static readonly string TestCache = Path.Combine(Path.GetTempPath(), "cw-tests", "xdg-cache");

    /// <summary>Starts the built tool (compliancewatch.dll beside the tests) as a child process.</summary>
    public static Process Start(string workingDirectory, params string[] args) => Start(null, workingDirectory, args);

    /// <summary>Starts the tool with extra environment variables (settings such as <c>ComplianceWatch__Storage__TableName</c>).</summary>
    public static Process Start(IReadOnlyDictionary<string, string>? environment, string workingDirectory, params string[] args)
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "compliancewatch.dll");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(tool);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["ComplianceWatch__RetryDelay"] = "00:00:00.010";
        info.Environment["ComplianceWatch__MaxRetries"] = "1";
        info.Environment["NO_COLOR"] = "1";
        info.Environment["XDG_CACHE_HOME"] = TestCache; // the tool's catalog cache, kept out of the user's home
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return Process.Start(info)!;
    }

    public static Task<CliResult> RunProcessAsync(string workingDirectory, params string[] args) => RunProcessAsync(null, workingDirectory, args);

    public static async Task<CliResult> RunProcessAsync(IReadOnlyDictionary<string, string>? environment, string workingDirectory, params string[] args)
    {
        using var process = Start(environment, workingDirectory, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
