// usage: RawFetch URLS_FILE CONCURRENCY — prints "bytes=N" after fetching every URL once.
var urls = File.ReadAllLines(args[0]).Where(l => l.Length > 0).ToArray();
var concurrency = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, AutomaticDecompression = System.Net.DecompressionMethods.All });
long bytes = 0;
await Parallel.ForEachAsync(urls, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (url, ct) =>
{
    var body = await client.GetByteArrayAsync(url, ct);
    Interlocked.Add(ref bytes, body.Length);
});
Console.WriteLine($"bytes={bytes}");
