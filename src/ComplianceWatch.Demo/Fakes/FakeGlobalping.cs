using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ComplianceWatch.Demo.Fakes;

/// <summary>One request the fake Globalping API received, with the time on the test's clock.</summary>
public sealed record GlobalpingRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset Time)
{
    public JsonNode? Json => Body.Length > 0 ? JsonNode.Parse(Body) : null;
}

/// <summary>An answer to <c>POST /v1/measurements</c> other than 202 (e.g. a 429 with <c>Retry-After</c>).</summary>
public sealed record CreateAnswer(int Status, string? RetryAfter = null, string Body = "{\"error\":{\"type\":\"too_many_requests\",\"message\":\"Too many requests. Please retry later.\"}}");

/// <summary>
/// A fake of the Globalping API on 127.0.0.1 with the real payload shapes: <c>POST /v1/measurements</c> → 202,
/// <c>{"id","probesCount"}</c> and a <c>Location</c>; <c>GET /v1/measurements/{id}</c> → <c>in-progress</c> (with
/// in-progress results) for <see cref="InProgressPolls"/> polls, then <c>finished</c> with the results the test scripts
/// per country. Every request is recorded with the time of <see cref="Clock"/>.
/// </summary>
public sealed class FakeGlobalping : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, Measurement> measurements = new(StringComparer.Ordinal);
    private int sequence;

    private FakeGlobalping(WebApplication app, TimeProvider clock)
    {
        this.app = app;
        Clock = clock;
    }

    public Uri Endpoint { get; private set; } = null!;

    public TimeProvider Clock { get; }

    public ConcurrentQueue<GlobalpingRequest> Requests { get; } = new();

    /// <summary>Answers to the next POSTs, before the normal 202 (dequeued one per POST).</summary>
    public ConcurrentQueue<CreateAnswer> CreateAnswers { get; } = new();

    /// <summary>Results of a finished measurement for a country (default: three probes answering 401 as OpenAI does without a key).</summary>
    public Func<string, IReadOnlyList<JsonObject>> Results { get; set; } = country => [Http(country, 401, OpenAiMissingKey), Http(country, 401, OpenAiMissingKey), Http(country, 401, OpenAiMissingKey)];

    /// <summary>Polls answered <c>in-progress</c> before the measurement is finished.</summary>
    public int InProgressPolls { get; set; }

    /// <summary>Where the <c>Location</c> header points (default: this fake); tests point it elsewhere to check the token stays home.</summary>
    public Func<string, string>? LocationFor { get; set; }

    public IEnumerable<GlobalpingRequest> Posts => Requests.Where(r => r.Method == "POST");

    public IEnumerable<GlobalpingRequest> Polls => Requests.Where(r => r.Method == "GET");

    public const string OpenAiMissingKey = "{\"error\":{\"message\":\"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";

    public const string OpenAiUnsupportedRegion = "{\"error\":{\"code\":\"unsupported_country_region_territory\",\"message\":\"Country, region, or territory not supported\",\"param\":null,\"type\":\"request_forbidden\"}}";

    public static async Task<FakeGlobalping> StartAsync(TimeProvider? clock = null)
    {
        FakeGlobalping? fake = null;
        var (app, url) = await LoopbackHost.StartAsync(context => fake!.HandleAsync(context)); // nobody knows the URL before it returns
        fake = new FakeGlobalping(app, clock ?? TimeProvider.System) { Endpoint = url };
        return fake;
    }

    private sealed record Place(string Continent, string Region, string City, int Asn, string Network, double Latitude, double Longitude, string? State = null);

    /// <summary>Where the probes of a few countries sit (Globalping reports continent, region, city, ASN and network per probe).</summary>
    private static readonly Dictionary<string, Place> Places = new(StringComparer.OrdinalIgnoreCase)
    {
        ["CN"] = new("AS", "Eastern Asia", "Shanghai", 4812, "China Telecom (Group)", 31.22, 121.46),
        ["HK"] = new("AS", "Eastern Asia", "Hong Kong", 9304, "HGC Global Communications Limited", 22.28, 114.16),
        ["US"] = new("NA", "Northern America", "Ashburn", 14618, "Amazon.com, Inc.", 39.04, -77.49, "VA"),
    };

    private static readonly Place Elsewhere = new("AS", "Eastern Asia", "Somewhere", 64500, "Example Networks Ltd", 22.28, 114.16);

    /// <summary>A probe's identity in a result.</summary>
    public static JsonObject Probe(string country)
    {
        var place = Places.GetValueOrDefault(country) ?? Elsewhere;
        return new JsonObject
        {
            ["continent"] = place.Continent, ["region"] = place.Region, ["country"] = country, ["state"] = place.State, ["city"] = place.City,
            ["asn"] = place.Asn, ["network"] = place.Network, ["latitude"] = place.Latitude, ["longitude"] = place.Longitude,
            ["tags"] = new JsonArray("eyeball-network"), ["resolvers"] = new JsonArray("private"),
        };
    }

    /// <summary>A finished HTTP test (the shape of <c>FinishedHttpTestResult</c>).</summary>
    public static JsonObject Http(string country, int status, string body, IReadOnlyDictionary<string, string>? headers = null, string resolvedAddress = "104.18.33.45", bool authorized = true, string subject = "api.openai.com")
    {
        var headerObject = new JsonObject { ["content-type"] = "application/json", ["server"] = "cloudflare", ["cf-ray"] = "8f1c2d3e4f5a6b7c-HKG" };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            headerObject[name] = value;
        }

        return new JsonObject
        {
            ["probe"] = Probe(country),
            ["result"] = new JsonObject
            {
                ["status"] = "finished",
                ["rawOutput"] = $"HTTP/1.1 {status}\n\n{body}",
                ["rawHeaders"] = string.Join("\n", headerObject.Select(h => $"{h.Key}: {h.Value}")),
                ["rawBody"] = body,
                ["truncated"] = false,
                ["headers"] = headerObject,
                ["statusCode"] = status,
                ["statusCodeName"] = status == 401 ? "Unauthorized" : status == 403 ? "Forbidden" : "Status",
                ["resolvedAddress"] = resolvedAddress,
                ["timings"] = new JsonObject { ["total"] = 312, ["dns"] = 12, ["tcp"] = 40, ["tls"] = 88, ["firstByte"] = 160, ["download"] = 12 },
                ["tls"] = new JsonObject
                {
                    ["authorized"] = authorized,
                    ["protocol"] = "TLSv1.3",
                    ["cipherName"] = "TLS_AES_256_GCM_SHA384",
                    ["createdAt"] = "2026-01-05T00:00:00.000Z",
                    ["expiresAt"] = "2026-04-05T23:59:59.000Z",
                    ["subject"] = new JsonObject { ["CN"] = subject, ["alt"] = $"DNS:{subject}" },
                    ["issuer"] = new JsonObject { ["C"] = "US", ["O"] = "Google Trust Services", ["CN"] = "WE1" },
                    ["keyType"] = "EC", ["keyBits"] = 256, ["serialNumber"] = "0A:1B", ["fingerprint256"] = "AA:BB", ["publicKey"] = "04:AA",
                    ["error"] = authorized ? null : "ERR_TLS_CERT_ALTNAME_INVALID",
                },
            },
        };
    }

    /// <summary>A failed test; <paramref name="failureSource"/> <c>internal</c> marks a failure of the probe itself.</summary>
    public static JsonObject Failed(string country, string rawOutput, string? failureSource = null)
    {
        var result = new JsonObject { ["status"] = "failed", ["rawOutput"] = rawOutput };
        if (failureSource is not null)
        {
            result["failureSource"] = failureSource;
        }

        return new JsonObject { ["probe"] = Probe(country), ["result"] = result };
    }

    public static JsonObject Offline(string country) =>
        new() { ["probe"] = Probe(country), ["result"] = new JsonObject { ["status"] = "offline", ["rawOutput"] = "" } };

    private sealed record Measurement(string Id, string Country, int Limit, string Target)
    {
        public int Polls;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var path = context.Request.Path.Value ?? "/";
        Requests.Enqueue(new GlobalpingRequest(
            context.Request.Method, path,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body, Clock.GetUtcNow()));

        if (context.Request.Method == "POST" && path == "/v1/measurements")
        {
            if (CreateAnswers.TryDequeue(out var answer))
            {
                context.Response.StatusCode = answer.Status;
                if (answer.RetryAfter is not null)
                {
                    context.Response.Headers["Retry-After"] = answer.RetryAfter;
                }

                context.Response.Headers["X-RateLimit-Limit"] = "250";
                context.Response.Headers["X-RateLimit-Remaining"] = "0";
                context.Response.Headers["X-RateLimit-Reset"] = answer.RetryAfter ?? "3600";
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(answer.Body);
                return;
            }

            var request = JsonNode.Parse(body)!;
            var country = request["locations"]![0]!["country"]!.GetValue<string>();
            var limit = request["limit"]?.GetValue<int>() ?? 1;
            var id = $"m{Interlocked.Increment(ref sequence):D4}Xy7Pq";
            var measurement = new Measurement(id, country, limit, request["target"]!.GetValue<string>());
            measurements[id] = measurement;
            var probes = Results(country).Count;
            context.Response.StatusCode = 202;
            context.Response.Headers.Location = LocationFor?.Invoke(id) ?? new Uri(Endpoint, "v1/measurements/" + id).ToString();
            context.Response.Headers["X-RateLimit-Limit"] = "250";
            context.Response.Headers["X-RateLimit-Remaining"] = "200";
            context.Response.Headers["X-RateLimit-Reset"] = "3600";
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new { id, probesCount = Math.Min(limit, probes) }));
            return;
        }

        if (context.Request.Method == "GET" && path.StartsWith("/v1/measurements/", StringComparison.Ordinal) &&
            measurements.TryGetValue(path["/v1/measurements/".Length..], out var m))
        {
            var polls = Interlocked.Increment(ref m.Polls);
            var finished = polls > InProgressPolls;
            var results = Results(m.Country).Take(m.Limit).Select(r => finished ? r.DeepClone() : new JsonObject
            {
                ["probe"] = r["probe"]!.DeepClone(),
                ["result"] = new JsonObject { ["status"] = "in-progress", ["rawOutput"] = "" },
            });
            var document = new JsonObject
            {
                ["id"] = m.Id,
                ["type"] = "http",
                ["status"] = finished ? "finished" : "in-progress",
                ["createdAt"] = "2026-03-01T10:00:00.000Z",
                ["updatedAt"] = "2026-03-01T10:00:01.000Z",
                ["target"] = m.Target,
                ["probesCount"] = Math.Min(m.Limit, Results(m.Country).Count),
                ["locations"] = new JsonArray(new JsonObject { ["country"] = m.Country }),
                ["limit"] = m.Limit,
                ["results"] = new JsonArray(results.ToArray<JsonNode?>()),
            };
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(document.ToJsonString());
            return;
        }

        context.Response.StatusCode = 404;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"{{\"error\":{{\"type\":\"not_found\",\"message\":\"Couldn't find the requested item: {path}\"}}}}"));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
