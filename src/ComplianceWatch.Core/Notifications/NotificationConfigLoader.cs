using System.Text.Json;
using System.Text.RegularExpressions;
using ComplianceWatch.Core.Catalog;
using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Notifications;

/// <summary>A channels-and-subscriptions file that was refused: every problem, each naming the file, the item and the field.</summary>
public sealed class NotificationConfigException(IReadOnlyList<string> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads the channels-and-subscriptions file (JSON with comments and trailing commas). <c>%NAME%</c> references are
/// resolved through a lookup (environment, app settings); secret fields (webhook URLs, tokens) must be such references,
/// never literals. Unknown fields, types, channels, kinds and severities are refused, and an error never quotes a
/// resolved value.
/// </summary>
public static partial class NotificationConfigLoader
{
    private static readonly string[] TopFields = ["$schema", "channels", "subscriptions"];
    private static readonly string[] SubscriptionFields = ["team", "channels", "filter", "dependsOn"];
    private static readonly string[] FilterFields = ["kinds", "providers", "sources", "tags", "regions", "minSeverity"];
    private static readonly string[] DependencyFields = ["provider", "regions"];

    public static async Task<NotificationConfig> LoadFileAsync(string path, Func<string, string?> lookup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        string json;
        try
        {
            json = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NotificationConfigException([$"{path}: cannot read the channels file: {ex.Message}"]);
        }

        return Parse(json, path, lookup);
    }

    public static NotificationConfig Parse(string json, string file, Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        var errors = new List<string>();
        var secrets = new List<string>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, JsonDefaults.Lenient);
        }
        catch (JsonException ex)
        {
            throw new NotificationConfigException([$"{file}: not valid JSON: {ex.Message}"]);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new NotificationConfigException([$"{file}: the channels file must be a JSON object with 'channels' and 'subscriptions'"]);
            }

            UnknownFields(root, TopFields, $"{file}", errors);
            var channels = new Dictionary<string, ChannelDefinition>(StringComparer.Ordinal);
            if (root.TryGetProperty("channels", out var channelsElement))
            {
                if (channelsElement.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"{file}: field 'channels': must be an object of named channels");
                }
                else
                {
                    foreach (var property in channelsElement.EnumerateObject())
                    {
                        var channel = ReadChannel(property.Name, property.Value, file, lookup, errors, secrets);
                        if (channel is not null)
                        {
                            channels[property.Name] = channel;
                        }
                    }
                }
            }

            var subscriptions = new List<Subscription>();
            if (root.TryGetProperty("subscriptions", out var subsElement))
            {
                if (subsElement.ValueKind != JsonValueKind.Array)
                {
                    errors.Add($"{file}: field 'subscriptions': must be an array");
                }
                else
                {
                    var index = 0;
                    foreach (var item in subsElement.EnumerateArray())
                    {
                        var sub = ReadSubscription(item, index++, file, channelsElement.ValueKind == JsonValueKind.Object ? channelsElement : default, lookup, errors);
                        if (sub is not null)
                        {
                            subscriptions.Add(sub);
                        }
                    }
                }
            }

            if (errors.Count > 0)
            {
                var redactor = new SecretRedactor(secrets);
                throw new NotificationConfigException(errors.Select(redactor.Redact).ToArray());
            }

            return new NotificationConfig { File = file, Channels = channels, Subscriptions = subscriptions, Secrets = secrets };
        }
    }

    private static ChannelDefinition? ReadChannel(string name, JsonElement element, string file, Func<string, string?> lookup, List<string> errors, List<string> secrets)
    {
        var where = $"{file}: channel '{name}'";
        if (!ValidName().IsMatch(name))
        {
            errors.Add($"{where}: a channel name is 1-64 letters, digits, '-', '_' or '.'");
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{where}: must be an object with a 'type'");
            return null;
        }

        var type = element.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        var before = errors.Count;
        switch (type)
        {
            case ChannelTypes.Slack:
            case ChannelTypes.Teams:
            {
                UnknownFields(element, ["type", "webhookUrl"], where, errors);
                var url = SecretUrl(element, "webhookUrl", where, lookup, errors, secrets);
                if (errors.Count > before || url is null)
                {
                    return null;
                }

                return type == ChannelTypes.Slack
                    ? new SlackChannelDefinition { Name = name, WebhookUrl = url }
                    : new TeamsChannelDefinition { Name = name, WebhookUrl = url };
            }

            case ChannelTypes.GitHub:
            {
                UnknownFields(element, ["type", "repository", "token", "apiUrl"], where, errors);
                var repository = PlainString(element, "repository", where, lookup, errors, required: true);
                if (repository is not null && !RepositoryName().IsMatch(repository))
                {
                    errors.Add($"{where}: field 'repository': '{repository}' is not 'owner/name'");
                }

                var token = Secret(element, "token", where, lookup, errors, secrets);
                var api = PlainString(element, "apiUrl", where, lookup, errors, required: false) ?? GitHubChannelDefinition.DefaultApiUrl;
                if (!Uri.TryCreate(api, UriKind.Absolute, out var apiUrl) || (apiUrl.Scheme != Uri.UriSchemeHttps && apiUrl.Scheme != Uri.UriSchemeHttp))
                {
                    errors.Add($"{where}: field 'apiUrl': '{api}' is not an absolute http(s) URL");
                    return null;
                }

                if (errors.Count > before || repository is null || token is null)
                {
                    return null;
                }

                if (!apiUrl.AbsoluteUri.EndsWith('/'))
                {
                    apiUrl = new Uri(apiUrl.AbsoluteUri + "/");
                }

                return new GitHubChannelDefinition { Name = name, Repository = repository, Token = token, ApiUrl = apiUrl };
            }

            case null:
                errors.Add($"{where}: field 'type': required (one of {string.Join(", ", ChannelTypes.All)})");
                return null;
            default:
                errors.Add($"{where}: field 'type': '{type}' is not a channel type (one of {string.Join(", ", ChannelTypes.All)})");
                return null;
        }
    }

    private static Subscription? ReadSubscription(JsonElement element, int index, string file, JsonElement channels, Func<string, string?> lookup, List<string> errors)
    {
        var where = $"{file}: subscriptions[{index}]";
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{where}: must be an object with 'team' and 'channels'");
            return null;
        }

        var team = PlainString(element, "team", where, lookup, errors, required: true);
        if (team is not null)
        {
            where = $"{file}: subscription of team '{team}'";
        }

        var before = errors.Count;
        UnknownFields(element, SubscriptionFields, where, errors);
        var channelNames = StringArray(element, "channels", where, errors);
        if (!element.TryGetProperty("channels", out _))
        {
            errors.Add($"{where}: field 'channels': required (names of channels)");
        }

        foreach (var name in channelNames)
        {
            if (channels.ValueKind != JsonValueKind.Object || !channels.TryGetProperty(name, out _))
            {
                errors.Add($"{where}: field 'channels': '{name}' is not a channel declared in 'channels'");
            }
        }

        var filter = SubscriptionFilter.Everything;
        if (element.TryGetProperty("filter", out var f))
        {
            if (f.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{where}: field 'filter': must be an object");
            }
            else
            {
                UnknownFields(f, FilterFields, $"{where}: filter", errors);
                var kinds = StringArray(f, "kinds", where + ": filter", errors);
                foreach (var kind in kinds.Where(k => !SourceKinds.All.Contains(k)))
                {
                    errors.Add($"{where}: filter: field 'kinds': '{kind}' is not a source kind (one of {string.Join(", ", SourceKinds.All)})");
                }

                Severity? min = null;
                if (f.TryGetProperty("minSeverity", out var s))
                {
                    if (s.ValueKind == JsonValueKind.String && SeverityNames.TryParse(s.GetString(), out var parsed))
                    {
                        min = parsed;
                    }
                    else
                    {
                        errors.Add($"{where}: filter: field 'minSeverity': must be one of info, notice, warning, critical");
                    }
                }

                filter = new SubscriptionFilter
                {
                    Kinds = kinds,
                    Providers = StringArray(f, "providers", where + ": filter", errors),
                    Sources = StringArray(f, "sources", where + ": filter", errors),
                    Tags = StringArray(f, "tags", where + ": filter", errors),
                    Regions = StringArray(f, "regions", where + ": filter", errors),
                    MinSeverity = min,
                };
            }
        }

        var dependencies = new List<Dependency>();
        if (element.TryGetProperty("dependsOn", out var d))
        {
            if (d.ValueKind != JsonValueKind.Array)
            {
                errors.Add($"{where}: field 'dependsOn': must be an array of {{\"provider\", \"regions\"}}");
            }
            else
            {
                var i = 0;
                foreach (var dep in d.EnumerateArray())
                {
                    var depWhere = $"{where}: dependsOn[{i++}]";
                    if (dep.ValueKind != JsonValueKind.Object)
                    {
                        errors.Add($"{depWhere}: must be an object with 'provider'");
                        continue;
                    }

                    UnknownFields(dep, DependencyFields, depWhere, errors);
                    var provider = PlainString(dep, "provider", depWhere, lookup, errors, required: true);
                    var regions = StringArray(dep, "regions", depWhere, errors);
                    if (provider is not null)
                    {
                        dependencies.Add(new Dependency(provider, regions));
                    }
                }
            }
        }

        return errors.Count > before || team is null
            ? null
            : new Subscription { Team = team, Channels = channelNames, Filter = filter, DependsOn = dependencies };
    }

    private static void UnknownFields(JsonElement element, string[] known, string where, List<string> errors)
    {
        foreach (var property in element.EnumerateObject().Where(p => !known.Contains(p.Name, StringComparer.Ordinal)))
        {
            errors.Add($"{where}: field '{property.Name}': is not a known field (known: {string.Join(", ", known.Where(k => k != "$schema"))})");
        }
    }

    private static IReadOnlyList<string> StringArray(JsonElement element, string field, string where, List<string> errors)
    {
        if (!element.TryGetProperty(field, out var value))
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString())))
        {
            errors.Add($"{where}: field '{field}': must be an array of non-empty strings");
            return [];
        }

        return value.EnumerateArray().Select(v => v.GetString()!.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    /// <summary>A non-secret string; <c>%NAME%</c> references in it are resolved.</summary>
    private static string? PlainString(JsonElement element, string field, string where, Func<string, string?> lookup, List<string> errors, bool required)
    {
        if (!element.TryGetProperty(field, out var value))
        {
            if (required)
            {
                errors.Add($"{where}: field '{field}': required");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            errors.Add($"{where}: field '{field}': must be a non-empty string");
            return null;
        }

        return Resolve(value.GetString()!, field, where, lookup, errors, secret: false);
    }

    /// <summary>A secret: must be exactly one <c>%NAME%</c> reference, resolved from settings or the environment.</summary>
    private static string? Secret(JsonElement element, string field, string where, Func<string, string?> lookup, List<string> errors, List<string> secrets)
    {
        if (!element.TryGetProperty(field, out var value))
        {
            errors.Add($"{where}: field '{field}': required (a %NAME% reference to a setting or environment variable)");
            return null;
        }

        var text = value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";
        if (!SingleReference().IsMatch(text))
        {
            // never echo the literal: it may be a secret someone pasted into the file
            errors.Add($"{where}: field '{field}': must be a %NAME% reference to a setting or environment variable; a secret is never written in the file");
            return null;
        }

        var resolved = Resolve(text, field, where, lookup, errors, secret: true);
        if (resolved is not null)
        {
            secrets.Add(resolved);
        }

        return resolved;
    }

    private static Uri? SecretUrl(JsonElement element, string field, string where, Func<string, string?> lookup, List<string> errors, List<string> secrets)
    {
        var value = Secret(element, field, where, lookup, errors, secrets);
        if (value is null)
        {
            return null;
        }

        var reference = element.GetProperty(field).GetString();
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add($"{where}: field '{field}': the value of {reference} is not an absolute http(s) URL");
            return null;
        }

        return uri;
    }

    private static string? Resolve(string text, string field, string where, Func<string, string?> lookup, List<string> errors, bool secret)
    {
        var failed = false;
        var result = Reference().Replace(text, match =>
        {
            var name = match.Groups[1].Value;
            var value = lookup(name);
            if (string.IsNullOrEmpty(value))
            {
                errors.Add($"{where}: field '{field}': %{name}% is not set (define the setting or environment variable {name})");
                failed = true;
                return "";
            }

            if (value.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{where}: field '{field}': %{name}% holds an unresolved Key Vault reference (check the app's identity and access to the vault)");
                failed = true;
                return "";
            }

            return value;
        });
        return failed ? null : secret ? result : result.Trim();
    }

    [GeneratedRegex(@"%([A-Za-z_][A-Za-z0-9_:.\-]*)%", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();

    [GeneratedRegex(@"^%([A-Za-z_][A-Za-z0-9_:.\-]*)%$", RegexOptions.CultureInvariant)]
    private static partial Regex SingleReference();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex ValidName();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryName();
}
