using System.Buffers;
using System.Text.Json;
using ComplianceWatch.Core.Screening;

namespace ComplianceWatch.Infrastructure.Screening;

/// <summary>A list that is not in the declared format (or stops half-way).</summary>
public sealed class ScreeningFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads the Consolidated Screening List JSON (<c>{"total": N, "results": [ {entry}, … ]}</c>, other members ignored)
/// from a stream, one entry at a time: only the entry being read is buffered, never the list.
/// </summary>
public static class CslJsonReader
{
    /// <summary>The largest single entry accepted.</summary>
    public const int MaxEntryBytes = 4 * 1024 * 1024;

    private const long CollectEveryBytes = 1024 * 1024;

    private enum Phase
    {
        Start,
        Root,
        Results,
        Done,
    }

    private sealed class Cursor
    {
        public Phase Phase = Phase.Start;
        public JsonReaderState State = new(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        public long? Total;
        public long Entries;
        public bool ResultsSeen;
    }

    public static async Task<long> ReadAsync(Stream stream, Action<ScreeningEntry> onEntry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(onEntry);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var cursor = new Cursor();
        var filled = 0;
        var final = false;
        long sinceCollect = 0;
        try
        {
            while (cursor.Phase != Phase.Done)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= MaxEntryBytes)
                    {
                        throw new ScreeningFormatException($"an entry of the list is larger than {MaxEntryBytes:N0} bytes");
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                if (!final)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken);
                    filled += read;
                    final = read == 0;
                }

                int consumed;
                try
                {
                    consumed = Process(buffer.AsSpan(0, filled), final, cursor, onEntry);
                }
                catch (JsonException ex)
                {
                    throw new ScreeningFormatException($"the list is not valid JSON: {ex.Message}", ex);
                }

                if (final && cursor.Phase != Phase.Done)
                {
                    throw new ScreeningFormatException(cursor.Phase == Phase.Start
                        ? "the list is empty"
                        : "the list ends before its \"results\" array does (truncated?)");
                }

                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
                sinceCollect += consumed;
                if (sinceCollect >= CollectEveryBytes)
                {
                    // Each entry is garbage as soon as it is matched; collecting the youngest generation now and then keeps
                    // the process at the same size whatever the size of the list (left alone, the GC lets the young
                    // generation grow to its budget, tens of megabytes, before it looks).
                    GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                    sinceCollect = 0;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (cursor.Total is { } total && total > cursor.Entries)
        {
            throw new ScreeningFormatException($"the list declares {total:N0} entries but holds {cursor.Entries:N0}: it is one page of a search, not the whole list");
        }

        return cursor.Entries;
    }

    /// <summary>Reads what the buffer holds; returns the bytes consumed (an incomplete token or entry stays for the next round).</summary>
    private static int Process(ReadOnlySpan<byte> data, bool final, Cursor cursor, Action<ScreeningEntry> onEntry)
    {
        var reader = new Utf8JsonReader(data, final, cursor.State);
        while (true)
        {
            var before = reader.CurrentState;
            var beforeConsumed = (int)reader.BytesConsumed;
            if (!reader.Read())
            {
                cursor.State = reader.CurrentState;
                return (int)reader.BytesConsumed;
            }

            switch (cursor.Phase)
            {
                case Phase.Start:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw new ScreeningFormatException("the list is not a JSON object with a \"results\" array");
                    }

                    cursor.Phase = Phase.Root;
                    break;

                case Phase.Root when reader.TokenType == JsonTokenType.EndObject:
                    if (!cursor.ResultsSeen)
                    {
                        throw new ScreeningFormatException("the list has no \"results\" array: it changed shape");
                    }

                    cursor.Phase = Phase.Done;
                    cursor.State = reader.CurrentState;
                    return (int)reader.BytesConsumed;

                case Phase.Root when reader.TokenType == JsonTokenType.PropertyName:
                    if (reader.ValueTextEquals("results"u8))
                    {
                        if (!reader.Read())
                        {
                            cursor.State = before;
                            return beforeConsumed;
                        }

                        if (reader.TokenType != JsonTokenType.StartArray)
                        {
                            throw new ScreeningFormatException("the list's \"results\" is not an array: it changed shape");
                        }

                        cursor.ResultsSeen = true;
                        cursor.Phase = Phase.Results;
                    }
                    else if (reader.ValueTextEquals("total"u8))
                    {
                        if (!reader.Read())
                        {
                            cursor.State = before;
                            return beforeConsumed;
                        }

                        cursor.Total = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var total) ? total : null;
                    }
                    else if (!reader.TrySkip())
                    {
                        cursor.State = before;
                        return beforeConsumed;
                    }

                    break;

                case Phase.Results when reader.TokenType == JsonTokenType.EndArray:
                    cursor.Phase = Phase.Root;
                    break;

                case Phase.Results when reader.TokenType == JsonTokenType.StartObject:
                    var start = (int)reader.TokenStartIndex;
                    if (!reader.TrySkip())
                    {
                        cursor.State = before;
                        return beforeConsumed;
                    }

                    var element = data[start..(int)reader.BytesConsumed];
                    var record = JsonSerializer.Deserialize(element, CslJsonContext.Default.CslRecord);
                    cursor.Entries++;
                    if (record?.ToEntry() is { } entry)
                    {
                        onEntry(entry);
                    }

                    break;

                case Phase.Results:
                    throw new ScreeningFormatException("an entry of the list's \"results\" is not an object: it changed shape");

                default:
                    throw new ScreeningFormatException($"unexpected {reader.TokenType} in the list");
            }
        }
    }
}
