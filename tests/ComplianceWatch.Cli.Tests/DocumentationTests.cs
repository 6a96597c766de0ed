using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ComplianceWatch.Cli.Tests;

/// <summary>
/// The README and the docs/ pages stay true: the README fits on a screen or two, every relative link (and #anchor)
/// points at something that exists, and every command line in their code blocks parses against the tool's real
/// command tree.
/// </summary>
public sealed partial class DocumentationTests
{
    private const int ReadmeMaxBytes = 12 * 1024;

    private static string Root => RepositoryPaths.Root;

    public static TheoryData<string> Pages()
    {
        var pages = new TheoryData<string> { "README.md" };
        foreach (var page in Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            pages.Add(Path.GetRelativePath(Root, page).Replace('\\', '/'));
        }

        return pages;
    }

    [Fact]
    public void Readme_IsAtMostTwelveKilobytes()
    {
        var size = new FileInfo(Path.Combine(Root, "README.md")).Length;
        Assert.True(size <= ReadmeMaxBytes, $"README.md is {size} bytes; at most {ReadmeMaxBytes}: move reference material to a docs/ page");
    }

    [Fact]
    public void Readme_LinksEveryDocsPage()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var linked = Links(readme).Select(l => l.Target.Split('#')[0]).ToHashSet(StringComparer.Ordinal);
        var unlinked = Directory.GetFiles(Path.Combine(Root, "docs"), "*.md")
            .Select(p => "docs/" + Path.GetFileName(p))
            .Where(p => !Path.GetFileName(p).StartsWith('_') && !linked.Contains(p)) // _incoming-*.md: notes waiting to be folded in
            .ToList();
        Assert.True(unlinked.Count == 0, $"docs pages the README does not link: {string.Join(", ", unlinked)}");
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void RelativeLinks_PointAtFilesAndHeadingsThatExist(string page)
    {
        var path = Path.Combine(Root, page);
        var dead = new List<string>();
        foreach (var (line, target) in Links(File.ReadAllText(path)))
        {
            if (Uri.TryCreate(target, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https" or "mailto")
            {
                continue;
            }

            var hash = target.IndexOf('#', StringComparison.Ordinal);
            var file = hash < 0 ? target : target[..hash];
            var anchor = hash < 0 ? null : target[(hash + 1)..];
            var resolved = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(file)));
            if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                dead.Add($"{page}:{line}: ({target}): no file {Path.GetRelativePath(Root, resolved)}");
            }
            else if (anchor is not null && !Anchors(resolved).Contains(anchor))
            {
                dead.Add($"{page}:{line}: ({target}): no heading with the anchor #{anchor} in {Path.GetRelativePath(Root, resolved)}");
            }
        }

        Assert.True(dead.Count == 0, "dead links:\n" + string.Join("\n", dead));
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void CommandLines_InCodeBlocks_ParseAgainstTheToolsCommandTree(string page)
    {
        var root = CliApp.CreateRootCommand(new CliEnvironment(TextWriter.Null, TextWriter.Null, interactive: false));
        var problems = new List<string>();
        foreach (var (line, args) in CommandLines(File.ReadAllText(Path.Combine(Root, page))))
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                problems.Add($"{page}:{line}: compliancewatch {string.Join(' ', args)}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
            }
        }

