using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ComplianceWatch.Browser;

/// <summary>
/// The proxy a locally launched Chromium is pointed at, on 127.0.0.1: it answers every connection 403 and closes it.
/// Every request a page makes is fulfilled by us through the address guard, so nothing should ever reach it; what
/// would otherwise leave the browser on its own (a preconnect, a WebSocket, WebRTC over TCP) ends here instead of on
/// the network, and is counted in <see cref="BrowserTraffic.UnroutedConnections"/>.
/// </summary>
internal sealed class RefusingProxy : IAsyncDisposable
{
    private static readonly byte[] Refusal = Encoding.ASCII.GetBytes("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    private readonly TcpListener listener;
    private readonly BrowserTraffic traffic;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task accepting;

    private RefusingProxy(TcpListener listener, BrowserTraffic traffic)
    {
        this.listener = listener;
        this.traffic = traffic;
        accepting = AcceptAsync();
    }

    public string Server => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    public static RefusingProxy Start(BrowserTraffic traffic)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new RefusingProxy(listener, traffic);
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RefuseAsync(client); // one slow connection (a preconnect sends nothing) holds up no other
        }
    }

    private async Task RefuseAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[512];
                using var read = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
                read.CancelAfter(TimeSpan.FromSeconds(2));
                var count = await stream.ReadAsync(buffer, read.Token);
                traffic.RecordUnrouted(Encoding.ASCII.GetString(buffer, 0, count).Split('\r', 2)[0]);
                await stream.WriteAsync(Refusal, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                traffic.RecordUnrouted(""); // opened and sent nothing (a speculative preconnect)
            }
            catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
            {
                // the browser hung up first: nothing to refuse any more
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await accepting;
        stopping.Dispose();
    }
}
