using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using GuardDutyCoverage.Tests.Integration;
using Microsoft.Extensions.Logging.Abstractions;
using k8s;
using k8s.Models;
using TestSnapshot = GuardDutyCoverage.Tests.Diagnosis.SnapshotBuilder;

namespace GuardDutyCoverage.Tests.Scale;

/// <summary>
/// Issue 11, reconcile cost, in behaviour: per-DaemonSet pod figures kept incrementally (equal to a scan, read by the
/// reconcile), one snapshot per burst of events, probes that never hold another CR's reconcile, and no request from a
/// reconcile that changes nothing. Never wall-clock time.
/// </summary>
public sealed class ReconcileCostTests
{
    private const string AgentNamespace = "amazon-guardduty";
    private const string Owner = "DaemonSet/aws-guardduty-agent";

    [Fact]
    public async Task PodFiguresKeptAsEventsArriveEqualAScanAfterEveryEventOfRandomSequences()
    {
        await using var manager = new Manager(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });
        var view = ClusterView.Register(manager, [AgentNamespace]);
        var informer = view.Pods(AgentNamespace)!;
        var random = new Random(20261206);
        var live = new HashSet<string>(StringComparer.Ordinal);
        var kinds = new Dictionary<WatchEventType, int>();

        for (var step = 0; step < 2_000; step++)
        {
            var name = $"agent-{random.Next(40)}";
            WatchEventType type;
            if (!live.Contains(name))
            {
                type = WatchEventType.Added;
            }
            else
            {
                type = random.Next(4) == 0 ? WatchEventType.Deleted : WatchEventType.Modified;
            }

            var pod = RandomPod(random, name, step);
            informer.Apply(new WatchEvent<V1Pod>(type, pod, null));
            if (type == WatchEventType.Deleted)
            {
                live.Remove(name);
            }
            else
            {
                live.Add(name);
            }

            kinds[type] = kinds.GetValueOrDefault(type) + 1;
            var scratch = AgentPodSummary.Scan(informer.Cache.ByIndex(ClusterView.PodsByOwner, Owner));
            AssertEquivalent(scratch, view.PodSummary(AgentNamespace, "aws-guardduty-agent")!, step);
        }

