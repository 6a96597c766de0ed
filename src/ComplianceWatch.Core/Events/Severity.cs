using System.Text.Json.Serialization;

namespace ComplianceWatch.Core.Events;

/// <summary>How loudly a change should be announced: <c>info</c> &lt; <c>notice</c> &lt; <c>warning</c> &lt; <c>critical</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Severity>))]
public enum Severity
{
    [JsonStringEnumMemberName("info")] Info = 0,
    [JsonStringEnumMemberName("notice")] Notice = 1,
    [JsonStringEnumMemberName("warning")] Warning = 2,
    [JsonStringEnumMemberName("critical")] Critical = 3,
}

public static class SeverityNames
{
    public static string ToName(this Severity severity) => severity switch
    {
        Severity.Info => "info",
        Severity.Notice => "notice",
        Severity.Warning => "warning",
        _ => "critical",
    };

    public static bool TryParse(string? text, out Severity severity)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "info": severity = Severity.Info; return true;
            case "notice": severity = Severity.Notice; return true;
            case "warning": severity = Severity.Warning; return true;
            case "critical": severity = Severity.Critical; return true;
            default: severity = Severity.Info; return false;
        }
    }

    public static Severity Max(Severity a, Severity? b) => b is { } floor && floor > a ? floor : a;
}
