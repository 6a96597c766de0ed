using System.Globalization;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace ComplianceWatch.Api;

/// <summary>A request parameter that is not acceptable: answered 400 naming the parameter.</summary>
public sealed class ApiRequestException(string parameter, string message) : Exception(message)
{
    public string Parameter { get; } = parameter;
}

/// <summary>Reads query parameters strictly: a value that does not parse is a 400 naming the parameter, never ignored.</summary>
internal static class ApiQuery
{
    public static DateTimeOffset? Date(IQueryCollection query, string name, bool required = false)
    {
        var text = Single(query, name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return required ? throw new ApiRequestException(name, $"'{name}' is required (YYYY-MM-DD or an ISO 8601 date-time)") : null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : throw new ApiRequestException(name, $"'{name}': '{text}' is not a date (use YYYY-MM-DD or an ISO 8601 date-time)");
    }

    public static string? Kind(IQueryCollection query, string name = "kind")
    {
        var text = Single(query, name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return SourceKinds.All.Contains(text)
            ? text
            : throw new ApiRequestException(name, $"'{name}': unknown kind '{text}' (expected one of: {string.Join(", ", SourceKinds.All)})");
    }

    public static Severity? Severity(IQueryCollection query, string name = "severity")
    {
        var text = Single(query, name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return SeverityNames.TryParse(text, out var severity)
            ? severity
            : throw new ApiRequestException(name, $"'{name}': '{text}' is not a severity (info, notice, warning, critical)");
    }

    public static int Int(IQueryCollection query, string name, int defaultValue, int min, int max)
    {
        var text = Single(query, name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return defaultValue;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ApiRequestException(name, $"'{name}': '{text}' is not a whole number from {min} to {max}");
    }

    /// <summary>Every value of a repeatable parameter; each may also be a comma-separated list.</summary>
    public static IReadOnlyList<string> List(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values)
            ? values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.Ordinal).ToArray()
            : [];

    public static string? Single(IQueryCollection query, string name)
    {
        if (!query.TryGetValue(name, out StringValues values) || values.Count == 0)
        {
            return null;
        }

        return values.Count == 1 ? values[0] : throw new ApiRequestException(name, $"'{name}' is given {values.Count} times; give it once");
    }

    /// <summary>Whether a value names a location rather than a catalog source id: the API never fetches what a request names.</summary>
    public static bool LooksLikeUrl(string value) =>
        value.Contains("://", StringComparison.Ordinal) || value.StartsWith("//", StringComparison.Ordinal) ||
        value.Contains('/', StringComparison.Ordinal) || value.Contains('\\', StringComparison.Ordinal) ||
        (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme.Length > 1);
}
