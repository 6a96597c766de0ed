using System.Net;

namespace ComplianceWatch.Demo;

/// <summary>
/// The environment's proxy (<c>HTTP_PROXY</c>, <c>HTTPS_PROXY</c>…) for everything but loopback: the demo's servers are on
/// 127.0.0.1, which a proxy elsewhere cannot reach. <see cref="Install"/> puts it in front of <see cref="HttpClient.DefaultProxy"/>
/// for the time of the demo.
/// </summary>
public sealed class LoopbackBypassProxy(IWebProxy inner) : IWebProxy
{
    public ICredentials? Credentials
    {
        get => inner.Credentials;
        set => inner.Credentials = value;
    }

    public Uri? GetProxy(Uri destination) => IsBypassed(destination) ? destination : inner.GetProxy(destination);

    public bool IsBypassed(Uri host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.IsLoopback || inner.IsBypassed(host);
    }

    /// <summary>Bypasses the default proxy for loopback until the returned handle is disposed.</summary>
    public static IDisposable Install()
    {
        var previous = HttpClient.DefaultProxy;
        HttpClient.DefaultProxy = new LoopbackBypassProxy(previous);
        return new Restore(previous);
    }

    private sealed class Restore(IWebProxy previous) : IDisposable
    {
        public void Dispose() => HttpClient.DefaultProxy = previous;
    }
}
