using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Tests.Catalog;

public class CatalogLoaderTests
{
    private const string File = "catalogs/test.json";

    /// <summary>A catalog with the given source objects (JSON text) and optional extra top-level members.</summary>
    private static string CatalogWith(string sources, string extraTopLevel = "") =>
        $$"""
        {
          {{extraTopLevel}}
          "sources": [ {{sources}} ]
        }
        """;

    private static string Terms(string id = "acme-terms", string extra = "") =>
        $$"""{ "id": "{{id}}", "kind": "terms", "title": "Acme terms", "url": "https://acme.example/terms" {{extra}} }""";

    private static CatalogException Refused(string text)
    {
        var ex = Assert.Throws<CatalogException>(() => CatalogLoader.Parse(text, File));
        Assert.NotEmpty(ex.Errors);
        Assert.All(ex.Errors, e => Assert.Equal(File, e.File));
        return ex;
    }

    private static CatalogError SingleError(string text)
    {
        var ex = Refused(text);
        return Assert.Single(ex.Errors);
    }

    public class Parse_ValidCatalog
    {
        private const string EveryKind =
            """
            // a comment before the object
            {
              "$schema": "./catalog.schema.json",
              /* block comment */
              "settings": {
                "watchedJurisdictions": ["Vietnam", "越南",],
                "watchedTerms": ["tariff"],
                "confirmations": 5,
                "lookbackDays": 7,
              },
              "sources": [
                {
                  "id": "acme-countries",
                  "kind": "terms",
                  "title": "Acme supported countries",
                  "provider": "Acme",
                  "tags": ["supported-regions", "china"],
                  "schedule": "0 */15 * * * *",
                  "severity": "notice",
                  "url": "https://acme.example/countries",
                  "select": "main",
                  "remove": ["nav", ".cookie-banner"],
                  "ignore": ["Updated \\d+ days ago"],
                  "extract": "list", // trailing comma next
                },
                {
                  "id": "acme-api-reachability",
                  "kind": "reachability",
                  "title": "Acme API from China",
                  "provider": "Acme",
                  "url": "https://api.acme.example/v1/models",
                  "vantagePoints": ["local", "proxy:hk-1", "globalping:CN"],
                  "control": "globalping:US",
                  "signatures": [
                    { "name": "acme-geo", "verdict": "geo-blocked", "status": [403, 451], "header": "x-acme-region", "headerPattern": "^blocked$", "bodyPattern": "unsupported_country" },
                  ],
                },
                {
                  "id": "bis-entity-list",
                  "kind": "federal-register",
                  "title": "BIS Entity List rules",
                  "agencies": ["industry-and-security-bureau"],
                  "types": ["RULE", "PRORULE"],
                  "terms": ["entity list"],
                  "cfr": { "title": 15, "part": 744 },
                  "publicInspection": false,
                  "endpoint": "https://fr.example/api/v1",
                },
                {
                  "id": "ofac-recent-actions",
                  "kind": "feed",
                  "title": "OFAC recent actions",
                  "url": "https://ofac.example/rss.xml",
                  "match": ["China", "Hong Kong"],
                },
                {
                  "id": "csl-screening",
                  "kind": "screening",
                  "title": "Consolidated Screening List",
                  "severity": "critical",
                  "list": { "url": "https://csl.example/consolidated.json", "format": "csl-json" },
                  "entities": [
                    { "name": "Acme Holdings", "aliases": ["Acme HK", "艾克美"] },
                    { "name": "Beta Corp" },
                  ],
                },
              ],
            }
            """;

        private readonly SourceCatalog catalog = CatalogLoader.Parse(EveryKind, File);

        [Fact]
        public void Parse_KeepsFileAndEverySourceInOrder()
        {
            Assert.Equal(File, catalog.File);
            Assert.Equal(
                ["acme-countries", "acme-api-reachability", "bis-entity-list", "ofac-recent-actions", "csl-screening"],
                catalog.Sources.Select(s => s.Id));
            Assert.Equal(
                [SourceKinds.Terms, SourceKinds.Reachability, SourceKinds.FederalRegister, SourceKinds.Feed, SourceKinds.Screening],
                catalog.Sources.Select(s => s.Kind));
        }

        [Fact]
        public void Parse_BindsSettings()
        {
            Assert.Equal(["Vietnam", "越南"], catalog.Settings.WatchedJurisdictions);
            Assert.Equal(["tariff"], catalog.Settings.WatchedTerms);
            Assert.Equal(5, catalog.Settings.Confirmations);
            Assert.Equal(7, catalog.Settings.LookbackDays);
        }

