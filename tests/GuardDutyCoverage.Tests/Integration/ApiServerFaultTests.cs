using System.Diagnostics;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using KubeSandbox;
using Xunit.Abstractions;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// Issue 8's faults, against the sandbox's v1.24 resourceVersion semantics (k8s-golden 82-95): an API server restart,
/// an outage, compaction past every informer's resourceVersion, an expired watch cache, 429 and 5xx storms, and a
/// view that stays blind. For each: a change made after the fault is in the status within the lease duration + 5 s
/// (20 s), the LISTs per resource stay under the informers' pacing bound, and no status written after the change
/// says Ready=True.
/// </summary>
public sealed class ApiServerFaultTests(ITestOutputHelper output)
{
    /// <summary>ManagerOptions.LeaseDuration (15 s) + 5 s.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    private static readonly string[] InformedResources =
        ["guarddutycoverages", "priorityclasses", "clusterrolebindings", "validatingwebhookconfigurations", "mutatingwebhookconfigurations", "namespaces", "daemonsets", "pods"];

    private static void DeleteAddonBinding(OperatorUnderTest it) =>
        it.Sandbox.Cluster.Delete("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", null, "eks:addon-cluster-admin");

    private static void DeletePriorityClass(OperatorUnderTest it) =>
        it.Sandbox.Cluster.Delete("scheduling.k8s.io/v1", "PriorityClass", null, "aws-guardduty-agent.priorityclass");

    [Fact]
    public async Task AfterAnApiServerRestartEveryInformerRelistsOnceAndADeletedBindingIsSeen()
    {
        await using var it = await StartHealthyAsync();
        it.Sandbox.ClearRequests();

        // The issue's scenario: kube-apiserver restarted (etcd kept), then eks:addon-cluster-admin deleted.
        var restart = it.Sandbox.Faults.RestartApiServer();
        Assert.True(restart.BrokenWatches > 0);
        var took = await ChangeIsSeenAsync(it, () => DeleteAddonBinding(it), ReasonCodes.AddonManagerForbidden);

        AssertRelistsBounded(it, max: 2);
        AssertNoExactRelist(it);
        await AssertAllCurrentAsync(it);
        output.WriteLine($"restart: {Describe(it)}; change seen after {took.TotalSeconds:0.0}s");
    }

    [Fact]
    public async Task AfterATwentySecondOutageTheNextChangeIsSeen()
    {
        await using var it = await StartHealthyAsync();
        it.Sandbox.ClearRequests();

        it.Sandbox.Faults.StopApiServer();

        // The outage itself is the fault: 20 s of real time without an API server.
        await Task.Delay(TimeSpan.FromSeconds(20));
        it.Sandbox.Faults.StartApiServer();
        var took = await ChangeIsSeenAsync(it, () => DeletePriorityClass(it), ReasonCodes.PriorityClassMissing);

        AssertRelistsBounded(it, max: 3);
        AssertNoExactRelist(it);
        await AssertAllCurrentAsync(it);
        output.WriteLine($"outage: {Describe(it)}; change seen after {took.TotalSeconds:0.0}s");
    }

    [Fact]
    public async Task CompactionPastEveryInformersVersionAndAnExpiredWatchCacheAreRecoveredFrom()
    {
        await using var it = await StartHealthyAsync();
        it.Sandbox.ClearRequests();

        // etcd compacted at the current revision and the watch caches' windows emptied: every watch from an older
        // resourceVersion is 410; the informers' re-lists must not ask etcd for that revision (89).
        it.Sandbox.Faults.Compact();
        Assert.True(it.Sandbox.Faults.ExpireWatches() > 0);
        var took = await ChangeIsSeenAsync(it, () => DeletePriorityClass(it), ReasonCodes.PriorityClassMissing);

        AssertRelistsBounded(it, max: 2);
        AssertNoExactRelist(it);
        Assert.DoesNotContain(it.Sandbox.Requests, r => r.Verb == "list" && r.StatusCode == 410);
        await AssertAllCurrentAsync(it);
        output.WriteLine($"compaction: {Describe(it)}; change seen after {took.TotalSeconds:0.0}s");
    }

    [Fact]
    public async Task AnExpiredWatchCacheWithDroppedConnectionsIsRecoveredFrom()
    {
        await using var it = await StartHealthyAsync();
        it.Sandbox.ClearRequests();

        // The watch cache forgot its history and every connection broke: reconnecting watches get 410 and re-list.
        it.Sandbox.Faults.ExpireWatchCache();
        Assert.True(it.Sandbox.Faults.DropWatches() > 0);
        var took = await ChangeIsSeenAsync(it, () => DeleteAddonBinding(it), ReasonCodes.AddonManagerForbidden);

        AssertRelistsBounded(it, max: 2);
        await AssertAllCurrentAsync(it);
        output.WriteLine($"watch cache expiry: {Describe(it)}; change seen after {took.TotalSeconds:0.0}s");
    }

