using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Reporting;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Core.Tests.Reporting;

/// <summary>The exports both hosts serve: every entry, its hashes, and text that cannot break out of its cell or fence.</summary>
public sealed class AuditExportTests
{
    private static HistoryEntry Change(string sourceId, long sequence, string unified, params string[] added)
    {
        var evt = new ChangeEvent
        {
            Id = ChangeEvent.ComputeId(sourceId, sequence, "h" + sequence),
            Source = ChangeEvent.SourceUri(sourceId),
            Type = ChangeEventTypes.TermsChanged,
            Subject = sourceId,
            Time = new DateTimeOffset(2026, 11, 29, 6, 0, 0, TimeSpan.Zero),
            Data = new ChangeEventData
            {
                SourceId = sourceId, Kind = "terms", Severity = Severity.Warning, Summary = $"{sourceId}: a, \"quoted\" | piped change",
                Diff = new ContentDiff(added, [], unified),
            },
        };
        return HistoryChain.Seal(new HistoryEntry
        {
            SourceId = sourceId, Sequence = sequence, Type = HistoryEntryType.Change, Time = evt.Time, Summary = evt.Data.Summary, Event = evt,
        }, null);
    }

    [Fact]
    public void Csv_HasOneRowPerEntry_QuotingWhatNeedsIt()
    {
        var entries = new[] { Change("a", 2, "+x\n", "x"), Change("b", 3, "+y\n", "y, z") };
        var lines = AuditExport.ToCsv(entries).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("\"a: a, \"\"quoted\"\" | piped change\"", lines[1], StringComparison.Ordinal);
        Assert.All(entries, e => Assert.Contains(e.EntryHash, AuditExport.ToCsv(entries), StringComparison.Ordinal));
    }

    [Fact]
    public void Markdown_ListsEveryEvent_AndFencesDiffsLongerThanAnyBacktickRun()
    {
        var entries = new[] { Change("a", 2, "+has ``` inside\n", "has ``` inside"), Change("b", 3, "+plain", "plain") };
        var md = AuditExport.ToMarkdown(entries);
        Assert.All(entries, e => Assert.Contains(e.Event!.Id, md, StringComparison.Ordinal));
        Assert.Contains("````diff\n+has ``` inside\n````\n", md, StringComparison.Ordinal);
        Assert.Contains("```diff\n+plain\n```\n", md, StringComparison.Ordinal); // a diff without a final newline still closes its fence
        Assert.Contains("\\| piped", md, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("json", "application/json")]
    [InlineData("csv", "text/csv")]
    [InlineData("md", "text/markdown")]
    public void Render_EveryFormat(string format, string mediaType)
    {
        Assert.NotEmpty(AuditExport.Render([Change("a", 1, "+x\n", "x")], format));
        Assert.StartsWith(mediaType, AuditExport.MediaType(format), StringComparison.Ordinal);
    }
}
