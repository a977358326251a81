using System.CommandLine;
using System.CommandLine.Help;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using CommandTree = GuardDutyCoverage.Cli.CommandLine;

namespace GuardDutyCoverage.Tests.Docs;

/// <summary>
/// docs/cli.md against the command tree the binary is built from: every command and flag documented with its
/// default, nothing documented that does not exist, every command line in the docs accepted by the parser, every
/// environment variable the code reads listed.
/// </summary>
public sealed partial class CliDocsTests
{
    private static readonly DocPage Page = DocPage.Load("cli.md");

    /// <summary>Every command that does something, by its path below the root ("run", "coverage list").</summary>
    private static IEnumerable<(string Path, Command Command)> Commands(Command parent, string prefix = "")
    {
        foreach (var command in parent.Subcommands)
        {
            var path = (prefix + " " + command.Name).Trim();
            if (command.Action is not null)
            {
                yield return (path, command);
            }

            foreach (var child in Commands(command, path))
            {
                yield return child;
            }
        }
    }

    private static IEnumerable<Option> OwnOptions(Command command) =>
        command.Options.Where(o => o is not HelpOption and not VersionOption);

    private static IReadOnlySet<string> Names(Option option) => new HashSet<string>([option.Name, .. option.Aliases], StringComparer.Ordinal);

    private static DocSection Section(string path) =>
        Page.Sections().SingleOrDefault(s => s.Level == 2 && s.Title == $"`{path}`")
        ?? throw new Xunit.Sdk.XunitException($"docs/cli.md has no section \"## `{path}`\"");

    /// <summary>Table rows of a section that document flags: (flag names in the first cell, default cell).</summary>
    private static List<(IReadOnlySet<string> Names, string Default)> FlagRows(IEnumerable<string> lines) =>
        DocPage.TableRows(lines)
            .Select(cells => (Names: (IReadOnlySet<string>)DocPage.CodeSpans(cells[0]).Select(c => c.Split(' ')[0]).Where(c => c.StartsWith('-') || c.StartsWith('/')).ToHashSet(StringComparer.Ordinal), Default: cells.Length > 1 ? cells[1] : ""))
            .Where(r => r.Names.Count > 0)
            .ToList();

    public static TheoryData<string> CommandPaths()
    {
        var data = new TheoryData<string>();
        foreach (var (path, _) in Commands(CommandTree.Build()))
        {
            data.Add(path);
        }

        return data;
    }

