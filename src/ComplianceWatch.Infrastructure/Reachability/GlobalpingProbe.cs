using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Reachability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComplianceWatch.Infrastructure.Reachability;

/// <summary>
/// The <c>globalping:CC</c> vantage point through the Globalping API: <c>POST /v1/measurements</c> (type <c>http</c>,
/// the country as location, a probe <c>limit</c>) answered 202 with a <c>Location</c>; then <c>GET</c> of that location
/// no faster than every 500 ms (on the <see cref="TimeProvider"/>) until the measurement is no longer in progress.
/// The probes send unauthenticated GETs: the measurement carries no header at all, so no API key or credential can
/// leave through a third-party probe; the optional Globalping token goes to the Globalping API only. A 429 is honoured
/// (<c>Retry-After</c>, else <c>X-RateLimit-Reset</c>), the hourly budget is kept, and a retry (too few probes
/// answered, or the probe network failed) asks for probes in the same country again.
/// </summary>
internal sealed partial class GlobalpingProbe(
    IHttpClientFactory clients,
    IOptionsMonitor<ComplianceWatchOptions> options,
    GlobalpingBudget budget,
    TimeProvider time,
    ILogger<GlobalpingProbe> logger) : IProbe
{
    public const string ClientName = "compliancewatch-globalping";
    public static readonly TimeSpan MinimumPollInterval = TimeSpan.FromMilliseconds(500);

    public string Kind => VantagePointKinds.Globalping;

    public async Task<VantageObservation> ProbeAsync(VantagePoint vantagePoint, Uri target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vantagePoint);
        ArgumentNullException.ThrowIfNull(target);
        var settings = options.CurrentValue.Globalping;
        var country = (vantagePoint.Argument ?? "").ToUpperInvariant();
        var required = Math.Min(settings.MinProbes, settings.Probes);
        if (!string.IsNullOrEmpty(target.UserInfo))
        {
            return VantageObservation.NotMeasured(vantagePoint.Name, "the URL carries credentials: it is never sent through a third-party probe");
        }

        VantageObservation? best = null;
        for (var attempt = 0; attempt <= settings.Retries; attempt++)
        {
            var (observation, retryable) = await MeasureAsync(vantagePoint.Name, country, target, cancellationToken);
            observation = observation with { RequiredAnswers = required };
            if (best is null || Answered(observation) > Answered(best) || (best.Unmeasured is not null && observation.Unmeasured is null))
            {
                best = observation;
            }

            if (Answered(best) >= required || !retryable)
            {
                break;
            }

            var answered = Answered(observation);
            LogRetry(logger, vantagePoint.Name, answered, required);
        }

        return best!;
    }

    private static int Answered(VantageObservation observation) =>
        observation.Probes.Count(p => p.Evidence.Failure is null || p.Evidence.Failure.Side == FailureSide.Target);

    /// <summary>One measurement. Retryable: worth asking again in the same country now (not after a budget or rate refusal).</summary>
    private async Task<(VantageObservation Observation, bool Retryable)> MeasureAsync(string name, string country, Uri target, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue.Globalping;
        if (!Uri.TryCreate(settings.Endpoint.TrimEnd('/') + "/", UriKind.Absolute, out var endpoint))
        {
            return (VantageObservation.NotMeasured(name, "the setting ComplianceWatch:Globalping:Endpoint is not a URL"), false);
        }

        if (!budget.TryReserve(settings.Probes, out var refusal))
        {
            return (VantageObservation.NotMeasured(name, refusal!), false);
        }

        var client = clients.CreateClient(ClientName);
        var created = await CreateAsync(client, endpoint, country, target, settings, cancellationToken);
        if (created.Error is { } error)
        {
            budget.Release(settings.Probes);
            return (VantageObservation.NotMeasured(name, error), created.Retryable);
        }

        var measurement = await PollAsync(client, endpoint, created.Location!, settings, cancellationToken);
        if (measurement.Error is { } pollError)
        {
            return (VantageObservation.NotMeasured(name, pollError), true);
        }

        var probes = Map(measurement.Document!.RootElement, country, target);
        return (new VantageObservation { VantagePoint = name, Probes = probes }, true);
    }

    private sealed record Created(Uri? Location, string? Error, bool Retryable);

    private async Task<Created> CreateAsync(HttpClient client, Uri endpoint, string country, Uri target, GlobalpingOptions settings, CancellationToken cancellationToken)
    {
        var url = new Uri(endpoint, "v1/measurements");
        var body = MeasurementRequest(country, target, settings.Probes).ToJsonString();
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            Authorize(request, endpoint, settings);
            try
            {
                using var response = await client.SendAsync(request, cancellationToken);
                ObserveLimits(response);
                var status = (int)response.StatusCode;
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    var wait = RetryAfter(response) ?? TimeSpan.FromMinutes(1);
                    budget.BlockUntil(time.GetUtcNow() + wait);
                    LogRateLimited(logger, wait.TotalSeconds);
                    if (attempt == 0 && wait <= settings.MaxRetryAfter)
                    {
                        await Task.Delay(wait, time, cancellationToken);
                        continue;
                    }

                    return new Created(null, $"Globalping rate limit (429): retry after {wait.TotalSeconds:0} s", false);
                }

                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    return new Created(null, $"Globalping refused the measurement: HTTP {status}{ApiMessage(text)}", status >= 500);
                }

                using var document = JsonDocument.Parse(text);
                var id = document.RootElement.TryGetProperty("id", out var idValue) ? idValue.GetString() : null;
                if (string.IsNullOrEmpty(id))
                {
                    return new Created(null, "Globalping answered without a measurement id", true);
                }

                var location = response.Headers.Location is { } header
                    ? (header.IsAbsoluteUri ? header : new Uri(endpoint, header))
                    : new Uri(endpoint, "v1/measurements/" + Uri.EscapeDataString(id));
                return new Created(location, null, true);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException or OperationCanceledException)
            {
                return new Created(null, $"the Globalping API could not be used: {Describe(ex)}", false);
            }
        }
    }

    private sealed record Polled(JsonDocument? Document, string? Error);

    private async Task<Polled> PollAsync(HttpClient client, Uri endpoint, Uri location, GlobalpingOptions settings, CancellationToken cancellationToken)
    {
        var interval = settings.PollInterval < MinimumPollInterval ? MinimumPollInterval : settings.PollInterval;
        var deadline = time.GetUtcNow() + settings.MeasurementTimeout;
        var failures = 0;
        string? lastError = null;
        while (true)
        {
            await Task.Delay(interval, time, cancellationToken);
            using (var request = new HttpRequestMessage(HttpMethod.Get, location))
            {
                Authorize(request, endpoint, settings);
                try
                {
                    using var response = await client.SendAsync(request, cancellationToken);
                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        var wait = RetryAfter(response) ?? interval;
                        if (time.GetUtcNow() + wait >= deadline)
                        {
                            return new Polled(null, $"Globalping rate limit (429) while polling: retry after {wait.TotalSeconds:0} s");
                        }

                        await Task.Delay(wait, time, cancellationToken);
                        continue;
                    }

                    var text = await response.Content.ReadAsStringAsync(cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        var document = JsonDocument.Parse(text);
                        var status = document.RootElement.TryGetProperty("status", out var s) ? s.GetString() : null;
                        if (status != "in-progress")
                        {
                            return new Polled(document, null);
                        }

                        document.Dispose();
                        failures = 0;
                    }
                    else
                    {
                        failures++;
                        lastError = $"HTTP {(int)response.StatusCode}{ApiMessage(text)}";
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException or OperationCanceledException)
                {
                    failures++;
                    lastError = Describe(ex);
                }
            }

            if (failures >= 3)
            {
                return new Polled(null, $"the Globalping measurement could not be read: {lastError}");
            }

            if (time.GetUtcNow() >= deadline)
            {
                return new Polled(null, $"the Globalping measurement did not finish within {settings.MeasurementTimeout.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>The measurement: an unauthenticated GET from probes in one country. Never any request header.</summary>
    internal static JsonObject MeasurementRequest(string country, Uri target, int limit)
    {
        var request = new JsonObject { ["method"] = "GET", ["path"] = target.AbsolutePath };
        if (target.Query.Length > 1)
        {
            request["query"] = target.Query[1..];
        }

        return new JsonObject
        {
            ["type"] = "http",
            ["target"] = target.IdnHost.Trim('[', ']'),
            ["inProgressUpdates"] = false,
            ["locations"] = new JsonArray(new JsonObject { ["country"] = country }),
            ["limit"] = limit,
            ["measurementOptions"] = new JsonObject
            {
                ["request"] = request,
                ["protocol"] = target.Scheme == "https" ? "HTTPS" : "HTTP",
                ["port"] = target.Port,
            },
        };
    }

    /// <summary>The token goes to the Globalping API only (the configured endpoint's host), as a bearer token.</summary>
    private static void Authorize(HttpRequestMessage request, Uri endpoint, GlobalpingOptions settings)
    {
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        if (!string.IsNullOrWhiteSpace(settings.Token) &&
            string.Equals(request.RequestUri?.Authority, endpoint.Authority, StringComparison.OrdinalIgnoreCase) &&
            request.RequestUri?.Scheme == endpoint.Scheme)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
        }
    }

    private void ObserveLimits(HttpResponseMessage response)
    {
        static int? Number(HttpResponseMessage r, string name) =>
            r.Headers.TryGetValues(name, out var values) && int.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
        if (Number(response, "X-RateLimit-Remaining") is { } remaining && Number(response, "X-RateLimit-Reset") is { } reset)
        {
            budget.Observe(remaining, reset);
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is { } retry)
        {
            if (retry.Delta is { } delta)
            {
                return delta;
            }

            if (retry.Date is { } date)
            {
                var wait = date - time.GetUtcNow();
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }

        return response.Headers.TryGetValues("X-RateLimit-Reset", out var values) &&
               int.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(Math.Max(0, seconds))
            : null;
    }

    private static string ApiMessage(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("message", out var message)
                ? $": {message.GetString()}"
                : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        OperationCanceledException => "the request timed out",
        HttpRequestException http when http.InnerException is { } inner && !http.Message.Contains(inner.Message, StringComparison.Ordinal) => $"{http.Message} ({inner.Message})",
        _ => ex.Message,
    };

    /// <summary>Each result of the measurement as one probe's observation.</summary>
    internal IReadOnlyList<ProbeObservation> Map(JsonElement measurement, string country, Uri target)
    {
        var now = time.GetUtcNow();
        var list = new List<ProbeObservation>();
        if (!measurement.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
        {
            return list;
        }

        foreach (var item in results.EnumerateArray())
        {
            var probe = item.TryGetProperty("probe", out var p) ? p : default;
            var result = item.TryGetProperty("result", out var r) ? r : default;
            var probeCountry = Str(probe, "country");
            var city = Str(probe, "city");
            var asn = probe.ValueKind == JsonValueKind.Object && probe.TryGetProperty("asn", out var a) && a.TryGetInt32(out var n) ? n : (int?)null;
            var network = Str(probe, "network");
            var evidence = new ProbeEvidence
            {
                Probe = $"globalping probe in {city ?? "?"}, {probeCountry ?? "?"} (AS{asn?.ToString(CultureInfo.InvariantCulture) ?? "?"} {network})".TrimEnd(),
                Country = probeCountry,
                City = city,
                Asn = asn,
                Network = network,
                Url = target.ToString(),
                Time = now,
            };
            if (probeCountry is not null && !string.Equals(probeCountry, country, StringComparison.OrdinalIgnoreCase))
            {
                list.Add(ProbeObservation.Failed(evidence, ProbeStages.Probe, FailureSide.ProbeNetwork, $"the probe is in {probeCountry}, not {country}"));
                continue;
            }

            var status = Str(result, "status");
            var raw = Str(result, "rawOutput");
            switch (status)
            {
                case "finished":
                    list.Add(Finished(evidence, result));
                    break;
                case "failed":
                    var failureSource = Str(result, "failureSource");
                    list.Add(failureSource is "internal"
                        ? ProbeObservation.Failed(evidence, ProbeStages.Probe, FailureSide.ProbeNetwork, $"the probe failed internally: {Cut(raw)}")
                        : FailedOutput(evidence, raw, target.Host));
                    break;
                case "offline":
                    list.Add(ProbeObservation.Failed(evidence, ProbeStages.Probe, FailureSide.ProbeNetwork, "the probe was offline"));
                    break;
                default:
                    list.Add(ProbeObservation.Failed(evidence, ProbeStages.Probe, FailureSide.ProbeNetwork, $"the probe did not finish ({status ?? "no status"})"));
                    break;
            }
        }

        return list;
    }

    private static ProbeObservation Finished(ProbeEvidence evidence, JsonElement result)
    {
        if (!result.TryGetProperty("statusCode", out var code) || !code.TryGetInt32(out var status))
        {
            return ProbeObservation.Failed(evidence, ProbeStages.Probe, FailureSide.ProbeNetwork, "the probe finished without an HTTP status");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (result.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object)
        {
            foreach (var header in h.EnumerateObject())
            {
                headers[header.Name] = header.Value.ValueKind == JsonValueKind.Array
                    ? string.Join(header.Name.Equals("set-cookie", StringComparison.OrdinalIgnoreCase) ? "\n" : ", ", header.Value.EnumerateArray().Select(v => v.ToString()))
                    : header.Value.ToString();
            }
        }

        var body = Str(result, "rawBody");
        var address = Str(result, "resolvedAddress");
        double? Timing(string name) =>
            result.TryGetProperty("timings", out var t) && t.ValueKind == JsonValueKind.Object && t.TryGetProperty(name, out var v) && v.TryGetDouble(out var d) ? d : null;
        var tls = result.TryGetProperty("tls", out var tlsElement) && tlsElement.ValueKind == JsonValueKind.Object ? Tls(tlsElement) : null;
        evidence = evidence with
        {
            DnsAnswers = address is null ? null : [address],
            Connect = address is null ? null : new ConnectEvidence { Address = address, Connected = true },
            Tls = tls,
            Status = status,
            Headers = EvidenceText.SelectHeaders(headers),
            BodyExcerpt = EvidenceText.Excerpt(body),
            Timings = new ProbeTimings { Dns = Timing("dns"), Connect = Timing("tcp"), Tls = Timing("tls"), FirstByte = Timing("firstByte"), Total = Timing("total") },
        };
        if (tls is { Valid: false })
        {
            return ProbeObservation.Failed(evidence, ProbeStages.Tls, FailureSide.Target, $"the certificate ({tls.Subject}) is not trusted for the host: {tls.Error ?? "not authorized"}");
        }

        return new ProbeObservation { Evidence = evidence, Headers = headers, Body = body };
    }

    private static TlsEvidence Tls(JsonElement tls)
    {
        static string? Name(JsonElement parent, string property)
        {
            if (!parent.TryGetProperty(property, out var o) || o.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var parts = new[] { "CN", "O", "C" }.Select(k => Str(o, k) is { } v ? $"{k}={v}" : null).OfType<string>().ToArray();
            return parts.Length > 0 ? string.Join(", ", parts) : null;
        }

        DateTimeOffset? Date(string property) =>
            Str(tls, property) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;
        var alt = tls.TryGetProperty("subject", out var subject) && subject.ValueKind == JsonValueKind.Object ? Str(subject, "alt") : null;
        var authorized = tls.TryGetProperty("authorized", out var a) && a.ValueKind == JsonValueKind.True;
        return new TlsEvidence
        {
            Subject = Name(tls, "subject"),
            AlternativeNames = alt?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => x.StartsWith("DNS:", StringComparison.Ordinal) ? x[4..] : x).Take(20).ToArray(),
            Issuer = Name(tls, "issuer"),
            NotBefore = Date("createdAt"),
            NotAfter = Date("expiresAt"),
            Protocol = Str(tls, "protocol"),
            Valid = authorized,
            Error = authorized ? null : Str(tls, "error") ?? "the certificate is not trusted",
        };
    }

    /// <summary>A failed test: its raw output names the failure (Node.js error codes of the probe's HTTP client).</summary>
    private static ProbeObservation FailedOutput(ProbeEvidence evidence, string? raw, string host)
    {
        var text = raw ?? "";
        var (stage, side, message) = text switch
        {
            _ when PrivateAddress().IsMatch(text) => (ProbeStages.BlockedAddress, FailureSide.Target, $"the probe's DNS answered a private address for {host}"),
            _ when DnsFailure().IsMatch(text) => (ProbeStages.Dns, FailureSide.Target, $"DNS lookup of {host} failed"),
            _ when Refused().IsMatch(text) => (ProbeStages.Connect, FailureSide.Target, $"connection to {host} failed"),
            _ when Reset().IsMatch(text) => (ProbeStages.Reset, FailureSide.Target, $"the connection to {host} was reset"),
            _ when TimedOut().IsMatch(text) => (ProbeStages.Timeout, FailureSide.Target, $"{host} did not answer in time"),
            _ when TlsFailure().IsMatch(text) => (ProbeStages.Tls, FailureSide.Target, $"TLS handshake with {host} failed"),
            _ => (ProbeStages.Probe, FailureSide.ProbeNetwork, "the probe failed for a reason it did not name"),
        };
        return ProbeObservation.Failed(evidence, stage, side, $"{message}: {Cut(raw)}");
    }

    private static string Cut(string? text) => text is null ? "(no output)" : text.Length <= 300 ? text : text[..300] + "…";

    private static string? Str(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex("private IP|Private IP ranges", RegexOptions.IgnoreCase)]
    private static partial Regex PrivateAddress();

    [GeneratedRegex("ENOTFOUND|EAI_AGAIN|ENODATA|getaddrinfo|queryA|SERVFAIL|NXDOMAIN", RegexOptions.IgnoreCase)]
    private static partial Regex DnsFailure();

    [GeneratedRegex("ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|connection refused", RegexOptions.IgnoreCase)]
    private static partial Regex Refused();

    [GeneratedRegex("ECONNRESET|socket hang up|EPIPE|connection reset", RegexOptions.IgnoreCase)]
    private static partial Regex Reset();

    [GeneratedRegex("ETIMEDOUT|ESOCKETTIMEDOUT|timeout|timed out", RegexOptions.IgnoreCase)]
    private static partial Regex TimedOut();

    [GeneratedRegex("CERT_|certificate|altnames|self[- ]signed|EPROTO|SSL|TLS", RegexOptions.IgnoreCase)]
    private static partial Regex TlsFailure();

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Globalping {VantagePoint}: {Answered} probes answered, {Required} needed; measuring again in the same country")]
    private static partial void LogRetry(ILogger logger, string vantagePoint, int answered, int required);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Globalping rate limit reached; waiting {Seconds} s before the next measurement")]
    private static partial void LogRateLimited(ILogger logger, double seconds);
}
