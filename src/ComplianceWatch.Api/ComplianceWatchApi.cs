using System.Buffers.Text;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using ComplianceWatch.Core;
using ComplianceWatch.Core.Audits;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Reporting;
using ComplianceWatch.Core.Scheduling;
using ComplianceWatch.Core.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ComplianceWatch.Api;

/// <summary>
/// The handlers of the audit API, independent of the host: each takes the ASP.NET Core request and answers an
/// <see cref="ApiResult"/>. The Functions HTTP triggers are one line each over these; the tool's <c>serve</c> can map
/// the same handlers on Kestrel. Request problems are answered 400 naming the parameter; an audit runs catalog
/// sources named by id or kind only and never fetches a URL from a request.
/// </summary>
public sealed partial class ComplianceWatchApi(
    ICatalogProvider catalogs,
    IStateStore store,
    AuditService audits,
    ILogger<ComplianceWatchApi> logger)
{
    public const int MaxBodyBytes = 64 * 1024;
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    private static readonly string Version = typeof(ComplianceWatchApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary><c>POST /api/audits</c>: checks all sources, a kind, or listed source ids now and returns the report; a larger audit answers 202 with a status URL.</summary>
    public async Task<ApiResult> RunAuditAsync(HttpRequest request, CancellationToken cancellationToken = default) =>
        await GuardAsync(async () =>
        {
            ArgumentNullException.ThrowIfNull(request);
            foreach (var name in new[] { "url", "urls", "uri" })
            {
                if (request.Query.ContainsKey(name))
                {
                    throw new ApiRequestException(name, "an audit checks catalog sources, named by id or kind; it never fetches a URL from a request");
                }
            }

            var body = await ReadAuditRequestAsync(request, cancellationToken);
            if (body is null)
            {
                return ApiResult.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"the request body is larger than {MaxBodyBytes} bytes");
            }

            var catalog = await catalogs.GetCatalogAsync(cancellationToken);
            var (sources, selection) = Select(catalog, body.Value.Sources, body.Value.Kind);
            var outcome = await audits.RunAsync(catalog, sources, selection, cancellationToken);
            if (outcome.Report is { } report)
            {
                return ApiResult.Json(report);
            }

            var run = outcome.Accepted!;
            var statusUrl = $"{request.Scheme}://{request.Host}{request.PathBase}{ApiRoutes.AuditRunPath(run.Id)}";
            return ApiResult.Json(
                new { id = run.Id, status = "accepted", statusUrl, requestedAt = run.RequestedAt, selection = run.Selection, sources = run.SourceIds.Count },
                StatusCodes.Status202Accepted,
                new Dictionary<string, string> { ["Location"] = statusUrl, ["Retry-After"] = "15" });
        });

    /// <summary><c>GET /api/audits/runs/{id}</c>: progress and findings of an audit that was fanned out.</summary>
    public async Task<ApiResult> GetAuditRunAsync(HttpRequest request, string id, CancellationToken cancellationToken = default) =>
        await GuardAsync(async () =>
        {
            var status = await audits.GetStatusAsync(id, cancellationToken);
            return status is null
                ? ApiResult.NotFound($"no audit run '{id}'")
                : ApiResult.Json(status, StatusCodes.Status200OK,
                    status.Status == "running" ? new Dictionary<string, string> { ["Retry-After"] = "15" } : null);
        });

    /// <summary><c>GET /api/audits/report?since=…&amp;until=…&amp;source=…&amp;format=json|csv|md</c>: the auditor's export of a period's history.</summary>
    public async Task<ApiResult> GetAuditReportAsync(HttpRequest request, CancellationToken cancellationToken = default) =>
        await GuardAsync(async () =>
        {
            ArgumentNullException.ThrowIfNull(request);
            var since = ApiQuery.Date(request.Query, "since", required: true)!.Value;
            var until = ApiQuery.Date(request.Query, "until");
            var format = ApiQuery.Single(request.Query, "format") ?? AuditExport.Json;
            if (!AuditExport.Formats.Contains(format))
            {
                throw new ApiRequestException("format", $"'format': '{format}' is not one of {string.Join(", ", AuditExport.Formats)}");
            }

            var sourceIds = await KnownSourcesAsync(ApiQuery.List(request.Query, "source"), cancellationToken);
            var entries = await store.QueryHistoryAsync(new HistoryQuery { Since = since, Until = until, SourceIds = sourceIds, IncludeContent = AuditExport.NeedsContent(format) }, cancellationToken);
            var file = $"compliancewatch-audit-{since.UtcDateTime:yyyyMMdd}{(until is { } u ? $"-{u.UtcDateTime:yyyyMMdd}" : "")}.{format}";
            var heads = await AuditExport.HeadsAsync(store, entries, cancellationToken);
            return ApiResult.Text(AuditExport.Render(entries, format, heads), AuditExport.MediaType(format),
                new Dictionary<string, string> { ["Content-Disposition"] = $"attachment; filename=\"{file}\"" });
        });

    /// <summary>
    /// <c>GET /api/audits/verify</c>: recomputes every source's history chain and checks its current snapshot against it;
    /// 200 with <c>intact: true</c> and each chain's head, or 409 with <c>intact: false</c> naming, per broken source, the
    /// first altered, removed or reordered entry or the current snapshot that was edited, deleted or replaced.
    /// </summary>
    public async Task<ApiResult> VerifyChainsAsync(HttpRequest request, CancellationToken cancellationToken = default) =>
        await GuardAsync(async () =>
        {
            var verification = await ChainVerifier.VerifyAsync(store, cancellationToken);
            var body = new
            {
                intact = verification.Intact,
                sources = verification.Chains.Count,
                problems = verification.Problems,
                chains = verification.Chains.Select(c => new { sourceId = c.SourceId, entries = c.EntryCount, head = c.Head, intact = c.Intact, problem = c.Problem }),
            };
            return ApiResult.Json(body, verification.Intact ? StatusCodes.Status200OK : StatusCodes.Status409Conflict);
        });

    /// <summary>
    /// <c>GET /api/dashboard</c>: the compliance dashboard, one self-contained HTML page (inline CSS and script, nothing
    /// fetched from elsewhere) that reads this API: the reachability matrix, the timeline of changes, sources and exports.
    /// </summary>
    public static ApiResult GetDashboard() =>
        ApiResult.Text(DashboardPage, "text/html; charset=utf-8", new Dictionary<string, string>
        {
            ["Content-Security-Policy"] = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ["X-Content-Type-Options"] = "nosniff",
            ["Referrer-Policy"] = "no-referrer",
            ["Cache-Control"] = "no-store",
        });

    /// <summary>The dashboard page (embedded resource <c>dashboard.html</c>).</summary>
    public static string DashboardPage { get; } = ReadResource("ComplianceWatch.Api.dashboard.html");

    /// <summary><c>GET /api/changes</c>: change events, oldest first, filtered by since, until, kind, provider, source and (minimum) severity; paged.</summary>
    public async Task<ApiResult> ListChangesAsync(HttpRequest request, CancellationToken cancellationToken = default) =>
        await GuardAsync(async () =>
        {
            ArgumentNullException.ThrowIfNull(request);
            var query = request.Query;
            var since = ApiQuery.Date(query, "since");
            var until = ApiQuery.Date(query, "until");
            var kind = ApiQuery.Kind(query);
            var provider = ApiQuery.Single(query, "provider");
            var severity = ApiQuery.Severity(query);
            var limit = ApiQuery.Int(query, "limit", DefaultPageSize, 1, MaxPageSize);
            var cursor = ApiQuery.Single(query, "cursor") is { Length: > 0 } text ? Cursor.Parse(text) : null;
            var sourceIds = await KnownSourcesAsync(ApiQuery.List(query, "source"), cancellationToken);

            var entries = await store.QueryHistoryAsync(new HistoryQuery { Since = since, Until = until, SourceIds = sourceIds }, cancellationToken);
            var matching = entries.Where(e => e.Event is { } evt &&
                (kind is null || evt.Data.Kind == kind) &&
                (provider is null || string.Equals(evt.Data.Provider, provider, StringComparison.OrdinalIgnoreCase)) &&
                (severity is null || evt.Data.Severity >= severity));
            if (cursor is not null)
            {
                matching = matching.Where(e => cursor.IsBefore(e));
            }

            var page = matching.Take(limit + 1).ToList();
            string? next = null;
            if (page.Count > limit)
            {
                page.RemoveAt(limit);
                next = NextLink(request, Cursor.After(page[^1]));
            }

            return ApiResult.Json(new ChangePage(page.Select(ChangeSummary.From).ToArray(), next));
        });

    /// <summary><c>GET /api/changes/{id}</c>: one change with its diff and evidence.</summary>
    public async Task<ApiResult> GetChangeAsync(HttpRequest request, string id, CancellationToken cancellationToken = default) =>
        await GuardAsync(async () =>
        {
            if (string.IsNullOrEmpty(id) || id.Length > 128)
            {
                throw new ApiRequestException("id", "'id': a change id has 1 to 128 characters");
            }

            var found = (await store.QueryHistoryAsync(new HistoryQuery(), cancellationToken)).FirstOrDefault(e => e.Event?.Id == id);
            if (found is null)
            {
                return ApiResult.NotFound($"no change '{id}'");
            }

            var sourceEntries = await store.QueryHistoryAsync(new HistoryQuery { SourceIds = [found.SourceId], IncludeContent = true }, cancellationToken);
            var entry = sourceEntries.FirstOrDefault(e => e.Sequence == found.Sequence) ?? found;
            var previous = sourceEntries.Where(e => e.Sequence < entry.Sequence && e.ContentHash is not null).MaxBy(e => e.Sequence);
            var evt = entry.Event!;
            return ApiResult.Json(new ChangeDetail
            {
                Change = ChangeSummary.From(entry),
                Diff = evt.Data.Diff,
                Evidence = new ChangeEvidence
                {
                    ContentHash = entry.ContentHash,
                    Content = entry.Content,
                    PreviousContentHash = evt.Data.PreviousHash ?? previous?.ContentHash,
                    EntryHash = entry.EntryHash,
                    PreviousEntryHash = entry.PreviousEntryHash,
                    Probes = evt.Data.Evidence,
                },
                Event = evt,
            });
        });

    /// <summary><c>GET /api/sources</c>: every catalog source with its last check, verdict and health.</summary>
    public async Task<ApiResult> ListSourcesAsync(HttpRequest request, CancellationToken cancellationToken = default) =>
        await GuardAsync(async () =>
        {
            var catalog = await catalogs.GetCatalogAsync(cancellationToken);
            var states = (await store.ListAsync(cancellationToken)).ToDictionary(s => s.SourceId, StringComparer.Ordinal);
            var views = catalog.Sources.Select(source => ToView(source, states.GetValueOrDefault(source.Id) ?? SourceState.Empty(source.Id))).ToArray();
            return ApiResult.Json(new { sources = views });
        });

    /// <summary><c>GET /api/openapi.yaml</c>: the hand-written OpenAPI 3 document of these endpoints.</summary>
    public static ApiResult GetOpenApi() => ApiResult.Text(OpenApiDocument, "application/yaml; charset=utf-8");

    /// <summary>The OpenAPI document (embedded resource <c>openapi.yaml</c>).</summary>
    public static string OpenApiDocument { get; } = ReadResource("ComplianceWatch.Api.openapi.yaml");

    /// <summary><c>GET /api/health</c> (anonymous): the catalog loads and the store answers. Says nothing else.</summary>
    public async Task<ApiResult> GetHealthAsync(CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        var sources = 0;
        try
        {
            sources = (await catalogs.GetCatalogAsync(cancellationToken)).Sources.Count;
        }
        catch (CatalogException ex)
        {
            LogHealthProblem(logger, ex, "catalog");
            problems.Add("catalog: does not validate");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogHealthProblem(logger, ex, "catalog");
            problems.Add("catalog: unavailable");
        }

        try
        {
            await store.GetAsync("compliancewatch-health-probe", cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogHealthProblem(logger, ex, "store");
            problems.Add("store: unavailable");
        }

        return problems.Count == 0
            ? ApiResult.Json(new { status = "healthy", version = Version, sources })
            : ApiResult.Json(new { status = "unhealthy", version = Version, problems }, StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<ApiResult> GuardAsync(Func<Task<ApiResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (ApiRequestException ex)
        {
            return ApiResult.BadRequest(ex.Message, ex.Parameter);
        }
    }

    private static async Task<(IReadOnlyList<string>? Sources, string? Kind)?> ReadAuditRequestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                return null;
            }
        }

        if (buffer.Length == 0 || Encoding.UTF8.GetString(buffer.ToArray()).Trim().Length == 0)
        {
            return (null, null);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.ToArray());
        }
        catch (JsonException ex)
        {
            throw new ApiRequestException("body", $"the body is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ApiRequestException("body", "the body must be a JSON object: {\"sources\": [ids]} or {\"kind\": \"terms\"}, or empty for every source");
            }

            IReadOnlyList<string>? sources = null;
            string? kind = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "sources":
                        if (property.Value.ValueKind != JsonValueKind.Array || property.Value.GetArrayLength() == 0 ||
                            property.Value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString())))
                        {
                            throw new ApiRequestException("sources", "'sources' must be a non-empty array of source ids");
                        }

                        sources = property.Value.EnumerateArray().Select(v => v.GetString()!).ToArray();
                        break;
                    case "kind":
                        kind = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()
                            : throw new ApiRequestException("kind", "'kind' must be a string");
                        break;
                    case "url" or "urls" or "uri":
                        throw new ApiRequestException(property.Name, "an audit checks catalog sources, named by id or kind; it never fetches a URL from a request");
                    default:
                        throw new ApiRequestException(property.Name, $"'{property.Name}' is not a field of an audit request (expected 'sources' or 'kind')");
                }
            }

            return (sources, kind);
        }
    }

    private static (IReadOnlyList<SourceDefinition> Sources, string Selection) Select(SourceCatalog catalog, IReadOnlyList<string>? ids, string? kind)
    {
        if (kind is not null && !SourceKinds.All.Contains(kind))
        {
            throw new ApiRequestException("kind", $"'kind': unknown kind '{kind}' (expected one of: {string.Join(", ", SourceKinds.All)})");
        }

        if (ids is null)
        {
            return (catalog.Sources.Where(s => kind is null || s.Kind == kind).ToArray(), kind is null ? "all" : $"kind:{kind}");
        }

        var byId = catalog.Sources.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var selected = new List<SourceDefinition>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            if (ApiQuery.LooksLikeUrl(id))
            {
                throw new ApiRequestException("sources", $"'{id}' is a URL, not a source id: an audit checks catalog sources only and never fetches a URL from a request");
            }

            if (!byId.TryGetValue(id, out var source))
            {
                throw new ApiRequestException("sources", $"no source '{id}' in the catalog");
            }

            if (kind is not null && source.Kind != kind)
            {
                throw new ApiRequestException("sources", $"source '{id}' is of kind '{source.Kind}', not '{kind}'");
            }

            selected.Add(source);
        }

        return (selected, "sources");
    }

    /// <summary>The listed source ids (null for all), each of which must be in the catalog.</summary>
    private async Task<IReadOnlyCollection<string>?> KnownSourcesAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return null;
        }

        var catalog = await catalogs.GetCatalogAsync(cancellationToken);
        var known = catalog.Sources.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        return ids.FirstOrDefault(id => !known.Contains(id)) is { } unknown
            ? throw new ApiRequestException("source", $"no source '{unknown}' in the catalog")
            : ids;
    }

    private static SourceView ToView(SourceDefinition source, SourceState state)
    {
        var health = state.Health;
        var status = health.Degraded ? "not-tracked"
            : health.ConsecutiveFailures > 0 ? "failing"
            : state.Snapshot is null && health.LastCheckedAt is null ? "never-checked"
            : "healthy";
        return new SourceView
        {
            Id = source.Id,
            Kind = source.Kind,
            Title = source.Title,
            Provider = source.Provider,
            Url = source.PrimaryUrl,
            Tags = source.Tags,
            Schedule = source.Schedule ?? SourceSchedules.Defaults.GetValueOrDefault(source.Kind, ""),
            LastCheck = health.LastCheckedAt ?? state.Snapshot?.CapturedAt,
            Verdict = Verdict(source, state),
            ContentHash = state.Snapshot?.ContentHash,
            CapturedAt = state.Snapshot?.CapturedAt,
            Version = state.Snapshot?.Version,
            Health = new SourceHealthView
            {
                Status = status,
                ConsecutiveFailures = health.ConsecutiveFailures,
                LastErrorCategory = health.LastErrorCategory,
                LastErrorMessage = health.LastErrorMessage,
                LastFailureAt = health.LastFailureAt,
                LastSuccessAt = health.LastSuccessAt,
            },
        };
    }

    /// <summary>Reachability: the verdict per vantage point from the snapshot; other kinds: tracked, failed or unchecked.</summary>
    private static JsonElement Verdict(SourceDefinition source, SourceState state)
    {
        if (source.Kind == SourceKinds.Reachability && state.Snapshot?.Content is { } content)
        {
            try
            {
                using var document = JsonDocument.Parse(content);
                if (document.RootElement.TryGetProperty("vantagePoints", out var vantagePoints) && vantagePoints.ValueKind == JsonValueKind.Object)
                {
                    var verdicts = vantagePoints.EnumerateObject().ToDictionary(
                        v => v.Name,
                        v => v.Value.ValueKind == JsonValueKind.Object && v.Value.TryGetProperty("verdict", out var verdict) && verdict.ValueKind == JsonValueKind.String ? verdict.GetString() : null,
                        StringComparer.Ordinal);
                    return JsonSerializer.SerializeToElement(verdicts, JsonDefaults.Options);
                }
            }
            catch (JsonException)
            {
                // not the reachability state document: fall through to the generic verdict
            }
        }

        var verdictText = state.Health.ConsecutiveFailures > 0 ? "failed" : state.Snapshot is not null ? "tracked" : "unchecked";
        return JsonSerializer.SerializeToElement(verdictText, JsonDefaults.Options);
    }

    private static string NextLink(HttpRequest request, string cursor)
    {
        var parameters = request.Query.Where(p => p.Key is not "cursor" and not "code")
            .SelectMany(p => p.Value.Select(v => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(v ?? "")}"))
            .Append($"cursor={cursor}");
        return $"{request.PathBase}{request.Path}?{string.Join('&', parameters)}";
    }

    private static string ReadResource(string name)
    {
        using var stream = typeof(ComplianceWatchApi).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in ComplianceWatch.Api.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>A position in the change feed: after (time, source, sequence), the order the store returns history in.</summary>
    private sealed record Cursor(DateTimeOffset Time, string SourceId, long Sequence)
    {
        public static string After(HistoryEntry entry) =>
            Base64Url.EncodeToString(Encoding.UTF8.GetBytes(FormattableString.Invariant($"{entry.Time.UtcTicks}|{entry.Sequence}|{entry.SourceId}")));

        public static Cursor Parse(string text)
        {
            try
            {
                var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)).Split('|', 3);
                if (parts.Length == 3 &&
                    long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) &&
                    long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
                {
                    return new Cursor(new DateTimeOffset(ticks, TimeSpan.Zero), parts[2], sequence);
                }
            }
            catch (FormatException)
            {
            }

            throw new ApiRequestException("cursor", "'cursor' is not a cursor this API returned");
        }

        /// <summary>Whether <paramref name="entry"/> comes after this position.</summary>
        public bool IsBefore(HistoryEntry entry)
        {
            var byTime = entry.Time.UtcTicks.CompareTo(Time.UtcTicks);
            if (byTime != 0)
            {
                return byTime > 0;
            }

            var bySource = string.CompareOrdinal(entry.SourceId, SourceId);
            return bySource != 0 ? bySource > 0 : entry.Sequence > Sequence;
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Health check: {Part} is not healthy")]
    private static partial void LogHealthProblem(ILogger logger, Exception exception, string part);
}
