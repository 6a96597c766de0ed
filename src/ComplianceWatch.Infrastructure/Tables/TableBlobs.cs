using System.IO.Compression;
using System.Security.Cryptography;
using Azure.Data.Tables;

namespace ComplianceWatch.Infrastructure.Tables;

/// <summary>
/// Stores a byte string of any size (normalized content, an entry's or an event's JSON) in Table entities, within the
/// limits of the service: 64 KiB per binary property, 1 MiB per entity, 4 MiB per entity-group transaction.
/// <para>
/// The bytes are Brotli-compressed (normalized text shrinks 3–10×). Compressed data of up to
/// <see cref="MaxInlineParts"/> × 64 KiB is split across the properties <c>{p}0</c>…<c>{p}3</c> of the entity itself;
/// anything larger goes to <em>chunk rows</em> of ~704 KiB (11 properties of 64 KiB: under 1 MiB even as base64 JSON,
/// which is what Azurite measures) in the same partition, keyed by the SHA-256 of their bytes, and the entity keeps
/// the list of chunk hashes in <c>{p}Chunks</c>.
/// </para>
/// <para>
/// Why chunk rows in the table rather than Blob storage: one account, one connection, one consistency story and one
/// emulator for tests, and the partition still holds the whole state of its source. Why they are written
/// <em>before</em> the guarded commit, outside its transaction: a 20 MiB snapshot cannot fit a 4 MiB transaction. That
/// is safe because a chunk row is content-addressed and immutable: a commit that loses its compare-and-swap (or a crash
/// before the commit) leaves only chunks that nothing references — harmless orphans, never a torn state — and a later
/// commit of the same bytes finds them already there. Readers verify each chunk's hash.
/// </para>
/// </summary>
internal static class TableBlobs
{
    /// <summary>Largest binary property value: 64 KiB.</summary>
    public const int PartBytes = 64 * 1024;

    /// <summary>Properties a blob may use inline before it moves to chunk rows.</summary>
    public const int MaxInlineParts = 4;

    /// <summary>Binary properties per chunk row (11 × 64 KiB = 704 KiB raw, ~939 KiB as base64 in the request).</summary>
    public const int ChunkParts = 11;

    public const int ChunkBytes = ChunkParts * PartBytes;

    private const int BrotliQuality = 5;
    private const int BrotliWindow = 22;

    /// <summary>The properties a blob with prefix <paramref name="prefix"/> may use (for query projections).</summary>
    public static IEnumerable<string> Columns(string prefix) =>
        [prefix + "Size", prefix + "Parts", prefix + "Chunks", .. Enumerable.Range(0, MaxInlineParts).Select(i => prefix + i)];

    /// <summary>True when the entity holds a blob under <paramref name="prefix"/> (a null value has none).</summary>
    public static bool Has(TableEntity entity, string prefix) => entity.ContainsKey(prefix + "Parts");

    /// <summary>
    /// Writes <paramref name="data"/> under <paramref name="prefix"/>: inline when it fits <paramref name="maxInlineParts"/>
    /// properties and the remaining <paramref name="budget"/> of the transaction, else as chunk rows added to
    /// <paramref name="chunks"/> (RowKey → bytes) for the caller to write first.
    /// </summary>
    public static void Write(TableEntity entity, string prefix, ReadOnlySpan<byte> data, InlineBudget budget, IDictionary<string, byte[]> chunks, int maxInlineParts = MaxInlineParts)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentNullException.ThrowIfNull(chunks);
        var compressed = Compress(data);
        entity[prefix + "Size"] = (long)data.Length;
        var parts = (compressed.Length + PartBytes - 1) / PartBytes;
        if (parts <= maxInlineParts && budget.TryTake(compressed.Length))
        {
            entity[prefix + "Parts"] = parts;
            for (var i = 0; i < parts; i++)
            {
                var offset = i * PartBytes;
                entity[prefix + i] = compressed.AsSpan(offset, Math.Min(PartBytes, compressed.Length - offset)).ToArray();
            }

            return;
        }

        var hashes = new List<string>();
        for (var offset = 0; offset < compressed.Length; offset += ChunkBytes)
        {
            var piece = compressed.AsSpan(offset, Math.Min(ChunkBytes, compressed.Length - offset)).ToArray();
            var hash = Convert.ToHexStringLower(SHA256.HashData(piece));
            hashes.Add(hash);
            chunks[TableKeys.Chunk(hash)] = piece;
        }

