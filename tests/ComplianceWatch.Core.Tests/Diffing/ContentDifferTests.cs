using ComplianceWatch.Core.Diffing;

namespace ComplianceWatch.Core.Tests.Diffing;

public class ContentDifferTests
{
    private static string Numbered(int count) => string.Join('\n', Enumerable.Range(1, count).Select(i => $"line {i}"));

    public class DiffText
    {
        [Fact]
        public void DiffText_ChangedLine_IsRemovedAndAdded()
        {
            var diff = ContentDiffer.DiffText("Terms\nAvailable in Hong Kong\nEnd", "Terms\nNot available in Hong Kong\nEnd");

            Assert.Equal(["Not available in Hong Kong"], diff.Added);
            Assert.Equal(["Available in Hong Kong"], diff.Removed);
        }

        [Fact]
        public void DiffText_UnifiedDiff_HasHeaderHunkAndContext()
        {
            var diff = ContentDiffer.DiffText("a\nb\nc", "a\nx\nc");

            Assert.Equal("--- previous\n+++ current\n@@ -1,3 +1,3 @@\n a\n-b\n+x\n c\n", diff.Unified);
        }

        [Fact]
        public void DiffText_AddedLines_OnlyAdded()
        {
            var diff = ContentDiffer.DiffText("a\nb", "a\nb\nExport controls apply");

            Assert.Equal(["Export controls apply"], diff.Added);
            Assert.Empty(diff.Removed);
            Assert.Contains("\n+Export controls apply\n", diff.Unified, StringComparison.Ordinal);
            Assert.DoesNotContain("\n-", diff.Unified, StringComparison.Ordinal);
        }

        [Fact]
        public void DiffText_RemovedLines_OnlyRemoved()
        {
            var diff = ContentDiffer.DiffText("a\nChina\nb", "a\nb");

            Assert.Equal(["China"], diff.Removed);
            Assert.Empty(diff.Added);
            Assert.Contains("\n-China\n", diff.Unified, StringComparison.Ordinal);
            Assert.Contains("@@ -1,3 +1,2 @@", diff.Unified, StringComparison.Ordinal);
        }

        [Fact]
        public void DiffText_DistantChanges_AreSeparateHunksWithCorrectRanges()
        {
            var previous = Numbered(20);
            var current = previous.Replace("line 2\n", "line two\n", StringComparison.Ordinal).Replace("line 18\n", "line eighteen\n", StringComparison.Ordinal);

            var diff = ContentDiffer.DiffText(previous, current);

            Assert.Equal(["line two", "line eighteen"], diff.Added);
            Assert.Equal(["line 2", "line 18"], diff.Removed);
            var hunks = diff.Unified.Split('\n').Where(l => l.StartsWith("@@", StringComparison.Ordinal)).ToArray();
            Assert.Equal(["@@ -1,5 +1,5 @@", "@@ -15,6 +15,6 @@"], hunks);
            Assert.DoesNotContain(" line 10\n", diff.Unified, StringComparison.Ordinal); // far from both changes
        }

        [Fact]
        public void DiffText_NearbyChanges_ShareOneHunk()
        {
            var previous = Numbered(10);
            var current = previous.Replace("line 3\n", "line three\n", StringComparison.Ordinal).Replace("line 6\n", "line six\n", StringComparison.Ordinal);

            var diff = ContentDiffer.DiffText(previous, current);

            Assert.Single(diff.Unified.Split('\n'), l => l.StartsWith("@@", StringComparison.Ordinal));
            Assert.Contains("-line 3\n+line three\n line 4\n line 5\n-line 6\n+line six\n", diff.Unified, StringComparison.Ordinal);
        }

        [Fact]
        public void DiffText_EveryUnifiedBodyLine_IsContextAddedOrRemoved()
        {
            var diff = ContentDiffer.DiffText(Numbered(30), Numbered(30).Replace("line 15", "line fifteen", StringComparison.Ordinal) + "\nline 31");

            var body = diff.Unified.TrimEnd('\n').Split('\n').Skip(2).Where(l => !l.StartsWith("@@", StringComparison.Ordinal));
            Assert.All(body, l => Assert.Contains(l[0], " +-"));
        }

