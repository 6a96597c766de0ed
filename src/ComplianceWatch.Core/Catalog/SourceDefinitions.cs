using ComplianceWatch.Core.Events;

namespace ComplianceWatch.Core.Catalog;

/// <summary>The kinds of source a catalog may declare.</summary>
public static class SourceKinds
{
    public const string Terms = "terms";
    public const string Reachability = "reachability";
    public const string FederalRegister = "federal-register";
    public const string Feed = "feed";
    public const string Screening = "screening";

    public static IReadOnlyList<string> All { get; } = [Terms, Reachability, FederalRegister, Feed, Screening];
}

/// <summary>What every source declares, whatever its kind.</summary>
public abstract record SourceDefinition
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required string Title { get; init; }
    public string? Provider { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public string? Schedule { get; init; }
    public Severity? Severity { get; init; }

    /// <summary>The URL the source reads, where it has one (used for politeness per host and for evidence links).</summary>
    public abstract string? PrimaryUrl { get; }
}

public enum ExtractMode
{
    Text,
    List,
}

public sealed record TermsSource : SourceDefinition
{
    public required string Url { get; init; }
    public IReadOnlyList<string> Select { get; init; } = [];
    public IReadOnlyList<string> Remove { get; init; } = [];
    public IReadOnlyList<string> Ignore { get; init; } = [];
    public ExtractMode Extract { get; init; } = ExtractMode.Text;

    /// <summary>Load the page in a headless browser and read the rendered DOM (client-rendered pages).</summary>
    public bool Render { get; init; }

    /// <summary>With <see cref="Render"/>: the CSS selector the browser waits for; default the <see cref="Select"/> selectors (none: the load event).</summary>
    public string? WaitFor { get; init; }

    /// <summary>The selector a rendering browser waits for: <see cref="WaitFor"/>, else the <see cref="Select"/> selectors (any of them), else none.</summary>
    public string? RenderWaitFor => WaitFor ?? (Select.Count > 0 ? string.Join(", ", Select) : null);

    public override string? PrimaryUrl => Url;
}

public sealed record SignatureRule(string? Name, string Verdict, IReadOnlyList<int> Status, string? Header, string? HeaderPattern, string? BodyPattern);

public sealed record ReachabilitySource : SourceDefinition
{
    public required string Url { get; init; }
    public required IReadOnlyList<string> VantagePoints { get; init; }
    public string? Control { get; init; }
    public IReadOnlyList<SignatureRule> Signatures { get; init; } = [];
    public override string? PrimaryUrl => Url;
}

public sealed record CfrReference(int Title, int? Part);

public sealed record FederalRegisterSource : SourceDefinition
{
    public const string DefaultEndpoint = "https://www.federalregister.gov/api/v1";
    public IReadOnlyList<string> Agencies { get; init; } = [];
    public IReadOnlyList<string> Types { get; init; } = [];
    public IReadOnlyList<string> Terms { get; init; } = [];
    public CfrReference? Cfr { get; init; }
    public bool PublicInspection { get; init; } = true;
    public string Endpoint { get; init; } = DefaultEndpoint;
    public override string? PrimaryUrl => Endpoint;
}

public sealed record FeedSource : SourceDefinition
{
    public required string Url { get; init; }
    public IReadOnlyList<string> Match { get; init; } = [];
    public override string? PrimaryUrl => Url;
}

public sealed record ScreeningList(string Url, string Format);

public sealed record ScreenedEntity(string Name, IReadOnlyList<string> Aliases);

public sealed record ScreeningSource : SourceDefinition
{
    public required ScreeningList List { get; init; }
    public required IReadOnlyList<ScreenedEntity> Entities { get; init; }
    public override string? PrimaryUrl => List.Url;
}

/// <summary>Catalog-wide settings; every field has a default.</summary>
public sealed record CatalogSettings
{
    public static IReadOnlyList<string> DefaultJurisdictions { get; } = ["China", "Hong Kong", "Macau", "PRC", "中国", "香港", "澳门"];
    public static IReadOnlyList<string> DefaultTerms { get; } = ["export control", "sanction", "embargo", "unsupported", "Entity List"];

    public IReadOnlyList<string> WatchedJurisdictions { get; init; } = DefaultJurisdictions;
    public IReadOnlyList<string> WatchedTerms { get; init; } = DefaultTerms;
    public int Confirmations { get; init; } = 3;
    public int LookbackDays { get; init; } = 30;
}

public sealed record SourceCatalog(string File, CatalogSettings Settings, IReadOnlyList<SourceDefinition> Sources);
