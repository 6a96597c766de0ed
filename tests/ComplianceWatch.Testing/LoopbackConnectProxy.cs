using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ComplianceWatch.Testing;

/// <summary>One request the proxy received: its request line and whether (and with what) it authenticated.</summary>
public sealed record ProxyRequest(string Method, string Target, string? ProxyAuthorization);

/// <summary>
/// A tiny HTTP proxy on 127.0.0.1: <c>CONNECT host:port</c> tunnels (as used for https targets) and absolute-form
/// requests (<c>GET http://…</c>, as used for http targets). With credentials it answers 407 with a Basic challenge
/// until <c>Proxy-Authorization</c> carries them, and never forwards <c>Proxy-*</c> headers to the target.
/// </summary>
public sealed class LoopbackConnectProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly string? expectedAuthorization;
    private readonly Task acceptLoop;

    public LoopbackConnectProxy(string? user = null, string? password = null)
    {
        if (user is not null)
        {
            expectedAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        }

        listener.Start();
        acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>The proxy URL, with the credentials as user info when given.</summary>
    public string Url(string? user = null, string? password = null) =>
        user is null ? $"http://127.0.0.1:{Port}" : $"http://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password ?? "")}@127.0.0.1:{Port}";

    public ConcurrentQueue<ProxyRequest> Requests { get; } = new();

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream);
                if (head is null)
                {
                    return;
                }

                var lines = head.Split("\r\n");
                var parts = lines[0].Split(' ');
                var headers = lines.Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal))
                    .Select(l => (Name: l[..l.IndexOf(':', StringComparison.Ordinal)].Trim(), Value: l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))
                    .ToList();
                var authorization = headers.FirstOrDefault(h => h.Name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase)).Value;
                Requests.Enqueue(new ProxyRequest(parts[0], parts[1], authorization));
                if (expectedAuthorization is not null && authorization != expectedAuthorization)
                {
                    await WriteAsync(stream, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"cw-test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }

                if (parts[0] == "CONNECT")
                {
                    var (host, port) = Split(parts[1]);
                    using var upstream = new TcpClient();
                    try
                    {
                        await upstream.ConnectAsync(host, port, stop.Token);
                    }
                    catch (SocketException)
                    {
                        await WriteAsync(stream, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                        return;
                    }

                    await WriteAsync(stream, "HTTP/1.1 200 Connection Established\r\n\r\n");
                    await RelayAsync(stream, upstream.GetStream());
                    return;
                }

                // absolute-form request: forward it in origin form, without the proxy's headers
                var target = new Uri(parts[1]);
                using var origin = new TcpClient();
                try
                {
                    await origin.ConnectAsync(target.Host, target.Port, stop.Token);
                }
                catch (SocketException)
                {
                    await WriteAsync(stream, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }

                var forwarded = new StringBuilder($"{parts[0]} {target.PathAndQuery} {parts[2]}\r\n");
                foreach (var (name, value) in headers.Where(h => !h.Name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase) && !h.Name.Equals("Connection", StringComparison.OrdinalIgnoreCase)))
                {
                    forwarded.Append(name).Append(": ").Append(value).Append("\r\n");
                }

                forwarded.Append("Connection: close\r\n\r\n");
                var originStream = origin.GetStream();
                await WriteAsync(originStream, forwarded.ToString());
                await originStream.CopyToAsync(stream, stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
            }
            catch (IOException)
            {
            }
            catch (SocketException)
            {
            }
        }
    }

    private static (string Host, int Port) Split(string authority)
    {
        var colon = authority.LastIndexOf(':');
        return (authority[..colon].Trim('[', ']'), int.Parse(authority[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task RelayAsync(NetworkStream client, NetworkStream upstream)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var up = client.CopyToAsync(upstream, done.Token);
        var down = upstream.CopyToAsync(client, done.Token);
        await Task.WhenAny(up, down);
        await done.CancelAsync();
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 64 * 1024)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return null;
            }

            bytes.Add(one[0]);
            var n = bytes.Count;
            if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n' && bytes[n - 2] == '\r' && bytes[n - 1] == '\n')
            {
                return Encoding.ASCII.GetString(bytes.ToArray(), 0, n - 4);
            }
        }

        return null;
    }

    private Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text), stop.Token).AsTask();

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
    }
}

/// <summary>Endpoints that fail in the ways a blocked network does: a closed port, a listener that never answers.</summary>
public static class FailingEndpoints
{
    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    public static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>A listener that accepts connections and never sends a byte (until disposed).</summary>
    public static TcpListener SilentListener()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    /// <summary>A self-signed certificate for <paramref name="name"/> (not the host a test connects to).</summary>
    public static System.Security.Cryptography.X509Certificates.X509Certificate2 CertificateFor(string name)
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest($"CN={name}", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        return System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx), null);
    }
}
