using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using GuardDutyCoverage.Tests.Runtime;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// The API server misbehaving under the operator: dropped watches, 410 Gone, 409 on the status write, 5xx on probes,
/// leadership taken away. The operator must keep its view correct, never crash-loop and never blank a status.
/// </summary>
public sealed class FaultTests
{
    private static void DeletePriorityClass(OperatorUnderTest it) =>
        it.Sandbox.Cluster.Delete("scheduling.k8s.io/v1", "PriorityClass", null, "aws-guardduty-agent.priorityclass");

    [Fact]
    public async Task DroppedWatchesResumeAndTheNextChangeIsSeen()
    {
        await using var it = await OperatorUnderTest.StartAsync();
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);

        Assert.True(it.Sandbox.Faults.DropWatches() > 0);
        DeletePriorityClass(it);
        await it.WaitForFindingAsync(ReasonCodes.PriorityClassMissing);
    }

    [Fact]
    public async Task GoneWatchesRelistAndMissNothing()
    {
        await using var it = await OperatorUnderTest.StartAsync();
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);

        // History compacted and every open watch told 410 Expired: informers must re-list, and a deletion that
        // happened in between must still be noticed (the re-list synthesises the delete).
        DeletePriorityClass(it);
        it.Sandbox.Faults.Compact();
        Assert.True(it.Sandbox.Faults.ExpireWatches() > 0);
        await it.WaitForFindingAsync(ReasonCodes.PriorityClassMissing);
    }

    [Fact]
    public async Task AConflictOnTheStatusWriteIsRetried()
    {
        await using var it = await OperatorUnderTest.StartAsync();
        var conflict = it.Sandbox.Faults.FailNext(2, r => r.Subresource == "status" && r.Method == "PATCH", 409);
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);
        Assert.Equal(2, conflict.Fired);
    }

    [Fact]
    public async Task ServerErrorsOnProbesMakeTheCheckUnknownUntilTheyHeal()
    {
        await using var it = await OperatorUnderTest.StartAsync();
        it.Sandbox.Faults.FailNext(int.MaxValue, r => r.Resource == "subjectaccessreviews", 500);
        it.ApplyCoverage();
        var degraded = await it.WaitForStatusAsync(
            s => s.Conditions.Find(CheckTypes.AddonManagerAuthorized)?.Status is not null,
            what: "AddonManagerAuthorized reported");
        Assert.NotEqual(ConditionStatus.False, degraded.Conditions.Find(CheckTypes.AddonManagerAuthorized)!.Status);
        Assert.Equal("Healthy", degraded.Local);

        // Healed: the next change re-runs the probes (failed probes are not remembered).
        it.Sandbox.Faults.Clear();
        DeletePriorityClass(it);
        var status = await it.WaitForFindingAsync(ReasonCodes.PriorityClassMissing);
        Assert.Equal(ConditionStatus.True, status.Conditions.Find(CheckTypes.AddonManagerAuthorized)!.Status);
    }

    [Fact]
    public async Task LosingTheLeaseStopsTheProcessSoItRestartsClean()
    {
        // A stepped clock moves time only while the operator waits on a timer, so the elector observes every failed
        // renewal however slowly the loaded thread pool runs it.
        var clock = new SteppedClock(DateTimeOffset.UtcNow);
        await using var it = await OperatorUnderTest.StartAsync(startOperator: false, time: clock);
        it.Sandbox.Cluster.LoadYaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: guardduty-coverage-system}\n");
        var run = it.StartWithLeaderElection("guardduty-coverage-system");
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);

        // Another holder takes the Lease (as after a network partition); the next renewals fail, and after the renew
        // deadline the operator gives up leadership and exits non-zero.
        using var kubernetes = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(it.KubeconfigPath));
        var api = new KubeApiClient(kubernetes);
        var lease = (await api.GetAsync(KubeResources.Leases, "guardduty-coverage-operator", "guardduty-coverage-system"))!;
        lease.Spec.HolderIdentity = "intruder";
        lease.Spec.RenewTime = clock.GetUtcNow().UtcDateTime.AddHours(1);
        lease.Spec.LeaseDurationSeconds = 3600;
        await api.UpdateAsync(KubeResources.Leases, lease);
        await clock.StepUntilAsync(() => run.IsCompleted, maxSteps: 500);

        Assert.Equal(1, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