        [Fact]
        public void Parse_BindsTermsSource()
        {
            var terms = Assert.IsType<TermsSource>(catalog.Sources[0]);
            Assert.Equal("Acme supported countries", terms.Title);
            Assert.Equal("Acme", terms.Provider);
            Assert.Equal(["supported-regions", "china"], terms.Tags);
            Assert.Equal("0 */15 * * * *", terms.Schedule);
            Assert.Equal(Severity.Notice, terms.Severity);
            Assert.Equal("https://acme.example/countries", terms.Url);
            Assert.Equal("https://acme.example/countries", terms.PrimaryUrl);
            Assert.Equal(["main"], terms.Select);
            Assert.Equal(["nav", ".cookie-banner"], terms.Remove);
            Assert.Equal(["Updated \\d+ days ago"], terms.Ignore);
            Assert.Equal(ExtractMode.List, terms.Extract);
        }

        [Fact]
        public void Parse_BindsReachabilitySource()
        {
            var reach = Assert.IsType<ReachabilitySource>(catalog.Sources[1]);
            Assert.Equal("https://api.acme.example/v1/models", reach.Url);
            Assert.Equal(["local", "proxy:hk-1", "globalping:CN"], reach.VantagePoints);
            Assert.Equal("globalping:US", reach.Control);
            var rule = Assert.Single(reach.Signatures);
            Assert.Equal("acme-geo", rule.Name);
            Assert.Equal("geo-blocked", rule.Verdict);
            Assert.Equal([403, 451], rule.Status);
            Assert.Equal("x-acme-region", rule.Header);
            Assert.Equal("^blocked$", rule.HeaderPattern);
            Assert.Equal("unsupported_country", rule.BodyPattern);
            Assert.Null(reach.Severity);
            Assert.Null(reach.Schedule);
        }

        [Fact]
        public void Parse_BindsFederalRegisterSource()
        {
            var fr = Assert.IsType<FederalRegisterSource>(catalog.Sources[2]);
            Assert.Equal(["industry-and-security-bureau"], fr.Agencies);
            Assert.Equal(["RULE", "PRORULE"], fr.Types);
            Assert.Equal(["entity list"], fr.Terms);
            Assert.Equal(new CfrReference(15, 744), fr.Cfr);
            Assert.False(fr.PublicInspection);
            Assert.Equal("https://fr.example/api/v1", fr.Endpoint);
            Assert.Null(fr.Provider);
            Assert.Empty(fr.Tags);
        }

        [Fact]
        public void Parse_BindsFeedSource()
        {
            var feed = Assert.IsType<FeedSource>(catalog.Sources[3]);
            Assert.Equal("https://ofac.example/rss.xml", feed.Url);
            Assert.Equal(["China", "Hong Kong"], feed.Match);
        }

        [Fact]
        public void Parse_BindsScreeningSource()
        {
            var screening = Assert.IsType<ScreeningSource>(catalog.Sources[4]);
            Assert.Equal(new ScreeningList("https://csl.example/consolidated.json", "csl-json"), screening.List);
            Assert.Equal("https://csl.example/consolidated.json", screening.PrimaryUrl);
            Assert.Equal(Severity.Critical, screening.Severity);
            Assert.Collection(
                screening.Entities,
                e => { Assert.Equal("Acme Holdings", e.Name); Assert.Equal(["Acme HK", "艾克美"], e.Aliases); },
                e => { Assert.Equal("Beta Corp", e.Name); Assert.Empty(e.Aliases); });
        }
    }

    public class Parse_Defaults
    {
        [Fact]
        public void Parse_WithoutSettings_UsesDocumentedDefaults()
        {
            var catalog = CatalogLoader.Parse(CatalogWith(Terms()), File);

            Assert.Equal(["China", "Hong Kong", "Macau", "PRC", "中国", "香港", "澳门"], catalog.Settings.WatchedJurisdictions);
            Assert.Equal(["export control", "sanction", "embargo", "unsupported", "Entity List"], catalog.Settings.WatchedTerms);
            Assert.Equal(3, catalog.Settings.Confirmations);
            Assert.Equal(30, catalog.Settings.LookbackDays);
        }

        [Fact]
        public void Parse_TermsWithoutOptionalFields_DefaultsToWholePageText()
        {
            var terms = Assert.IsType<TermsSource>(Assert.Single(CatalogLoader.Parse(CatalogWith(Terms()), File).Sources));

            Assert.Empty(terms.Select);
            Assert.Empty(terms.Remove);
            Assert.Empty(terms.Ignore);
            Assert.Equal(ExtractMode.Text, terms.Extract);
            Assert.Null(terms.Provider);
            Assert.Null(terms.Severity);
        }

