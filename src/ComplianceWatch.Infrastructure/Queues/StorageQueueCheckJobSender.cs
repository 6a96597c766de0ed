using Azure.Storage.Queues;
using ComplianceWatch.Core.Scheduling;

namespace ComplianceWatch.Infrastructure.Queues;

/// <summary>
/// Sends check jobs to an Azure Storage queue (base64-encoded JSON, the Functions queue trigger's default encoding),
/// several at once. The queue is created on first use. A job sent twice only checks its source twice: checks commit
/// with compare-and-swap and event ids are deterministic, so no change is announced twice.
/// </summary>
public sealed class StorageQueueCheckJobSender(QueueClient queue) : ICheckJobSender
{
    private const int SendsAtOnce = 16;
    private volatile bool created;

    public QueueClient Queue { get; } = queue;

    public async Task EnqueueAsync(IReadOnlyList<CheckJob> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (!created)
        {
            await Queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            created = true;
        }

        await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = SendsAtOnce, CancellationToken = cancellationToken },
            async (job, ct) => await Queue.SendMessageAsync(job.ToJson(), ct));
    }

    /// <summary>Client options matching the Functions queue trigger (messages base64-encoded).</summary>
    public static QueueClientOptions ClientOptions() => new() { MessageEncoding = QueueMessageEncoding.Base64 };
}
