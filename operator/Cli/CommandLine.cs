using System.CommandLine;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Cli;

/// <summary>The <c>guardduty-coverage</c> command tree. Exit codes: 0 ok/healthy, 1 unhealthy, 2 usage or runtime error.</summary>
public static class CommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("GuardDuty Coverage Operator: declare, check and explain GuardDuty EKS Runtime Monitoring coverage.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(CrdCommand());
        root.Subcommands.Add(DiagnoseCommand.Create(LiveDiagnosis.Source));
        root.Subcommands.Add(CoverageCommands.Create());
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync("error: " + error.Message);
            }

            return 2;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return CliException.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug or an environment we did not foresee: still one line, with what to do for details.
            await Console.Error.WriteLineAsync($"error: {e.GetType().Name}: {e.Message} (set GUARDDUTY_COVERAGE_DEBUG=1 for the stack trace, and please report it)");
            if (Environment.GetEnvironmentVariable("GUARDDUTY_COVERAGE_DEBUG") is { Length: > 0 })
            {
                await Console.Error.WriteLineAsync(e.ToString());
            }

            return CliException.ExitCode;
        }
    }

    private static Command CrdCommand()
    {
        var command = new Command("crd", "Print the GuardDutyCoverage CustomResourceDefinition generated from the API types.");
        command.SetAction(_ =>
        {
            Console.Out.Write(YamlJson.Serialize(CrdGenerator.Generate()));
            return 0;
        });
        return command;
    }
}
