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
        root.Subcommands.Add(CrdCommand());
        root.Subcommands.Add(DiagnoseCommand.Create());
        var parse = root.Parse(args);
        var exit = await parse.InvokeAsync();
        // System.CommandLine reports parse errors with 1, which this tool reserves for "unhealthy".
        return parse.Errors.Count > 0 && exit == 1 ? 2 : exit;
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