        // The sequence exercised every kind of event and every state.
        Assert.Equal(3, kinds.Count);
        Assert.Equal(
            Enum.GetValues<AgentPodState>().Where(s => s != AgentPodState.Healthy).Order(),
            informer.Cache.List().Select(AgentPodSummary.StateOf).Where(s => s != AgentPodState.Healthy).Distinct().Order());
    }

    [Fact]
    public async Task TheReconcileReadsTheKeptFiguresAndDiagnosesAsFromAScan()
    {
        await using var manager = new Manager(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });
        var view = ClusterView.Register(manager, [AgentNamespace]);
        var pods = view.Pods(AgentNamespace)!;
        var builder = new TestSnapshot
        {
            Pods =
            [
                TestSnapshot.ReadyPod("aws-guardduty-agent-a1"),
                TestSnapshot.WaitingPod("aws-guardduty-agent-b2", "CrashLoopBackOff", restarts: 7, lastExit: 1),
                TestSnapshot.PendingPod("aws-guardduty-agent-c3", "0/3 nodes are available: 3 Insufficient cpu."),
                TestSnapshot.WaitingPod("aws-guardduty-agent-d4", "ImagePullBackOff", "Back-off pulling image"),
                TestSnapshot.ReadyPod("aws-guardduty-agent-e5"),
            ],
        };
        builder.DaemonSet!.Status.DesiredNumberScheduled = 5;
        foreach (var pod in builder.Pods)
        {
            pods.Apply(new WatchEvent<V1Pod>(WatchEventType.Added, pod, null));
        }

        var target = DiagnosisTarget.FromSpec(new GuardDutyCoverageSpec { ClusterName = TestSnapshot.Cluster }, TestSnapshot.Region);
        var objects = await view.ReadAsync(target, default);

        // The reconcile's objects carry the figures kept as the pods arrived: no scan made them.
        Assert.NotNull(objects.AgentPodSummary);
        Assert.Same(view.PodSummary(AgentNamespace, "aws-guardduty-agent"), objects.AgentPodSummary);
        Assert.Equal(5, objects.AgentPodSummary.Total);
        Assert.Equal(2, objects.AgentPodSummary.Ready);
        Assert.Equal(["aws-guardduty-agent-b2", "aws-guardduty-agent-c3", "aws-guardduty-agent-d4"], objects.AgentPodSummary.ProblemPods.Select(p => p.Metadata.Name));

        // The diagnosis from the kept figures says exactly what the scan says.
        var scanned = builder.Build() with { AgentPods = objects.AgentNamespacePods };
        var fromScan = DiagnosisEngine.Diagnose(scanned);
        var fromSummary = DiagnosisEngine.Diagnose(scanned with { AgentPodSummary = objects.AgentPodSummary });
        Assert.Equal(Describe(fromScan), Describe(fromSummary));
        Assert.Contains(fromSummary.Findings, f => f.Reason == ReasonCodes.AgentPodsCrashLooping);
        Assert.Contains(fromSummary.Findings, f => f.Reason == ReasonCodes.AgentPodsUnschedulable);
        Assert.Contains(fromSummary.Findings, f => f.Reason == ReasonCodes.AgentImagePullFailed);

        // A problem the summary does not list is not seen: the check reads the summary, not the pods.
        var blind = DiagnosisEngine.Diagnose(scanned with { AgentPodSummary = objects.AgentPodSummary with { ProblemPods = [] } });
        Assert.DoesNotContain(blind.Findings, f => f.Reason == ReasonCodes.AgentPodsCrashLooping);
    }

    [Fact]
    public async Task ABurstOfEventsEnqueuesEachCoverageOnceAndBuildsOneSnapshot()
    {
        await using var manager = new Manager(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });
        var view = ClusterView.Register(manager, [AgentNamespace]);
        using var queue = new WorkQueue<string>("test");
        OperatorHost.Wire(view, queue);
        foreach (var name in new[] { "cov-a", "cov-b" })
        {
            view.Coverages.Apply(new WatchEvent<V1Alpha1GuardDutyCoverage>(WatchEventType.Added, Coverage(name), null));
        }

        var builds = view.SnapshotBuilds;
        for (var i = 0; i < 500; i++)
        {
            var pod = TestSnapshot.ReadyPod($"aws-guardduty-agent-{i % 50}");
            pod.Metadata.ResourceVersion = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            view.Pods(AgentNamespace)!.Apply(new WatchEvent<V1Pod>(i < 50 ? WatchEventType.Added : WatchEventType.Modified, pod, null));
        }

        // 500 pod events concern both CRs: each is queued once.
        Assert.Equal(2, queue.Count);
        var reconciled = await DrainAsync(queue, view);
        Assert.Equal(["cov-a", "cov-b"], reconciled.Order());
        Assert.Equal(builds + 1, view.SnapshotBuilds);

        // Nothing changed: reading again reuses the snapshot; one more event builds one more.
        await DrainAsync(queue, view);
        var target = DiagnosisTarget.FromSpec(Coverage("cov-a").Spec, "us-east-1");
        await view.ReadAsync(target, default);
        Assert.Equal(builds + 1, view.SnapshotBuilds);
        view.Pods(AgentNamespace)!.Apply(new WatchEvent<V1Pod>(WatchEventType.Deleted, TestSnapshot.ReadyPod("aws-guardduty-agent-7"), null));
        Assert.Equal(2, queue.Count);
        await DrainAsync(queue, view);
        Assert.Equal(builds + 2, view.SnapshotBuilds);
    }

    [Fact]
    public async Task AProbeThatHangsForOneCoverageDoesNotDelayAnothers()
    {
        using var handler = new HoldingHandler("agent-a");
        using var kubernetes = new Kubernetes(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" }, handler);
        var runner = new ProbeRunner(new KubeApiClient(kubernetes), TimeProvider.System, NullLogger.Instance);
        var completed = new List<string>();
        runner.RefreshCompleted = key =>
        {
            lock (completed)
            {
                completed.Add(key);
            }
        };
        var targetA = Target("agent-a");
        var targetB = Target("agent-b");
        var interval = TimeSpan.FromMinutes(5);

        // A's probes hang (the API server does not answer): its reconcile is not held, nothing is returned yet.
        Assert.Null(runner.TryGetOrStart("a", targetA, new ClusterObjects(), interval, default));
        await WaitUntilAsync(() => handler.Held > 0);

        // B's probes run and finish while A's still hang; B's next reconcile has them.
        Assert.Null(runner.TryGetOrStart("b", targetB, new ClusterObjects(), interval, default));
        await WaitUntilAsync(() => { lock (completed) { return completed.Contains("b"); } });
        var b = runner.TryGetOrStart("b", targetB, new ClusterObjects(), interval, default);
        Assert.NotNull(b);
        Assert.False(b.Reused);
        Assert.All(b.AccessReviews!, r => Assert.True(r.Allowed));
        Assert.True(runner.TryGetOrStart("b", targetB, new ClusterObjects(), interval, default)!.Reused);
        Assert.True(runner.Refreshing("a"));
        Assert.Null(runner.TryGetOrStart("a", targetA, new ClusterObjects(), interval, default));
        lock (completed)
        {
            Assert.DoesNotContain("a", completed);
        }

        // Released, A's refresh completes and requeues A; one refresh ran for it, not one per reconcile.
        handler.Release();
        await WaitUntilAsync(() => { lock (completed) { return completed.Contains("a"); } });
        Assert.NotNull(runner.TryGetOrStart("a", targetA, new ClusterObjects(), interval, default));
        // (A's reviews run one after another; two name its namespace: the Namespace's and the DaemonSet's.)
        Assert.Equal(LiveProbes.AccessReviews(targetA).Count(p => p.Namespace == "agent-a" || p.Name == "agent-a"), handler.Held);
    }

    [Fact]
    public async Task AfterReadyAReconcileWithNothingChangedSendsNoRequest()
    {
        await using var it = await OperatorUnderTest.StartAsync();
        it.ApplyCoverage();

        // Ready, and every AWS answer in (the EKS and EC2 reads may land a poll after GuardDuty's: a real change).
        await it.WaitForStatusAsync(
            s => new[] { ConditionTypes.Ready, "EksAddonHealthy", "NetworkReady" }.All(type => s.Conditions.Find(type)?.Status == ConditionStatus.True),
            what: "Ready with every AWS answer");
        var reconciles = it.Manager!.RuntimeMetrics.ReconcileTotal;

        // The announcement of the first diagnosis goes out asynchronously; after it, a pod that changes in a way no
        // check reads makes every reconcile a no-op: no PATCH, no GET, no probe, nothing.
        await WaitUntilAsync(() => it.Sandbox.Requests.Any(r => r.Resource == "events" && r.Verb is "create" or "patch"));
        it.Sandbox.ClearRequests();
        for (var i = 0; i < 3; i++)
        {
            await TouchPodAsync(it, reconciles, i);
        }

        Assert.DoesNotContain(it.Sandbox.Requests, r => r.Verb != "watch");

        // Right after a status write, before the informer delivers it (held here: the CR watch's next request waits),
        // a reconcile used to diff against the status it had already replaced, send the same PATCH again from the
        // old resourceVersion and get a 409 (the 0.14 writes per no-op reconcile of the last bench).
        var hold = it.Sandbox.Faults.Delay(r => r.Resource == "guarddutycoverages" && r.Verb is "watch" or "list", TimeSpan.FromSeconds(10), count: 1);
        it.Sandbox.Faults.CloseWatches(V1Alpha1GuardDutyCoverage.Group, V1Alpha1GuardDutyCoverage.Plural);
        await WaitUntilAsync(() => hold.Fired == 1);
        var writes = StatusWrites(it);
        it.Sandbox.Cluster.Delete("scheduling.k8s.io/v1", "PriorityClass", null, "aws-guardduty-agent.priorityclass");
        await WaitUntilAsync(() => StatusWrites(it) > writes && it.Sandbox.Requests.Last(IsStatusWrite).StatusCode != 0);
        writes = StatusWrites(it);
        await TouchPodAsync(it, reconciles, 3);

        Assert.True(it.Coverage()!.Status!.Findings is { Count: > 0 }, "the change was written");
        Assert.Equal(writes, StatusWrites(it));
        Assert.DoesNotContain(it.Sandbox.Requests, r => r.StatusCode == (int)HttpStatusCode.Conflict);
    }

    private static async Task TouchPodAsync(OperatorUnderTest it, Counter reconciles, int round)
    {
        var before = TotalReconciles(reconciles);
        var pod = it.Sandbox.Cluster.Get("v1", "Pod", AgentNamespace, "aws-guardduty-agent-p1")!;
        ((JsonObject)pod["metadata"]!)["annotations"] = new JsonObject { ["example.com/touched"] = round.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        it.Sandbox.Cluster.Upsert(pod);
        await WaitUntilAsync(() => TotalReconciles(reconciles) > before);
        await WaitUntilAsync(() => it.Manager!.RuntimeMetrics.ActiveWorkers.Value(CoverageReconciler.ControllerName) == 0);
    }

    private static int StatusWrites(OperatorUnderTest it) => it.Sandbox.Requests.Count(IsStatusWrite);

    private static bool IsStatusWrite(KubeSandbox.SandboxRequest r) =>
        r.Resource == "guarddutycoverages" && r.Subresource == "status" && r.Verb is "patch" or "update";

    private static double TotalReconciles(Counter counter) =>
        new[] { "success", "requeue_after", "requeue", "error" }.Sum(result => counter.Value(CoverageReconciler.ControllerName, result));

    private static async Task<List<string>> DrainAsync(WorkQueue<string> queue, ClusterView view)
    {
        var keys = new List<string>();
        while (queue.Count > 0)
        {
            var item = (await queue.GetAsync())!;
            keys.Add(item.Key);
            var coverage = view.Coverages.Cache.Get(item.Key)!;
            await view.ReadAsync(DiagnosisTarget.FromSpec(coverage.Spec, "us-east-1"), default);
            queue.Done(item.Key);
        }

        return keys;
    }

    private static V1Alpha1GuardDutyCoverage Coverage(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Generation = 1, ResourceVersion = "1" },
        Spec = new GuardDutyCoverageSpec { ClusterName = "prod-eks-1" },
    };

    private static DiagnosisTarget Target(string agentNamespace) =>
        DiagnosisTarget.FromSpec(new GuardDutyCoverageSpec { ClusterName = "c", Agent = new AgentSpec { Namespace = agentNamespace } }, "us-east-1");

    private static string Describe(DiagnosisReport report) =>
        string.Join('\n', report.Checks.Select(c => $"{c.Type} {c.Status} {c.Reason} {c.Message}").Concat(report.Findings.Select(f => $"{f.Reason}: {f.Message}")));

    private static V1Pod RandomPod(Random random, string name, int step)
    {
        var pod = random.Next(6) switch
        {
            0 => TestSnapshot.PendingPod(name, "0/3 nodes are available"),
            1 => TestSnapshot.WaitingPod(name, "CrashLoopBackOff", restarts: 3, lastExit: 1),
            2 => TestSnapshot.WaitingPod(name, random.Next(2) == 0 ? "ErrImagePull" : "ImagePullBackOff"),
            3 => TestSnapshot.WaitingPod(name, "ContainerCreating"),
            _ => TestSnapshot.ReadyPod(name),
        };
        pod.Metadata.ResourceVersion = (step + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        switch (random.Next(5))
        {
            case 0:
                pod.Metadata.OwnerReferences = null;
                break;
            case 1:
                pod.Metadata.OwnerReferences[0].Name = "other-daemonset";
                break;
        }

        pod.Spec.NodeName = random.Next(6) is var n && n == 0 ? null : $"ip-10-0-1-{n}.ec2.internal";
        if (pod.Status.Conditions?.FirstOrDefault(c => c.Type == "Ready") is { } ready)
        {
            ready.LastTransitionTime = new DateTime(2026, 11, 26, 16, 0, 0, DateTimeKind.Utc).AddMinutes(random.Next(30));
        }

        pod.Metadata.Labels ??= new Dictionary<string, string>();
        pod.Metadata.Labels["pod-template-generation"] = random.Next(3).ToString(System.Globalization.CultureInfo.InvariantCulture);
        pod.Spec.Containers[0].Image = random.Next(3) == 0 ? TestSnapshot.Image.Replace("v1.17.1", "v1.16.0", StringComparison.Ordinal) : TestSnapshot.Image;
        return pod;
    }

    private static void AssertEquivalent(AgentPodSummary expected, AgentPodSummary actual, int step)
    {
        var because = $"after event {step}";
        Assert.True(expected.Total == actual.Total, because);
        Assert.True(expected.Ready == actual.Ready, because);
        Assert.True(expected.Running == actual.Running, because);
        Assert.Equal(expected.ByPhase.OrderBy(p => p.Key), actual.ByPhase.OrderBy(p => p.Key));
        Assert.Equal(expected.ByImage.OrderBy(p => p.Key), actual.ByImage.OrderBy(p => p.Key));
        Assert.Equal(expected.ByNode.OrderBy(p => p.Key), actual.ByNode.OrderBy(p => p.Key));
        Assert.Equal(expected.ProblemPods.Select(p => p.Metadata.Name), actual.ProblemPods.Select(p => p.Metadata.Name));
        Assert.Equal(expected.ProblemPods, actual.ProblemPods);

        // The figures the per-pod checks read instead of the pods (issue 11's reconcile cost).
        Assert.Equal(expected.TerminatedPods!, actual.TerminatedPods!);
        Assert.Equal(expected.RunningReadyByNode!.OrderBy(p => p.Key), actual.RunningReadyByNode!.OrderBy(p => p.Key));
        Assert.Equal(
            expected.NotRunningReadyByNode!.OrderBy(p => p.Key).Select(p => (p.Key, string.Join(",", p.Value.Keys))),
            actual.NotRunningReadyByNode!.OrderBy(p => p.Key).Select(p => (p.Key, string.Join(",", p.Value.Keys))));
        Assert.Equal(expected.EarliestReadyByNode!, actual.EarliestReadyByNode!);
        Assert.Equal(expected.ReadyTransitions!, actual.ReadyTransitions!);
        Assert.Equal(
            expected.SpecShapes!.Select(g => string.Join(",", g.Value.Keys)).Order(StringComparer.Ordinal),
            actual.SpecShapes!.Select(g => string.Join(",", g.Value.Keys)).Order(StringComparer.Ordinal));
        Assert.All(expected.SpecShapes!, g => Assert.Equal(g.Value.Keys, actual.SpecShapes![g.Key].Keys));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(20);
        }
    }

    /// <summary>An API server in a handler: holds every request whose body names <paramref name="marker"/> until released; answers the others (SubjectAccessReviews: allowed).</summary>
    private sealed class HoldingHandler(string marker) : DelegatingHandler
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _held;

        public int Held => Volatile.Read(ref _held);

        public void Release() => _release.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            if (body.Contains(marker, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _held);
                await _release.Task.WaitAsync(cancellationToken);
            }

            var review = JsonNode.Parse(body)!.AsObject();
            review["status"] = new JsonObject { ["allowed"] = true };
            return new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json") };
        }
    }
}
