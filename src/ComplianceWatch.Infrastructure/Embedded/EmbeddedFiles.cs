using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using ComplianceWatch.Core;

namespace ComplianceWatch.Infrastructure.Embedded;

/// <summary>
/// The file primitives of the embedded stores (state, delivery ledger, audit runs): JSON read that treats a missing
/// file as absent, crash-safe replace (temporary file, flush to disk, rename), and a lock per folder that holds across
/// processes (an exclusive lock file) and within one (a semaphore, since a process's own file locks do not exclude it).
/// </summary>
internal static class EmbeddedFiles
{
    /// <summary>
    /// The JSON document at <paramref name="path"/>, or null when the file does not exist. Read whole into a pooled
    /// buffer and parsed from memory: these are local files of a few hundred bytes to a few hundred kilobytes, for
    /// which an asynchronous stream costs more than the read.
    /// </summary>
    public static Task<T?> ReadJsonAsync<T>(string path, CancellationToken cancellationToken)
        where T : class
    {
        cancellationToken.ThrowIfCancellationRequested();
        byte[]? buffer = null;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(handle);
            if (length > Array.MaxLength)
            {
                throw new InvalidDataException($"The file '{path}' is too large to be ComplianceWatch state ({length:N0} bytes).");
            }

            buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(length, 1));
            var read = 0;
            while (read < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(read), read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            return Task.FromResult(JsonSerializer.Deserialize<T>(buffer.AsSpan(0, read), JsonDefaults.Options));
        }
        catch (FileNotFoundException)
        {
            return Task.FromResult<T?>(null);
        }
        catch (DirectoryNotFoundException)
        {
            return Task.FromResult<T?>(null);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The file '{path}' is not valid ComplianceWatch state: {ex.Message}", ex);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// The first half of a grouped replace: writes <paramref name="value"/> to a temporary file beside
    /// <paramref name="path"/> and returns it, not yet durable (see <see cref="GroupSync"/>) and not yet in place.
    /// Where a whole file system cannot be flushed at once (not Linux) the file is flushed to disk here.
    /// </summary>
    public static async Task<string> StageAsync<T>(string path, T value, CancellationToken cancellationToken)
    {
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: false);
            await JsonSerializer.SerializeAsync(stream, value, JsonDefaults.Options, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            if (!GroupSync.Supported)
            {
                stream.Flush(flushToDisk: true);
            }
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        return temp;
    }

    /// <summary>Replaces <paramref name="path"/> atomically: a crash leaves the old or the new file, never a torn one.</summary>
    public static async Task WriteAtomicallyAsync<T>(string path, T value, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true))
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

/// <summary>
/// Group commit: makes every file staged before the call durable with one flush of the file system (Linux
/// <c>syncfs</c>) shared by all the commits that wait at the same time, instead of one <c>fsync</c> per file. A caller
/// stages its files, awaits <see cref="SyncAsync"/>, then renames them into place: a crash before the flush leaves only
/// temporary files, which readers never see.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "a SemaphoreSlim holds no OS handle unless its AvailableWaitHandle is read")]
internal sealed class GroupSync(string anchorFile)
{
    public static bool Supported { get; } = OperatingSystem.IsLinux();

    private readonly SemaphoreSlim gate = new(1, 1);
    private long requested;
    private long completed;

    /// <summary>Returns once everything written before the call is on disk.</summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        if (!Supported)
        {
            return; // staged files were flushed one by one
        }

        var ticket = Interlocked.Increment(ref requested);
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (Volatile.Read(ref completed) >= ticket)
            {
                return; // a flush that started after this caller's writes has finished
            }

            var upTo = Volatile.Read(ref requested);
            await Task.Run(Flush, CancellationToken.None);
            Volatile.Write(ref completed, upTo);
        }
        finally
        {
            gate.Release();
        }
    }

    private void Flush()
    {
        // syncfs flushes the file system that holds the file it is given: any file of the store will do
        using var handle = File.OpenHandle(anchorFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (SyncFileSystem((int)handle.DangerousGetHandle()) != 0)
        {
            throw new IOException($"Flushing '{Path.GetDirectoryName(anchorFile)}' to disk failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    [DllImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SyncFileSystem(int fd);
}

/// <summary>Exclusive access to one folder at a time per key, across threads and processes.</summary>
internal sealed class FolderLocks
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> local = new(StringComparer.Ordinal);

    public async Task<T> WithLockAsync<T>(string key, string dir, Func<Task<T>> action, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dir);
        var gate = local.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var waited = Stopwatch.StartNew();
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
            gate.Release();
        }
    }
}
