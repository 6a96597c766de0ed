namespace ComplianceWatch.Testing;

/// <summary>The settings the in-process test hosts run with: loopback allowed by default, short retries and timeouts.</summary>
public static class TestSettings
{
    public static Dictionary<string, string?> Fast(bool allowPrivateNetwork, IDictionary<string, string?>? overrides = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["ComplianceWatch:AllowPrivateNetwork"] = allowPrivateNetwork ? "true" : "false",
            ["ComplianceWatch:RetryDelay"] = "00:00:00.010",
            ["ComplianceWatch:MaxRetries"] = "1",
            ["ComplianceWatch:AttemptTimeout"] = "00:00:02",
            ["ComplianceWatch:TotalTimeout"] = "00:00:05",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return values;
    }
}
