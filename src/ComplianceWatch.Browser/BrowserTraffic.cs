using System.Collections.Concurrent;
using ComplianceWatch.Core.Net;

namespace ComplianceWatch.Browser;

/// <summary>What happened to one request a rendered page made: fulfilled by our guarded client, or refused and why.</summary>
public sealed record BrowserRequest(string Method, string Url, string ResourceType, string Outcome, string? Reason);

/// <summary>
/// The record of the browser's traffic: every decision the address guard took for it (before any connection was
/// opened), every request the pages made and what became of it, and the connections that tried to leave the browser
/// without passing through us (caught by the refusing proxy the browser is pointed at; expected to stay 0). Keeps the
/// most recent <see cref="Capacity"/> of each, for logs, diagnostics and tests.
/// </summary>
public sealed class BrowserTraffic
{
    public const int Capacity = 1000;
    private readonly ConcurrentQueue<AddressDecision> decisions = new();
    private readonly ConcurrentQueue<BrowserRequest> requests = new();
    private int unrouted;

    public IReadOnlyList<AddressDecision> Decisions => decisions.ToArray();

    public IReadOnlyList<BrowserRequest> Requests => requests.ToArray();

    /// <summary>Connections the browser opened outside the routed path (to the refusing proxy): each was refused.</summary>
    public int UnroutedConnections => Volatile.Read(ref unrouted);

    public void Record(AddressDecision decision) => Add(decisions, decision);

    public void Record(BrowserRequest request) => Add(requests, request);

    internal void RecordUnrouted(string requestLine)
    {
        Interlocked.Increment(ref unrouted);
        Record(new BrowserRequest("", requestLine, "unrouted", "refused", "reached the refusing proxy: never left the machine"));
    }

    private static void Add<T>(ConcurrentQueue<T> queue, T item)
    {
        queue.Enqueue(item);
        while (queue.Count > Capacity && queue.TryDequeue(out _))
        {
        }
    }
}
