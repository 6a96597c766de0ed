using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceWatch.Demo.Fakes;

namespace ComplianceWatch.Demo;

/// <summary>One request a sink of the inbox received, with the file it was written to and a one-line account of it.</summary>
public sealed record InboxDelivery(string Channel, string Method, string Path, int Status, string What, string File)
{
    /// <summary>True for the requests that post something (a message, a card, an issue, a comment, a label).</summary>
    public bool Posts => Method is "POST" or "PATCH";
}

/// <summary>
/// The demo's inbox: a Slack incoming webhook, a Teams Workflows webhook and the GitHub REST API of one repository
/// (<c>acme/compliance</c>) on 127.0.0.1, answering as those services do (<see cref="FakeSlack"/>, <see cref="FakeTeams"/>,
/// <see cref="FakeGitHub"/>). <see cref="CollectAsync"/> writes every request received since the last call to a file of its
/// own (<c>NNNN-channel.http</c>: the request line, the headers and the body, exactly as sent).
/// </summary>
public sealed class DemoInbox : IAsyncDisposable
{
    private readonly string directory;
    private readonly Dictionary<string, int> seen = new(StringComparer.Ordinal);
    private int written;

    private DemoInbox(string directory, FakeSlack slack, FakeTeams teams, FakeGitHub gitHub)
    {
        this.directory = directory;
        Slack = slack;
        Teams = teams;
        GitHub = gitHub;
    }

    public FakeSlack Slack { get; }
    public FakeTeams Teams { get; }
    public FakeGitHub GitHub { get; }

    public static async Task<DemoInbox> StartAsync(string directory, string gitHubToken)
    {
        Directory.CreateDirectory(directory);
        var slack = await FakeSlack.StartAsync();
        var teams = await FakeTeams.StartAsync();
        var gitHub = await FakeGitHub.StartAsync(token: gitHubToken);
        return new DemoInbox(directory, slack, teams, gitHub);
    }

    /// <summary>Writes the requests received since the last call, in order of arrival, and describes them.</summary>
    public async Task<IReadOnlyList<InboxDelivery>> CollectAsync(CancellationToken cancellationToken = default)
    {
        var fresh = new[] { ("slack", (FakeSink)Slack), ("teams", Teams), ("github", GitHub) }
            .SelectMany(s => New(s.Item1, s.Item2))
            .OrderBy(r => r.Request.At)
            .ToArray();
        var deliveries = new List<InboxDelivery>();
        foreach (var (channel, request) in fresh)
        {
            written++;
            var file = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"{written:D4}-{channel}.http"));
            await File.WriteAllTextAsync(file, Http(request), cancellationToken);
            deliveries.Add(new InboxDelivery(channel, request.Method, request.Path, request.Status, Describe(channel, request), file));
        }

        return deliveries;
    }

    private IEnumerable<(string Channel, SinkRequest Request)> New(string channel, FakeSink sink)
    {
        var all = sink.Requests;
        var from = seen.GetValueOrDefault(channel);
        seen[channel] = all.Count;
        return all.Skip(from).Select(r => (channel, r));
    }

    private static string Http(SinkRequest request)
    {
        var text = new StringBuilder();
        text.Append(request.Method).Append(' ').Append(request.Path).Append(request.Query).Append(" HTTP/1.1\n");
        foreach (var (name, value) in request.Headers)
        {
            text.Append(name).Append(": ").Append(value).Append('\n');
        }

        text.Append('\n').Append(request.Body);
        if (request.Body.Length > 0 && !request.Body.EndsWith('\n'))
        {
            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>What was posted, in one line: Slack's fallback text, the Teams card's headline, the GitHub issue's title.</summary>
    private static string Describe(string channel, SinkRequest request)
    {
        JsonNode? body = null;
        try
        {
            body = request.Body.Length > 0 ? JsonNode.Parse(request.Body) : null;
        }
        catch (JsonException)
        {
        }

        var path = request.Path;
        return (channel, request.Method) switch
        {
            ("slack", _) => Text(body?["text"]) ?? "(message without text)",
            ("teams", _) => Text(body?["attachments"]?[0]?["content"]?["body"]?[0]?["text"]) ?? "(adaptive card)",
            ("github", "POST") when path.EndsWith("/issues", StringComparison.Ordinal) => $"opened an issue: {Text(body?["title"])}",
            ("github", "POST") when path.EndsWith("/comments", StringComparison.Ordinal) => $"commented on issue {IssueNumber(path)}",
            ("github", "POST") when path.EndsWith("/labels", StringComparison.Ordinal) => $"created the label '{Text(body?["name"])}'",
            ("github", "PATCH") => $"updated issue {IssueNumber(path)}{(Text(body?["state"]) is { } state ? $" (state: {state})" : "")}",
            _ => $"{request.Method} {path}{request.Query}",
        } + (request.Status >= 400 ? $" → {request.Status}" : "");
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static string IssueNumber(string path)
    {
        var parts = path.Split('/');
        var index = Array.IndexOf(parts, "issues");
        return index >= 0 && index + 1 < parts.Length ? "#" + parts[index + 1] : "";
    }

    public async ValueTask DisposeAsync()
    {
        await Slack.DisposeAsync();
        await Teams.DisposeAsync();
        await GitHub.DisposeAsync();
    }
}
