using System.Security.Cryptography;
using System.Text.Json;

namespace ComplianceWatch.Core.Store;

/// <summary>The hash chain over a source's history: each entry's hash covers its content and the previous entry's hash.</summary>
public static class HistoryChain
{
    /// <summary>Returns the entry with <see cref="HistoryEntry.PreviousEntryHash"/> set to <paramref name="previous"/> and its own hash computed.</summary>
    public static HistoryEntry Seal(HistoryEntry entry, string? previous)
    {
        var linked = entry with { PreviousEntryHash = previous, EntryHash = "" };
        return linked with { EntryHash = ComputeHash(linked) };
    }

    /// <summary>
    /// SHA-256 of the entry's canonical JSON (UTF-8, <see cref="JsonDefaults.Options"/>, <see cref="HistoryEntry.EntryHash"/>
    /// empty). The serializer writes straight into the hash: an entry that carries a page's text costs no copy of its
    /// JSON on the heap.
    /// </summary>
    public static string ComputeHash(HistoryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        using var hashing = new HashingStream();
        JsonSerializer.Serialize(hashing, entry with { EntryHash = "" }, JsonDefaults.Options);
        return hashing.HexDigest();
    }

    /// <summary>A write-only stream that hashes what is written to it (SHA-256).</summary>
    private sealed class HashingStream : Stream
    {
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public string HexDigest()
        {
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            hash.GetHashAndReset(digest);
            return Convert.ToHexStringLower(digest);
        }

        public override void Write(ReadOnlySpan<byte> buffer) => hash.AppendData(buffer);

        public override void Write(byte[] buffer, int offset, int count) => hash.AppendData(buffer, offset, count);

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// Checks one source's entries (ordered by sequence): sequences contiguous from 1, links intact, hashes match.
    /// Returns the first bad entry's description, or null when the chain is intact.
    /// </summary>
    public static string? Verify(IReadOnlyList<HistoryEntry> entries, string? expectedHead)
    {
        string? previous = null;
        long expectedSequence = 1;
        foreach (var entry in entries)
        {
            if (entry.Sequence != expectedSequence)
            {
                return $"{entry.SourceId}#{expectedSequence}: missing or reordered (found #{entry.Sequence})";
            }

            if (entry.PreviousEntryHash != previous)
            {
                return $"{entry.SourceId}#{entry.Sequence}: link to the previous entry is broken";
            }

            if (ComputeHash(entry) != entry.EntryHash)
            {
                return $"{entry.SourceId}#{entry.Sequence}: content does not match its hash (altered)";
            }

            previous = entry.EntryHash;
            expectedSequence++;
        }

        return expectedHead is not null && expectedHead != previous
            ? $"{(entries.Count > 0 ? entries[0].SourceId : "")}#{expectedSequence}: the chain does not end at the recorded head (entries after #{expectedSequence - 1} were removed or rewritten)"
            : null;
    }
}
