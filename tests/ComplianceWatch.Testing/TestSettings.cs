namespace ComplianceWatch.Testing;

/// <summary>
/// The settings the in-process test hosts run with: loopback allowed by default, short retry delays. No short attempt or
/// total timeout: a deadline on the real clock that a loopback server must beat decides a test's outcome by how busy the
/// machine is (a reply that takes over 1-2 s under load became a timeout, then an <c>unknown</c> verdict or a failed
/// check). Only a test whose subject is a timeout sets one, against a target that never answers, so that its outcome
/// is the same however long the machine takes.
/// </summary>
public static class TestSettings
{
    public static Dictionary<string, string?> Fast(bool allowPrivateNetwork, IDictionary<string, string?>? overrides = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["ComplianceWatch:AllowPrivateNetwork"] = allowPrivateNetwork ? "true" : "false",
            ["ComplianceWatch:RetryDelay"] = "00:00:00.010",
            ["ComplianceWatch:MaxRetries"] = "1",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return values;
    }
}
