using System.Net;
using System.Net.Sockets;
using ComplianceWatch.Core.Net;

namespace ComplianceWatch.Infrastructure.Http;

/// <summary>An address the SSRF guard refused to connect to.</summary>
public sealed class BlockedAddressException(string host, IPAddress address, bool allowedWithSetting)
    : Exception(allowedWithSetting
        ? $"refused to connect to {host} ({address}): a loopback or private address (allow with --allow-private-network)"
        : $"refused to connect to {host} ({address}): a link-local or metadata address is never fetched")
{
    public string Host { get; } = host;
    public IPAddress Address { get; } = address;
}

/// <summary>
/// <see cref="SocketsHttpHandler.ConnectCallback"/> that resolves the host itself and connects only to addresses the
/// <see cref="AddressGuard"/> allows. It runs for every new connection, so every redirect hop is checked on the
/// address actually connected to. A configured proxy is trusted (the operator chose it); the proxy resolves targets.
/// </summary>
public static class GuardedConnector
{
    /// <param name="allowPrivateNetwork">Whether loopback and private addresses may be connected to (read per connection).</param>
    /// <param name="observe">Told every decision, before any connection is opened (the browser's traffic is recorded so).</param>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Create(Func<bool> allowPrivateNetwork, Action<AddressDecision>? observe = null) =>
        async (context, cancellationToken) =>
        {
            var endpoint = context.DnsEndPoint;
            var viaProxy = IsConfiguredProxy(endpoint, context.InitialRequestMessage.RequestUri);
            var host = endpoint.Host.TrimStart('[').TrimEnd(']');
            var addresses = IPAddress.TryParse(host, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
            var allowPrivate = allowPrivateNetwork();
            var allowed = viaProxy ? addresses : addresses.Where(a => AddressGuard.IsAllowed(a, allowPrivate)).ToArray();
            observe?.Invoke(new AddressDecision(endpoint.Host, endpoint.Port, addresses, allowed.Length > 0, viaProxy));
            if (allowed.Length == 0)
            {
                var first = addresses.FirstOrDefault() ?? IPAddress.None;
                throw new BlockedAddressException(endpoint.Host, first, AddressGuard.Classify(first) == AddressVerdict.Private);
            }

            Exception? last = null;
            foreach (var address in allowed)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    last = ex;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }

            throw last!;
        };

    /// <summary>True when the connection goes to the proxy the environment configures (HTTP_PROXY, HTTPS_PROXY), not to a target.</summary>
    private static bool IsConfiguredProxy(DnsEndPoint endpoint, Uri? target)
    {
        if (target is null || HttpClient.DefaultProxy.IsBypassed(target))
        {
            return false;
        }

        var proxy = HttpClient.DefaultProxy.GetProxy(target);
        return proxy is not null && proxy != target && proxy.Port == endpoint.Port &&
               string.Equals(proxy.IdnHost.Trim('[', ']'), endpoint.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase);
    }
}