        [Fact]
        public void DiffText_IdenticalText_HasNoChangesAndNoHunk()
        {
            var diff = ContentDiffer.DiffText("a\nb", "a\nb");

            Assert.Empty(diff.Added);
            Assert.Empty(diff.Removed);
            Assert.DoesNotContain("@@", diff.Unified, StringComparison.Ordinal);
        }

        [Fact]
        public void DiffText_FromEmptyText_AddsEveryLine()
        {
            var diff = ContentDiffer.DiffText("", "a\nb");

            Assert.Equal(["a", "b"], diff.Added);
            Assert.Empty(diff.Removed);
            Assert.Contains("+a\n+b\n", diff.Unified, StringComparison.Ordinal);
        }

        [Fact]
        public void DiffText_ToEmptyText_RemovesEveryLine()
        {
            var diff = ContentDiffer.DiffText("a\nb", "");

            Assert.Empty(diff.Added);
            Assert.Equal(["a", "b"], diff.Removed);
            Assert.Contains("-a\n-b\n", diff.Unified, StringComparison.Ordinal);
        }

        [Fact]
        public void DiffText_MovedLine_IsReportedAsRemovedAndAdded()
        {
            var diff = ContentDiffer.DiffText("a\nb\nc", "b\nc\na");

            Assert.Equal(["a"], diff.Added);
            Assert.Equal(["a"], diff.Removed);
        }
    }

    public class DiffSet
    {
        [Fact]
        public void DiffSet_ReplacedEntry_IsRemovedAndAdded()
        {
            var diff = ContentDiffer.DiffSet("Canada\nChina\nJapan", "Canada\nJapan\nVietnam");

            Assert.Equal(["China"], diff.Removed);
            Assert.Equal(["Vietnam"], diff.Added);
            Assert.Contains("\n-China\n", diff.Unified, StringComparison.Ordinal);
            Assert.Contains("\n+Vietnam\n", diff.Unified, StringComparison.Ordinal);
            Assert.DoesNotContain("Canada", diff.Unified, StringComparison.Ordinal);
        }

        [Fact]
        public void DiffSet_UnifiedDiff_CountsEntries()
        {
            var diff = ContentDiffer.DiffSet("Canada\nChina\nJapan", "Canada\nJapan\nVietnam");

            Assert.Equal("--- previous\n+++ current\n@@ -1 +1 entries @@\n-China\n+Vietnam\n", diff.Unified);
        }

        [Fact]
        public void DiffSet_ReorderedEntries_AreNoChange()
        {
            var diff = ContentDiffer.DiffSet("Canada\nJapan\nKorea", "Korea\nCanada\nJapan");

            Assert.Empty(diff.Added);
            Assert.Empty(diff.Removed);
        }

        [Fact]
        public void DiffSet_DuplicatesAreOneEntry()
        {
            var diff = ContentDiffer.DiffSet("Canada\nJapan", "Japan\nCanada\nJapan");

            Assert.Empty(diff.Added);
            Assert.Empty(diff.Removed);
        }

        [Fact]
        public void DiffSet_SeveralChanges_AreSorted()
        {
            var diff = ContentDiffer.DiffSet("b\nd", "z\na\nb");

            Assert.Equal(["a", "z"], diff.Added);
            Assert.Equal(["d"], diff.Removed);
        }

        [Fact]
        public void DiffSet_IsCaseSensitive()
        {
            var diff = ContentDiffer.DiffSet("Hong Kong", "Hong kong");

            Assert.Equal(["Hong kong"], diff.Added);
            Assert.Equal(["Hong Kong"], diff.Removed);
        }

        [Fact]
        public void DiffSet_FromEmpty_AddsEveryEntry()
        {
            var diff = ContentDiffer.DiffSet("", "b\na");

            Assert.Equal(["a", "b"], diff.Added);
            Assert.Empty(diff.Removed);
        }
    }
}