        Assert.True(problems.Count == 0, "command lines the tool no longer accepts:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void CommandLines_AreFound_InTheReadmeTour()
    {
        // the parser above must see the README's commands, or it proves nothing
        var commands = CommandLines(File.ReadAllText(Path.Combine(Root, "README.md"))).Select(c => string.Join(' ', c.Args)).ToList();
        Assert.Contains("check", commands);
        Assert.Contains(commands, c => c.StartsWith("audit verify", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.StartsWith("watch", StringComparison.Ordinal));
    }

    [Fact]
    public void CommandLineCheck_RefusesACommandOrOptionTheToolDoesNotHave()
    {
        var text = "```bash\ncompliancewatch sources vaildate\ndotnet run --project src/ComplianceWatch.Cli -- check --colour\ncompliancewatch check --kind terms   # a comment\n```\n";
        var root = CliApp.CreateRootCommand(new CliEnvironment(TextWriter.Null, TextWriter.Null, interactive: false));
        var results = CommandLines(text).Select(c => root.Parse(c.Args).Errors.Count > 0).ToList();
        Assert.Equal([true, true, false], results);
    }

    [Fact]
    public void ToolInstallCommands_NameThePackageIdOfTheTool()
    {
        var project = XDocument.Load(Path.Combine(Root, "src", "ComplianceWatch.Cli", "ComplianceWatch.Cli.csproj"));
        var packageId = project.Descendants("PackageId").Single().Value;
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var installs = ToolInstallPattern().Matches(readme).Select(m => m.Groups["id"].Value).ToList();
        Assert.NotEmpty(installs);
        Assert.All(installs, id => Assert.Equal(packageId, id));
    }

    /// <summary>Markdown links and images outside code (fenced blocks and inline code spans), with their line numbers.</summary>
    private static IEnumerable<(int Line, string Target)> Links(string markdown)
    {
        var fenced = false;
        var number = 0;
        foreach (var line in markdown.Split('\n'))
        {
            number++;
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                continue;
            }

            if (fenced)
            {
                continue;
            }

            foreach (Match match in LinkPattern().Matches(InlineCodePattern().Replace(line, m => m.Value.Contains("](", StringComparison.Ordinal) ? "``" : m.Value)))
            {
                yield return (number, match.Groups["target"].Value);
            }
        }
    }

    /// <summary>GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped, spaces to '-', repeats numbered.</summary>
    private static HashSet<string> Anchors(string file)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        if (!file.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
        {
            return anchors;
        }

        var fenced = false;
        foreach (var line in File.ReadLines(file))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
            }

            var heading = HeadingPattern().Match(line);
            if (fenced || !heading.Success)
            {
                continue;
            }

            var slug = new StringBuilder();
            foreach (var c in heading.Groups["text"].Value.Trim().ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                {
                    slug.Append(c);
                }
                else if (c == ' ')
                {
                    slug.Append('-');
                }
            }

            var anchor = slug.ToString();
            for (var n = 1; !anchors.Add(anchor); n++)
            {
                anchor = slug + "-" + n.ToString(CultureInfo.InvariantCulture);
            }
        }

        return anchors;
    }

    /// <summary>
    /// The tool's command lines in fenced code blocks — <c>compliancewatch …</c> (also after a <c>$ </c> prompt) and
    /// <c>dotnet run --project src/ComplianceWatch.Cli -- …</c> — joined across <c>\</c> continuations, cut at a comment,
    /// a pipe, a redirection or <c>&amp;&amp;</c>, split into arguments as a shell would.
    /// </summary>
    private static IEnumerable<(int Line, string[] Args)> CommandLines(string markdown)
    {
        var fenced = false;
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var number = i + 1;
            var line = lines[i].TrimEnd('\r');
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                continue;
            }

            while (fenced && line.EndsWith('\\') && i + 1 < lines.Length)
            {
                line = line[..^1] + " " + lines[++i].TrimEnd('\r').Trim();
            }

            if (!fenced)
            {
                continue;
            }

            var words = ShellWords(line.Trim().StartsWith("$ ", StringComparison.Ordinal) ? line.Trim()[2..] : line);
            int start;
            if (words.Count > 0 && words[0] == "compliancewatch")
            {
                start = 1;
            }
            else
            {
                var separator = words.IndexOf("--");
                if (words.Count < 4 || words[0] != "dotnet" || words[1] != "run" || separator < 0
                    || !words.Take(separator).Any(w => w.TrimEnd('/') == "src/ComplianceWatch.Cli"))
                {
                    continue;
                }

                start = separator + 1;
            }

            yield return (number, words.Skip(start).ToArray());
        }
    }

    /// <summary>Splits a shell line into words (single and double quotes, backslash escapes); stops at <c>#</c>, <c>|</c>, <c>&gt;</c>, <c>&lt;</c>, <c>&amp;</c>, <c>;</c>.</summary>
    private static List<string> ShellWords(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
                else if (c == '\\' && q == '"' && i + 1 < line.Length)
                {
                    word.Append(line[++i]);
                }
                else
                {
                    word.Append(c);
                }

                continue;
            }

            if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else if ((c == '#' && !inWord) || c is '|' or '>' or '<' or '&' or ';')
            {
                break;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    [GeneratedRegex(@"!?\[(?<text>(?:[^\[\]]|\[[^\]]*\])*)\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex LinkPattern();

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex InlineCodePattern();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*#*\s*$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"dotnet tool (?:install|update)\b[^\n`]*?\s(?<id>[A-Za-z][\w.]*)\s*(?:$|\n|`)", RegexOptions.Multiline)]
    private static partial Regex ToolInstallPattern();
}
