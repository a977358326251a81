using System.CommandLine;
using System.Text;
using System.Text.Json;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Cli;

/// <summary>The <c>guardduty-coverage</c> command tree. Exit codes: 0 ok/healthy, 1 unhealthy, 2 usage or runtime error.</summary>
public static class CommandLine
{
    public static Task<int> RunAsync(string[] args) => InvokeAsync(Build(), args, Console.Out, Console.Error);

    /// <summary>
    /// The command tree as shipped. Tests (and the docs tests, which walk it) pass their own clock and AWS clients;
    /// nothing else differs.
    /// </summary>
    internal static RootCommand Build(DiagnoseEnvironment? diagnose = null, CoverageCliServices? coverage = null)
    {
        var root = new RootCommand("GuardDuty Coverage Operator: declare, check and explain GuardDuty EKS Runtime Monitoring coverage.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(CrdCommand());
        root.Subcommands.Add(DiagnoseCommand.Create(LiveDiagnosis.Source, diagnose));
        root.Subcommands.Add(CoverageCommands.Create(coverage));
        root.Subcommands.Add(VersionCommand(BuildInfo.Current));
        return root;
    }

    /// <summary>Parses and runs one command line: usage errors and <see cref="CliException"/>s become one <c>error:</c> line.</summary>
    internal static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter output, TextWriter error)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                await error.WriteLineAsync("error: " + parseError.Message);
            }

            return 2;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                // `run` handles SIGINT/SIGTERM itself and shuts down gracefully; System.CommandLine would cut it short.
                ProcessTerminationTimeout = null,
                Output = output,
                Error = error,
            });
        }
        catch (CliException e)
        {
            await error.WriteLineAsync("error: " + e.Message);
            return CliException.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug or an environment we did not foresee: still one line, with what to do for details.
            await error.WriteLineAsync($"error: {e.GetType().Name}: {e.Message} (set GUARDDUTY_COVERAGE_DEBUG=1 for the stack trace, and please report it)");
            if (Environment.GetEnvironmentVariable("GUARDDUTY_COVERAGE_DEBUG") is { Length: > 0 })
            {
                await error.WriteLineAsync(e.ToString());
            }

            return CliException.ExitCode;
        }
    }

    private static Command CrdCommand()
    {
        var command = new Command("crd", "Print the GuardDutyCoverage CustomResourceDefinition generated from the API types.");
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.Write(YamlJson.Serialize(CrdGenerator.Generate()));
            return 0;
        });
        return command;
    }

    /// <summary><c>version</c>: what <c>--version</c> prints, plus the platform and runtime, as text or JSON.</summary>
    internal static Command VersionCommand(BuildInfo build)
    {
        var output = new Option<string>("--output", "-o") { Description = "Output format.", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        var command = new Command("version", "Print the version, the commit, the platform and the runtime of this binary.") { output };
        command.SetAction(parse =>
        {
            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(output) == "json")
            {
                writer.Write(VersionJson(build));
                writer.Write('\n');
            }
            else
            {
                writer.Write($"guardduty-coverage {build.Version}\n");
                writer.Write($"commit:   {build.Revision}\n");
                writer.Write($"platform: {build.Platform}\n");
                writer.Write($"runtime:  {build.Runtime}{(build.NativeAot ? " (NativeAOT)" : "")}\n");
            }

            return 0;
        });
        return command;
    }

    /// <summary>One JSON object with stable keys: scripts (hack/release-check.sh) compare it across binaries.</summary>
    internal static string VersionJson(BuildInfo build)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("version", build.Version);
            json.WriteString("revision", build.Revision);
            json.WriteString("os", build.Os);
            json.WriteString("arch", build.Arch);
            json.WriteString("runtime", build.Runtime);
            json.WriteBoolean("nativeAot", build.NativeAot);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
