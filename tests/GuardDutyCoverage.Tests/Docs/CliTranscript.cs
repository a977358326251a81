using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Cli;
using GuardDutyCoverage.Tests.Aws;
using Microsoft.Extensions.Time.Testing;
using CommandTree = GuardDutyCoverage.Cli.CommandLine;

namespace GuardDutyCoverage.Tests.Docs;

/// <summary>One <c>$ command</c> of a <c>console</c> block and the output the page shows for it.</summary>
internal sealed record TranscriptStep(string Command, string ExpectedOutput, int Line);

/// <summary>
/// Replays the <c>console</c> blocks of the docs: each <c>$ guardduty-coverage ...</c> line runs in-process through
/// the shipped command tree (<see cref="CommandTree.Build"/>), and what it prints (standard error, then standard output, as a
/// terminal shows it) must be what the page shows. Supported besides the CLI: <c>| head -n N</c> and <c>echo $?</c>.
/// <c>coverage</c> commands run against the local GuardDuty endpoint seeded with <c>Docs/coverage-fleet.json</c>
/// (<c>--endpoint-url</c> is added); <c>diagnose</c> runs on a fixed clock and never colours.
/// </summary>
internal sealed partial class CliTranscript : IAsyncDisposable
{
    public const string Fleet = "coverage-fleet.json";

    private static readonly DateTimeOffset Now = new(2026, 11, 26, 17, 0, 0, TimeSpan.Zero);

    private LocalAws? _aws;
    private int _lastExit;

    public static string FleetPath => Path.Combine(RepoPaths.Root, "tests", "GuardDutyCoverage.Tests", "Docs", Fleet);

    /// <summary>The steps of a console block; a line ending in a backslash continues on the next one.</summary>
    public static IReadOnlyList<TranscriptStep> Steps(CodeBlock block)
    {
        var steps = new List<TranscriptStep>();
        string? command = null;
        var line = 0;
        var output = new List<string>();
        for (var i = 0; i < block.Lines.Count; i++)
        {
            var text = block.Lines[i];
            if (text.StartsWith("$ ", StringComparison.Ordinal))
            {
                if (command is not null)
                {
                    steps.Add(new TranscriptStep(command, Join(output), line));
                }

                command = text[2..];
                line = block.Line + i + 1;
                while (command.EndsWith('\\') && i + 1 < block.Lines.Count)
                {
                    command = command[..^1] + " " + block.Lines[++i].Trim();
                }

                output.Clear();
            }
            else if (command is null)
            {
                throw new FormatException($"console block at line {block.Line} does not start with a $ command");
            }
            else
            {
                output.Add(text);
            }
        }

        if (command is not null)
        {
            steps.Add(new TranscriptStep(command, Join(output), line));
        }

        return steps;
    }

    /// <summary>Runs one command line and returns what a terminal would show.</summary>
    public async Task<string> RunAsync(string commandLine)
    {
        var pipeline = ShellWords.Split(commandLine);
        if (pipeline is [["echo", "$?"]])
        {
            return _lastExit.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n";
        }

        if (pipeline.Count == 0 || pipeline[0] is not ["guardduty-coverage", ..] || pipeline.Count > 2)
        {
            throw new NotSupportedException($"cannot replay \"{commandLine}\": only guardduty-coverage [| head -n N] and echo $? are replayed");
        }

        // The page's commands run from the repository root.
        var args = pipeline[0].Skip(1).Select(a => !Path.IsPathRooted(a) && (Directory.Exists(Path.Combine(RepoPaths.Root, a)) || File.Exists(Path.Combine(RepoPaths.Root, a))) ? Path.Combine(RepoPaths.Root, a) : a).ToList();
        if (args is ["coverage", "list" or "stats", ..] && !args.Contains("--help") && !args.Contains("-h"))
        {
            _aws ??= await StartAwsAsync();
            args.AddRange(["--endpoint-url", _aws.Server.Endpoint.ToString()]);
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = CommandTree.Build(
            new DiagnoseEnvironment(new FakeTimeProvider(Now), () => false, _ => null),
            _aws is null ? null : LocalServices());
        _lastExit = await CommandTree.InvokeAsync(root, [.. args], output, error);
        var text = error.ToString() + output.ToString();

        // Help names the program after the process; in-process that is the test host, not guardduty-coverage.
        text = Regex.Replace(text, "^  " + Regex.Escape(RootCommand.ExecutableName) + "(?= |$)", "  guardduty-coverage", RegexOptions.Multiline);
        if (pipeline.Count == 2)
        {
            text = Head(text, pipeline[1]);
        }

        return text;
    }

    /// <summary>What may differ between the page and a replay: the diagnosis clock and file times, trailing blanks.</summary>
    public static string Normalize(string text)
    {
        text = Timestamp().Replace(text, "${key}<time>");
        return string.Join('\n', text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd())).TrimEnd('\n');
    }

