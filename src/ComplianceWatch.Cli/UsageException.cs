namespace ComplianceWatch.Cli;

/// <summary>A usage or configuration error: exit code 2, the message on stderr, nothing written.</summary>
public sealed class UsageException(string message) : Exception(message);
