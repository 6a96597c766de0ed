using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Scheduling;

namespace ComplianceWatch.Core.Tests.Scheduling;

public sealed class SourceSchedulesTests
{
    private static TermsSource Source(string? schedule) => new() { Id = "s", Kind = SourceKinds.Terms, Title = "S", Url = "https://s.example/", Schedule = schedule };

    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("0 0 */6 * * *", "2026-11-29T00:00:00Z", "2026-11-29T06:00:00Z", true)]   // the 06:00 occurrence falls in (00:00, 06:00]
    [InlineData("0 0 */6 * * *", "2026-11-29T00:00:00Z", "2026-11-29T05:59:59Z", false)]
    [InlineData("0 0 */6 * * *", "2026-11-29T06:00:00Z", "2026-11-29T06:00:00Z", false)]  // the same run twice
    [InlineData("0 30 9 * * *", "2026-11-29T06:00:00Z", "2026-11-29T12:00:00Z", true)]    // daily 09:30, timer every 6 h
    [InlineData("0 30 9 * * *", "2026-11-29T12:00:00Z", "2026-11-29T18:00:00Z", false)]
    [InlineData("0 0 0 * * 1", "2026-11-29T00:00:00Z", "2026-11-30T06:00:00Z", true)]     // Monday 30 Nov
    [InlineData(null, "2026-11-29T00:00:00Z", "2026-11-29T06:00:00Z", true)]              // terms default: every 6 h
    [InlineData(null, "2026-11-29T00:00:01Z", "2026-11-29T05:00:00Z", false)]
    public void IsDue_WhenTheScheduleHasAnOccurrenceSinceTheLastRun(string? schedule, string last, string now, bool due) =>
        Assert.Equal(due, SourceSchedules.IsDue(Source(schedule), At(last), At(now)));

    [Fact]
    public void IsDue_WithoutALastRun_EverySourceIsDue() =>
        Assert.True(SourceSchedules.IsDue(Source("0 0 0 29 2 *"), null, At("2026-11-29T06:00:00Z")));

    [Fact]
    public void IsDue_WithALastRunInTheFuture_IsNotDue() =>
        Assert.False(SourceSchedules.IsDue(Source("* * * * * *"), At("2026-11-29T07:00:00Z"), At("2026-11-29T06:00:00Z")));

    [Fact]
    public void TimerGroups_CoverEveryKindOnce() =>
        Assert.Equal(SourceKinds.All.Order(), SourceSchedules.TimerGroups.Values.SelectMany(k => k).Order());

    [Fact]
    public void NextOccurrence_IsUtc() =>
        Assert.Equal(At("2026-11-29T06:00:00Z"), SourceSchedules.NextOccurrence(Source(null), At("2026-11-29T01:00:00Z")));

    [Theory]
    [InlineData("""{"sourceId":"a","auditId":"0123456789abcdef0123456789abcdef","enqueuedAt":"2026-11-29T00:00:00+00:00"}""", "a")]
    [InlineData("not json", null)]
    [InlineData("""{"auditId":"x"}""", null)]
    [InlineData("", null)]
    public void CheckJob_ParsesWhatItWrites_AndNothingElse(string text, string? sourceId) =>
        Assert.Equal(sourceId, CheckJob.TryParse(text)?.SourceId);

    [Fact]
    public void CheckJob_RoundTrips()
    {
        var job = new CheckJob { SourceId = "openai-terms", AuditId = "0123456789abcdef0123456789abcdef", EnqueuedAt = At("2026-11-29T06:00:00Z") };
        Assert.Equal(job, CheckJob.TryParse(job.ToJson()));
    }
}
