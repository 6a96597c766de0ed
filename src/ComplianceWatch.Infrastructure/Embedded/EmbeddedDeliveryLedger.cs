using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Notifications;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Infrastructure.Embedded;

/// <summary>
/// The delivery ledger of the embedded store: files under the state directory, one folder per channel.
/// <code>
/// {root}/deliveries/{channel}/open/{event}.json     pending or claimed deliveries
/// {root}/deliveries/{channel}/done/{event}.json     delivered or failed deliveries
/// {root}/deliveries/{channel}/threads/{key}.json    open alerts a recovery closes
/// {root}/deliveries/{channel}/channel.json          pacing history, pause, health
/// </code>
/// Every change happens under the channel's exclusive lock file and replaces a file through a temporary file that is
/// flushed and renamed (a crash leaves the old or the new record). Insert-if-absent looks in both folders; updates are
/// compare-and-swap on the record's revision. A finished record is written to <c>done/</c> before its <c>open/</c>
/// file is removed, and <c>done/</c> wins when both exist.
/// </summary>
public sealed class EmbeddedDeliveryLedger : IDeliveryLedger
{
    private readonly string root;
    private readonly FolderLocks locks = new();

    public EmbeddedDeliveryLedger(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        root = Path.Combine(Path.GetFullPath(stateDirectory), "deliveries");
    }

    public string Root => root;

    public Task<bool> TryAddAsync(DeliveryRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return locks.WithLockAsync(record.Channel, ChannelDir(record.Channel), async () =>
        {
            if (File.Exists(DonePath(record)) || File.Exists(OpenPath(record)))
            {
                return false;
            }

            await EmbeddedFiles.WriteAtomicallyAsync(OpenPath(record), record with { Version = "1" }, cancellationToken);
            return true;
        }, cancellationToken);
    }

    public async Task<DeliveryRecord?> GetAsync(string eventId, string channel, CancellationToken cancellationToken = default) =>
        await EmbeddedFiles.ReadJsonAsync<DeliveryRecord>(Path.Combine(ChannelDir(channel), "done", Key(eventId) + ".json"), cancellationToken)
        ?? await EmbeddedFiles.ReadJsonAsync<DeliveryRecord>(Path.Combine(ChannelDir(channel), "open", Key(eventId) + ".json"), cancellationToken);

    public Task<DeliveryRecord?> TryUpdateAsync(DeliveryRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return locks.WithLockAsync(record.Channel, ChannelDir(record.Channel), async () =>
        {
            var current = await GetAsync(record.EventId, record.Channel, cancellationToken);
            if (current is null || current.Version != record.Version)
            {
                return null;
            }

            var revision = long.Parse(current.Version ?? "0", CultureInfo.InvariantCulture) + 1;
            var next = record with { Version = revision.ToString(CultureInfo.InvariantCulture) };
            if (next.State is DeliveryState.Delivered or DeliveryState.Failed)
            {
                await EmbeddedFiles.WriteAtomicallyAsync(DonePath(next), next, cancellationToken);
                File.Delete(OpenPath(next));
            }
            else
            {
                await EmbeddedFiles.WriteAtomicallyAsync(OpenPath(next), next, cancellationToken);
            }

            return next;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<DeliveryRecord>> GetOpenAsync(CancellationToken cancellationToken = default)
    {
        var records = new List<DeliveryRecord>();
        foreach (var dir in ChannelDirs())
        {
            var open = Path.Combine(dir, "open");
            if (!Directory.Exists(open))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(open, "*.json"))
            {
                if (File.Exists(Path.Combine(dir, "done", Path.GetFileName(file))))
                {
                    continue; // finished; the open file is a leftover of a crash
                }

                if (await EmbeddedFiles.ReadJsonAsync<DeliveryRecord>(file, cancellationToken) is { State: DeliveryState.Pending or DeliveryState.Claimed } record)
                {
                    records.Add(record);
                }
            }
        }

        return records.OrderBy(r => r.CreatedAt).ThenBy(r => r.Channel, StringComparer.Ordinal).ThenBy(r => r.EventId, StringComparer.Ordinal).ToArray();
    }

    public async Task<IReadOnlyList<DeliveryRecord>> ListAsync(string channel, CancellationToken cancellationToken = default)
    {
        var byEvent = new Dictionary<string, DeliveryRecord>(StringComparer.Ordinal);
        foreach (var folder in new[] { "open", "done" })
        {
            var dir = Path.Combine(ChannelDir(channel), folder);
            if (!Directory.Exists(dir))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(dir, "*.json"))
            {
                if (await EmbeddedFiles.ReadJsonAsync<DeliveryRecord>(file, cancellationToken) is { } record)
                {
                    byEvent[record.EventId] = record; // done/ read last wins
                }
            }
        }

        return byEvent.Values.OrderBy(r => r.CreatedAt).ThenBy(r => r.EventId, StringComparer.Ordinal).ToArray();
    }

    public Task<ThreadRecord?> GetThreadAsync(string channel, string key, CancellationToken cancellationToken = default) =>
        EmbeddedFiles.ReadJsonAsync<ThreadRecord>(ThreadPath(channel, key), cancellationToken);

    public Task SaveThreadAsync(ThreadRecord thread, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        return locks.WithLockAsync(thread.Channel, ChannelDir(thread.Channel), async () =>
        {
            await EmbeddedFiles.WriteAtomicallyAsync(ThreadPath(thread.Channel, thread.Key), thread, cancellationToken);
            return true;
        }, cancellationToken);
    }

    public Task<ChannelState?> GetChannelStateAsync(string channel, CancellationToken cancellationToken = default) =>
        EmbeddedFiles.ReadJsonAsync<ChannelState>(Path.Combine(ChannelDir(channel), "channel.json"), cancellationToken);

    public Task SaveChannelStateAsync(ChannelState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        return locks.WithLockAsync(state.Channel, ChannelDir(state.Channel), async () =>
        {
            await EmbeddedFiles.WriteAtomicallyAsync(Path.Combine(ChannelDir(state.Channel), "channel.json"), state, cancellationToken);
            return true;
        }, cancellationToken);
    }

    private static string Key(string value) => KeyEncoding.Encode(value);

    private string ChannelDir(string channel) => Path.Combine(root, Key(channel));

    private string OpenPath(DeliveryRecord record) => Path.Combine(ChannelDir(record.Channel), "open", Key(record.EventId) + ".json");

    private string DonePath(DeliveryRecord record) => Path.Combine(ChannelDir(record.Channel), "done", Key(record.EventId) + ".json");

    private string ThreadPath(string channel, string key) => Path.Combine(ChannelDir(channel), "threads", Key(key) + ".json");

    private IEnumerable<string> ChannelDirs() =>
        Directory.Exists(root) ? Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal) : [];
}
