using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Infrastructure.Embedded;

/// <summary>
/// The embedded store: a directory, one folder per source.
/// <code>
/// {root}/format.json                      store format marker
/// {root}/sources/{key}/state.json         snapshot validators, health, outbox, chain head, revision: the commit point
/// {root}/sources/{key}/history/{seq}.json one file per history entry, written before the state that counts it
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// <b>The snapshot's text is not in <c>state.json</c></b> when it is the text of a history entry (a baseline, change or
/// rules update records the text it accepted): <c>state.json</c> then names that entry (<c>contentEntry</c>) and the text
/// is stored once. So <c>state.json</c> stays small (validators, hashes, health: a few hundred bytes), and
/// <see cref="GetHeadAsync"/> — all a 304 needs — reads only it; <see cref="GetAsync"/> reads the entry's text too.
/// A text of under <see cref="InlineChars"/> characters, or one no entry holds, stays inline in <c>state.json</c>, as
/// every snapshot was before (such stores are read unchanged and move to the new layout on their next commit).
/// </para>
/// <para>
/// A commit writes the new history entries, then replaces <c>state.json</c> by writing a temporary file, flushing it
/// to disk and renaming it over the old one (atomic on POSIX and NTFS). A crash at any instant leaves the previous or
/// the new state; history files beyond the state's <c>entryCount</c> are leftovers of a crash and are ignored and
/// overwritten. Commits of one source are serialized across processes by an exclusive lock file and are
/// compare-and-swap on the revision read. Commits made at the same time share one flush to disk (group commit): each
/// writes its files beside their places, waits for a flush that began after its writes, then renames them in order,
/// history first and <c>state.json</c> last.
/// </para>
/// </remarks>
public sealed class EmbeddedStateStore : IStateStore
{
    private const int Format = 1;

    /// <summary>Snapshot texts shorter than this stay inline in <c>state.json</c> (reading a second file would cost more).</summary>
    internal const int InlineChars = 8 * 1024;

    private readonly string root;
    private readonly FolderLocks locks = new();
    private readonly GroupSync durability;