    [Fact]
    public async Task ThrottlingWithRetryAfterAndServerErrorStormsAreRiddenOut()
    {
        await using var it = await StartHealthyAsync();
        it.Sandbox.ClearRequests();

        // 16 LIST/WATCH requests answered 429 Retry-After: 2, then 16 answered 500, with every watch broken first.
        var throttled = it.Sandbox.Faults.FailNext(16, r => r.Verb is "list" or "watch", 429, TimeSpan.FromSeconds(2));
        var storm = it.Sandbox.Faults.FailNext(16, r => r.Verb is "list" or "watch" && throttled.Remaining == 0, 500);
        Assert.True(it.Sandbox.Faults.ExpireWatches() > 0);
        var stopwatch = Stopwatch.StartNew();
        while ((throttled.Remaining > 0 || storm.Remaining > 0) && stopwatch.Elapsed < TimeSpan.FromSeconds(120))
        {
            await Task.Delay(100);
        }

        Assert.Equal(0, storm.Remaining);
        var took = await ChangeIsSeenAsync(it, () => DeletePriorityClass(it), ReasonCodes.PriorityClassMissing);

        // Each informer's LISTs over the storm stay under its pacing bound (11 a minute), whatever the storm's length.
        var minutes = Math.Max(1, (int)Math.Ceiling(stopwatch.Elapsed.TotalMinutes));
        AssertRelistsBounded(it, max: 11 * minutes);
        await AssertAllCurrentAsync(it);
        output.WriteLine($"429/5xx storm over {stopwatch.Elapsed.TotalSeconds:0}s: {Describe(it)}; change seen after {took.TotalSeconds:0.0}s");
    }

    [Fact]
    public async Task ABlindInformerMakesReadyUnknownKeepsTheStatusAndRecovers()
    {
        await using var it = await OperatorUnderTest.StartAsync(options: new OperatorOptions { ClusterViewStaleAfter = TimeSpan.FromSeconds(3) });
        it.ApplyCoverage();

        // Ready with every AWS answer in (the EKS and EC2 reads may land a poll after GuardDuty's, a later write).
        var healthy = await it.WaitForStatusAsync(
            s => new[] { ConditionTypes.Ready, "EksAddonHealthy", "NetworkReady" }.All(type => s.Conditions.Find(type)?.Status == ConditionStatus.True),
            what: "Ready with every AWS answer");

        // ClusterRoleBindings can no longer be listed or watched (RBAC removed, a broken aggregated API, ...).
        var blind = it.Sandbox.Faults.FailNext(int.MaxValue, r => r.Resource == "clusterrolebindings" && r.Verb is "list" or "watch", 503);
        Assert.True(it.Sandbox.Faults.ExpireWatches("rbac.authorization.k8s.io", "clusterrolebindings") > 0);
        DeleteAddonBinding(it);

        var stale = await it.WaitForStatusAsync(s => s.Conditions.Find(ConditionTypes.Ready)?.Reason == ReasonCodes.ClusterViewStale, timeout: TimeSpan.FromSeconds(30), what: "Ready Unknown ClusterViewStale");
        var ready = stale.Conditions.Find(ConditionTypes.Ready)!;
        Assert.Equal(ConditionStatus.Unknown, ready.Status);
        Assert.Contains("clusterrolebindings.rbac.authorization.k8s.io not current since", ready.Message, StringComparison.Ordinal);
        Assert.Contains("503", ready.Message, StringComparison.Ordinal);
        Assert.Equal(Verdicts.Unknown, stale.Coverage);
        Assert.Equal(Verdicts.Unknown, stale.Local);

        // Nothing observed before is blanked: agent counts, GuardDuty's data and the per-check conditions stay.
        Assert.Equal(healthy.Agent!.Summary, stale.Agent!.Summary);
        Assert.Equal(healthy.GuardDuty!.CoverageStatus, stale.GuardDuty!.CoverageStatus);
        Assert.Equal(
            healthy.Conditions!.Where(c => c.Type != ConditionTypes.Ready).Select(c => (c.Type, c.Status)),
            stale.Conditions!.Where(c => c.Type != ConditionTypes.Ready).Select(c => (c.Type, c.Status)));
        await it.WaitForEventAsync(ReasonCodes.ClusterViewStale);

        // /readyz fails and says why; the age is exported.
        using var http = new HttpClient();
        var readyz = await http.GetAsync(new Uri(it.Manager!.HealthProbeAddress!, "/readyz?verbose"));
        Assert.Equal(500, (int)readyz.StatusCode);
        Assert.Contains("[-]informers failed: not current: clusterrolebindings.rbac.authorization.k8s.io since", await readyz.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        it.Manager.InformerMonitor.Refresh();
        Assert.True(it.Manager.RuntimeMetrics.InformerLastSyncAge.Value("clusterrolebindings.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io") > 3);

        // The view heals: the binding's deletion, made while blind, is diagnosed without any other change.
        it.Sandbox.Faults.Clear();
        Assert.True(blind.Fired > 0);
        var stopwatch = Stopwatch.StartNew();
        var after = await it.WaitForStatusAsync(s => s.Findings?.Any(f => f.Reason == ReasonCodes.AddonManagerForbidden) == true, timeout: Budget, what: "AddonManagerForbidden once the view is current");
        Assert.Equal(ConditionStatus.False, after.Conditions.Find(ConditionTypes.Ready)!.Status);
        output.WriteLine($"blind view: healed and diagnosed after {stopwatch.Elapsed.TotalSeconds:0.0}s");
        Assert.Equal(200, (int)(await http.GetAsync(new Uri(it.Manager.HealthProbeAddress!, "/readyz"))).StatusCode);
    }

    private static async Task<OperatorUnderTest> StartHealthyAsync()
    {
        var it = await OperatorUnderTest.StartAsync();
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);
        await AssertAllCurrentAsync(it);
        return it;
    }

