using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace ComplianceWatch.Demo.Fakes;

/// <summary>An issue of the <see cref="FakeGitHub"/>.</summary>
public sealed class FakeIssue
{
    public required long Number { get; init; }
    public required string Title { get; set; }
    public string? Body { get; set; }
    public List<string> Labels { get; init; } = [];
    public string State { get; set; } = "open";
    public string? StateReason { get; set; }
    public List<string> Comments { get; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// The GitHub REST API v3 for one repository, as GitHub answers: issues (create, get, list with labels/state/since/
/// sort/direction and Link paging, update), issue comments, labels (422 <c>already_exists</c>), 401 "Bad credentials"
/// for another token, and the <c>x-ratelimit-*</c> headers on every answer. An optional <c>/api/v3</c> prefix (GitHub
/// Enterprise Server) is accepted. Scripted answers apply to the next content-creating request (POST, PATCH).
/// </summary>
public sealed partial class FakeGitHub : FakeSink
{
    private readonly Lock gate = new();
    private readonly List<FakeIssue> issues = [];
    private readonly Dictionary<string, string> labels = new(StringComparer.OrdinalIgnoreCase);

    private FakeGitHub(TimeProvider? time, string owner, string repository, string token) : base(time)
    {
        Owner = owner;
        Repository = repository;
        Token = token;
    }

    public string Owner { get; }
    public string Repository { get; }
    public string Token { get; }

    public Uri ApiUrl => BaseUrl;

    public static async Task<FakeGitHub> StartAsync(TimeProvider? time = null, string owner = "acme", string repository = "compliance", string token = "ghp_faketoken0123456789")
    {
        var fake = new FakeGitHub(time, owner, repository, token);
        await fake.StartServerAsync();
        return fake;
    }

    public IReadOnlyList<FakeIssue> Issues
    {
        get
        {
            lock (gate)
            {
                return issues.ToArray();
            }
        }
    }

    public IReadOnlyCollection<string> LabelNames
    {
        get
        {
            lock (gate)
            {
                return labels.Keys.ToArray();
            }
        }
    }

    /// <summary>Content-creating requests (POST, PATCH) in order, with when they arrived.</summary>
    public IReadOnlyList<SinkRequest> ContentRequests => Requests.Where(r => r.Method is "POST" or "PATCH").ToArray();

    public void AddLabel(string name, string color = "ededed")
    {
        lock (gate)
        {
            labels[name] = color;
        }
    }

    public static ScriptedAnswer TooManyRequests(int? retryAfterSeconds = null, long? resetEpoch = null)
    {
        var headers = new Dictionary<string, string>();
        if (retryAfterSeconds is { } s)
        {
            headers["Retry-After"] = s.ToString(CultureInfo.InvariantCulture);
        }

        if (resetEpoch is { } r)
        {
            headers["X-RateLimit-Remaining"] = "0";
            headers["X-RateLimit-Reset"] = r.ToString(CultureInfo.InvariantCulture);
        }

        return new(429, """{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}""", headers, "application/json; charset=utf-8");
    }

    protected override bool IsScriptable(HttpRequest request) => request.Method is "POST" or "PATCH";

    protected override Task<(int, string, string, IReadOnlyDictionary<string, string>?)> AnswerAsync(HttpRequest request, string body)
    {
        var result = Answer(request, body);
        var headers = new Dictionary<string, string>(result.Headers ?? new Dictionary<string, string>())
        {
            ["X-RateLimit-Limit"] = "5000",
            ["X-RateLimit-Remaining"] = "4990",
            ["X-RateLimit-Used"] = "10",
            ["X-RateLimit-Resource"] = "core",
            ["X-RateLimit-Reset"] = Time.GetUtcNow().AddHours(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["X-GitHub-Media-Type"] = "github.v3; format=json",
        };
        return Task.FromResult<(int, string, string, IReadOnlyDictionary<string, string>?)>((result.Status, result.Body, "application/json; charset=utf-8", headers));
    }

    private (int Status, string Body, Dictionary<string, string>? Headers) Answer(HttpRequest request, string body)
    {
        var auth = request.Headers.Authorization.ToString();
        var space = auth.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space > 0 ? auth[..space] : "";
        if (!(scheme.Equals("token", StringComparison.OrdinalIgnoreCase) || scheme.Equals("bearer", StringComparison.OrdinalIgnoreCase)) || auth[(space + 1)..] != Token)
        {
            return (401, """{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}""", null);
        }

        var path = request.Path.Value ?? "/";
        if (path.StartsWith("/api/v3/", StringComparison.Ordinal))
        {
            path = path["/api/v3".Length..];
        }

        var prefix = $"/repos/{Owner}/{Repository}";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return (404, """{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}""", null);
        }

        var rest = path[prefix.Length..];
        var now = Time.GetUtcNow();
        lock (gate)
        {
            switch (request.Method, rest)
            {
                case ("GET", "/labels"):
                    return (200, new JsonArray(labels.Select(l => (JsonNode)Label(l.Key, l.Value)).ToArray()).ToJsonString(), null);

                case ("POST", "/labels"):
                {
                    var input = JsonNode.Parse(body)!;
                    var name = input["name"]!.GetValue<string>();
                    if (labels.ContainsKey(name))
                    {
                        return (422, """{"message":"Validation Failed","errors":[{"resource":"Label","code":"already_exists","field":"name"}],"documentation_url":"https://docs.github.com/rest/issues/labels#create-a-label"}""", null);
                    }

                    labels[name] = input["color"]?.GetValue<string>() ?? "ededed";
                    return (201, Label(name, labels[name]).ToJsonString(), null);
                }

                case ("POST", "/issues"):
                {
                    var input = JsonNode.Parse(body)!;
                    var issueLabels = (input["labels"] as JsonArray)?.Select(l => l!.GetValue<string>()).ToList() ?? [];
                    foreach (var label in issueLabels.Where(l => !labels.ContainsKey(l)))
                    {
                        labels[label] = "ededed"; // GitHub creates unknown labels on the fly
                    }

                    var issue = new FakeIssue
                    {
                        Number = issues.Count + 1,
                        Title = input["title"]!.GetValue<string>(),
                        Body = input["body"]?.GetValue<string>(),
                        Labels = issueLabels,
                        CreatedAt = now,
                        UpdatedAt = now,
                    };
                    issues.Add(issue);
                    return (201, Issue(issue).ToJsonString(), new Dictionary<string, string> { ["Location"] = $"{BaseUrl}repos/{Owner}/{Repository}/issues/{issue.Number}" });
                }

                case ("GET", "/issues"):
                    return List(request);
            }

            var match = IssuePath().Match(rest);
            if (!match.Success || issues.FirstOrDefault(i => i.Number == long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)) is not { } found)
            {
                return (404, """{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}""", null);
            }

            switch (request.Method, match.Groups[2].Value)
            {
                case ("GET", ""):
                    return (200, Issue(found).ToJsonString(), null);
                case ("PATCH", ""):
                {
                    var input = JsonNode.Parse(body)!;
                    if (input["state"]?.GetValue<string>() is { } state)
                    {
                        found.State = state;
                        found.StateReason = input["state_reason"]?.GetValue<string>();
                    }

                    found.UpdatedAt = now;
                    return (200, Issue(found).ToJsonString(), null);
                }

                case ("POST", "/comments"):
                {
                    var text = JsonNode.Parse(body)!["body"]!.GetValue<string>();
                    found.Comments.Add(text);
                    found.UpdatedAt = now;
                    return (201, Comment(found, found.Comments.Count, text).ToJsonString(), null);
                }

                case ("GET", "/comments"):
                    return (200, new JsonArray(found.Comments.Select((c, i) => (JsonNode)Comment(found, i + 1, c)).ToArray()).ToJsonString(), null);
            }

            return (404, """{"message":"Not Found"}""", null);
        }
    }

    private (int, string, Dictionary<string, string>?) List(HttpRequest request)
    {
        var query = request.Query;
        IEnumerable<FakeIssue> selected = issues;
        var state = query["state"].ToString() is { Length: > 0 } s ? s : "open";
        if (state != "all")
        {
            selected = selected.Where(i => i.State == state);
        }

        if (query["labels"].ToString() is { Length: > 0 } wanted)
        {
            var names = wanted.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            selected = selected.Where(i => names.All(n => i.Labels.Contains(n, StringComparer.OrdinalIgnoreCase)));
        }

        if (query["since"].ToString() is { Length: > 0 } since)
        {
            var from = DateTimeOffset.Parse(since, CultureInfo.InvariantCulture);
            selected = selected.Where(i => i.UpdatedAt >= from.AddSeconds(-1));
        }

        var ascending = query["direction"].ToString() == "asc";
        selected = query["sort"].ToString() == "updated"
            ? (ascending ? selected.OrderBy(i => i.UpdatedAt) : selected.OrderByDescending(i => i.UpdatedAt))
            : (ascending ? selected.OrderBy(i => i.Number) : selected.OrderByDescending(i => i.Number));
        var perPage = int.TryParse(query["per_page"], out var pp) ? Math.Clamp(pp, 1, 100) : 30;
        var page = int.TryParse(query["page"], out var p) ? Math.Max(1, p) : 1;
        var all = selected.ToList();
        var items = all.Skip((page - 1) * perPage).Take(perPage).ToList();
        Dictionary<string, string>? headers = null;
        if (page * perPage < all.Count)
        {
            var next = QueryString.Create(query.Where(q => q.Key != "page").SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)))
                .Append(new KeyValuePair<string, string?>("page", (page + 1).ToString(CultureInfo.InvariantCulture))));
            headers = new Dictionary<string, string> { ["Link"] = $"<{BaseUrl}repos/{Owner}/{Repository}/issues{next}>; rel=\"next\"" };
        }

        return (200, new JsonArray(items.Select(i => (JsonNode)Issue(i)).ToArray()).ToJsonString(), headers);
    }

    private JsonObject Label(string name, string color) => new()
    {
        ["id"] = Math.Abs(name.GetHashCode(StringComparison.Ordinal)), ["node_id"] = "LA_" + name, ["url"] = $"{BaseUrl}repos/{Owner}/{Repository}/labels/{Uri.EscapeDataString(name)}",
        ["name"] = name, ["color"] = color, ["description"] = null, ["default"] = false,
    };

    private static JsonObject User() => new()
    {
        ["login"] = "compliancewatch-bot", ["id"] = 1, ["node_id"] = "U_1", ["type"] = "Bot", ["site_admin"] = false,
    };

    private JsonObject Issue(FakeIssue issue) => new()
    {
        ["id"] = 1000 + issue.Number,
        ["node_id"] = "I_" + issue.Number.ToString(CultureInfo.InvariantCulture),
        ["url"] = $"{BaseUrl}repos/{Owner}/{Repository}/issues/{issue.Number}",
        ["html_url"] = $"https://github.example/{Owner}/{Repository}/issues/{issue.Number}",
        ["number"] = issue.Number,
        ["state"] = issue.State,
        ["state_reason"] = issue.StateReason,
        ["title"] = issue.Title,
        ["body"] = issue.Body,
        ["user"] = User(),
        ["labels"] = new JsonArray(issue.Labels.Select(l => (JsonNode)Label(l, labels.GetValueOrDefault(l, "ededed"))).ToArray()),
        ["assignee"] = null,
        ["assignees"] = new JsonArray(),
        ["milestone"] = null,
        ["locked"] = false,
        ["comments"] = issue.Comments.Count,
        ["pull_request"] = null,
        ["closed_at"] = issue.State == "closed" ? JsonValue.Create(issue.UpdatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)) : null,
        ["created_at"] = issue.CreatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["updated_at"] = issue.UpdatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
    };

    private JsonObject Comment(FakeIssue issue, int index, string body) => new()
    {
        ["id"] = issue.Number * 1000 + index,
        ["node_id"] = "IC_" + index.ToString(CultureInfo.InvariantCulture),
        ["url"] = $"{BaseUrl}repos/{Owner}/{Repository}/issues/comments/{issue.Number * 1000 + index}",
        ["html_url"] = $"https://github.example/{Owner}/{Repository}/issues/{issue.Number}#issuecomment-{index}",
        ["body"] = body,
        ["user"] = User(),
        ["created_at"] = issue.UpdatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["updated_at"] = issue.UpdatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
    };

    [GeneratedRegex(@"^/issues/(\d+)(/comments)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IssuePath();
}
