using System.Diagnostics;
using System.Text.Json;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using KubeSandbox;
using Xunit.Abstractions;

namespace GuardDutyCoverage.Tests.E2E;

/// <summary>
/// Issue 8's headline faults against the real binary as a process (Integration/ApiServerFaultTests runs the whole set
/// in-process, where it can look inside the informers): an API server restart with etcd kept, and a 429/5xx storm.
/// For each: the change made after the fault is in the status within the lease duration + 5 s, every resource is
/// re-listed within a small bound and never with an Exact read of an old revision, and no status after the change
/// says Ready=True.
/// </summary>
public sealed class ApiServerFaultProcessTests(ITestOutputHelper output) : SandboxProcessTest("gdc-faults-")
{
    private const string Coverage = "prod-eks-1";

    /// <summary>The lease duration (15 s, the default of run) + 5 s.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AfterAnApiServerRestartTheBinaryRelistsEachResourceOnceAndSeesTheDeletedBinding()
    {
        await using var aws = await SeedHealthyDemoClusterAsync();
        await using var replica = OperatorReplica.Start(aws, Kubeconfig);
        await WaitReadyAndCurrentAsync(replica);
        Sandbox.ClearRequests();

        // kube-apiserver restarted, etcd kept (an EKS control-plane upgrade): every watch breaks, the new watch cache
        // starts at the current revision, limited lists at an old resourceVersion are stale (golden 91-94).
        var restart = Sandbox.Faults.RestartApiServer();
        Assert.True(restart.BrokenWatches > 0);
        var took = await ChangeIsSeenAsync(replica, () => Sandbox.Cluster.Delete("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", null, "eks:addon-cluster-admin"), ReasonCodes.AddonManagerForbidden);

        AssertRelistsBounded(max: 2);
        AssertNoExactRelist();
        await replica.WaitCurrentAsync(readyz: true, TimeSpan.FromSeconds(60));
        output.WriteLine($"restart (binary): {restart.BrokenWatches} watches broken; {DescribeLists()}; change seen after {took.TotalSeconds:0.0}s");
    }

    [Fact]
    public async Task TheBinaryRidesOutThrottlingWithRetryAfterAndAServerErrorStorm()
    {
        await using var aws = await SeedHealthyDemoClusterAsync();
        await using var replica = OperatorReplica.Start(aws, Kubeconfig);
        await WaitReadyAndCurrentAsync(replica);
        Sandbox.ClearRequests();

        // Every watch broken, then 16 LIST/WATCH requests answered 429 Retry-After: 2, then 16 answered 500.
        var throttled = Sandbox.Faults.FailNext(16, r => r.Verb is "list" or "watch", 429, TimeSpan.FromSeconds(2));
        var storm = Sandbox.Faults.FailNext(16, r => r.Verb is "list" or "watch" && throttled.Remaining == 0, 500);
        Assert.True(Sandbox.Faults.ExpireWatches() > 0);
        var stopwatch = Stopwatch.StartNew();
        await PollAsync(() => throttled.Remaining == 0 && storm.Remaining == 0, TimeSpan.FromSeconds(120), "the 429s and 500s all served");
        var took = await ChangeIsSeenAsync(replica, () => Sandbox.Cluster.Delete("scheduling.k8s.io/v1", "PriorityClass", null, "aws-guardduty-agent.priorityclass"), ReasonCodes.PriorityClassMissing);

        // The informers' pacing bound: 11 LISTs a minute per resource, however long the storm lasts.
        AssertRelistsBounded(max: 11 * Math.Max(1, (int)Math.Ceiling(stopwatch.Elapsed.TotalMinutes)));
        Assert.Contains(Sandbox.Requests, r => r.StatusCode == 429);
        await replica.WaitCurrentAsync(readyz: true, TimeSpan.FromSeconds(60));
        output.WriteLine($"429/5xx storm (binary) over {stopwatch.Elapsed.TotalSeconds:0}s: {DescribeLists()}; change seen after {took.TotalSeconds:0.0}s");
    }

    private async Task WaitReadyAndCurrentAsync(OperatorReplica replica)
    {
        await PollAsync(() => Ready() == ConditionStatus.True, TimeSpan.FromSeconds(90), "Ready=True before the fault");
        await replica.WaitCurrentAsync(readyz: true, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Makes the change and waits, within <see cref="Budget"/>, for its finding; after it no status may say Ready=True
    /// (watched for another 2 s). Returns how long it took.
    /// </summary>
    private async Task<TimeSpan> ChangeIsSeenAsync(OperatorReplica replica, Action change, string reason)
    {
        change();
        var stopwatch = Stopwatch.StartNew();
        await PollAsync(() => Findings().Contains(reason), Budget, $"a {reason} finding within {Budget.TotalSeconds}s\n{replica.Log}");
        var took = stopwatch.Elapsed;
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromSeconds(2))
        {
            Assert.NotEqual(ConditionStatus.True, Ready());
            Assert.Contains(reason, Findings());
            await Task.Delay(50);
        }

        return took;
    }

    private void AssertRelistsBounded(int max)
    {
        foreach (var (resource, lists) in ListsByResource())
        {
            Assert.True(lists <= max, $"{resource}: {lists} LISTs since the fault (bound {max}): {DescribeLists()}");
        }
    }

    /// <summary>No re-list asked etcd for an old revision: a resourceVersion other than "" and "0" never comes with a limit (golden 83, 92).</summary>
    private void AssertNoExactRelist() =>
        Assert.DoesNotContain(Sandbox.Requests, Integration.ApiServerFaultTests.IsExactRelist);

    private IEnumerable<(string Resource, int Lists)> ListsByResource() =>
        Sandbox.Requests.Where(r => r.Verb == "list" && r.Name is null)
            .GroupBy(r => r.Resource, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Count()))
            .OrderBy(g => g.Key, StringComparer.Ordinal);

    private string DescribeLists() =>
        string.Join(", ", ListsByResource().Select(l => $"{l.Resource} {l.Lists}")) is { Length: > 0 } text ? "LISTs " + text : "no LISTs";

    private string? Ready() => Status()?.Conditions.Find(ConditionTypes.Ready)?.Status;

    private IReadOnlyList<string> Findings() => Status()?.Findings?.Select(f => f.Reason).ToList() ?? [];

    private GuardDutyCoverageStatus? Status() =>
        Sandbox.Cluster.Get(V1Alpha1GuardDutyCoverage.ApiVersionValue, V1Alpha1GuardDutyCoverage.KindName, null, Coverage)?
            .Deserialize(ApiJsonContext.Default.V1Alpha1GuardDutyCoverage)?.Status;
}