    public async ValueTask DisposeAsync()
    {
        if (_aws is not null)
        {
            await _aws.DisposeAsync();
        }
    }

    private static async Task<LocalAws> StartAwsAsync()
    {
        var aws = await LocalAws.StartAsync();
        foreach (var resource in JsonNode.Parse(await File.ReadAllTextAsync(FleetPath))!.AsArray())
        {
            aws.State.PutCoverage((JsonObject)resource!.DeepClone());
        }

        return aws;
    }

    private static CoverageCliServices LocalServices() => new(() =>
    {
        var http = new HttpClient();
        var credentials = AwsCredentialsSource.Static(LocalAws.TestCredentials);
        var factory = new AwsClientFactory(http, credentials, new AwsClientOptions { Retry = LocalAws.FastRetry() });
        return new CoverageCliSession(factory, new AwsRegionResolver(_ => null, null), new Owned(factory, credentials, http));
    });

    private static string Head(string text, IReadOnlyList<string> command)
    {
        var count = command switch
        {
            ["head"] => 10,
            ["head", "-n", var n] => int.Parse(n, System.Globalization.CultureInfo.InvariantCulture),
            _ => throw new NotSupportedException("only head [-n N] is replayed after a pipe, not " + string.Join(' ', command)),
        };
        var lines = text.Split('\n');
        return string.Join('\n', lines.Take(count)) + (lines.Length > count ? "\n" : "");
    }

    private static string Join(List<string> lines) => lines.Count == 0 ? "" : string.Join('\n', lines) + "\n";

    private sealed class Owned(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items)
            {
                item.Dispose();
            }
        }
    }

    // JSON and YAML: the diagnosis time, and checkedAt, which offline is the bundle file's modification time.
    [GeneratedRegex(@"(?<key>""?(?:diagnosedAt|checkedAt)""?:\s*)""?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ""?")]
    private static partial Regex Timestamp();
}

/// <summary>Splits a shell command line into words the way POSIX sh reads quotes and backslashes.</summary>
internal static class ShellWords
{
    /// <summary>Operators between commands; each is a token of its own.</summary>
    public static readonly IReadOnlySet<string> Operators = new HashSet<string>(["|", "||", "&&", ";", "&", ">", ">>", "<", "2>", "2>&1"], StringComparer.Ordinal);

    /// <summary>A pipeline of simple commands; anything but a pipe between them is refused.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Split(string line)
    {
        var pipeline = new List<IReadOnlyList<string>>();
        var words = new List<string>();
        foreach (var token in Tokens(line))
        {
            if (token == "|")
            {
                pipeline.Add(words);
                words = [];
            }
            else if (Operators.Contains(token))
            {
                throw new NotSupportedException($"'{token}' is not replayed: {line}");
            }
            else
            {
                words.Add(token);
            }
        }

        if (words.Count > 0 || pipeline.Count > 0)
        {
            pipeline.Add(words);
        }

        return pipeline;
    }

    /// <summary>Words and operators (<see cref="Operators"/>) in order; quotes removed, <c>$VAR</c> kept as written.</summary>
    public static List<string> Tokens(string line)
    {
        var tokens = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            switch (c)
            {
                case '\'':
                    var close = line.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new FormatException($"unterminated ' in: {line}");
                    }

                    word.Append(line, i + 1, close - i - 1);
                    inWord = true;
                    i = close;
                    break;
                case '"':
                    i++;
                    for (; i < line.Length && line[i] != '"'; i++)
                    {
                        if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }

                        word.Append(line[i]);
                    }

                    if (i >= line.Length)
                    {
                        throw new FormatException($"unterminated \" in: {line}");
                    }

                    inWord = true;
                    break;
                case '\\' when i + 1 < line.Length:
                    word.Append(line[++i]);
                    inWord = true;
                    break;
                case ' ' or '\t':
                    End();
                    break;
                case '#' when !inWord:
                    // A comment runs to the end of the line.
                    End();
                    return tokens;
                case '|' or '&' or ';' or '>' or '<':
                    var op = Operators.Where(o => string.CompareOrdinal(line, i, o, 0, o.Length) == 0).MaxBy(o => o.Length)!;
                    if (c == '>' && inWord && word.ToString() == "2")
                    {
                        word.Clear();
                        inWord = false;
                        op = line.AsSpan(i).StartsWith(">&1") ? "2>&1" : "2>";
                        i += op.Length - 2;
                    }
                    else
                    {
                        End();
                        i += op.Length - 1;
                    }

                    tokens.Add(op);
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }

        End();
        return tokens;

        void End()
        {
            if (inWord)
            {
                tokens.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
        }
    }
}
