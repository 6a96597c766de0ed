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

    public static string ComputeHash(HistoryEntry entry)
    {
        var canonical = JsonSerializer.Serialize(entry with { EntryHash = "" }, JsonDefaults.Options);
        return Hashing.Sha256(canonical);
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
