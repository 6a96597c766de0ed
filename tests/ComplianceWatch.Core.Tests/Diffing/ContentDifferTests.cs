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

        /// <summary>A paragraph of about 2,000 characters, as legal pages have them.</summary>
        private static string LongParagraph(string word) => string.Join(' ',
            Enumerable.Range(1, 14).Select(i => i == 9
                ? $"You must not use the Services to develop models that compete with us, except where {word} by applicable law."
                : $"Clause {i} of these terms explains how we process the information you give us, why we keep it and for how long we retain it."));

        [Fact]
        public void DiffText_OneWordEditInALongParagraph_YieldsTheOneChangedSentence()
        {
            var before = "Terms of Use\n" + LongParagraph("permitted") + "\nContact us";
            var after = "Terms of Use\n" + LongParagraph("required") + "\nContact us";
            Assert.True(LongParagraph("permitted").Length > 1_500);

            var diff = ContentDiffer.DiffText(before, after);

            Assert.Single(diff.Added); // the whole paragraph, as before
            Assert.Equal(["You must not use the Services to develop models that compete with us, except where required by applicable law."], diff.Sentences!.Added);
            Assert.Equal(["You must not use the Services to develop models that compete with us, except where permitted by applicable law."], diff.Sentences.Removed);
        }

        [Fact]
        public void DiffText_WholeParagraphAdded_CountsAllItsSentences()
        {
            var diff = ContentDiffer.DiffText("a", "a\nWe may suspend accounts. You can appeal.");

            Assert.Equal(["We may suspend accounts.", "You can appeal."], diff.Sentences!.Added);
            Assert.Empty(diff.Sentences.Removed);
        }

        [Fact]
        public void DiffText_SentenceMovedWithinTheBlock_IsNoSentenceChange()
        {
            var diff = ContentDiffer.DiffText("First rule. Second rule.", "Second rule. First rule.");

            Assert.Empty(diff.Sentences!.Added);
            Assert.Empty(diff.Sentences.Removed);
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

    public class SentenceSplitting
    {
        [Theory]
        [InlineData("We collect data. We share it with partners! Do we sell it? No.", new[] { "We collect data.", "We share it with partners!", "Do we sell it?", "No." })]
        [InlineData("OpenAI, Inc. and its affiliates (e.g. OpenAI Ireland Ltd.) provide the U.S. services.", new[] { "OpenAI, Inc. and its affiliates (e.g. OpenAI Ireland Ltd.) provide the U.S. services." })]
        [InlineData("2.1 Scope. These terms apply to you.", new[] { "2.1 Scope.", "These terms apply to you." })]
        [InlineData("我们收集信息。我们不会出售您的信息！", new[] { "我们收集信息。", "我们不会出售您的信息！" })]
        [InlineData("Use is permitted; resale is not.", new[] { "Use is permitted;", "resale is not." })]
        public void Split_LegalText_IntoSentences(string line, string[] expected)
        {
            Assert.Equal(expected, Sentences.Split(line).ToArray());
        }
    }
}
