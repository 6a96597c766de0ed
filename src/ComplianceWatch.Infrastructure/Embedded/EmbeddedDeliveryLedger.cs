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
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    private readonly string root;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> localLocks = new(StringComparer.Ordinal);

    public EmbeddedDeliveryLedger(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        root = Path.Combine(Path.GetFullPath(stateDirectory), "deliveries");
    }

    public string Root => root;

    public Task<bool> TryAddAsync(DeliveryRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return WithLockAsync(record.Channel, async () =>
        {
            if (File.Exists(DonePath(record)) || File.Exists(OpenPath(record)))
            {
                return false;
            }

            await WriteAtomicallyAsync(OpenPath(record), record with { Version = "1" }, cancellationToken);
            return true;
        }, cancellationToken);
    }

    public async Task<DeliveryRecord?> GetAsync(string eventId, string channel, CancellationToken cancellationToken = default) =>
        await ReadJsonAsync<DeliveryRecord>(Path.Combine(ChannelDir(channel), "done", Key(eventId) + ".json"), cancellationToken)
        ?? await ReadJsonAsync<DeliveryRecord>(Path.Combine(ChannelDir(channel), "open", Key(eventId) + ".json"), cancellationToken);

    public Task<DeliveryRecord?> TryUpdateAsync(DeliveryRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return WithLockAsync(record.Channel, async () =>
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
                await WriteAtomicallyAsync(DonePath(next), next, cancellationToken);
                File.Delete(OpenPath(next));
            }
            else
            {
                await WriteAtomicallyAsync(OpenPath(next), next, cancellationToken);
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

                if (await ReadJsonAsync<DeliveryRecord>(file, cancellationToken) is { State: DeliveryState.Pending or DeliveryState.Claimed } record)
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
                if (await ReadJsonAsync<DeliveryRecord>(file, cancellationToken) is { } record)
                {
                    byEvent[record.EventId] = record; // done/ read last wins
                }
            }
        }

        return byEvent.Values.OrderBy(r => r.CreatedAt).ThenBy(r => r.EventId, StringComparer.Ordinal).ToArray();
    }

    public Task<ThreadRecord?> GetThreadAsync(string channel, string key, CancellationToken cancellationToken = default) =>
        ReadJsonAsync<ThreadRecord>(ThreadPath(channel, key), cancellationToken);

    public Task SaveThreadAsync(ThreadRecord thread, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        return WithLockAsync(thread.Channel, async () =>
        {
            await WriteAtomicallyAsync(ThreadPath(thread.Channel, thread.Key), thread, cancellationToken);
            return true;
        }, cancellationToken);
    }

    public Task<ChannelState?> GetChannelStateAsync(string channel, CancellationToken cancellationToken = default) =>
        ReadJsonAsync<ChannelState>(Path.Combine(ChannelDir(channel), "channel.json"), cancellationToken);

    public Task SaveChannelStateAsync(ChannelState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        return WithLockAsync(state.Channel, async () =>
        {
            await WriteAtomicallyAsync(Path.Combine(ChannelDir(state.Channel), "channel.json"), state, cancellationToken);
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

    private async Task<T> WithLockAsync<T>(string channel, Func<Task<T>> action, CancellationToken cancellationToken)
    {
        var dir = ChannelDir(channel);
        Directory.CreateDirectory(dir);
        var local = localLocks.GetOrAdd(channel, _ => new SemaphoreSlim(1, 1));
        await local.WaitAsync(cancellationToken);
        try
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                FileStream? lockFile = null;
                try
                {
                    lockFile = new FileStream(Path.Combine(dir, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException) when (waited.Elapsed < LockTimeout)
                {
                    await Task.Delay(20, cancellationToken);
                    continue;
                }

                await using (lockFile)
                {
                    return await action();
                }
            }
        }
        finally
        {
            local.Release();
        }
    }

    private static async Task<T?> ReadJsonAsync<T>(string path, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 16 * 1024, useAsync: true);
            return await JsonSerializer.DeserializeAsync<T>(stream, JsonDefaults.Options, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The delivery ledger file '{path}' is not valid: {ex.Message}", ex);
        }
    }

    private static async Task WriteAtomicallyAsync<T>(string path, T value, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 16 * 1024, useAsync: true))
            {
                await JsonSerializer.SerializeAsync(stream, value, JsonDefaults.Options, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
