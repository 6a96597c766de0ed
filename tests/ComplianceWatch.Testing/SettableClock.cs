namespace ComplianceWatch.Testing;

/// <summary>
/// A clock whose wall time a test sets, while timers and delays stay real (so HTTP timeouts and retry back-off behave
/// as in production, which a fully fake time provider would freeze).
/// </summary>
public sealed class SettableClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;

    public void AdvanceDays(int days) => Now = Now.AddDays(days);
}
