using System.CommandLine;
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
}