        [Fact]
        public void Parse_SelectAsArray_KeepsEverySelector()
        {
            var terms = Assert.IsType<TermsSource>(Assert.Single(
                CatalogLoader.Parse(CatalogWith(Terms(extra: """, "select": ["#a", "#b"], "remove": "footer", "extract": "text" """)), File).Sources));

            Assert.Equal(["#a", "#b"], terms.Select);
            Assert.Equal(["footer"], terms.Remove);
            Assert.Equal(ExtractMode.Text, terms.Extract);
        }

        [Fact]
        public void Parse_FederalRegisterWithOnlyRequiredFields_UsesDefaultEndpointAndPublicInspection()
        {
            var fr = Assert.IsType<FederalRegisterSource>(Assert.Single(CatalogLoader.Parse(
                CatalogWith("""{ "id": "fr", "kind": "federal-register", "title": "FR" }"""), File).Sources));

            Assert.True(fr.PublicInspection);
            Assert.Equal(FederalRegisterSource.DefaultEndpoint, fr.Endpoint);
            Assert.Equal("https://www.federalregister.gov/api/v1", fr.Endpoint);
            Assert.Null(fr.Cfr);
        }

        [Fact]
        public void Parse_EmptySources_IsAValidEmptyCatalog()
        {
            var catalog = CatalogLoader.Parse("""{ "sources": [] }""", File);

            Assert.Empty(catalog.Sources);
        }

        [Fact]
        public async Task LoadFileAsync_ReadsTheFileAndRecordsItsPath()
        {
            var path = Path.Combine(Path.GetTempPath(), $"cw-catalog-{Guid.NewGuid():N}.json");
            await System.IO.File.WriteAllTextAsync(path, CatalogWith(Terms()));
            try
            {
                var catalog = await CatalogLoader.LoadFileAsync(path);

                Assert.Equal(path, catalog.File);
                Assert.Equal("acme-terms", Assert.Single(catalog.Sources).Id);
            }
            finally
            {
                System.IO.File.Delete(path);
            }
        }

        [Fact]
        public async Task LoadFileAsync_WhenTheFileDoesNotExist_ThrowsCatalogExceptionNamingTheFile()
        {
            var path = Path.Combine(Path.GetTempPath(), $"cw-missing-{Guid.NewGuid():N}", "catalog.json");

            var ex = await Assert.ThrowsAsync<CatalogException>(() => CatalogLoader.LoadFileAsync(path));

            Assert.Equal(path, Assert.Single(ex.Errors).File);
        }
    }

    public class Parse_Refused
    {
        [Fact]
        public void Parse_UnknownKind_YieldsOneErrorAboutTheKind()
        {
            // a "wiki" source carrying a url and a select would flood with "not a known field" errors if not collapsed
            var error = SingleError(CatalogWith(
                """{ "id": "acme-wiki", "kind": "wiki", "title": "Acme wiki", "url": "https://acme.example", "select": "main" }"""));

            Assert.Equal("acme-wiki", error.SourceId);
            Assert.Equal("kind", error.Field);
            Assert.Contains("unknown kind \"wiki\"", error.Message, StringComparison.Ordinal);
            foreach (var kind in SourceKinds.All)
            {
                Assert.Contains(kind, error.Message, StringComparison.Ordinal);
            }
        }

