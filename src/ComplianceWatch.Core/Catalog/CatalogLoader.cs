using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using ComplianceWatch.Core.Events;
using Json.Schema;
using NCrontab;

namespace ComplianceWatch.Core.Catalog;

/// <summary>
/// Reads a catalog (JSON with comments and trailing commas), validates it against <c>catalog/catalog.schema.json</c>
/// and then checks what a schema cannot: unique ids, CSS selectors, regular expressions and schedules.
/// Any problem refuses the catalog as a whole with errors naming file, source id and field.
/// </summary>
public static class CatalogLoader
{
    private static readonly Lazy<JsonSchema> Schema = new(LoadSchema);

    public static string SchemaText => EmbeddedData.ReadText("catalog.schema.json", "catalog schema");

    public static Task<SourceCatalog> LoadFileAsync(string path, CancellationToken cancellationToken = default) => LoadFileAsync(path, null, cancellationToken);

    /// <param name="cache">Catalogs that passed the schema before (the tool's user cache); null validates every time.</param>
    public static async Task<SourceCatalog> LoadFileAsync(string path, SchemaValidationCache? cache, CancellationToken cancellationToken = default)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CatalogException(path, $"cannot read the catalog: {ex.Message}");
        }

        return Parse(text, path, cache);
    }

    /// <param name="cache">Catalogs that passed the schema before: a catalog found there is not evaluated against it again.</param>
    public static SourceCatalog Parse(string text, string file, SchemaValidationCache? cache = null)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: JsonDefaults.Lenient);
        }
        catch (JsonException ex)
        {
            throw new CatalogException(file, $"not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}): {FirstSentence(ex.Message)}");
        }

        if (node is not JsonObject root)
        {
            throw new CatalogException(file, "the catalog must be a JSON object with a \"sources\" array");
        }

        var errors = new List<CatalogError>();
        if (cache is null || !cache.Contains(text))
        {
            ValidateAgainstSchema(root, file, errors);
            if (errors.Count > 0)
            {
                throw new CatalogException(errors);
            }

            cache?.Add(text);
        }

        var catalog = Bind(root, file);
        CheckSemantics(catalog, errors);
        return errors.Count > 0 ? throw new CatalogException(errors) : catalog;
    }

    private static readonly EvaluationOptions FlagOnly = new() { OutputFormat = OutputFormat.Flag };

    private static JsonSchema LoadSchema() => JsonSchema.FromText(SchemaText);

    private static void ValidateAgainstSchema(JsonObject root, string file, List<CatalogError> errors)
    {
        using var document = JsonDocument.Parse(root.ToJsonString());

        // A valid catalog (every run's case) is told by the flag output, which stops at the first failing keyword and
        // collects nothing; only an invalid one is evaluated again with every node's details, to name each error.
        if (Schema.Value.Evaluate(document.RootElement, FlagOnly).IsValid)
        {
            return;
        }

        var results = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return;
        }

        var sources = root["sources"] as JsonArray;
        var found = new List<(int? Index, string? Field, string Keyword, string Message)>();
        foreach (var detail in results.Details ?? [])
        {
            if (detail.Errors is null || detail.Errors.Count == 0)
            {
                continue;
            }

            var evaluationPath = detail.EvaluationPath.ToString();
            if (evaluationPath.Contains("/if", StringComparison.Ordinal))
            {
                continue; // an "if" that does not hold is how a kind is selected, not an error
            }

            var instanceLocation = detail.InstanceLocation.ToString();
            var errorsOfDetail = detail.Errors.Select(e => (e.Key, e.Value));
            var oneOf = evaluationPath.LastIndexOf("/oneOf/", StringComparison.Ordinal);
            if (oneOf >= 0)
            {
                // An alternative of a "oneOf" that does not match is no error when another alternative does; when none
                // does, report it once, on the value the "oneOf" applies to (the library reports no error of its own).
                var alternative = new Regex("^" + Regex.Escape(evaluationPath[..(oneOf + 7)]) + "[0-9]+$");
                var alternatives = (results.Details ?? []).Where(d => alternative.IsMatch(d.EvaluationPath.ToString()) &&
                    IsWithin(instanceLocation, d.InstanceLocation.ToString())).ToList();
                if (alternatives.Count(d => d.IsValid) == 1)
                {
                    continue;
                }

                instanceLocation = alternatives.Count > 0 ? alternatives[0].InstanceLocation.ToString() : instanceLocation;
                errorsOfDetail = [("oneOf", "does not have any of the allowed forms")]; // replaced by the field's shape below
            }

            var segments = instanceLocation.Split('/', StringSplitOptions.RemoveEmptyEntries)
                .Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
            int? index = segments.Length >= 2 && segments[0] == "sources" && int.TryParse(segments[1], out var i) ? i : null;
            var fieldSegments = index is null ? segments : segments.Skip(2).ToArray();
            foreach (var (keyword, message) in errorsOfDetail)
            {
                // a "false" schema (additionalProperties/unevaluatedProperties: false) reports its error under an empty keyword
                var reportedKeyword = keyword.Length == 0 ? evaluationPath[(evaluationPath.LastIndexOf('/') + 1)..] : keyword;
                var field = fieldSegments.Length == 0 ? null : FormatField(fieldSegments);
                if (reportedKeyword == "required")
                {
                    // one error per missing field, so that a missing "kind" is recognised as a kind problem below
                    foreach (var missing in MissingProperties(message))
                    {
                        found.Add((index, JoinField(field, missing), reportedKeyword, message));
                    }

                    continue;
                }

                found.Add((index, field, reportedKeyword, message));
            }
        }

        // A source whose kind is wrong gets one clear error about the kind, not one per field of the kind it lacks.
        var badKinds = found.Where(f => f.Index is not null && f.Field == "kind").Select(f => f.Index).ToHashSet();
        foreach (var group in found.GroupBy(f => (f.Index, f.Field, f.Keyword)))
        {
            var (index, field, keyword) = group.Key;
            if (index is not null && badKinds.Contains(index) && field != "kind")
            {
                continue;
            }

            // A kind's branch that fails (say, a bad "url") drops its annotations, so unevaluatedProperties then flags every
            // field of that kind as unknown; a field the schema declares for the source's kind is never really unknown.
            if (keyword == "unevaluatedProperties" && index is { } si && field is not null && IsDeclaredField(sources?[si]?["kind"], field))
            {
                continue;
            }

            var sourceId = index is { } ix ? SourceLabel(sources, ix) : null;
            var scope = index is null ? "catalog" : "source";
            var expected = ExpectedShape(field);
            var (reportedField, message) = keyword switch
            {
                "required" => (field, "is required but missing"),
                "unevaluatedProperties" or "additionalProperties" or "false" => (field, $"is not a known field of this {scope}"),
                "enum" when field == "kind" => (field, $"unknown kind {ValueAt(root, index, field)} (expected one of: {string.Join(", ", SourceKinds.All)})"),
                "enum" => (field, $"value {Excerpt(ValueAt(root, index, field))} is not one of the allowed values{(expected is null ? "" : ": " + expected)}"),
                "pattern" when field == "id" => (field, "must be 1 to 64 characters of a-z, 0-9 and '-'"),
                "pattern" => (field, $"value {Excerpt(ValueAt(root, index, field))} has the wrong format{(expected is null ? "" : ": " + expected)}"),
                _ when expected is not null => (field, $"{expected} (found {Excerpt(ValueAt(root, index, field))})"),
                _ => (field, group.First().Message),
            };
            if (!errors.Any(e => e.SourceId == sourceId && e.Field == reportedField && e.Message == message))
            {
                errors.Add(new CatalogError(file, sourceId, reportedField, message)); // two keywords may say the same thing
            }
        }

        if (errors.Count == 0)
        {
            errors.Add(new CatalogError(file, null, null, "does not match the catalog schema"));
        }
    }

    /// <summary>
    /// What a field must look like, said the way a person fixes it ("`remove` must be a CSS selector or an array of
    /// them"), instead of JSON Schema's "does not have any of the allowed forms". Keyed by the field's path without
    /// array indices (an element's error names its list's shape); null for a field not listed here.
    /// </summary>
    private static readonly Dictionary<string, string> Shapes = new(StringComparer.Ordinal)
    {
        ["sources"] = "an array of sources (objects with \"id\", \"kind\" and \"title\")",
        ["settings"] = "an object with watchedJurisdictions, watchedTerms, confirmations or lookbackDays",
        ["settings.watchedJurisdictions"] = "an array of names (non-empty strings; [] watches none)",
        ["settings.watchedTerms"] = "an array of terms (non-empty strings; [] watches none)",
        ["settings.confirmations"] = "a whole number from 1 to 100",
        ["settings.lookbackDays"] = "a whole number from 0 to 3650",
        ["id"] = "a string of 1 to 64 characters of a-z, 0-9 and '-'",
        ["title"] = "a non-empty string",
        ["provider"] = "a non-empty string",
        ["schedule"] = "a 6-field NCRONTAB expression (a string: second minute hour day month day-of-week)",
        ["tags"] = "an array of tags (non-empty strings; [] is none)",
        ["severity"] = "one of info, notice, warning, critical",
        ["url"] = "an http:// or https:// URL",
        ["select"] = "a CSS selector or an array of them ([] is the whole page)",
        ["remove"] = "a CSS selector or an array of them ([] removes nothing)",
        ["ignore"] = "an array of regular expressions (non-empty strings; [] ignores nothing)",
        ["extract"] = "\"text\" or \"list\"",
        ["render"] = "true or false (true: read the page in a headless browser)",
        ["waitFor"] = "a CSS selector the browser waits for (a string; only with \"render\": true)",
        ["vantagePoints"] = "a non-empty array of vantage points: local, proxy:NAME or globalping:CC (CC: two capital letters)",
        ["control"] = "one vantage point: local, proxy:NAME or globalping:CC (CC: two capital letters)",
        ["signatures"] = "an array of signatures: objects with \"verdict\" and optional \"name\", \"status\", \"header\", \"headerPattern\", \"bodyPattern\" ([] adds none)",
        ["signatures.name"] = "a string",
        ["signatures.verdict"] = "one of reachable, geo-blocked, bot-challenge, network-blocked, outage, unknown",
        ["signatures.status"] = "an array of HTTP status codes (whole numbers from 100 to 599)",
        ["signatures.header"] = "a header name (a string)",
        ["signatures.headerPattern"] = "a regular expression (a string)",
        ["signatures.bodyPattern"] = "a regular expression (a string)",
        ["agencies"] = "an array of Federal Register agency slugs (non-empty strings; [] is any agency)",
        ["types"] = "an array of document types: RULE, PRORULE, NOTICE, PRESDOCU ([] is any type)",
        ["terms"] = "an array of search terms (non-empty strings; [] is no term condition)",
        ["cfr"] = "an object {\"title\": N, \"part\": N} (part optional)",
        ["cfr.title"] = "a whole number from 1",
        ["cfr.part"] = "a whole number from 1",
        ["publicInspection"] = "true or false",
        ["endpoint"] = "an http:// or https:// URL",
        ["match"] = "an array of keywords (non-empty strings; [] or none: every item is relevant)",
        ["list"] = "an object {\"url\", \"format\"} with format \"csl-json\" or \"ofac-sdn-xml\"",
        ["list.url"] = "an http:// or https:// URL",
        ["list.format"] = "\"csl-json\" or \"ofac-sdn-xml\"",
        ["entities"] = "a non-empty array of entities: objects with \"name\" and optional \"aliases\"",
        ["entities.name"] = "a non-empty string",
        ["entities.aliases"] = "an array of names (non-empty strings; [] is none)",
    };

    private static string? ExpectedShape(string? field)
    {
        if (field is null)
        {
            return null;
        }

        var key = Regex.Replace(field, @"\[[0-9]+\]", "");
        return Shapes.TryGetValue(key, out var shape) ? $"`{key}` must be {shape}" : null;
    }

    private static string Excerpt(string json) => json.Length <= 60 ? json : json[..57] + "...";

    private static bool IsWithin(string location, string ancestor) =>
        location == ancestor || location.StartsWith(ancestor + "/", StringComparison.Ordinal);

    private static string FormatField(string[] segments)
    {
        var text = "";
        foreach (var s in segments)
        {
            text += int.TryParse(s, out _) ? $"[{s}]" : (text.Length == 0 ? s : "." + s);
        }

        return text;
    }

    private static string? JoinField(string? parent, string? child) =>
        child is null ? parent : parent is null ? child : parent + "." + child;

    private static IEnumerable<string?> MissingProperties(string message)
    {
        // "Required properties ["kind","title"] are not present"
        var list = Regex.Match(message, "\\[([^\\]]*)\\]");
        string?[] names = list.Success ? Regex.Matches(list.Groups[1].Value, "\"([^\"]+)\"").Select(m => (string?)m.Groups[1].Value).ToArray() : [];
        return names.Length > 0 ? names : [null];
    }

    private static string ValueAt(JsonObject root, int? index, string? field)
    {
        JsonNode? node = index is { } i ? root["sources"]?[i] : root;
        foreach (var part in (field ?? "").Split(['.', '[', ']'], StringSplitOptions.RemoveEmptyEntries))
        {
            node = node is JsonArray array && int.TryParse(part, out var item) ? (item < array.Count ? array[item] : null) : node is JsonObject ? node[part] : null;
        }

        return node?.ToJsonString() ?? "null";
    }

    private static readonly Lazy<Dictionary<string, HashSet<string>>> DeclaredFields = new(() =>
    {
        // $defs/source/properties plus, per kind, the properties of the definition its "then" refers to
        var defs = JsonNode.Parse(SchemaText)!["$defs"]!;
        var common = (defs["source"]!["properties"] as JsonObject ?? []).Select(p => p.Key).ToArray();
        var byKind = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var branch in (defs["source"]!["allOf"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (branch["if"]?["properties"]?["kind"]?["const"] is JsonValue kind && kind.TryGetValue(out string? name) &&
                branch["then"]?["$ref"] is JsonValue reference && reference.TryGetValue(out string? target))
            {
                var own = defs[target.Split('/')[^1]]?["properties"] as JsonObject ?? [];
                byKind[name] = [.. common, .. own.Select(p => p.Key)];
            }
        }

        return byKind;
    });

    private static bool IsDeclaredField(JsonNode? kind, string field) =>
        kind is JsonValue v && v.TryGetValue(out string? name) && DeclaredFields.Value.TryGetValue(name, out var fields) && fields.Contains(field);

    private static string SourceLabel(JsonArray? sources, int index) =>
        sources?[index]?["id"] is JsonValue v && v.TryGetValue(out string? id) && !string.IsNullOrEmpty(id) ? id : $"#{index + 1}";

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static SourceCatalog Bind(JsonObject root, string file)
    {
        var settings = new CatalogSettings();
        if (root["settings"] is JsonObject s)
        {
            settings = settings with
            {
                WatchedJurisdictions = Strings(s["watchedJurisdictions"]) ?? settings.WatchedJurisdictions,
                WatchedTerms = Strings(s["watchedTerms"]) ?? settings.WatchedTerms,
                Confirmations = s["confirmations"]?.GetValue<int>() ?? settings.Confirmations,
                LookbackDays = s["lookbackDays"]?.GetValue<int>() ?? settings.LookbackDays,
            };
        }

        var sources = new List<SourceDefinition>();
        foreach (var item in (root["sources"] as JsonArray ?? []).OfType<JsonObject>())
        {
            sources.Add(BindSource(item));
        }

        return new SourceCatalog(file, settings, sources);
    }

    private static SourceDefinition BindSource(JsonObject o)
    {
        var id = Str(o, "id")!;
        var kind = Str(o, "kind")!;
        var title = Str(o, "title")!;
        Severity? severity = SeverityNames.TryParse(Str(o, "severity"), out var sev) ? sev : null;
        SourceDefinition source = kind switch
        {
            SourceKinds.Terms => new TermsSource
            {
                Id = id, Kind = kind, Title = title, Url = Str(o, "url")!,
                Select = Selector(o["select"]), Remove = Selector(o["remove"]), Ignore = Strings(o["ignore"]) ?? [],
                Extract = Str(o, "extract") == "list" ? ExtractMode.List : ExtractMode.Text,
                Render = o["render"]?.GetValue<bool>() ?? false,
                WaitFor = Str(o, "waitFor"),
            },
            SourceKinds.Reachability => new ReachabilitySource
            {
                Id = id, Kind = kind, Title = title, Url = Str(o, "url")!,
                VantagePoints = Strings(o["vantagePoints"]) ?? [], Control = Str(o, "control"),
                Signatures = (o["signatures"] as JsonArray ?? []).OfType<JsonObject>().Select(r => new SignatureRule(
                    Str(r, "name"), Str(r, "verdict")!, (r["status"] as JsonArray ?? []).Select(n => n!.GetValue<int>()).ToArray(),
                    Str(r, "header"), Str(r, "headerPattern"), Str(r, "bodyPattern"))).ToArray(),
            },
            SourceKinds.FederalRegister => new FederalRegisterSource
            {
                Id = id, Kind = kind, Title = title,
                Agencies = Strings(o["agencies"]) ?? [], Types = Strings(o["types"]) ?? [], Terms = Strings(o["terms"]) ?? [],
                Cfr = o["cfr"] is JsonObject cfr ? new CfrReference(cfr["title"]!.GetValue<int>(), cfr["part"]?.GetValue<int>()) : null,
                PublicInspection = o["publicInspection"]?.GetValue<bool>() ?? true,
                Endpoint = Str(o, "endpoint") ?? FederalRegisterSource.DefaultEndpoint,
            },
            SourceKinds.Feed => new FeedSource
            {
                Id = id, Kind = kind, Title = title, Url = Str(o, "url")!, Match = Strings(o["match"]) ?? [],
            },
            _ => new ScreeningSource
            {
                Id = id, Kind = kind, Title = title,
                List = new ScreeningList(Str(o["list"]!.AsObject(), "url")!, Str(o["list"]!.AsObject(), "format")!),
                Entities = (o["entities"] as JsonArray ?? []).OfType<JsonObject>()
                    .Select(e => new ScreenedEntity(Str(e, "name")!, Strings(e["aliases"]) ?? [])).ToArray(),
            },
        };

        return source with
        {
            Provider = Str(o, "provider"),
            Tags = Strings(o["tags"]) ?? [],
            Schedule = Str(o, "schedule"),
            Severity = severity,
        };
    }

    private static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static string[]? Strings(JsonNode? node) => node is JsonArray a ? a.Select(n => n!.GetValue<string>()).ToArray() : null;

    private static string[] Selector(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue(out string? one) => [one],
        JsonArray => Strings(node)!,
        _ => [],
    };

    private static void CheckSemantics(SourceCatalog catalog, List<CatalogError> errors)
    {
        var file = catalog.File;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // the HTML engine is started only when there is a selector to check (a catalog without one never needs it)
        var probe = new Lazy<IDocument>(() => new HtmlParser().ParseDocument("<html><body></body></html>"), LazyThreadSafetyMode.None);
        try
        {
            CheckSources(catalog, file, seen, probe, errors);
        }
        finally
        {
            if (probe.IsValueCreated)
            {
                probe.Value.Dispose();
            }
        }
    }

    private static void CheckSources(SourceCatalog catalog, string file, HashSet<string> seen, Lazy<IDocument> probe, List<CatalogError> errors)
    {
        foreach (var source in catalog.Sources)
        {
            if (!seen.Add(source.Id))
            {
                errors.Add(new CatalogError(file, source.Id, "id", "duplicate id: another source already uses it"));
            }

            if (source.Schedule is { } schedule &&
                CrontabSchedule.TryParse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }) is null)
            {
                errors.Add(new CatalogError(file, source.Id, "schedule", $"'{schedule}' is not a 6-field NCRONTAB expression (second minute hour day month day-of-week)"));
            }

            if (source is TermsSource terms)
            {
                CheckSelectors(file, terms.Id, "select", terms.Select, probe, errors);
                CheckSelectors(file, terms.Id, "remove", terms.Remove, probe, errors);
                if (terms.WaitFor is { } waitFor)
                {
                    CheckSelectors(file, terms.Id, "waitFor", [waitFor], probe, errors);
                    if (!terms.Render)
                    {
                        errors.Add(new CatalogError(file, terms.Id, "waitFor", "is only used with \"render\": true (the browser waits for it)"));
                    }
                }

                for (var i = 0; i < terms.Ignore.Count; i++)
                {
                    try
                    {
                        _ = new Regex(terms.Ignore[i], RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                    }
                    catch (ArgumentException ex)
                    {
                        errors.Add(new CatalogError(file, terms.Id, $"ignore[{i}]", $"not a valid regular expression: {ex.Message}"));
                    }
                }
            }

            if (source is ReachabilitySource reach)
            {
                if (CredentialInUrl(reach.Url) is { } credential)
                {
                    errors.Add(new CatalogError(file, reach.Id, "url", $"must not carry credentials ({credential}): probes are unauthenticated requests, and some run on third-party networks"));
                }

                for (var i = 0; i < reach.Signatures.Count; i++)
                {
                    foreach (var (field, pattern) in new[] { ("headerPattern", reach.Signatures[i].HeaderPattern), ("bodyPattern", reach.Signatures[i].BodyPattern) })
                    {
                        if (pattern is null)
                        {
                            continue;
                        }

                        try
                        {
                            _ = new Regex(pattern, RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
                        }
                        catch (ArgumentException ex)
                        {
                            errors.Add(new CatalogError(file, reach.Id, $"signatures[{i}].{field}", $"not a valid regular expression: {ex.Message}"));
                        }
                    }
                }
            }
        }
    }

    private static readonly Regex CredentialParameter = new("^(key|api[-_]?key|apikey|token|access[-_]?token|auth|authorization|secret|client[-_]?secret|password|passwd|sig|signature|x-goog-api-key)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>What in a URL looks like a credential (user info, a key or token query parameter), or null.</summary>
    internal static string? CredentialInUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "user info";
        }

        var names = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => Uri.UnescapeDataString(pair.Split('=')[0]));
        return names.FirstOrDefault(CredentialParameter.IsMatch) is { } name ? $"query parameter '{name}'" : null;
    }

    private static void CheckSelectors(string file, string sourceId, string field, IReadOnlyList<string> selectors, Lazy<IDocument> probe, List<CatalogError> errors)
    {
        for (var i = 0; i < selectors.Count; i++)
        {
            try
            {
                _ = probe.Value.QuerySelectorAll(selectors[i]);
            }
            catch (DomException)
            {
                var name = selectors.Count == 1 ? field : $"{field}[{i}]";
                errors.Add(new CatalogError(file, sourceId, name, $"'{selectors[i]}' is not a valid CSS selector"));
            }
        }
    }
}
