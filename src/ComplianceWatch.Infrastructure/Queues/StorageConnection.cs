using Azure.Core;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace ComplianceWatch.Infrastructure.Queues;

/// <summary>
/// Reads a storage connection the way Azure Functions does, so a client and a trigger configured by the same name
/// reach the same account: <c>NAME</c> holds a connection string (<c>UseDevelopmentStorage=true</c> for Azurite), or
/// <c>NAME__queueServiceUri</c> / <c>NAME__accountName</c> name the account and the client authenticates with
/// <see cref="DefaultAzureCredential"/> (the user-assigned identity of <c>NAME__clientId</c> in Azure).
/// </summary>
public static class StorageConnection
{
    /// <summary>Null when <paramref name="name"/> describes a usable connection, else a message naming the setting.</summary>
    public static string? Problem(IConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(name);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return null;
        }

        if (section["queueServiceUri"] is { Length: > 0 } uri)
        {
            return Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Scheme is "https" or "http"
                ? null
                : $"{name}__queueServiceUri: '{uri}' is not an absolute http(s) URL";
        }

        return section["accountName"] is { Length: > 0 }
            ? null
            : $"{name}: missing (set a connection string, or {name}__accountName / {name}__queueServiceUri for an identity-based connection)";
    }

    public static QueueServiceClient CreateQueueServiceClient(IConfiguration configuration, string name, QueueClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (Problem(configuration, name) is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        var section = configuration.GetSection(name);
        options ??= new QueueClientOptions();
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return new QueueServiceClient(section.Value, options);
        }

        var endpoint = section["queueServiceUri"] is { Length: > 0 } uri
            ? new Uri(uri)
            : new Uri($"https://{section["accountName"]}.queue.core.windows.net");
        return new QueueServiceClient(endpoint, Credential(section), options);
    }

    /// <summary><see cref="DefaultAzureCredential"/>, preferring the user-assigned identity named by <c>NAME__clientId</c>.</summary>
    public static TokenCredential Credential(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = new DefaultAzureCredentialOptions();
        if (section["clientId"] is { Length: > 0 } clientId)
        {
            options.ManagedIdentityClientId = clientId;
        }

        return new DefaultAzureCredential(options);
    }
}
