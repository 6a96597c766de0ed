using System.Diagnostics;
using System.Text.Json;

namespace ComplianceWatch.Functions.Tests;

/// <summary>
/// What <c>azd deploy</c> ships: it runs a plain <c>dotnet publish</c> of the Functions project, which must come out
/// precompiled (ReadyToRun) for the Function App's platform (Linux x64), framework-dependent; a build stays portable.
/// Read from MSBuild's evaluation of the project, as the publish sees it.
/// </summary>
public sealed class FunctionsPublishTests
{
    private static string ProjectFile => Path.GetFullPath(Path.Combine(FunctionsMetadataTests.OutputDirectory, "../../../ComplianceWatch.Functions.csproj"));

    private static async Task<JsonElement> EvaluateAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["msbuild", ProjectFile, "-nologo", "-getProperty:RuntimeIdentifier", "-getProperty:PublishReadyToRun", "-getProperty:SelfContained", .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await error + await output);
        using var document = JsonDocument.Parse(await output);
        return document.RootElement.GetProperty("Properties").Clone();
    }

    [Fact]
    public async Task PlainPublish_AsAzdDeployRunsIt_IsReadyToRunForLinuxX64_FrameworkDependent()
    {
        Assert.True(File.Exists(ProjectFile), ProjectFile);
        var publish = await EvaluateAsync("-p:_IsPublishing=true", "-p:Configuration=Release");
        Assert.Equal("linux-x64", publish.GetProperty("RuntimeIdentifier").GetString());
        Assert.Equal("true", publish.GetProperty("PublishReadyToRun").GetString());
        Assert.Equal("false", publish.GetProperty("SelfContained").GetString());
    }

    [Fact]
    public async Task PublishForAnotherPlatform_KeepsIt_AndABuildStaysPortable()
    {
        var arm = await EvaluateAsync("-p:_IsPublishing=true", "-p:RuntimeIdentifier=linux-arm64");
        Assert.Equal("linux-arm64", arm.GetProperty("RuntimeIdentifier").GetString());
        Assert.Equal("true", arm.GetProperty("PublishReadyToRun").GetString());

        var build = await EvaluateAsync();
        Assert.Equal("", build.GetProperty("RuntimeIdentifier").GetString());
        Assert.Equal("", build.GetProperty("PublishReadyToRun").GetString());
    }
}
