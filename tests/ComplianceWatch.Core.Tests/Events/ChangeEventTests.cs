using System.Text.Json;
using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Tests.Events;

public class ChangeEventTests
{
    private const string ContentHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private static ChangeEvent TermsEvent(string? provider = null) => new()
    {
        Id = ChangeEvent.ComputeId("acme-terms", 2, ContentHash),
        Source = ChangeEvent.SourceUri("acme-terms"),
        Type = ChangeEventTypes.TermsChanged,
        Subject = "acme-terms",
        Time = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero),
        Data = new ChangeEventData
        {
            SourceId = "acme-terms",
            Kind = "terms",
            Provider = provider,
            Severity = Severity.Critical,
            Summary = "Acme terms changed: China",
            Url = "https://acme.example/terms",
            PreviousHash = "aaa",
            CurrentHash = ContentHash,
            Diff = new ContentDiff(["Not available in China"], ["Available in China"], "--- previous\n+++ current\n@@ -1 +1 @@\n-Available in China\n+Not available in China\n"),
        },
    };

    private static JsonElement Serialize(ChangeEvent e)
    {
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(e, JsonDefaults.Options));
        return document.RootElement.Clone();
    }

    public class ComputeId
    {
        [Fact]
        public void ComputeId_IsDeterministic()
        {
            Assert.Equal(ChangeEvent.ComputeId("acme-terms", 7, ContentHash), ChangeEvent.ComputeId("acme-terms", 7, ContentHash));
        }

        [Fact]
        public void ComputeId_Is64LowerCaseHexCharacters()
        {
            Assert.Matches("^[0-9a-f]{64}$", ChangeEvent.ComputeId("acme-terms", 7, ContentHash));
        }

        [Fact]
        public void ComputeId_DiffersByVersion_SoABABIsTwoChanges()
        {
            Assert.NotEqual(ChangeEvent.ComputeId("acme-terms", 2, ContentHash), ChangeEvent.ComputeId("acme-terms", 4, ContentHash));
        }

        [Fact]
        public void ComputeId_DiffersByContentHash()
        {
            Assert.NotEqual(ChangeEvent.ComputeId("acme-terms", 2, ContentHash), ChangeEvent.ComputeId("acme-terms", 2, "other"));
        }

        [Fact]
        public void ComputeId_DiffersBySource()
        {
            Assert.NotEqual(ChangeEvent.ComputeId("acme-terms", 2, ContentHash), ChangeEvent.ComputeId("beta-terms", 2, ContentHash));
        }

        [Fact]
        public void ComputeId_PartsCannotBleedIntoEachOther()
        {
            Assert.NotEqual(ChangeEvent.ComputeId("a1", 2, "x"), ChangeEvent.ComputeId("a", 12, "x"));
        }
    }

    public class Serialization
    {
        [Fact]
        public void Serialize_HasCloudEventsAttributes()
        {
            var json = Serialize(TermsEvent());

            Assert.Equal("1.0", json.GetProperty("specversion").GetString());
            Assert.Equal(ChangeEvent.ComputeId("acme-terms", 2, ContentHash), json.GetProperty("id").GetString());
            Assert.Equal("/compliancewatch/sources/acme-terms", json.GetProperty("source").GetString());
            Assert.Equal("compliancewatch.terms.changed", json.GetProperty("type").GetString());
            Assert.Equal("acme-terms", json.GetProperty("subject").GetString());
            Assert.Equal(new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero), json.GetProperty("time").GetDateTimeOffset());
            Assert.Equal("application/json", json.GetProperty("datacontenttype").GetString());
            Assert.Equal("urn:compliancewatch:change-event:1", json.GetProperty("dataschema").GetString());
        }

        [Fact]
        public void Serialize_HasOnlyCloudEventsTopLevelMembers()
        {
            var names = Serialize(TermsEvent()).EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal);

            Assert.Equal(["data", "datacontenttype", "dataschema", "id", "source", "specversion", "subject", "time", "type"], names);
        }

        [Fact]
        public void Serialize_DataUsesCamelCaseAndLowerCaseSeverity()
        {
            var data = Serialize(TermsEvent()).GetProperty("data");

            Assert.Equal("acme-terms", data.GetProperty("sourceId").GetString());
            Assert.Equal("terms", data.GetProperty("kind").GetString());
            Assert.Equal("critical", data.GetProperty("severity").GetString());
            Assert.Equal("Acme terms changed: China", data.GetProperty("summary").GetString());
            Assert.Equal("https://acme.example/terms", data.GetProperty("url").GetString());
            Assert.Equal("aaa", data.GetProperty("previousHash").GetString());
            Assert.Equal(ContentHash, data.GetProperty("currentHash").GetString());
        }

        [Theory]
        [InlineData(Severity.Info, "info")]
        [InlineData(Severity.Notice, "notice")]
        [InlineData(Severity.Warning, "warning")]
        [InlineData(Severity.Critical, "critical")]
        public void Serialize_SeverityIsItsLowerCaseName(Severity severity, string name)
        {
            var e = TermsEvent();
            var data = Serialize(e with { Data = e.Data with { Severity = severity } }).GetProperty("data");

            Assert.Equal(name, data.GetProperty("severity").GetString());
            Assert.Equal(name, severity.ToName());
        }

        [Fact]
        public void Serialize_DiffHasAddedRemovedAndUnified()
        {
            var diff = Serialize(TermsEvent()).GetProperty("data").GetProperty("diff");

            Assert.Equal(["Not available in China"], diff.GetProperty("added").EnumerateArray().Select(x => x.GetString()));
            Assert.Equal(["Available in China"], diff.GetProperty("removed").EnumerateArray().Select(x => x.GetString()));
            Assert.StartsWith("--- previous\n+++ current\n", diff.GetProperty("unified").GetString(), StringComparison.Ordinal);
        }

        [Fact]
        public void Serialize_AbsentKindSpecificMembers_AreOmitted()
        {
            var data = Serialize(TermsEvent(provider: null)).GetProperty("data");

            Assert.False(data.TryGetProperty("provider", out _));
            Assert.False(data.TryGetProperty("health", out _));
            Assert.False(data.TryGetProperty("errorCategory", out _));
            Assert.False(data.TryGetProperty("tags", out _));
        }

        [Fact]
        public void Serialize_HealthEvent_OmitsTermsMembers()
        {
            var e = TermsEvent();
            var health = e with
            {
                Type = ChangeEventTypes.HealthChanged,
                Data = new ChangeEventData { SourceId = "acme-terms", Kind = "terms", Severity = Severity.Warning, Summary = "stopped", Health = "failing", ErrorCategory = "timeout" },
            };

            var data = Serialize(health).GetProperty("data");

            Assert.Equal("failing", data.GetProperty("health").GetString());
            Assert.Equal("timeout", data.GetProperty("errorCategory").GetString());
            Assert.False(data.TryGetProperty("diff", out _));
            Assert.False(data.TryGetProperty("previousHash", out _));
            Assert.False(data.TryGetProperty("currentHash", out _));
            Assert.False(data.TryGetProperty("url", out _));
        }

        [Fact]
        public void Serialize_PresentProvider_IsWritten()
        {
            Assert.Equal("Acme", Serialize(TermsEvent(provider: "Acme")).GetProperty("data").GetProperty("provider").GetString());
        }

        [Fact]
        public void Serialize_ThenDeserialize_RoundTrips()
        {
            var original = TermsEvent(provider: "Acme");

            var copy = JsonSerializer.Deserialize<ChangeEvent>(JsonSerializer.Serialize(original, JsonDefaults.Options), JsonDefaults.Options)!;

            Assert.Equal(original.Id, copy.Id);
            Assert.Equal(original.Time, copy.Time);
            Assert.Equal(original.Data.Severity, copy.Data.Severity);
            Assert.Equal(original.Data.Provider, copy.Data.Provider);
            Assert.Equal(original.Data.Diff!.Added, copy.Data.Diff!.Added);
            Assert.Equal(original.Data.Diff.Unified, copy.Data.Diff.Unified);
        }

        [Fact]
        public void Serialize_NonAsciiText_IsWrittenUnescaped()
        {
            var e = TermsEvent();
            var text = JsonSerializer.Serialize(e with { Data = e.Data with { Summary = "中国 <b>" } }, JsonDefaults.Options);

            Assert.Contains("中国", text, StringComparison.Ordinal);
        }
    }

    public class SourceUri
    {
        [Fact]
        public void SourceUri_IsThePathOfTheSource()
        {
            Assert.Equal("/compliancewatch/sources/openai-terms-of-use", ChangeEvent.SourceUri("openai-terms-of-use"));
        }
    }
}
