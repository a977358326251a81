using Xunit.Abstractions;

namespace GuardDutyCoverage.Tests.Sandbox;

public sealed class GoldenReplayTests(ITestOutputHelper output)
{
    /// <summary>
    /// What the sandbox core must reproduce by itself: discovery, CRD lifecycle, CRUD with the real Status bodies
    /// (404/409/410/422), status subresource and generation, watch (replay, 410, bookmarks, no-RV ADDED), list RV
    /// semantics, Tables, dry-run, leases, built-in defaulting. The exchanges not listed need a module behind a seam
    /// (see <see cref="GoldenReplay.NeedsModule"/>) or, for 79-81, kubectl on PATH.
    /// </summary>
    private static readonly int[] ExpectedToPass =
    [
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 30, 31, 32, 33, 34, 35, 36, 37,
        38, 39, 41, 42, 45, 47, 48, 50, 51, 57, 58, 59, 62, 63, 64, 65, 66, 67, 68, 78,
    ];

    private static readonly int[] ExpectedToPassWithKubectl = [79, 80, 81];

    [Fact]
    public async Task Replays_the_recorded_kube_apiserver_exchanges()
    {
        await using var replay = new GoldenReplay();
        await replay.RunAsync();
        output.WriteLine(replay.Report());

        var expected = Kubectl.Available ? ExpectedToPass.Concat(ExpectedToPassWithKubectl) : ExpectedToPass;
        var failing = expected
            .Select(n => replay.Results.Single(r => r.Number == n))
            .Where(r => r.Outcome != "PASS")
            .Select(r => $"{r.Name}: {string.Join("; ", r.Differences)}")
            .ToList();
        Assert.True(failing.Count == 0, "expected-passing exchanges failed:\n" + string.Join("\n", failing));

        // Every recorded exchange is accounted for: passing, or listed with the module it needs.
        foreach (var result in replay.Results.Where(r => r.Outcome != "PASS"))
        {
            Assert.True(GoldenReplay.NeedsModule.ContainsKey(result.Number) || result.Number >= 79, $"{result.Name} fails without a listed reason");
        }
    }
}
