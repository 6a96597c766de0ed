using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ComplianceWatch.Demo.Fakes;

/// <summary>A request a fake sink received, with the (possibly fake) time it arrived.</summary>
public sealed record SinkRequest(string Method, string Path, string Query, string Body, DateTimeOffset At, int Status)
{
    /// <summary>The request's headers as sent.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The sink's answer body.</summary>
    public string Answer { get; init; } = "";
}

/// <summary>A scripted answer for the next request(s) of a fake sink.</summary>
public sealed record ScriptedAnswer(int Status, string Body = "", IReadOnlyDictionary<string, string>? Headers = null, string ContentType = "text/plain; charset=utf-8");

/// <summary>A Kestrel server on 127.0.0.1 that records requests and answers through a handler; scripted answers go first.</summary>
public abstract class FakeSink : IAsyncDisposable
{
    private WebApplication app = null!;
    private readonly ConcurrentQueue<ScriptedAnswer> script = new();
    private readonly ConcurrentQueue<SinkRequest> requests = new();

    protected FakeSink(TimeProvider? time) => Time = time ?? TimeProvider.System;

    public TimeProvider Time { get; }

    public Uri BaseUrl { get; private set; } = null!;

    public IReadOnlyList<SinkRequest> Requests => requests.ToArray();

    /// <summary>The next request (that the sink counts as scriptable) gets this answer instead of the normal one.</summary>
    public void AnswerNext(ScriptedAnswer answer) => script.Enqueue(answer);

    protected async Task StartServerAsync()
    {
        (app, var url) = await LoopbackHost.StartAsync(HandleAsync);
        BaseUrl = url;
    }

    protected virtual bool IsScriptable(HttpRequest request) => true;

    protected abstract Task<(int Status, string Body, string ContentType, IReadOnlyDictionary<string, string>? Headers)> AnswerAsync(HttpRequest request, string body);

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var at = Time.GetUtcNow();
        (int Status, string Body, string ContentType, IReadOnlyDictionary<string, string>? Headers) answer;
        if (IsScriptable(context.Request) && script.TryDequeue(out var scripted))
        {
            answer = (scripted.Status, scripted.Body, scripted.ContentType, scripted.Headers);
        }
        else
        {
            answer = await AnswerAsync(context.Request, body);
        }

        requests.Enqueue(new SinkRequest(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.QueryString.Value ?? "", body, at, answer.Status)
        {
            Headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            Answer = answer.Body,
        });
        context.Response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (answer.Body.Length > 0)
        {
            context.Response.ContentType = answer.ContentType;
            await context.Response.WriteAsync(answer.Body);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// A Slack incoming webhook as Slack answers: 200 "ok"; 400 "invalid_blocks" for more than 50 blocks or a section over
/// 3,000 characters, "invalid_payload" for what is not JSON, "no_text" without text or blocks; 404 "no_service" on
/// another path; 429 with Retry-After when scripted.
/// </summary>
public sealed class FakeSlack : FakeSink
{
    private FakeSlack(TimeProvider? time) : base(time) { }

    public const string HookPath = "services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX";

    public Uri WebhookUrl => new(BaseUrl, HookPath);

    public static async Task<FakeSlack> StartAsync(TimeProvider? time = null)
    {
        var fake = new FakeSlack(time);
        await fake.StartServerAsync();
        return fake;
    }

    /// <summary>Bodies of the messages Slack accepted.</summary>
    public IReadOnlyList<JsonObject> Messages => Requests.Where(r => r.Status == 200).Select(r => JsonNode.Parse(r.Body)!.AsObject()).ToArray();

    public static ScriptedAnswer TooManyRequests(int retryAfterSeconds) =>
        new(429, "rate_limited", new Dictionary<string, string> { ["Retry-After"] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    protected override Task<(int, string, string, IReadOnlyDictionary<string, string>?)> AnswerAsync(HttpRequest request, string body)
    {
        const string text = "text/plain; charset=utf-8";
        if (request.Method != "POST" || request.Path.Value != "/" + HookPath)
        {
            return Task.FromResult<(int, string, string, IReadOnlyDictionary<string, string>?)>((404, "no_service", text, null));
        }

        JsonObject payload;
        try
        {
            payload = JsonNode.Parse(body)!.AsObject();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException)
        {
            return Task.FromResult<(int, string, string, IReadOnlyDictionary<string, string>?)>((400, "invalid_payload", text, null));
        }

        var blocks = payload["blocks"] as JsonArray;
        if (payload["text"] is null && blocks is null)
        {
            return Task.FromResult<(int, string, string, IReadOnlyDictionary<string, string>?)>((400, "no_text", text, null));
        }

        if (blocks is not null && (blocks.Count > 50 || blocks.Any(b => b?["text"]?["text"]?.GetValue<string>().Length > 3000 || b?["type"] is null)))
        {
            return Task.FromResult<(int, string, string, IReadOnlyDictionary<string, string>?)>((400, "invalid_blocks", text, null));
        }

        return Task.FromResult<(int, string, string, IReadOnlyDictionary<string, string>?)>((200, "ok", text, null));
    }
}

/// <summary>
/// A Teams Workflows webhook as it answers: 202 with no body for a message envelope carrying an Adaptive Card; 400 for
/// anything else; 413 above 28 KB; 429 with Retry-After when scripted.
/// </summary>
public sealed class FakeTeams : FakeSink
{
    private FakeTeams(TimeProvider? time) : base(time) { }

    public const string HookPath = "workflows/0001/triggers/manual/paths/invoke";

    public Uri WebhookUrl => new(BaseUrl, HookPath + "?api-version=1&sig=SECRETSIGNATURE0001");

    public static async Task<FakeTeams> StartAsync(TimeProvider? time = null)
    {
        var fake = new FakeTeams(time);
        await fake.StartServerAsync();
        return fake;
    }

    public IReadOnlyList<JsonObject> Cards => Requests.Where(r => r.Status == 202)
        .Select(r => JsonNode.Parse(r.Body)!["attachments"]![0]!["content"]!.AsObject()).ToArray();

    protected override Task<(int, string, string, IReadOnlyDictionary<string, string>?)> AnswerAsync(HttpRequest request, string body)
    {
        const string json = "application/json";
        if (request.Method != "POST" || request.Path.Value != "/" + HookPath || request.Query["sig"] != "SECRETSIGNATURE0001")
        {
            return Task.FromResult<(int, string, string, IReadOnlyDictionary<string, string>?)>((404, """{"error":{"code":"TriggerNotFound"}}""", json, null));
        }

        if (Encoding.UTF8.GetByteCount(body) > 28 * 1024)
        {
            return Task.FromResult<(int, string, string, IReadOnlyDictionary<string, string>?)>((413, """{"error":{"code":"MessageTooLarge"}}""", json, null));
        }

        try
        {
            var envelope = JsonNode.Parse(body)!;
            var attachment = envelope["attachments"]![0]!;
            if (envelope["type"]!.GetValue<string>() != "message" ||
                attachment["contentType"]!.GetValue<string>() != "application/vnd.microsoft.card.adaptive" ||
                attachment["content"]!["type"]!.GetValue<string>() != "AdaptiveCard")
            {
                throw new InvalidOperationException();
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException or ArgumentOutOfRangeException)
        {
            return Task.FromResult<(int, string, string, IReadOnlyDictionary<string, string>?)>((400, """{"error":{"code":"InvalidRequestContent"}}""", json, null));
        }

        return Task.FromResult<(int, string, string, IReadOnlyDictionary<string, string>?)>((202, "", json, null));
    }
}