        [Fact]
        public void Parse_SourceWithoutKind_YieldsOneErrorAboutTheKind()
        {
            var error = SingleError(CatalogWith("""{ "id": "no-kind", "title": "T", "url": "https://acme.example" }"""));

            Assert.Equal("no-kind", error.SourceId);
            Assert.Equal("kind", error.Field);
            Assert.Contains("required", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_UnknownKind_StillReportsErrorsOfOtherSources()
        {
            var ex = Refused(CatalogWith(
                """{ "id": "acme-wiki", "kind": "wiki", "title": "Acme wiki" }, """ + Terms("other", """, "colour": "red" """)));

            Assert.Equal(2, ex.Errors.Count);
            Assert.Contains(ex.Errors, e => e.SourceId == "acme-wiki" && e.Field == "kind");
            Assert.Contains(ex.Errors, e => e.SourceId == "other" && e.Field == "colour");
        }

        [Fact]
        public void Parse_UnknownFieldOnSource_NamesSourceAndField()
        {
            var error = SingleError(CatalogWith(Terms(extra: """, "selector": "main" """)));

            Assert.Equal("acme-terms", error.SourceId);
            Assert.Equal("selector", error.Field);
            Assert.Contains("not a known field", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_FieldOfAnotherKind_IsRefused()
        {
            // "match" belongs to feed sources, not to terms
            var error = SingleError(CatalogWith(Terms(extra: """, "match": ["China"] """)));

            Assert.Equal("acme-terms", error.SourceId);
            Assert.Equal("match", error.Field);
        }

        [Fact]
        public void Parse_UnknownTopLevelField_NamesTheFieldWithoutSource()
        {
            var error = SingleError(CatalogWith(Terms(), extraTopLevel: """ "source": [], """));

            Assert.Null(error.SourceId);
            Assert.Equal("source", error.Field);
            Assert.Contains("not a known field", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_UnknownSettingsField_NamesTheSettingsField()
        {
            var error = SingleError(CatalogWith(Terms(), extraTopLevel: """ "settings": { "confirmation": 2 }, """));

            Assert.Null(error.SourceId);
            Assert.Equal("settings.confirmation", error.Field);
            Assert.Contains("not a known field", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_UnknownFieldInNestedObject_NamesThePath()
        {
            var error = SingleError(CatalogWith(
                """{ "id": "csl", "kind": "screening", "title": "CSL", "list": { "url": "https://csl.example", "format": "csl-json", "key": "x" }, "entities": [{ "name": "A" }] }"""));

            Assert.Equal("csl", error.SourceId);
            Assert.Equal("list.key", error.Field);
            Assert.Contains("not a known field", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_DuplicateId_NamesTheIdField()
        {
            var error = SingleError(CatalogWith(Terms("same") + ", " + Terms("other") + ", " + Terms("same")));

            Assert.Equal("same", error.SourceId);
            Assert.Equal("id", error.Field);
            Assert.Contains("duplicate", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_TermsWithoutUrl_NamesTheMissingField()
        {
            var error = SingleError(CatalogWith("""{ "id": "acme-terms", "kind": "terms", "title": "Acme terms" }"""));

            Assert.Equal("acme-terms", error.SourceId);
            Assert.Equal("url", error.Field);
            Assert.Contains("required", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_SeveralMissingFields_AreEachNamed()
        {
            var ex = Refused(CatalogWith("""{ "id": "csl", "kind": "screening", "title": "CSL" }"""));

            Assert.Equal(["entities", "list"], ex.Errors.Select(e => e.Field).Order(StringComparer.Ordinal));
            Assert.All(ex.Errors, e => Assert.Equal("csl", e.SourceId));
        }

        [Fact]
        public void Parse_SourceWithoutTitle_NamesTheMissingField()
        {
            var error = SingleError(CatalogWith("""{ "id": "acme-terms", "kind": "terms", "url": "https://acme.example" }"""));

            Assert.Equal("acme-terms", error.SourceId);
            Assert.Equal("title", error.Field);
        }

        [Fact]
        public void Parse_ScreeningListWithoutFormat_NamesTheNestedField()
        {
            var error = SingleError(CatalogWith(
                """{ "id": "csl", "kind": "screening", "title": "CSL", "list": { "url": "https://csl.example" }, "entities": [{ "name": "A" }] }"""));

            Assert.Equal("csl", error.SourceId);
            Assert.Equal("list.format", error.Field);
        }

        [Fact]
        public void Parse_CatalogWithoutSources_IsRefused()
        {
            var error = SingleError("""{ "settings": {} }""");

            Assert.Null(error.SourceId);
            Assert.Equal("sources", error.Field);
        }

        [Theory]
        [InlineData("Acme-Terms")]
        [InlineData("acme_terms")]
        [InlineData("acme terms")]
        [InlineData("acme/terms")]
        [InlineData("")]
        [InlineData("a0123456789012345678901234567890123456789012345678901234567890123")] // 65 characters
        public void Parse_BadIdPattern_NamesTheIdField(string id)
        {
            var error = SingleError(CatalogWith(Terms(id)));

            Assert.Equal("id", error.Field);
            Assert.Equal(id.Length == 0 ? "#1" : id, error.SourceId);
            Assert.Contains("a-z", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_IdOf64Characters_IsAccepted()
        {
            var id = new string('a', 64);

            Assert.Equal(id, Assert.Single(CatalogLoader.Parse(CatalogWith(Terms(id)), File).Sources).Id);
        }

        [Fact]
        public void Parse_SourceWithoutId_IsLabelledByPosition()
        {
            var error = SingleError(CatalogWith(Terms("first") + ", " +
                """{ "kind": "terms", "title": "No id", "url": "https://acme.example" }"""));

            Assert.Equal("#2", error.SourceId);
            Assert.Equal("id", error.Field);
        }

        [Theory]
        [InlineData("\"select\": \"div[\"", "select")]
        [InlineData("\"select\": [\"main\", \"p[[\"]", "select[1]")]
        [InlineData("\"remove\": \">>>\"", "remove")]
        [InlineData("\"remove\": [\"nav\", \"footer\", \"::nope(\"]", "remove[2]")]
        public void Parse_BadCssSelector_NamesTheField(string member, string field)
        {
            var error = SingleError(CatalogWith(Terms(extra: ", " + member)));

            Assert.Equal("acme-terms", error.SourceId);
            Assert.Equal(field, error.Field);
            Assert.Contains("CSS selector", error.Message, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("5")]
        [InlineData("[\"main\", \"\"]")]
        [InlineData("\"\"")]
        [InlineData("{ \"css\": \"main\" }")]
        public void Parse_SelectorOfWrongShape_NamesTheFieldAndSaysWhatIsExpected(string value)
        {
            var error = SingleError(CatalogWith(Terms(extra: $$""", "select": {{value}} """)));

            Assert.Equal("acme-terms", error.SourceId);
            Assert.Equal("select", error.Field);
            Assert.Contains("`select` must be a CSS selector or an array of them", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("allowed forms", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_BadRegexInIgnore_NamesTheElement()
        {
            var error = SingleError(CatalogWith(Terms(extra: """, "ignore": ["Updated \\d+ days ago", "(unclosed"] """)));

            Assert.Equal("acme-terms", error.SourceId);
            Assert.Equal("ignore[1]", error.Field);
            Assert.Contains("regular expression", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_BadRegexInSignature_NamesTheSignatureField()
        {
            var error = SingleError(CatalogWith(
                """{ "id": "reach", "kind": "reachability", "title": "R", "url": "https://api.example", "vantagePoints": ["local"], "signatures": [{ "verdict": "geo-blocked", "bodyPattern": "[oops" }] }"""));

            Assert.Equal("reach", error.SourceId);
            Assert.Equal("signatures[0].bodyPattern", error.Field);
        }

        [Theory]
        [InlineData("0 */5 * * *")]       // 5 fields: a plain cron expression, not NCRONTAB with seconds
        [InlineData("61 * * * * *")]      // second out of range
        [InlineData("every 5 minutes")]
        public void Parse_BadSchedule_NamesTheScheduleField(string schedule)
        {
            var error = SingleError(CatalogWith(Terms(extra: $$""", "schedule": "{{schedule}}" """)));

            Assert.Equal("acme-terms", error.SourceId);
            Assert.Equal("schedule", error.Field);
            Assert.Contains("6-field", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_SixFieldSchedule_IsAccepted()
        {
            var source = Assert.Single(CatalogLoader.Parse(CatalogWith(Terms(extra: """, "schedule": "30 0 */6 * * 1-5" """)), File).Sources);

            Assert.Equal("30 0 */6 * * 1-5", source.Schedule);
        }

        [Fact]
        public void Parse_InvalidJson_ReportsTheLine()
        {
            var text = "{\n  \"sources\": [\n    { \"id\": \"a\" \"kind\": \"terms\" }\n  ]\n}";

            var error = SingleError(text);

            Assert.Null(error.SourceId);
            Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
            Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
            Assert.Contains(File, Refused(text).Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_JsonThatIsNotAnObject_IsRefused()
        {
            var error = SingleError("""[ { "id": "a" } ]""");

            Assert.Contains("sources", error.Message, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("\"vantagePoints\": [\"local\", \"globalping:cn\"]", "vantagePoints[1]")]
        [InlineData("\"vantagePoints\": [\"moon\"]", "vantagePoints[0]")]
        [InlineData("\"vantagePoints\": [\"proxy:\"]", "vantagePoints[0]")]
        [InlineData("\"vantagePoints\": [\"local\"], \"control\": \"globalping:USA\"", "control")]
        public void Parse_BadVantagePoint_NamesTheField(string members, string field)
        {
            var error = SingleError(CatalogWith(
                $$"""{ "id": "reach", "kind": "reachability", "title": "R", "url": "https://api.example", {{members}} }"""));

            Assert.Equal("reach", error.SourceId);
            Assert.Equal(field, error.Field);
            Assert.Contains("wrong format", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_BadVantagePoint_QuotesTheOffendingValue()
        {
            var error = SingleError(CatalogWith(
                """{ "id": "reach", "kind": "reachability", "title": "R", "url": "https://api.example", "vantagePoints": ["local", "moon"] }"""));

            Assert.Contains("\"moon\"", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_InvalidKindSpecificField_DoesNotReportTheKindsOtherFieldsAsUnknown()
        {
            // when one field of a kind is invalid, its siblings (url, select, extract…) must not be called unknown
            var ex = Refused(CatalogWith(Terms(extra: """, "select": "main", "remove": "nav", "extract": "table" """)));

            var error = Assert.Single(ex.Errors);
            Assert.Equal("extract", error.Field);
            Assert.DoesNotContain("not a known field", ex.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_InvalidKindSpecificFieldAndUnknownField_ReportsBoth()
        {
            var ex = Refused(CatalogWith(Terms(extra: """, "extract": "table", "selector": "main" """)));

            Assert.Equal(2, ex.Errors.Count);
            Assert.Contains(ex.Errors, e => e.Field == "extract" && e.Message.Contains("allowed values", StringComparison.Ordinal));
            Assert.Contains(ex.Errors, e => e.Field == "selector" && e.Message.Contains("not a known field", StringComparison.Ordinal));
        }

        [Fact]
        public void Parse_ReachabilityWithoutVantagePoints_IsRefused()
        {
            var error = SingleError(CatalogWith(
                """{ "id": "reach", "kind": "reachability", "title": "R", "url": "https://api.example", "vantagePoints": [] }"""));

            Assert.Equal("reach", error.SourceId);
            Assert.Equal("vantagePoints", error.Field);
        }

        [Theory]
        [InlineData("urgent")]
        [InlineData("Critical")]
        [InlineData("")]
        public void Parse_BadSeverity_NamesTheSeverityField(string severity)
        {
            var error = SingleError(CatalogWith(Terms(extra: $$""", "severity": "{{severity}}" """)));

            Assert.Equal("acme-terms", error.SourceId);
            Assert.Equal("severity", error.Field);
            Assert.Contains("not one of the allowed values", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_BadExtractMode_NamesTheField()
        {
            var error = SingleError(CatalogWith(Terms(extra: """, "extract": "table" """)));

            Assert.Equal("extract", error.Field);
        }

        [Fact]
        public void Parse_UrlThatIsNotHttp_NamesTheField()
        {
            var error = SingleError(CatalogWith(
                """{ "id": "acme-terms", "kind": "terms", "title": "T", "url": "file:///etc/passwd" }"""));

            Assert.Equal("acme-terms", error.SourceId);
            Assert.Equal("url", error.Field);
            Assert.Contains("file:///etc/passwd", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_SeveralProblems_ReportsEachOfThem()
        {
            var ex = Refused(CatalogWith(
                Terms("one", """, "schedule": "bad" """) + ", " + Terms("two", """, "select": "div[" """)));

            Assert.Equal(2, ex.Errors.Count);
            Assert.Contains(ex.Errors, e => e.SourceId == "one" && e.Field == "schedule");
            Assert.Contains(ex.Errors, e => e.SourceId == "two" && e.Field == "select");
        }

        [Fact]
        public void CatalogException_Message_NamesFileSourceAndField()
        {
            var ex = Refused(CatalogWith(Terms(extra: """, "selector": "main" """)));

            Assert.Contains(File, ex.Message, StringComparison.Ordinal);
            Assert.Contains("acme-terms", ex.Message, StringComparison.Ordinal);
            Assert.Contains("selector", ex.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>An empty optional list means "none" (the same as leaving the field out); required lists stay non-empty.</summary>
    public class Parse_EmptyOptionalLists
    {
        private const string Reach = """{ "id": "reach", "kind": "reachability", "title": "R", "url": "https://api.example", "vantagePoints": ["local"] """;
        private const string Register = """{ "id": "register", "kind": "federal-register", "title": "FR" """;
        private const string Feed = """{ "id": "feed", "kind": "feed", "title": "F", "url": "https://feed.example/rss" """;
        private const string Screening = """{ "id": "screening", "kind": "screening", "title": "S", "list": { "url": "https://csl.example/c.json", "format": "csl-json" } """;

        public static TheoryData<string, string> EmptyLists => new()
        {
            { Terms(extra: """, "select": [] """), "select" },
            { Terms(extra: """, "remove": [] """), "remove" },
            { Terms(extra: """, "ignore": [] """), "ignore" },
            { Terms(extra: """, "tags": [] """), "tags" },
            { Reach + """, "signatures": [] }""", "signatures" },
            { Reach + """, "signatures": [ { "verdict": "geo-blocked", "status": [] } ] }""", "signatures[0].status" },
            { Register + """, "agencies": [] }""", "agencies" },
            { Register + """, "types": [] }""", "types" },
            { Register + """, "terms": [] }""", "terms" },
            { Feed + """, "match": [] }""", "match" },
            { Screening + """, "entities": [ { "name": "Acme", "aliases": [] } ] }""", "entities[0].aliases" },
        };

        [Theory]
        [MemberData(nameof(EmptyLists))]
        public void Parse_EmptyOptionalList_IsAcceptedAsNone(string source, string field)
        {
            var parsed = Assert.Single(CatalogLoader.Parse(CatalogWith(source), File).Sources);

            System.Collections.IEnumerable list = parsed switch
            {
                TermsSource terms => field switch { "select" => terms.Select, "remove" => terms.Remove, "ignore" => terms.Ignore, _ => terms.Tags },
                ReachabilitySource reach => field == "signatures" ? reach.Signatures.Cast<object>().ToList() : reach.Signatures.Single().Status.Cast<object>().ToList(),
                FederalRegisterSource register => field switch { "agencies" => register.Agencies, "types" => register.Types, _ => register.Terms },
                FeedSource feed => feed.Match,
                ScreeningSource screening => screening.Entities.Single().Aliases,
                _ => throw new InvalidOperationException(parsed.Kind),
            };
            Assert.Empty(list);
        }

        [Fact]
        public void Parse_EmptySelectAndRemove_ReadLikeNoSelectAndNoRemove()
        {
            var empty = Assert.IsType<TermsSource>(Assert.Single(CatalogLoader.Parse(CatalogWith(Terms(extra: """, "select": [], "remove": [] """)), File).Sources));
            var absent = Assert.IsType<TermsSource>(Assert.Single(CatalogLoader.Parse(CatalogWith(Terms()), File).Sources));

            Assert.Equal(absent.Select, empty.Select);
            Assert.Equal(absent.Remove, empty.Remove);
        }

        [Fact]
        public void Parse_EmptyWatchedLists_WatchNothing()
        {
            var catalog = CatalogLoader.Parse(CatalogWith(Terms(), """ "settings": { "watchedJurisdictions": [], "watchedTerms": [] }, """), File);

            Assert.Empty(catalog.Settings.WatchedJurisdictions);
            Assert.Empty(catalog.Settings.WatchedTerms);
        }

        [Theory]
        [InlineData(Reach + """ }""", "vantagePoints", "[]")]
        [InlineData(Screening + """, "entities": [] }""", "entities", "")]
        public void Parse_EmptyRequiredList_IsStillRefused_SayingItMustNotBeEmpty(string source, string field, string replacement)
        {
            var text = replacement.Length == 0 ? source : source.Replace("[\"local\"]", replacement, StringComparison.Ordinal);

            var error = SingleError(CatalogWith(text));

            Assert.Equal(field, error.Field);
            Assert.Contains($"`{field}` must be a non-empty array", error.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>A field of the wrong shape is refused with what it must be, not with JSON Schema's wording.</summary>
    public class Parse_WrongShape
    {
        private const string Reach = """{ "id": "reach", "kind": "reachability", "title": "R", "url": "https://api.example" """;
        private const string Register = """{ "id": "register", "kind": "federal-register", "title": "FR" """;
        private const string Feed = """{ "id": "feed", "kind": "feed", "title": "F", "url": "https://feed.example/rss" """;
        private const string Screening = """{ "id": "screening", "kind": "screening", "title": "S" """;
        private const string List = """ "list": { "url": "https://csl.example/c.json", "format": "csl-json" } """;

        public static TheoryData<string, string, string> WrongShapes => new()
        {
            { Terms(extra: """, "remove": 42 """), "remove", "`remove` must be a CSS selector or an array of them" },
            { Terms(extra: """, "remove": [ "nav", 7 ] """), "remove", "`remove` must be a CSS selector or an array of them" },
            { Terms(extra: """, "ignore": "Updated \\d+ days ago" """), "ignore", "`ignore` must be an array of regular expressions" },
            { Terms(extra: """, "tags": "china" """), "tags", "`tags` must be an array of tags" },
            { Terms(extra: """, "tags": [ 5 ] """), "tags[0]", "`tags` must be an array of tags" },
            { """{ "id": "acme-terms", "kind": "terms", "title": 5, "url": "https://acme.example/" }""", "title", "`title` must be a non-empty string" },
            { Terms(extra: """, "extract": "table" """), "extract", "`extract` must be \"text\" or \"list\"" },
            { Terms(extra: """, "render": "yes" """), "render", "`render` must be true or false" },
            { Terms(extra: """, "render": true, "waitFor": [ "main" ] """), "waitFor", "`waitFor` must be a CSS selector the browser waits for" },
            { Terms(extra: """, "severity": "urgent" """), "severity", "`severity` must be one of info, notice, warning, critical" },
            { """{ "id": "acme-terms", "kind": "terms", "title": "T", "url": "ftp://acme.example/" }""", "url", "`url` must be an http:// or https:// URL" },
            { Reach + """, "vantagePoints": "local" }""", "vantagePoints", "`vantagePoints` must be a non-empty array of vantage points" },
            { Reach + """, "vantagePoints": ["local"], "control": ["globalping:US"] }""", "control", "`control` must be one vantage point" },
            { Reach + """, "vantagePoints": ["local"], "signatures": { "verdict": "geo-blocked" } }""", "signatures", "`signatures` must be an array of signatures" },
            { Reach + """, "vantagePoints": ["local"], "signatures": [ { "verdict": "geo-blocked", "status": 403 } ] }""", "signatures[0].status", "`signatures.status` must be an array of HTTP status codes" },
            { Register + """, "agencies": "industry-and-security-bureau" }""", "agencies", "`agencies` must be an array of Federal Register agency slugs" },
            { Register + """, "types": "RULE" }""", "types", "`types` must be an array of document types: RULE, PRORULE, NOTICE, PRESDOCU" },
            { Register + """, "types": [ "RULES" ] }""", "types[0]", "`types` must be an array of document types: RULE, PRORULE, NOTICE, PRESDOCU" },
            { Register + """, "terms": "entity list" }""", "terms", "`terms` must be an array of search terms" },
            { Register + """, "cfr": 15 }""", "cfr", "`cfr` must be an object {\"title\": N, \"part\": N}" },
            { Register + """, "publicInspection": "yes" }""", "publicInspection", "`publicInspection` must be true or false" },
            { Feed + """, "match": "China" }""", "match", "`match` must be an array of keywords" },
            { Screening + """, "list": "https://csl.example/c.json", "entities": [ { "name": "Acme" } ] }""", "list", "`list` must be an object {\"url\", \"format\"}" },
            { Screening + ", " + List + """, "entities": { "name": "Acme" } }""", "entities", "`entities` must be a non-empty array of entities" },
            { Screening + ", " + List + """, "entities": [ { "name": "Acme", "aliases": "Acme HK" } ] }""", "entities[0].aliases", "`entities.aliases` must be an array of names" },
        };

        [Theory]
        [MemberData(nameof(WrongShapes))]
        public void Parse_FieldOfWrongShape_SaysWhatTheFieldMustBe(string source, string field, string expected)
        {
            var error = SingleError(CatalogWith(source));

            Assert.Equal(field, error.Field);
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("allowed forms", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("should be", error.Message, StringComparison.Ordinal); // JSON Schema's "Value is "string" but should be "array""
        }

        [Theory]
        [InlineData("\"confirmations\": \"3\"", "settings.confirmations", "`settings.confirmations` must be a whole number from 1 to 100")]
        [InlineData("\"lookbackDays\": -1", "settings.lookbackDays", "`settings.lookbackDays` must be a whole number from 0 to 3650")]
        [InlineData("\"watchedTerms\": \"sanction\"", "settings.watchedTerms", "`settings.watchedTerms` must be an array of terms")]
        public void Parse_SettingOfWrongShape_SaysWhatTheSettingMustBe(string member, string field, string expected)
        {
            var error = SingleError(CatalogWith(Terms(), $$""" "settings": { {{member}} }, """));

            Assert.Null(error.SourceId);
            Assert.Equal(field, error.Field);
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_FieldOfWrongShape_QuotesWhatWasFound()
        {
            var error = SingleError(CatalogWith(Terms(extra: """, "remove": 42 """)));

            Assert.Contains("(found 42)", error.Message, StringComparison.Ordinal);
        }
    }

    public class DefaultCatalog
    {
        private readonly SourceCatalog catalog = CatalogLoader.LoadFileAsync(RepoPaths.DefaultCatalog).GetAwaiter().GetResult();

        [Fact]
        public void DefaultCatalog_LoadsWithSources()
        {
            Assert.NotEmpty(catalog.Sources);
        }

        [Theory]
        [InlineData("OpenAI")]
        [InlineData("Anthropic")]
        [InlineData("Google")]
        [InlineData("Meta")]
        [InlineData("Microsoft")]
        [InlineData("Baidu")]
        [InlineData("Alibaba")]
        [InlineData("Tencent")]
        [InlineData("Zhipu")]
        [InlineData("DeepSeek")]
        [InlineData("Moonshot")]
        public void DefaultCatalog_WatchesProvider(string provider)
        {
            Assert.Contains(catalog.Sources, s => s.Provider is { } p && p.Contains(provider, StringComparison.OrdinalIgnoreCase));
        }

        [Theory]
        [InlineData("openai-supported-countries")]
        [InlineData("openai-usage-policies")]
        [InlineData("meta-llama-4-use-policy")]
        [InlineData("deepseek-terms-of-use")]
        [InlineData("moonshot-kimi-model-use-terms")]
        [InlineData("alibaba-qwen-chat-terms")]
        [InlineData("baidu-ernie-user-agreement")]
        public void DefaultCatalog_ClientRenderedPage_IsRendered(string id)
        {
            Assert.True(Assert.IsType<TermsSource>(catalog.Sources.Single(s => s.Id == id)).Render);
        }

        [Fact]
        public void DefaultCatalog_ServerRenderedPagesAreReadWithoutBrowser()
        {
            Assert.Contains(catalog.Sources, s => s is TermsSource { Render: false, Provider: "Anthropic" });
        }

        [Fact]
        public void DefaultCatalog_HasAListSource()
        {
            Assert.Contains(catalog.Sources, s => s is TermsSource { Extract: ExtractMode.List });
        }

        [Fact]
        public void DefaultCatalog_IdsAreUnique()
        {
            var ids = catalog.Sources.Select(s => s.Id).ToList();

            Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        }
    }
}
