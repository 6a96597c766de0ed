using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Infrastructure.Embedded;

/// <summary>
/// The embedded store: a directory, one folder per source.
/// <code>
/// {root}/format.json                      store format marker
/// {root}/sources/{key}/state.json         snapshot, health, outbox, chain head, revision: the commit point
/// {root}/sources/{key}/history/{seq}.json one file per history entry, written before the state that counts it
/// </code>
/// </summary>
/// <remarks>
/// A commit writes the new history entries, then replaces <c>state.json</c> by writing a temporary file, flushing it
/// to disk and renaming it over the old one (atomic on POSIX and NTFS). A crash at any instant leaves the previous or
/// the new state; history files beyond the state's <c>entryCount</c> are leftovers of a crash and are ignored and
/// overwritten. Commits of one source are serialized across processes by an exclusive lock file and are
/// compare-and-swap on the revision read. Commits made at the same time share one flush to disk (group commit): each
/// writes its files beside their places, waits for a flush that began after its writes, then renames them in order,
/// history first and <c>state.json</c> last.
/// </remarks>
public sealed class EmbeddedStateStore : IStateStore
{
    private const int Format = 1;
    private readonly string root;
    private readonly FolderLocks locks = new();
    private readonly GroupSync durability;
    private bool formatChecked;

    public EmbeddedStateStore(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        root = Path.GetFullPath(directory);
        durability = new GroupSync(Path.Combine(root, "format.json")); // written before the first commit
    }

    public string Root => root;

    public async Task<SourceState> GetAsync(string sourceId, CancellationToken cancellationToken = default)
    {
        var stored = await ReadStateAsync(SourceDir(sourceId), cancellationToken);
        return stored?.ToState(sourceId) ?? SourceState.Empty(sourceId);
    }

