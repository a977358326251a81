namespace GuardDutyCoverage.Tests.Docs;

/// <summary>
/// Every <c>console</c> block of the docs is replayed (<see cref="CliTranscript"/>) and must print what the page shows,
/// so example output cannot drift from the binary.
/// </summary>
public sealed class CliExampleTests
{
    private static readonly string[] Pages = ["cli.md", "troubleshooting.md"];

    public static TheoryData<string, int> ConsoleBlocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var page in Pages)
        {
            foreach (var block in DocPage.Load(page).Blocks.Where(b => b.Language == "console"))
            {
                data.Add(page, block.Line);
            }
        }

        return data;
    }

    [Fact]
    public void ThePagesShowReplayableExamples()
    {
        var cli = DocPage.Load("cli.md").Blocks.Where(b => b.Language == "console").SelectMany(CliTranscript.Steps).ToList();
        Assert.True(cli.Count >= 20, $"docs/cli.md has only {cli.Count} replayed commands");
        foreach (var command in new[] { "diagnose --bundle", "coverage list", "coverage stats", "crd", "--help", "echo $?" })
        {
            Assert.Contains(cli, s => s.Command.Contains(command, StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(ConsoleBlocks))]
    public async Task ConsoleBlockPrintsWhatThePageShows(string page, int line)
    {
        var block = DocPage.Load(page).Blocks.Single(b => b.Line == line);
        var steps = CliTranscript.Steps(block);
        Assert.NotEmpty(steps);
        await using var transcript = new CliTranscript();
        foreach (var step in steps)
        {
            var actual = await transcript.RunAsync(step.Command);
            Assert.True(
                CliTranscript.Normalize(step.ExpectedOutput) == CliTranscript.Normalize(actual),
                $"docs/{page} line {step.Line}: $ {step.Command}\n--- the page shows ---\n{step.ExpectedOutput}\n--- the command prints ---\n{actual}");
        }
    }
}