        var list = string.Join(',', hashes);
        if (list.Length > 32 * 1024)
        {
            throw new InvalidOperationException($"A value of {data.Length} bytes is too large for the Table store ({hashes.Count} chunks).");
        }

        entity[prefix + "Parts"] = 0;
        entity[prefix + "Chunks"] = list;
    }

    /// <summary>A chunk row: the piece split over <see cref="ChunkParts"/> binary properties.</summary>
    public static TableEntity ChunkEntity(string partitionKey, string rowKey, byte[] piece)
    {
        var entity = new TableEntity(partitionKey, rowKey);
        var parts = (piece.Length + PartBytes - 1) / PartBytes;
        entity["Parts"] = parts;
        for (var i = 0; i < parts; i++)
        {
            var offset = i * PartBytes;
            entity["D" + i] = piece.AsSpan(offset, Math.Min(PartBytes, piece.Length - offset)).ToArray();
        }

        return entity;
    }

    /// <summary>Reads the blob under <paramref name="prefix"/>, or null when there is none.</summary>
    public static async Task<byte[]?> ReadAsync(TableEntity entity, string prefix, Func<string, CancellationToken, Task<TableEntity?>> readChunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(readChunk);
        if (!Has(entity, prefix))
        {
            return null;
        }

        var size = entity.GetInt64(prefix + "Size") ?? throw Corrupt(entity, prefix, "size missing");
        var parts = entity.GetInt32(prefix + "Parts") ?? 0;
        using var compressed = new MemoryStream();
        if (parts > 0)
        {
            for (var i = 0; i < parts; i++)
            {
                var part = entity.GetBinary(prefix + i) ?? throw Corrupt(entity, prefix, $"part {i} missing");
                compressed.Write(part);
            }
        }
        else
        {
            var list = entity.GetString(prefix + "Chunks") ?? "";
            foreach (var hash in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var chunk = await readChunk(TableKeys.Chunk(hash), cancellationToken) ?? throw Corrupt(entity, prefix, $"chunk {hash} missing");
                var chunkParts = chunk.GetInt32("Parts") ?? 0;
                var piece = new MemoryStream();
                for (var i = 0; i < chunkParts; i++)
                {
                    piece.Write(chunk.GetBinary("D" + i) ?? throw Corrupt(entity, prefix, $"chunk {hash} part {i} missing"));
                }

                if (Convert.ToHexStringLower(SHA256.HashData(piece.GetBuffer().AsSpan(0, (int)piece.Length))) != hash)
                {
                    throw Corrupt(entity, prefix, $"chunk {hash} does not match its hash");
                }

                piece.Position = 0;
                await piece.CopyToAsync(compressed, cancellationToken);
            }
        }

        return Decompress(compressed.GetBuffer().AsSpan(0, (int)compressed.Length), size, entity, prefix);
    }

    public static byte[] Compress(ReadOnlySpan<byte> data)
    {
        var buffer = new byte[BrotliEncoder.GetMaxCompressedLength(data.Length)];
        if (!BrotliEncoder.TryCompress(data, buffer, out var written, BrotliQuality, BrotliWindow))
        {
            throw new InvalidOperationException("Brotli compression failed.");
        }

        return buffer.AsSpan(0, written).ToArray();
    }

    private static byte[] Decompress(ReadOnlySpan<byte> compressed, long size, TableEntity entity, string prefix)
    {
        var output = new byte[size];
        if (!BrotliDecoder.TryDecompress(compressed, output, out var written) || written != size)
        {
            throw Corrupt(entity, prefix, "compressed data is damaged");
        }

        return output;
    }

    private static InvalidDataException Corrupt(TableEntity entity, string prefix, string problem) =>
        new($"Table entity ({entity.PartitionKey}, {entity.RowKey}) property '{prefix}': {problem}.");
}

/// <summary>How many compressed bytes a transaction may still carry inline (it must stay under 4 MiB as JSON).</summary>
internal sealed class InlineBudget(long bytes)
{
    public long Remaining { get; private set; } = bytes;

    public bool TryTake(long count)
    {
        if (count > Remaining)
        {
            return false;
        }

        Remaining -= count;
        return true;
    }
}
