using System.Collections.Concurrent;
using System.Diagnostics;
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
    public static async Task<T?> ReadJsonAsync<T>(string path, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: true);
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
            throw new InvalidDataException($"The file '{path}' is not valid ComplianceWatch state: {ex.Message}", ex);
        }
    }

    /// <summary>Replaces <paramref name="path"/> atomically: a crash leaves the old or the new file, never a torn one.</summary>
    public static async Task WriteAtomicallyAsync<T>(string path, T value, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
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
