using System.Globalization;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Infrastructure.Tables;

/// <summary>
/// The PartitionKey/RowKey scheme of <see cref="TableStateStore"/>. Every key part that comes from outside (source
/// ids, URLs, event ids) goes through <see cref="KeyEncoding"/>: plain <c>[a-z0-9-]</c> stays readable, anything else
/// becomes <c>~</c> + base64url, so no <c>/ \ # ?</c>, <c>%</c> or control character ever reaches a key. An encoded id
/// longer than <see cref="MaxEncodedLength"/> is replaced by <c>!</c> + its SHA-256, keeping keys far below the 1 KiB
/// limit (the store never decodes keys: every row also carries the source id as a property).
/// </summary>
internal static class TableKeys
{
    public const int MaxEncodedLength = 400;

    /// <summary>Row of a source partition holding the snapshot, health, entry count and chain head: the commit point.</summary>
    public const string State = "state";

    public const string HistoryPrefix = "h|";
    public const string OutboxPrefix = "o|";
    public const string IndexPendingPrefix = "x|";
    public const string ChunkPrefix = "c|";

    /// <summary>The upper bound of a prefix range: '}' sorts right after '|'.</summary>
    public static string RangeEnd(string prefix) => prefix[..^1] + "}";

    /// <summary>Source partitions start with "s|"; index partitions with "ix|"; the list of indexed months is "ixm".</summary>
    public const string SourcePartitionPrefix = "s|";
    public const string IndexPartitionPrefix = "ix|";
    public const string MonthsPartition = "ixm";

    public static string SourceKey(string sourceId)
    {
        var encoded = KeyEncoding.Encode(sourceId);
        return encoded.Length <= MaxEncodedLength ? encoded : "!" + Hashing.Sha256(sourceId);
    }

    public static string SourcePartition(string sourceId) => SourcePartitionPrefix + SourceKey(sourceId);

    public static string History(long sequence) => HistoryPrefix + Sequence(sequence);

    public static string Outbox(string eventId) => OutboxPrefix + SourceKey(eventId);

    public static string IndexPending(long sequence) => IndexPendingPrefix + Sequence(sequence);

    public static string Chunk(string hash) => ChunkPrefix + hash;

    /// <summary>The month partition of the history index that holds entries of <paramref name="time"/> (UTC).</summary>
    public static string Month(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMM", CultureInfo.InvariantCulture);

    public static string IndexPartition(string month) => IndexPartitionPrefix + month;

    /// <summary>Index row key: time (UTC ticks) first, so a time range is a RowKey range; then source and sequence.</summary>
    public static string IndexRow(DateTimeOffset time, string sourcePartition, long sequence) =>
        $"{Ticks(time)}|{sourcePartition[SourcePartitionPrefix.Length..]}|{Sequence(sequence)}";

    public static string Ticks(DateTimeOffset time) => time.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    private static string Sequence(long sequence) => sequence.ToString("D19", CultureInfo.InvariantCulture);
}
