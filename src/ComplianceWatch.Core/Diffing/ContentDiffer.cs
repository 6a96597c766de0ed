using System.Text;
using ComplianceWatch.Core.Events;
using DiffPlex;

namespace ComplianceWatch.Core.Diffing;

/// <summary>Line diffs of normalized content (DiffPlex) and set diffs of list entries, with a unified diff for both.</summary>
public static class ContentDiffer
{
    private const int Context = 3;

    public static ContentDiff DiffText(string previous, string current)
    {
        var oldLines = Split(previous);
        var newLines = Split(current);
        var result = Differ.Instance.CreateLineDiffs(previous, current, ignoreWhitespace: false, ignoreCase: false);
        var added = new List<string>();
        var removed = new List<string>();
        var addedSentences = new List<string>();
        var removedSentences = new List<string>();
        foreach (var block in result.DiffBlocks)
        {
            var blockRemoved = oldLines.Skip(block.DeleteStartA).Take(block.DeleteCountA).ToArray();
            var blockAdded = newLines.Skip(block.InsertStartB).Take(block.InsertCountB).ToArray();
            removed.AddRange(blockRemoved);
            added.AddRange(blockAdded);
            var (sentencesAdded, sentencesRemoved) = ChangedSentences(blockRemoved, blockAdded);
            addedSentences.AddRange(sentencesAdded);
            removedSentences.AddRange(sentencesRemoved);
        }

        return new ContentDiff(added, removed, Unified(oldLines, newLines, result.DiffBlocks))
        {
            Sentences = new SentenceDiff(addedSentences, removedSentences),
        };
    }

    /// <summary>
    /// The sentences of one changed block (its removed and added lines) that are not on the other side, in order: a
    /// one-word edit in a long paragraph is the one sentence before and after.
    /// </summary>
    private static (List<string> Added, List<string> Removed) ChangedSentences(IEnumerable<string> removedLines, IEnumerable<string> addedLines)
    {
        var before = removedLines.SelectMany(Sentences.Split).ToList();
        var after = addedLines.SelectMany(Sentences.Split).ToList();
        var unmatched = before.GroupBy(s => s, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var added = new List<string>();
        foreach (var sentence in after)
        {
            if (unmatched.TryGetValue(sentence, out var count) && count > 0)
            {
                unmatched[sentence] = count - 1;
            }
            else
            {
                added.Add(sentence);
            }
        }

        var kept = after.GroupBy(s => s, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var removed = new List<string>();
        foreach (var sentence in before)
        {
            if (kept.TryGetValue(sentence, out var count) && count > 0)
            {
                kept[sentence] = count - 1;
            }
            else
            {
                removed.Add(sentence);
            }
        }

        return (added, removed);
    }

    /// <summary>
    /// Whether <c>diff.sentences</c> names the change more precisely than the changed lines (a one-word edit in a long
    /// paragraph), rather than repeating them: then summaries and messages show the sentences.
    /// </summary>
    public static bool SentencesSayMore(ContentDiff? diff) =>
        diff?.Sentences is { } s && s.Added.Count + s.Removed.Count > 0
        && !(s.Added.SequenceEqual(diff.Added, StringComparer.Ordinal) && s.Removed.SequenceEqual(diff.Removed, StringComparer.Ordinal));

    /// <summary>Entries are compared as sets: order does not matter, only membership.</summary>
    public static ContentDiff DiffSet(string previous, string current)
    {
        var oldSet = new HashSet<string>(Split(previous), StringComparer.Ordinal);
        var newSet = new HashSet<string>(Split(current), StringComparer.Ordinal);
        var removed = oldSet.Where(e => !newSet.Contains(e)).Order(StringComparer.Ordinal).ToArray();
        var added = newSet.Where(e => !oldSet.Contains(e)).Order(StringComparer.Ordinal).ToArray();
        var unified = new StringBuilder();
        unified.Append("--- previous\n+++ current\n");
        unified.Append($"@@ -{removed.Length} +{added.Length} entries @@\n");
        foreach (var entry in removed) { unified.Append('-').Append(entry).Append('\n'); }
        foreach (var entry in added) { unified.Append('+').Append(entry).Append('\n'); }
        return new ContentDiff(added, removed, unified.ToString());
    }

    private static string[] Split(string text) => text.Length == 0 ? [] : text.Split('\n');

    private static string Unified(string[] oldLines, string[] newLines, IList<DiffPlex.Model.DiffBlock> blocks)
    {
        var output = new StringBuilder("--- previous\n+++ current\n");
        var i = 0;
        while (i < blocks.Count)
        {
            // group blocks whose context overlaps into one hunk
            var j = i;
            while (j + 1 < blocks.Count && blocks[j + 1].DeleteStartA - (blocks[j].DeleteStartA + blocks[j].DeleteCountA) <= 2 * Context)
            {
                j++;
            }

            var startA = Math.Max(0, blocks[i].DeleteStartA - Context);
            var startB = Math.Max(0, blocks[i].InsertStartB - Context);
            var endA = Math.Min(oldLines.Length, blocks[j].DeleteStartA + blocks[j].DeleteCountA + Context);
            var endB = Math.Min(newLines.Length, blocks[j].InsertStartB + blocks[j].InsertCountB + Context);
            output.Append($"@@ -{startA + 1},{endA - startA} +{startB + 1},{endB - startB} @@\n");
            var a = startA;
            for (var k = i; k <= j; k++)
            {
                var block = blocks[k];
                for (; a < block.DeleteStartA; a++) { output.Append(' ').Append(oldLines[a]).Append('\n'); }
                for (var d = 0; d < block.DeleteCountA; d++) { output.Append('-').Append(oldLines[block.DeleteStartA + d]).Append('\n'); }
                for (var n = 0; n < block.InsertCountB; n++) { output.Append('+').Append(newLines[block.InsertStartB + n]).Append('\n'); }
                a = block.DeleteStartA + block.DeleteCountA;
            }

            for (; a < endA; a++) { output.Append(' ').Append(oldLines[a]).Append('\n'); }
            i = j + 1;
        }

        return output.ToString();
    }
}