    [Fact]
    public void TheTreeHasTheCommandsThePageIsAbout()
    {
        // The theory below walks the tree; this keeps it from passing on an empty one.
        Assert.Equal(["run", "crd", "diagnose", "coverage list", "coverage stats", "version"], Commands(CommandTree.Build()).Select(c => c.Path));
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public void EveryFlagOfTheCommandHasARowWithItsAliasesAndDefault(string path)
    {
        var command = Commands(CommandTree.Build()).Single(c => c.Path == path).Command;
        var rows = FlagRows(Section(path).Lines);
        var options = OwnOptions(command).ToList();

        foreach (var option in options)
        {
            var row = rows.Where(r => r.Names.Contains(option.Name)).ToList();
            Assert.True(row.Count == 1, $"`{path}`: {option.Name} has {row.Count} rows in the flags table of docs/cli.md");
            Assert.True(Names(option).SetEquals(row[0].Names), $"`{path}`: the row of {option.Name} names {string.Join(", ", row[0].Names)}; the option is {string.Join(", ", Names(option))}");

            var defaults = DocPage.CodeSpans(row[0].Default);
            if (option.ValueType == typeof(bool))
            {
                // A switch: documented as off (absent) or on.
                var on = option.HasDefaultValue && (bool)option.GetDefaultValue()!;
                Assert.True(row[0].Default == (on ? "on" : "off"), $"`{path}` {option.Name}: the default column says \"{row[0].Default}\"; the switch is {(on ? "on" : "off")} by default");
            }
            else if (option.HasDefaultValue)
            {
                var value = Convert.ToString(option.GetDefaultValue(), System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(defaults.Contains(value), $"`{path}` {option.Name}: the default column says \"{row[0].Default}\"; the default is `{value}`");
            }
        }

        foreach (var row in rows)
        {
            var option = options.FirstOrDefault(o => Names(o).Overlaps(row.Names));
            Assert.True(option is not null, $"`{path}`: docs/cli.md documents {string.Join(", ", row.Names)}, which the command does not have");
        }
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public void TheSynopsisShowsExactlyTheCommandsFlags(string path)
    {
        var command = Commands(CommandTree.Build()).Single(c => c.Path == path).Command;
        var synopsis = Section(path).Blocks.FirstOrDefault(b => b.Language == "text" && b.Lines.Count > 0 && b.Lines[0].StartsWith($"guardduty-coverage {path}", StringComparison.Ordinal));
        Assert.True(synopsis is not null, $"`{path}` has no synopsis (a text block starting with \"guardduty-coverage {path}\")");

        var shown = SynopsisFlag().Matches(synopsis.Body).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        var defined = OwnOptions(command).SelectMany(Names).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(shown.Except(defined));
        Assert.All(OwnOptions(command), o => Assert.True(Names(o).Overlaps(shown), $"`{path}`: the synopsis does not show {o.Name}"));
    }

    [Fact]
    public void GlobalOptionsAreTheRootsHelpAndVersion()
    {
        var root = CommandTree.Build();
        var section = Page.Sections().Single(s => s.Title == "Global options");
        var documented = FlagRows(section.Lines).SelectMany(r => r.Names).ToHashSet(StringComparer.Ordinal);
        var defined = root.Options.Where(o => o is HelpOption or VersionOption).SelectMany(Names).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(defined.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));

        // The root's help option is recursive: every command takes it.
        Assert.All(Commands(root), c => Assert.IsType<HelpAction>(root.Parse([.. c.Path.Split(' '), "-h"]).Action));
    }

    [Fact]
    public void EveryCommandLineInTheDocsIsAcceptedByTheParser()
    {
        var checkedLines = 0;
        foreach (var name in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md").Select(Path.GetFileName))
        {
            var page = DocPage.Load(name!);
            foreach (var block in page.Blocks.Where(b => b.Language is "sh" or "console" or "bash"))
            {
                var refused = block.Language == "console"
                    ? CliTranscript.Steps(block).Where(s => s.ExpectedOutput.StartsWith("error: ", StringComparison.Ordinal)).Select(s => s.Line).ToHashSet()
                    : [];
                foreach (var (line, args) in Invocations(block))
                {
                    if (refused.Contains(line))
                    {
                        // An example of a usage error: its replay checks the refusal.
                        continue;
                    }

                    var parse = CommandTree.Build().Parse(args);
                    Assert.True(parse.Errors.Count == 0, $"docs/{name} line {line}: guardduty-coverage {string.Join(' ', args)}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
                    checkedLines++;
                }
            }
        }

        Assert.True(checkedLines >= 20, $"only {checkedLines} guardduty-coverage command lines found in docs/");
    }

    [Fact]
    public void CoverageCommandsListEveryFilterKeySortKeyAndStatisticsTypeOfTheModel()
    {
        static HashSet<string> TableSpans(string path) =>
            DocPage.TableRows(Section(path).Lines).SelectMany(r => r.SelectMany(DocPage.CodeSpans)).ToHashSet(StringComparer.Ordinal);

        var spans = TableSpans("coverage list");
        Assert.All(ModelEnums.CoverageFilterCriterionKey, k => Assert.Contains(k, spans));
        Assert.All(ModelEnums.CoverageSortKey, k => Assert.Contains(k, spans));
        Assert.All(ModelEnums.OrderBy, k => Assert.Contains(k, spans));

        var stats = TableSpans("coverage stats");
        Assert.All(ModelEnums.CoverageStatisticsType, t => Assert.Contains(t, stats));
    }

    [Fact]
    public async Task EveryEnvironmentVariableTheOperatorReadsIsDocumented()
    {
        var read = new SortedSet<string>(StringComparer.Ordinal);

        // What the code asks the environment for, recorded through the lookups it takes.
        AwsEndpointOverrides.FromEnvironment(name => { read.Add(name); return null; });
        await Assert.ThrowsAsync<AwsConfigurationException>(() => new AwsRegionResolver(name => { read.Add(name); return null; }, null).ResolveAsync(null, CancellationToken.None));
        using (var http = new HttpClient())
        {
            ImdsRegionSource.FromEnvironment(http, name => { read.Add(name); return null; });
        }

        // And the direct reads in the source.
        foreach (var file in RepoPaths.OperatorSources())
        {
            foreach (Match m in DirectEnvironmentRead().Matches(File.ReadAllText(file)))
            {
                read.Add(m.Groups["name"].Value);
            }
        }

        Assert.Contains("AWS_ENDPOINT_URL_GUARDDUTY", read);
        Assert.Contains("KUBECONFIG", read);
        var table = Page.Sections().Single(s => s.Title == "Environment variables");
        var documented = DocPage.TableRows(table.Lines).SelectMany(r => DocPage.CodeSpans(r[0])).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(read.Except(documented));
    }

    /// <summary>The <c>guardduty-coverage</c> invocations of a shell or console block, with their arguments.</summary>
    private static IEnumerable<(int Line, string[] Args)> Invocations(CodeBlock block)
    {
        for (var i = 0; i < block.Lines.Count; i++)
        {
            var line = block.Lines[i];
            var start = i;
            while (line.EndsWith('\\') && i + 1 < block.Lines.Count)
            {
                line = line[..^1] + " " + block.Lines[++i].Trim();
            }

            if (block.Language == "console")
            {
                if (!line.StartsWith("$ ", StringComparison.Ordinal))
                {
                    continue;
                }

                line = line[2..];
            }

            var tokens = ShellWords.Tokens(line);
            for (var at = 0; at < tokens.Count; at++)
            {
                var isCli = tokens[at] == "guardduty-coverage" || tokens[at].EndsWith("/guardduty-coverage", StringComparison.Ordinal);
                if (isCli && (at == 0 || ShellWords.Operators.Contains(tokens[at - 1])))
                {
                    yield return (block.Line + start + 1, [.. tokens.Skip(at + 1).TakeWhile(t => !ShellWords.Operators.Contains(t))]);
                }
            }
        }
    }

    [GeneratedRegex(@"(?<![\w-])--?[a-z?][a-z-]*")]
    private static partial Regex SynopsisFlag();

    [GeneratedRegex(@"(?:GetEnvironmentVariable|environment|getVariable)\(""(?<name>[A-Z][A-Z0-9_]+)""\)")]
    private static partial Regex DirectEnvironmentRead();
}