    /// <summary>
    /// Which history entry each snapshot text this store handed out was read from: a commit that carries the same
    /// string back (validators or health updated, text unchanged) keeps naming that entry without comparing texts.
    /// </summary>
    private readonly ConditionalWeakTable<string, ContentOrigin> servedFrom = new();
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
        var dir = SourceDir(sourceId);
        var stored = await ReadStateAsync(dir, cancellationToken);
        return stored is null
            ? SourceState.Empty(sourceId)
            : stored.ToState(sourceId, await ReadSnapshotAsync(sourceId, dir, stored.Snapshot, lenient: false, cancellationToken));
    }

    /// <summary>Reads <c>state.json</c> only: the snapshot's validators and the health, never the snapshot's text.</summary>
    public async Task<SourceHead> GetHeadAsync(string sourceId, CancellationToken cancellationToken = default)
    {
        var stored = await ReadStateAsync(SourceDir(sourceId), cancellationToken);
        return stored is null
            ? new SourceHead { SourceId = sourceId }
            : new SourceHead { SourceId = sourceId, Snapshot = stored.Snapshot?.Head(), Health = stored.Health };
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
                    Snapshot = await StoreSnapshotAsync(commit, current, dir, entryCount, cancellationToken),
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

                return next.ToState(commit.SourceId, commit.Snapshot);
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
                // a snapshot text that cannot be read is listed as empty: audit verify then names it (its hash no longer matches)
                states.Add(stored.ToState(stored.SourceId, await ReadSnapshotAsync(stored.SourceId, dir, stored.Snapshot, lenient: true, cancellationToken)));
            }
        }

        return states.OrderBy(s => s.SourceId, StringComparer.Ordinal).ToArray();
    }

    /// <summary>The outboxes of every source, from the <c>state.json</c> files alone.</summary>
    public async Task<IReadOnlyList<PendingEvent>> GetPendingEventsAsync(CancellationToken cancellationToken = default)
    {
        var pending = new List<PendingEvent>();
        foreach (var dir in SourceDirs())
        {
            if (await ReadStateAsync(dir, cancellationToken) is { Pending.Count: > 0 } stored)
            {
                pending.AddRange(stored.Pending.Select(e => new PendingEvent(stored.SourceId, e)));
            }
        }

        return pending.OrderBy(p => p.Event.Time).ThenBy(p => p.SourceId, StringComparer.Ordinal).ToArray();
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

    /// <summary>
    /// The snapshot with its text: inline, or read from the history entry it names. A text that cannot be read is an
    /// error naming the file, or with <paramref name="lenient"/> an empty text (for listings and audit verify).
    /// </summary>
    private async Task<Snapshot?> ReadSnapshotAsync(string sourceId, string dir, StoredSnapshot? stored, bool lenient, CancellationToken cancellationToken)
    {
        if (stored is null)
        {
            return null;
        }

        if (stored.Content is { } inline)
        {
            return stored.With(inline);
        }

        var sequence = stored.ContentEntry ?? 0;
        var path = HistoryPath(dir, sequence);
        HistoryEntry? entry = null;
        if (sequence > 0)
        {
            try
            {
                entry = await EmbeddedFiles.ReadJsonAsync<HistoryEntry>(path, cancellationToken);
            }
            catch (InvalidDataException) when (lenient)
            {
            }
        }

        if (entry?.Content is { } text)
        {
            servedFrom.AddOrUpdate(text, new ContentOrigin(sourceId, sequence));
            return stored.With(text);
        }

        return lenient
            ? stored.With("")
            : throw new InvalidDataException(
                $"The current snapshot of source '{sourceId}' is the text of history entry #{sequence}, but '{path}' {(entry is null ? "is missing" : "holds no text")}: " +
                "the store was damaged (`compliancewatch audit verify` lists what else is); the source cannot be compared until its state is restored.");
    }

    /// <summary>
    /// How <paramref name="commit"/>'s snapshot is stored: naming the history entry that holds its text (one of the
    /// commit's new entries, or the one it was read from), else inline.
    /// </summary>
    private async Task<StoredSnapshot?> StoreSnapshotAsync(SourceCommit commit, StoredState? current, string dir, long entryCount, CancellationToken cancellationToken)
    {
        if (commit.Snapshot is not { } snapshot)
        {
            return null;
        }

        var text = snapshot.Content;
        if (text.Length >= InlineChars)
        {
            for (var i = commit.NewEntries.Count - 1; i >= 0; i--)
            {
                if (commit.NewEntries[i].Content is { } recorded && (ReferenceEquals(recorded, text) || string.Equals(recorded, text, StringComparison.Ordinal)))
                {
                    return StoredSnapshot.Of(snapshot, commit.NewEntries[i].Sequence);
                }
            }

            if (servedFrom.TryGetValue(text, out var origin) && origin.SourceId == commit.SourceId && origin.Sequence <= entryCount)
            {
                return StoredSnapshot.Of(snapshot, origin.Sequence);
            }

            if (current?.Snapshot is { ContentEntry: { } sequence, Content: null } previous && previous.ContentHash == snapshot.ContentHash
                && await ReadSnapshotAsync(commit.SourceId, dir, previous, lenient: true, cancellationToken) is { } read
                && string.Equals(read.Content, text, StringComparison.Ordinal))
            {
                return StoredSnapshot.Of(snapshot, sequence);
            }
        }

        return StoredSnapshot.Of(snapshot, null);
    }

    private sealed record ContentOrigin(string SourceId, long Sequence);

    /// <summary>A snapshot as <c>state.json</c> holds it: its text inline, or the number of the history entry holding it.</summary>
    private sealed record StoredSnapshot
    {
        public required string ContentHash { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Content { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? ContentEntry { get; init; }
        public required string RulesHash { get; init; }
        public string? Url { get; init; }
        public string? ETag { get; init; }
        public string? LastModified { get; init; }
        public required DateTimeOffset CapturedAt { get; init; }
        public required long Version { get; init; }

        public static StoredSnapshot Of(Snapshot snapshot, long? contentEntry) => new()
        {
            ContentHash = snapshot.ContentHash,
            Content = contentEntry is null ? snapshot.Content : null,
            ContentEntry = contentEntry,
            RulesHash = snapshot.RulesHash,
            Url = snapshot.Url,
            ETag = snapshot.ETag,
            LastModified = snapshot.LastModified,
            CapturedAt = snapshot.CapturedAt,
            Version = snapshot.Version,
        };

        public Snapshot With(string content) => new()
        {
            ContentHash = ContentHash,
            Content = content,
            RulesHash = RulesHash,
            Url = Url,
            ETag = ETag,
            LastModified = LastModified,
            CapturedAt = CapturedAt,
            Version = Version,
        };

        public SnapshotHead Head() => SnapshotHead.Of(With(Content ?? ""));
    }

    private sealed record StoredState
    {
        public required string SourceId { get; init; }
        public required long Revision { get; init; }
        public StoredSnapshot? Snapshot { get; init; }
        public SourceHealth Health { get; init; } = SourceHealth.Healthy;
        public long EntryCount { get; init; }
        public string? ChainHead { get; init; }
        public List<ChangeEvent> Pending { get; init; } = [];

        public SourceState ToState(string sourceId, Snapshot? snapshot) => new()
        {
            SourceId = sourceId,
            Snapshot = snapshot,
            Health = Health,
            EntryCount = EntryCount,
            ChainHead = ChainHead,
            PendingEvents = Pending,
            ConcurrencyToken = Revision.ToString(CultureInfo.InvariantCulture),
        };
    }
}
