using ComplianceWatch.Core.Catalog;
using Spectre.Console;

namespace ComplianceWatch.Cli;

/// <summary>Where the tool writes and which settings it layers over the environment (tests pass their own).</summary>
public sealed class CliEnvironment(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings = null, bool? interactive = null)
{
    public TextWriter Out { get; } = stdout;
    public TextWriter Error { get; } = stderr;
    public IReadOnlyDictionary<string, string?> Settings { get; } = settings ?? new Dictionary<string, string?>();

    /// <summary>Catalogs that passed the schema before (the installed tool: the user's cache); null validates every catalog in full.</summary>
    public SchemaValidationCache? CatalogCache { get; init; }

    /// <summary>True when progress can be drawn (stderr is a terminal).</summary>
    public bool Interactive { get; } = interactive ?? (!Console.IsErrorRedirected && !Console.IsOutputRedirected);

    public IAnsiConsole CreateConsole(TextWriter writer)
    {
        var noColor = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        var terminal = ReferenceEquals(writer, Console.Out) ? !Console.IsOutputRedirected : ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal && !noColor ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal && !noColor ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal && Interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
    }
}
