using System.Diagnostics;
using System.Reflection;
using ComplianceWatch.Functions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Functions.Tests;

/// <summary>
/// The Functions app as <c>Program.cs</c> builds it, without a Functions host: the real entry point runs with the
/// settings as command-line configuration, and is stopped right after <c>Build()</c> (before <c>Run()</c> would dial
/// the host), the way WebApplicationFactory captures a host. Tests then create the function classes from the app's
/// own services and call them directly. <paramref name="configureServices"/> runs after Program's registrations, so it
/// can replace a service (a recording publisher instead of Service Bus).
/// </summary>
public sealed class FunctionsApp : IDisposable
{
    private static readonly AsyncLocal<Capture?> Current = new();
    private readonly IServiceScope scope;

    static FunctionsApp() => DiagnosticListener.AllListeners.Subscribe(new ListenerObserver());

    private FunctionsApp(IHost host)
    {
        Host = host;
        scope = host.Services.CreateScope();
    }

    public IHost Host { get; }

    public IServiceProvider Services => scope.ServiceProvider;

    /// <summary>Runs Program's entry point up to the built host. Settings with a null value are left out.</summary>
    public static FunctionsApp Build(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null)
    {
        var capture = new Capture(configureServices);
        Current.Value = capture;
        try
        {
            var args = settings.Where(s => s.Value is not null).Select(s => $"--{s.Key}={s.Value}").ToArray();
            typeof(ApiFunctions).Assembly.EntryPoint!.Invoke(null, [args]);
            throw new InvalidOperationException("Program.cs returned without building a host");
        }
        catch (TargetInvocationException ex) when (ex.InnerException is HostCapturedException)
        {
            return new FunctionsApp(capture.Host!);
        }
        finally
        {
            Current.Value = null;
        }
    }

    /// <summary>What the host does first when it starts: every <c>ValidateOnStart</c> option is validated.</summary>
    public void ValidateOnStart() => Host.Services.GetRequiredService<IStartupValidator>().Validate();

    /// <summary>A function class as the worker creates one for an invocation.</summary>
    public T Create<T>() where T : class => ActivatorUtilities.CreateInstance<T>(Services);

    public object Create(Type type) => ActivatorUtilities.CreateInstance(Services, type);

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public void Dispose()
    {
        scope.Dispose();
        Host.Dispose();
    }

    private sealed class Capture(Action<IServiceCollection>? configureServices)
    {
        public Action<IServiceCollection>? ConfigureServices { get; } = configureServices;

        public IHost? Host { get; set; }
    }

    private sealed class HostCapturedException : Exception;

    private sealed class ListenerObserver : IObserver<DiagnosticListener>
    {
        public void OnNext(DiagnosticListener value)
        {
            if (value.Name == "Microsoft.Extensions.Hosting")
            {
                value.Subscribe(new HostingObserver());
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }

    private sealed class HostingObserver : IObserver<KeyValuePair<string, object?>>
    {
        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (Current.Value is not { } capture)
            {
                return; // another test's host (a loopback server): not ours
            }

            if (value.Key == "HostBuilding" && value.Value is IHostBuilder builder && capture.ConfigureServices is { } configure)
            {
                builder.ConfigureServices((_, services) => configure(services));
            }
            else if (value.Key == "HostBuilt" && value.Value is IHost host)
            {
                capture.Host = host;
                throw new HostCapturedException();
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }
}
