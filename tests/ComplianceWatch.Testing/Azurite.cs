using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;

namespace ComplianceWatch.Testing;

/// <summary>
/// The Azurite instance the Table Storage tests run against. <c>./test.sh</c> installs Azurite (pinned in
/// <c>tools/azurite/package.json</c>), starts it on loopback with in-memory persistence and exports its connection
/// string as <see cref="Variable"/>. Tests that need it fail (never skip) with instructions when it is absent.
/// </summary>
public static class Azurite
{
    public const string Variable = "COMPLIANCEWATCH_TEST_AZURITE";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"This test needs Azurite and the environment variable {Variable} is not set. Run the suite with ./test.sh " +
                "(it installs Azurite from tools/azurite, starts it and sets the variable), or start Azurite yourself " +
                "(npm ci --prefix tools/azurite && tools/azurite/node_modules/.bin/azurite --inMemoryPersistence --tablePort 10002) " +
                $"and set {Variable}=\"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;\".");

    /// <summary>A fresh table name (lower-case letters and digits, starting with a letter), so tests never share state.</summary>
    public static string NewTableName(string prefix = "t") => prefix + Guid.NewGuid().ToString("N")[..20];

    public static TableClient Table(string name, TableClientOptions? options = null) => new(ConnectionString, name, options ?? new TableClientOptions());

    /// <summary>Deletes a test table (Azurite keeps everything in memory).</summary>
    public static async Task DeleteTableAsync(string name)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            return; // nothing was created
        }

        try
        {
            await Table(name).DeleteAsync();
        }
        catch (Azure.RequestFailedException)
        {
        }
    }
}

/// <summary>Records every request a Table client sends (method and URI), to show which partitions a query touches.</summary>
public sealed class RequestRecorder : HttpPipelineSynchronousPolicy
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<(string Method, Uri Uri)> requests = new();

    public IReadOnlyList<(string Method, Uri Uri)> Requests => requests.ToArray();

    private readonly System.Collections.Concurrent.ConcurrentQueue<(Uri Uri, long Bytes)> responses = new();

    /// <summary>Each response's request URI and body size in bytes.</summary>
    public IReadOnlyList<(Uri Uri, long Bytes)> Responses => responses.ToArray();

    public void Clear()
    {
        requests.Clear();
        responses.Clear();
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        requests.Enqueue((message.Request.Method.ToString(), message.Request.Uri.ToUri()));
    }

    public override void OnReceivedResponse(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = message.Response.ContentStream;
        responses.Enqueue((message.Request.Uri.ToUri(), message.Response.Headers.ContentLength ?? (body is { CanSeek: true } ? body.Length : -1)));
    }

    public TableClientOptions Options()
    {
        var options = new TableClientOptions();
        options.AddPolicy(this, HttpPipelinePosition.PerRetry);
        return options;
    }
}
