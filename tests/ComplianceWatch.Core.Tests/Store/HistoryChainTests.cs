using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Core.Tests.Store;

public class HistoryChainTests
{
    private const string SourceId = "acme-terms";

    private static HistoryEntry Entry(long sequence, HistoryEntryType type = HistoryEntryType.Change, string? content = null) => new()
    {
        SourceId = SourceId,
        Sequence = sequence,
        Type = type,
        Time = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).AddHours(sequence),
        Summary = $"entry {sequence}",
        ContentHash = Hashing.Sha256(content ?? $"content {sequence}"),
        Content = content ?? $"content {sequence}",
    };

    /// <summary>A sealed chain of <paramref name="count"/> entries, as the store writes it.</summary>
    private static List<HistoryEntry> Chain(int count)
    {
        var entries = new List<HistoryEntry>();
        string? previous = null;
        for (var i = 1; i <= count; i++)
        {
            var sealedEntry = HistoryChain.Seal(Entry(i, i == 1 ? HistoryEntryType.Baseline : HistoryEntryType.Change), previous);
            entries.Add(sealedEntry);
            previous = sealedEntry.EntryHash;
        }

        return entries;
    }

    public class Seal
    {
        [Fact]
        public void Seal_FirstEntry_HasNoPreviousAndAHash()
        {
            var first = HistoryChain.Seal(Entry(1), previous: null);

            Assert.Null(first.PreviousEntryHash);
            Assert.Matches("^[0-9a-f]{64}$", first.EntryHash);
            Assert.Equal(HistoryChain.ComputeHash(first), first.EntryHash);
        }

        [Fact]
        public void Seal_LinksEachEntryToThePreviousOne()
        {
            var chain = Chain(3);

            Assert.Null(chain[0].PreviousEntryHash);
            Assert.Equal(chain[0].EntryHash, chain[1].PreviousEntryHash);
            Assert.Equal(chain[1].EntryHash, chain[2].PreviousEntryHash);
            Assert.Equal(3, chain.Select(e => e.EntryHash).Distinct(StringComparer.Ordinal).Count());
        }

        [Fact]
        public void Seal_IsDeterministicAndIgnoresAStaleEntryHash()
        {
            var a = HistoryChain.Seal(Entry(1), "abc");
            var b = HistoryChain.Seal(Entry(1) with { EntryHash = "stale", PreviousEntryHash = "other" }, "abc");

            Assert.Equal(a.EntryHash, b.EntryHash);
            Assert.Equal("abc", b.PreviousEntryHash);
        }

        [Fact]
        public void Seal_HashCoversThePreviousHash()
        {
            Assert.NotEqual(HistoryChain.Seal(Entry(2), "aaa").EntryHash, HistoryChain.Seal(Entry(2), "bbb").EntryHash);
        }

        [Fact]
        public void ComputeHash_IsTheSha256OfTheEntrysCanonicalJsonText()
        {
            // the definition stored chains were sealed with: hashes written by earlier versions must still verify
            var content = string.Join('\n', Enumerable.Range(0, 3_000).Select(i => $"Line {i} <b>&amp;</b> \"quoted\" caf\u00E9 \u4E2D\u6587 \U0001F600 \u2028 \u0007"));
            var entry = Entry(7, content: content) with { PreviousEntryHash = "abc", EntryHash = "" };

            var expected = Hashing.Sha256(System.Text.Json.JsonSerializer.Serialize(entry, JsonDefaults.Options));

            Assert.Equal(expected, HistoryChain.ComputeHash(entry));
        }

        [Fact]
        public void Seal_HashCoversTheContent()
        {
            Assert.NotEqual(HistoryChain.Seal(Entry(1, content: "x"), null).EntryHash, HistoryChain.Seal(Entry(1, content: "y"), null).EntryHash);
        }
    }

    public class Verify
    {
        [Fact]
        public void Verify_IntactChain_ReturnsNull()
        {
            var chain = Chain(5);

            Assert.Null(HistoryChain.Verify(chain, chain[^1].EntryHash));
            Assert.Null(HistoryChain.Verify(chain, expectedHead: null));
        }

        [Fact]
        public void Verify_EmptyChainWithoutHead_ReturnsNull()
        {
            Assert.Null(HistoryChain.Verify([], expectedHead: null));
        }

        [Theory]
        [InlineData("summary")]
        [InlineData("content")]
        [InlineData("time")]
        [InlineData("type")]
        public void Verify_AlteredEntry_NamesIt(string what)
        {
            var chain = Chain(4);
            var e = chain[2];
            chain[2] = what switch
            {
                "summary" => e with { Summary = "nothing happened" },
                "content" => e with { Content = "edited evidence" },
                "time" => e with { Time = e.Time.AddDays(-1) },
                _ => e with { Type = HistoryEntryType.RulesUpdate },
            };

            var problem = HistoryChain.Verify(chain, chain[^1].EntryHash);

            Assert.NotNull(problem);
            Assert.Contains($"{SourceId}#3", problem, StringComparison.Ordinal);
            Assert.Contains("altered", problem, StringComparison.Ordinal);
        }

        [Fact]
        public void Verify_EntryRemovedFromTheMiddle_NamesTheMissingEntry()
        {
            var chain = Chain(4);
            chain.RemoveAt(1);

            var problem = HistoryChain.Verify(chain, chain[^1].EntryHash);

            Assert.NotNull(problem);
            Assert.Contains($"{SourceId}#2", problem, StringComparison.Ordinal);
            Assert.Contains("missing", problem, StringComparison.Ordinal);
        }

        [Fact]
        public void Verify_EntryRemovedAndSequencesRenumbered_ReportsTheBrokenLink()
        {
            var chain = Chain(4);
            chain.RemoveAt(1);
            for (var i = 0; i < chain.Count; i++)
            {
                chain[i] = chain[i] with { Sequence = i + 1 };
            }

            var problem = HistoryChain.Verify(chain, chain[^1].EntryHash);

            Assert.NotNull(problem);
            Assert.Contains($"{SourceId}#2", problem, StringComparison.Ordinal);
        }

        [Fact]
        public void Verify_ReorderedEntries_NamesTheEntry()
        {
            var chain = Chain(4);
            (chain[1], chain[2]) = (chain[2], chain[1]);

            var problem = HistoryChain.Verify(chain, chain[^1].EntryHash);

            Assert.NotNull(problem);
            Assert.Contains($"{SourceId}#2", problem, StringComparison.Ordinal);
            Assert.Contains("reordered", problem, StringComparison.Ordinal);
        }

        [Fact]
        public void Verify_BrokenLink_NamesTheEntry()
        {
            var chain = Chain(3);
            chain[1] = HistoryChain.Seal(chain[1], previous: "0000");

            var problem = HistoryChain.Verify(chain, chain[^1].EntryHash);

            Assert.NotNull(problem);
            Assert.Contains($"{SourceId}#2", problem, StringComparison.Ordinal);
            Assert.Contains("link", problem, StringComparison.Ordinal);
        }

        [Fact]
        public void Verify_TrailingEntriesRemoved_IsDetectedByTheExpectedHead()
        {
            var chain = Chain(5);
            var head = chain[^1].EntryHash;
            var truncated = chain.Take(3).ToList();

            Assert.Null(HistoryChain.Verify(truncated, expectedHead: null)); // without the head a truncation is invisible
            var problem = HistoryChain.Verify(truncated, head);

            Assert.NotNull(problem);
            Assert.Contains($"{SourceId}#4", problem, StringComparison.Ordinal);
            Assert.Contains("removed", problem, StringComparison.Ordinal);
        }

        [Fact]
        public void Verify_AllEntriesRemoved_IsDetectedByTheExpectedHead()
        {
            var head = Chain(2)[^1].EntryHash;

            Assert.NotNull(HistoryChain.Verify([], head));
        }

        [Fact]
        public void Verify_RewrittenAndResealedChain_IsDetectedByTheExpectedHead()
        {
            var chain = Chain(4);
            var head = chain[^1].EntryHash;

            // an editor who alters #2 and reseals every later entry keeps the chain self-consistent…
            var rewritten = chain.Take(1).ToList();
            foreach (var entry in chain.Skip(1))
            {
                var changed = entry.Sequence == 2 ? entry with { Content = "edited" } : entry;
                rewritten.Add(HistoryChain.Seal(changed, rewritten[^1].EntryHash));
            }

            Assert.Null(HistoryChain.Verify(rewritten, expectedHead: null));
            // …but not consistent with a head copied outside the store
            Assert.NotNull(HistoryChain.Verify(rewritten, head));
        }
    }
}