    public async Task<SourceState> CommitAsync(SourceCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var dir = SourceDir(commit.SourceId);
        EnsureFormat();
        Directory.CreateDirectory(Path.Combine(dir, "history"));
        return await locks.WithLockAsync(commit.SourceId, dir, async () =>
        {
            var current = await ReadStateAsync(dir, cancellationToken);
            var currentToken = current?.Revision.ToString(CultureInfo.InvariantCulture);
            if (currentToken != commit.ExpectedToken)
            {
                throw new ConcurrencyConflictException(commit.SourceId);
            }

            var entryCount = current?.EntryCount ?? 0;
            var staged = new List<(string Temp, string Path)>(commit.NewEntries.Count + 1);
            try
            {
                foreach (var entry in commit.NewEntries)
                {
                    if (entry.Sequence != ++entryCount)
                    {
                        throw new InvalidOperationException($"History entry {entry.Sequence} of '{commit.SourceId}' does not follow entry {entryCount - 1}.");
                    }

                    var path = HistoryPath(dir, entry.Sequence);
                    staged.Add((await EmbeddedFiles.StageAsync(path, entry, cancellationToken), path));
                }

                var next = new StoredState
                {
                    SourceId = commit.SourceId,
                    Revision = (current?.Revision ?? 0) + 1,
                    Snapshot = commit.Snapshot,
                    Health = commit.Health,
                    EntryCount = entryCount,
                    ChainHead = commit.NewEntries.Count > 0 ? commit.NewEntries[^1].EntryHash : current?.ChainHead,
                    Pending = [.. current?.Pending ?? [], .. commit.NewEvents],
                };
                var statePath = Path.Combine(dir, "state.json");
                staged.Add((await EmbeddedFiles.StageAsync(statePath, next, cancellationToken), statePath));
                await durability.SyncAsync(cancellationToken);
                for (var i = 0; i < staged.Count; i++)
                {
                    File.Move(staged[i].Temp, staged[i].Path, overwrite: true); // state.json last: the commit point
                    staged[i] = default;
                }

                return next.ToState(commit.SourceId);
            }
            finally
            {
                foreach (var (temp, _) in staged)
                {
                    if (temp is not null)
                    {
                        File.Delete(temp); // not committed: a failure before the renames leaves the previous state
                    }
                }
            }
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<SourceState>> ListAsync(CancellationToken cancellationToken = default)
    {
        var states = new List<SourceState>();
        foreach (var dir in SourceDirs())
        {
            if (await ReadStateAsync(dir, cancellationToken) is { } stored)
            {
                states.Add(stored.ToState(stored.SourceId));
            }
        }

        return states.OrderBy(s => s.SourceId, StringComparer.Ordinal).ToArray();
    }

    public async Task<IReadOnlyList<PendingEvent>> GetPendingEventsAsync(CancellationToken cancellationToken = default)
    {
        var states = await ListAsync(cancellationToken);
        return states.SelectMany(s => s.PendingEvents.Select(e => new PendingEvent(s.SourceId, e)))
            .OrderBy(p => p.Event.Time).ThenBy(p => p.SourceId, StringComparer.Ordinal).ToArray();
    }

    public async Task MarkPublishedAsync(string sourceId, IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventIds);
        var dir = SourceDir(sourceId);
        if (!Directory.Exists(dir))
        {
            return;
        }

        await locks.WithLockAsync(sourceId, dir, async () =>
        {
            var current = await ReadStateAsync(dir, cancellationToken);
            if (current is null || !current.Pending.Any(e => eventIds.Contains(e.Id)))
            {
                return 0;
            }

            var next = current with { Revision = current.Revision + 1, Pending = current.Pending.Where(e => !eventIds.Contains(e.Id)).ToList() };
            await EmbeddedFiles.WriteAtomicallyAsync(Path.Combine(dir, "state.json"), next, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<HistoryEntry>> QueryHistoryAsync(HistoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var dirs = query.SourceIds is { Count: > 0 } ids ? ids.Select(SourceDir).Where(Directory.Exists) : SourceDirs();
        var entries = new List<HistoryEntry>();
        foreach (var dir in dirs)
        {
            if (await ReadStateAsync(dir, cancellationToken) is not { } state)
            {
                continue;
            }

            for (var sequence = 1L; sequence <= state.EntryCount; sequence++)
            {
                var entry = await EmbeddedFiles.ReadJsonAsync<HistoryEntry>(HistoryPath(dir, sequence), cancellationToken);
                if (entry is null)
                {
                    continue; // a removed entry: verification reports the gap
                }

                if ((query.Since is { } since && entry.Time < since) || (query.Until is { } until && entry.Time >= until))
                {
                    continue;
                }

                entries.Add(query.IncludeContent ? entry : entry with { Content = null });
            }
        }

        return entries.OrderBy(e => e.Time).ThenBy(e => e.SourceId, StringComparer.Ordinal).ThenBy(e => e.Sequence).ToArray();
    }

    /// <summary>Sources with history files, with or without a <c>state.json</c> (see <see cref="IStateStore.ListSourcesWithHistoryAsync"/>).</summary>
    public Task<IReadOnlyList<string>> ListSourcesWithHistoryAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> ids = SourceDirs()
            .Where(dir => Directory.Exists(Path.Combine(dir, "history")) && Directory.EnumerateFiles(Path.Combine(dir, "history"), "*.json").Any())
            .Select(dir => KeyEncoding.Decode(Path.GetFileName(dir)))
            .ToArray();
        return Task.FromResult(ids);
    }

    private IEnumerable<string> SourceDirs()
    {
        var sources = Path.Combine(root, "sources");
        return Directory.Exists(sources) ? Directory.EnumerateDirectories(sources).Order(StringComparer.Ordinal) : [];
    }

    private string SourceDir(string sourceId) => Path.Combine(root, "sources", KeyEncoding.Encode(sourceId));

    private static string HistoryPath(string dir, long sequence) =>
        Path.Combine(dir, "history", sequence.ToString("D10", CultureInfo.InvariantCulture) + ".json");

    private void EnsureFormat()
    {
        if (formatChecked)
        {
            return;
        }

        var marker = Path.Combine(root, "format.json");
        if (!File.Exists(marker))
        {
            Directory.CreateDirectory(root);
            File.WriteAllText(marker, $"{{\"store\":\"compliancewatch-embedded\",\"format\":{Format}}}\n");
        }

        formatChecked = true;
    }

    private static async Task<StoredState?> ReadStateAsync(string dir, CancellationToken cancellationToken) =>
        await EmbeddedFiles.ReadJsonAsync<StoredState>(Path.Combine(dir, "state.json"), cancellationToken);

    private sealed record StoredState
    {
        public required string SourceId { get; init; }
        public required long Revision { get; init; }
        public Snapshot? Snapshot { get; init; }
        public SourceHealth Health { get; init; } = SourceHealth.Healthy;
        public long EntryCount { get; init; }
        public string? ChainHead { get; init; }
        public List<ChangeEvent> Pending { get; init; } = [];

        public SourceState ToState(string sourceId) => new()
        {
            SourceId = sourceId,
            Snapshot = Snapshot,
            Health = Health,
            EntryCount = EntryCount,
            ChainHead = ChainHead,
            PendingEvents = Pending,
            ConcurrencyToken = Revision.ToString(CultureInfo.InvariantCulture),
        };
    }
}
