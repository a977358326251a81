using Xunit.Abstractions;

namespace GuardDutyCoverage.Tests.Sandbox;

public sealed class GoldenReplayTests(ITestOutputHelper output)
{
    /// <summary>
    /// Every recorded exchange: discovery, CRD lifecycle, CRUD with the real Status bodies (404/409/410/422, the schema's
    /// 422s), managedFields of every write, server-side apply and its conflicts, status subresource and generation,
    /// watch, list RV semantics, Tables, dry-run, SubjectAccessReviews under RBAC, the admission webhook (unreachable,
    /// denials, dry-run, and the AdmissionReviews it received), leases, CRD removal. 69-77 are kubectl traces, replayed
    /// as the kubectl commands themselves (KubectlTests compares their output) so that 79-81 see the state they left.
    /// 82-95 (a second session on a fresh server): LIST resourceVersion semantics with and without limit and match,
    /// continue tokens and Exact reads after compaction, an API server restart and the re-lists after it.
    /// </summary>
    private static readonly int[] ExpectedToPass = [.. Enumerable.Range(1, 68), 78, .. Enumerable.Range(82, 14)];

    /// <summary>79-81 start from the state the kubectl commands of 69-71 leave; without kubectl they are not replayed.</summary>
    private static readonly int[] ExpectedToPassWithKubectl = [79, 80, 81];

    [Fact]
    public async Task Replays_the_recorded_kube_apiserver_exchanges()
    {
        await using var replay = new GoldenReplay();
        await replay.RunAsync();
        output.WriteLine(replay.Report());

        var expected = Kubectl.Available ? ExpectedToPass.Concat(ExpectedToPassWithKubectl).ToList() : [.. ExpectedToPass];
        var failing = expected
            .Select(n => replay.Results.Single(r => r.Number == n))
            .Where(r => r.Outcome != "PASS")
            .Select(r => $"{r.Name}: {string.Join("; ", r.Differences)}")
            .ToList();
        Assert.True(failing.Count == 0, "expected-passing exchanges failed:\n" + string.Join("\n", failing));
        Assert.Equal(GoldenReplay.Load().Count, replay.Results.Count);
        Assert.All(replay.Results.Where(r => !expected.Contains(r.Number)), r => Assert.Equal("SKIP", r.Outcome));
    }
}
