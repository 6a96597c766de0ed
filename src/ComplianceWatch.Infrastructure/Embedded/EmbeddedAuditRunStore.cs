using ComplianceWatch.Core.Audits;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Infrastructure.Embedded;

/// <summary>
/// Audit runs in the embedded store's directory: <c>audits/{id}/run.json</c> and one file per source result
/// (<c>audits/{id}/results/{source}.json</c>), each written through a temporary file and renamed, so a re-delivered
/// job replaces its own result and concurrent jobs never write the same file.
/// </summary>
public sealed class EmbeddedAuditRunStore(string directory) : IAuditRunStore
{
    private readonly string root = Path.GetFullPath(directory);

    public async Task CreateAsync(AuditRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var dir = RunDir(run.Id);
        Directory.CreateDirectory(Path.Combine(dir, "results"));
        await EmbeddedFiles.WriteAtomicallyAsync(Path.Combine(dir, "run.json"), run, cancellationToken);
    }

    public async Task<AuditRun?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        AuditRun.IsValidId(id) ? await EmbeddedFiles.ReadJsonAsync<AuditRun>(Path.Combine(RunDir(id), "run.json"), cancellationToken) : null;

    public async Task RecordResultAsync(string auditId, AuditSourceResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        var results = Path.Combine(RunDir(auditId), "results");
        Directory.CreateDirectory(results);
        await EmbeddedFiles.WriteAtomicallyAsync(Path.Combine(results, KeyEncoding.Encode(result.SourceId) + ".json"), result, cancellationToken);
    }

    public async Task<IReadOnlyList<AuditSourceResult>> GetResultsAsync(string auditId, CancellationToken cancellationToken = default)
    {
        var results = Path.Combine(RunDir(auditId), "results");
        if (!Directory.Exists(results))
        {
            return [];
        }

        var found = new List<AuditSourceResult>();
        foreach (var file in Directory.EnumerateFiles(results, "*.json").Order(StringComparer.Ordinal))
        {
            if (await EmbeddedFiles.ReadJsonAsync<AuditSourceResult>(file, cancellationToken) is { } result)
            {
                found.Add(result);
            }
        }

        return found;
    }

    private string RunDir(string id) =>
        AuditRun.IsValidId(id) ? Path.Combine(root, "audits", id) : throw new ArgumentException($"'{id}' is not an audit run id", nameof(id));
}