    /// <summary>
    /// Makes the change and waits (within <see cref="Budget"/>) for its finding; once the finding is in the status, no
    /// later status may be Ready=True (watched for another 2 s). Returns how long it took.
    /// </summary>
    private static async Task<TimeSpan> ChangeIsSeenAsync(OperatorUnderTest it, Action change, string reason)
    {
        change();
        var stopwatch = Stopwatch.StartNew();
        await it.WaitForStatusAsync(s => s.Findings?.Any(f => f.Reason == reason) == true, timeout: Budget, what: $"a {reason} finding within {Budget.TotalSeconds}s");
        var took = stopwatch.Elapsed;
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromSeconds(2))
        {
            var status = it.Coverage()!.Status!;
            Assert.NotEqual(ConditionStatus.True, status.Conditions.Find(ConditionTypes.Ready)?.Status);
            Assert.Contains(status.Findings!, f => f.Reason == reason);
            await Task.Delay(50);
        }

        return took;
    }

    private static void AssertRelistsBounded(OperatorUnderTest it, int max)
    {
        foreach (var resource in InformedResources)
        {
            var lists = it.Sandbox.Requests.Count(r => r.Verb == "list" && r.Resource == resource && r.Name is null);
            Assert.True(lists <= max, $"{resource}: {lists} LISTs since the fault (bound {max}): {Describe(it)}");
        }
    }

    /// <summary>No re-list asked etcd for an old revision: a resourceVersion other than "" and "0" never comes with a limit (83, 92).</summary>
    private static void AssertNoExactRelist(OperatorUnderTest it) =>
        Assert.DoesNotContain(it.Sandbox.Requests, IsExactRelist);

    /// <summary>A LIST that asks etcd for an old revision: a resourceVersion other than "" and "0" with a limit (golden 83, 92).</summary>
    internal static bool IsExactRelist(KubeSandbox.SandboxRequest r) =>
        r.Verb == "list"
        && System.Web.HttpUtility.ParseQueryString(r.Query) is var q
        && q["limit"] is not null
        && q["resourceVersion"] is { Length: > 0 } rv && rv != "0";

    private static async Task AssertAllCurrentAsync(OperatorUnderTest it)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (it.Manager!.Informers.Any(i => !i.IsCurrent) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.All(it.Manager.Informers, i => Assert.True(i.IsCurrent, $"{i.Name} not current since {i.NotCurrentSince}: {i.LastError}"));
    }

    private static string Describe(OperatorUnderTest it) =>
        string.Join(", ", InformedResources.Select(resource =>
            $"{resource} {it.Sandbox.Requests.Count(r => r.Verb == "list" && r.Resource == resource && r.Name is null)} lists/{it.Sandbox.Requests.Count(r => r.Resource == resource)} requests"));
}
