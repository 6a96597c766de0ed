using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Net;
using ComplianceWatch.Core.Reachability;
using ComplianceWatch.Infrastructure.Http;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Infrastructure.Reachability;

/// <summary>How a probe request goes out: directly (the host itself) or through an HTTP CONNECT proxy.</summary>
internal sealed record ProbeRoute(string ProbeName, Uri? Proxy = null, NetworkCredential? ProxyCredential = null, IReadOnlyList<string>? Secrets = null)
{
    public static ProbeRoute Direct { get; } = new("this host");
}

/// <summary>
/// Sends one unauthenticated GET to an endpoint and records what happened at every stage: DNS answers, the address
/// connected to (checked by the SSRF guard), the TLS certificate, status, headers, the start of the body and timings.
/// A fresh handler per probe: no pooled connection, so every probe is a full DNS/connect/TLS observation. Redirects are
/// not followed (a redirect is the provider's answer). Nothing but a User-Agent and an Accept header is sent.
/// </summary>
internal sealed partial class HttpProbeRunner(IOptionsMonitor<ComplianceWatchOptions> options, TimeProvider time)
{
    public async Task<ProbeObservation> RunAsync(Uri target, ProbeRoute route, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var recorder = new Recorder(time);
        var evidence = new ProbeEvidence { Probe = route.ProbeName, Url = target.ToString(), Time = time.GetUtcNow() };
        if (target.Scheme is not ("http" or "https"))
        {
            return ProbeObservation.Failed(evidence, ProbeStages.Configuration, FailureSide.Ours, $"only http and https endpoints are probed, not '{target.Scheme}'");
        }

        using var handler = CreateHandler(route, recorder, settings);
        using var client = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        request.Headers.TryAddWithoutValidation("User-Agent", settings.UserAgent);
        request.Headers.TryAddWithoutValidation("Accept", "application/json, */*;q=0.5");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.AttemptTimeout);

        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            recorder.HeadersAt = time.GetTimestamp();
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                headers[name] = string.Join(name.Equals("set-cookie", StringComparison.OrdinalIgnoreCase) ? "\n" : ", ", values);
            }

            string? body;
            try
            {
                body = await ReadBodyAsync(response, timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                body = null; // the status and headers are the evidence; a body cut short does not change them
            }

            var status = (int)response.StatusCode;
            evidence = recorder.Fill(evidence) with
            {
                Status = status,
                Headers = EvidenceText.SelectHeaders(headers),
                BodyExcerpt = EvidenceText.Excerpt(body),
            };
            if (route.Proxy is not null && response.StatusCode == HttpStatusCode.ProxyAuthenticationRequired)
            {
                return ProbeObservation.Failed(evidence with { Status = null, Headers = null, BodyExcerpt = null }, ProbeStages.Proxy, FailureSide.Ours,
                    $"the proxy for {route.ProbeName} refused our credentials (HTTP 407)");
            }

            return new ProbeObservation { Evidence = evidence, Headers = headers, Body = body };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var (stage, side, message) = Classify(ex, recorder, target, route, timeout.IsCancellationRequested, settings.AttemptTimeout);
            return ProbeObservation.Failed(recorder.Fill(evidence), stage, side, Scrub(message, route));
        }
    }

    private SocketsHttpHandler CreateHandler(ProbeRoute route, Recorder recorder, ComplianceWatchOptions settings)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.All,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectTimeout = settings.AttemptTimeout,
            UseProxy = route.Proxy is not null,
            Proxy = route.Proxy is null ? null : new WebProxy(route.Proxy) { Credentials = route.ProxyCredential },
            PreAuthenticate = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (sender, certificate, _, errors) =>
                {
                    recorder.RecordCertificate(sender as SslStream, certificate, errors);
                    return errors == SslPolicyErrors.None;
                },
            },
        };
        var allowPrivate = settings.AllowPrivateNetwork;
        handler.ConnectCallback = route.Proxy is null
            ? (context, cancellationToken) => ConnectDirectAsync(context, recorder, allowPrivate, cancellationToken)
            : (context, cancellationToken) => ConnectProxyAsync(context, recorder, route, cancellationToken);
        return handler;
    }

    /// <summary>Resolves the target (recording the answers), applies the SSRF guard, connects (recording the address).</summary>
    private async ValueTask<Stream> ConnectDirectAsync(SocketsHttpConnectionContext context, Recorder recorder, bool allowPrivate, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var host = endpoint.Host.TrimStart('[').TrimEnd(']');
        IPAddress[] addresses;
        var started = time.GetTimestamp();
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
            }
            catch (SocketException ex)
            {
                recorder.DnsError = ex;
                throw;
            }
        }

        recorder.DnsMs = time.GetElapsedTime(started).TotalMilliseconds;
        recorder.DnsAnswers = addresses.Select(a => a.ToString()).ToArray();
        var allowed = addresses.Where(a => AddressGuard.IsAllowed(a, allowPrivate)).ToArray();
        if (allowed.Length == 0)
        {
            var first = addresses.FirstOrDefault() ?? IPAddress.None;
            var blocked = new BlockedAddressException(endpoint.Host, first, AddressGuard.Classify(first) == AddressVerdict.Private);
            recorder.Blocked = blocked;
            throw blocked;
        }

        return await ConnectAsync(allowed, endpoint.Port, recorder, viaProxy: false, cancellationToken);
    }

    /// <summary>Connects to the configured proxy (trusted: the operator chose it); the proxy resolves and reaches the target.</summary>
    private static async ValueTask<Stream> ConnectProxyAsync(SocketsHttpConnectionContext context, Recorder recorder, ProbeRoute route, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        try
        {
            var host = endpoint.Host.TrimStart('[').TrimEnd(']');
            var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
            return await ConnectAsync(addresses, endpoint.Port, recorder, viaProxy: true, cancellationToken);
        }
        catch (SocketException ex)
        {
            recorder.ProxyError = $"cannot connect to the proxy for {route.ProbeName}: {ex.Message}";
            throw;
        }
    }

    private static async ValueTask<Stream> ConnectAsync(IReadOnlyList<IPAddress> addresses, int port, Recorder recorder, bool viaProxy, CancellationToken cancellationToken)
    {
        SocketException? last = null;
        var started = recorder.Time.GetTimestamp();
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                recorder.ConnectMs = recorder.Time.GetElapsedTime(started).TotalMilliseconds;
                recorder.Connected = new ConnectEvidence { Address = viaProxy ? null : new IPEndPoint(address, port).ToString(), Connected = true, ViaProxy = viaProxy };
                recorder.ConnectedAt = recorder.Time.GetTimestamp();
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

        recorder.ConnectError = last;
        recorder.Connected = new ConnectEvidence
        {
            Address = viaProxy || addresses.Count == 0 ? null : new IPEndPoint(addresses[0], port).ToString(),
            Connected = false,
            Error = last?.Message,
            ViaProxy = viaProxy,
        };
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    private static (string Stage, FailureSide Side, string Message) Classify(Exception exception, Recorder recorder, Uri target, ProbeRoute route, bool timedOut, TimeSpan timeout)
    {
        var host = target.Host;
        if (recorder.ProxyError is { } proxyError)
        {
            return (ProbeStages.Proxy, FailureSide.Ours, proxyError);
        }

        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is HttpRequestException { HttpRequestError: HttpRequestError.ProxyTunnelError } tunnel)
            {
                var status = tunnel.StatusCode is { } code ? (int)code : TunnelStatus().Match(tunnel.Message) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                return status == 407
                    ? (ProbeStages.Proxy, FailureSide.Ours, $"the proxy for {route.ProbeName} refused our credentials (HTTP 407)")
                    : (ProbeStages.Connect, FailureSide.Target, $"the proxy could not open a tunnel to {host}:{target.Port} (CONNECT answered {(status == 0 ? "an error" : status.ToString(System.Globalization.CultureInfo.InvariantCulture))})");
            }
        }

        if (recorder.Blocked is { } blocked)
        {
            return (ProbeStages.BlockedAddress, FailureSide.Target, $"DNS answered an address that is never connected to: {blocked.Message}");
        }

        if (recorder.DnsError is { } dns)
        {
            return (ProbeStages.Dns, FailureSide.Target, $"DNS lookup of {host} failed: {dns.Message} ({dns.SocketErrorCode})");
        }

        if (recorder.ConnectError is { } connect)
        {
            return connect.SocketErrorCode is SocketError.NetworkUnreachable or SocketError.NetworkDown or SocketError.AddressFamilyNotSupported or SocketError.AccessDenied
                ? (ProbeStages.Connect, FailureSide.Ours, $"this host has no route out ({connect.SocketErrorCode}): {connect.Message}")
                : (ProbeStages.Connect, FailureSide.Target, $"connection to {host}:{target.Port} failed: {connect.Message} ({connect.SocketErrorCode})");
        }

        if (recorder.Tls is { Valid: false } tls)
        {
            return (ProbeStages.Tls, FailureSide.Target, $"TLS handshake with {host} failed: the certificate ({tls.Subject}) is not valid for it: {tls.Error}");
        }

        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is AuthenticationException auth)
            {
                return (ProbeStages.Tls, FailureSide.Target, $"TLS handshake with {host} failed: {auth.Message}");
            }
        }

        if (timedOut)
        {
            var stage = recorder.Connected is { Connected: true } ? "after connecting" : "before a connection was made";
            return (ProbeStages.Timeout, FailureSide.Target, $"{host} did not answer within {timeout.TotalSeconds:0.#} s ({stage})");
        }

        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted })
            {
                return (ProbeStages.Reset, FailureSide.Target, $"the connection to {host} was reset");
            }
        }

        if (exception is HttpRequestException http)
        {
            return (ProbeStages.Protocol, FailureSide.Target, $"{host} did not answer with HTTP ({http.HttpRequestError}): {http.Message}");
        }

        return (ProbeStages.Probe, FailureSide.Ours, $"the probe failed: {exception.GetType().Name}: {exception.Message}");
    }

    /// <summary>Removes every secret of the route (proxy user and password) from a message.</summary>
    private static string Scrub(string message, ProbeRoute route)
    {
        foreach (var secret in route.Secrets ?? [])
        {
            if (secret.Length >= 4) // shorter strings would mangle the message more than they could reveal
            {
                message = message.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return message;
    }

    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        while (buffer.WrittenCount < EvidenceText.ClassifiedBodyBytes)
        {
            var memory = buffer.GetMemory(Math.Min(16 * 1024, EvidenceText.ClassifiedBodyBytes - buffer.WrittenCount));
            var read = await stream.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
        }

        var bytes = buffer.WrittenSpan;
        var encoding = HttpContentFetcher.DetectEncoding(response.Content.Headers.ContentType?.CharSet, bytes, out var bom);
        return encoding.GetString(bytes[bom..]);
    }

    [GeneratedRegex("'(\\d{3})'")]
    private static partial Regex TunnelStatus();

    /// <summary>What the callbacks of one probe's handler saw.</summary>
    private sealed class Recorder(TimeProvider time)
    {
        private readonly long started = time.GetTimestamp();

        public TimeProvider Time { get; } = time;
        public IReadOnlyList<string>? DnsAnswers { get; set; }
        public SocketException? DnsError { get; set; }
        public BlockedAddressException? Blocked { get; set; }
        public ConnectEvidence? Connected { get; set; }
        public SocketException? ConnectError { get; set; }
        public string? ProxyError { get; set; }
        public TlsEvidence? Tls { get; set; }
        public double? DnsMs { get; set; }
        public double? ConnectMs { get; set; }
        public long? ConnectedAt { get; set; }
        public long? CertificateAt { get; set; }
        public long? HeadersAt { get; set; }

        public void RecordCertificate(SslStream? stream, X509Certificate? certificate, SslPolicyErrors errors)
        {
            CertificateAt = Time.GetTimestamp();
            string? protocol = null;
            try
            {
                protocol = stream?.SslProtocol.ToString();
            }
            catch (InvalidOperationException)
            {
                // not known before the handshake completes
            }

            if (certificate is null)
            {
                Tls = new TlsEvidence { Valid = false, Error = errors.ToString(), Protocol = protocol };
                return;
            }

            using var cert = new X509Certificate2(certificate);
            var names = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).Take(20).ToArray();
            Tls = new TlsEvidence
            {
                Subject = cert.Subject,
                AlternativeNames = names.Length > 0 ? names : null,
                Issuer = cert.Issuer,
                NotBefore = new DateTimeOffset(cert.NotBefore.ToUniversalTime(), TimeSpan.Zero),
                NotAfter = new DateTimeOffset(cert.NotAfter.ToUniversalTime(), TimeSpan.Zero),
                Protocol = protocol is null or "None" ? null : protocol,
                Valid = errors == SslPolicyErrors.None,
                Error = errors == SslPolicyErrors.None ? null : errors.ToString(),
            };
        }

        public ProbeEvidence Fill(ProbeEvidence evidence)
        {
            double? Between(long? from, long? to) => from is { } a && to is { } b ? Time.GetElapsedTime(a, b).TotalMilliseconds : null;
            return evidence with
            {
                DnsAnswers = DnsAnswers,
                Connect = Connected,
                Tls = Tls,
                Timings = new ProbeTimings
                {
                    Dns = DnsMs,
                    Connect = ConnectMs,
                    Tls = Between(ConnectedAt, CertificateAt),
                    FirstByte = Between(started, HeadersAt),
                    Total = Time.GetElapsedTime(started).TotalMilliseconds,
                },
            };
        }
    }
}
