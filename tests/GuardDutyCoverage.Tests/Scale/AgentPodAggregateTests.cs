using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using GuardDutyCoverage.Tests.Integration;
using k8s.Models;
using CatalogCases = GuardDutyCoverage.Tests.Diagnosis.CatalogRowTests;
using DiagnosisSnapshots = GuardDutyCoverage.Tests.Diagnosis.SnapshotBuilder;

namespace GuardDutyCoverage.Tests.Scale;

/// <summary>
/// Issue 11, reconcile cost: the per-pod checks read the per-DaemonSet aggregates the cache keeps as pods arrive
/// (<see cref="AgentPodSummary"/>) instead of scanning thousands of pods, and say exactly what a scan says. Every
/// catalog case and support bundle is diagnosed both ways; each aggregate is shown to be what its check reads; and
/// a reconcile over loaded caches with nothing to report builds nothing and sends nothing. Never wall-clock time.
/// </summary>
public sealed class AgentPodAggregateTests
{
    [Theory]
    [MemberData(nameof(CacheTrimTests.Inputs), MemberType = typeof(CacheTrimTests))]
    public async Task TheDiagnosisFromTheKeptFiguresIsTheDiagnosisFromThePods(string input)
    {
        var (loaded, options) = await CacheTrimTests.LoadAsync(input);
        if (loaded is null)
        {
            Assert.StartsWith("bundle:", input, StringComparison.Ordinal);
            return;
        }

        var snapshot = AsTheCacheReadsIt(loaded);
        var scanned = ReportWriter.Json(DiagnosisEngine.Diagnose(snapshot with { AgentPodSummary = null }, options));
        var kept = ReportWriter.Json(DiagnosisEngine.Diagnose(snapshot with { AgentPodSummary = Kept(snapshot, new Random(input.Length)) }, options));

        Assert.Equal(scanned, kept);
    }

    /// <summary>Each aggregate is what its check reads: emptied, the check no longer sees what the pods show.</summary>
    public static TheoryData<string, string> Blindings() => new()
    {
        { ReasonCodes.AgentOOMKilled, nameof(AgentPodSummary.TerminatedPods) },
        { ReasonCodes.AgentKernelUnsupported, nameof(AgentPodSummary.TerminatedPods) },
        { ReasonCodes.AgentPodSpecMutated, nameof(AgentPodSummary.SpecShapes) },
        { ReasonCodes.NodesWithoutAgent, nameof(AgentPodSummary.RunningReadyByNode) },
    };

    [Theory]
    [MemberData(nameof(Blindings))]
    public void TheCheckReadsTheKeptFigureNotThePods(string reason, string figure)
    {
        var builder = new DiagnosisSnapshots();
        CatalogCases.Cases[(reason, FindingSource.Local)](builder);
        var snapshot = AsTheCacheReadsIt(builder.Build());
        var summary = Kept(snapshot, new Random(1));

        var seen = DiagnosisEngine.Diagnose(snapshot with { AgentPodSummary = summary });
        var blind = DiagnosisEngine.Diagnose(snapshot with
        {
            AgentPodSummary = figure switch
            {
                nameof(AgentPodSummary.TerminatedPods) => summary with { TerminatedPods = [] },
                nameof(AgentPodSummary.SpecShapes) => summary with { SpecShapes = summary.SpecShapes!.Clear() },
                _ => summary with { RunningReadyByNode = summary.RunningReadyByNode!.Clear() },
            },
        });

        Assert.Contains(seen.Findings, f => f.Reason == reason);
        if (reason == ReasonCodes.NodesWithoutAgent)
        {
            // Every node looks agent-less: the nodes whose agent runs are named too.
            var message = seen.Findings.Single(f => f.Reason == reason).Message;
            Assert.NotEqual(message, blind.Findings.Single(f => f.Reason == reason).Message);
            Assert.DoesNotContain("ip-10-0-1-1.ec2.internal", message, StringComparison.Ordinal);
            Assert.Contains("ip-10-0-1-1.ec2.internal", blind.Findings.Single(f => f.Reason == reason).Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain(blind.Findings, f => f.Reason == reason);
        }
    }

    [Fact]
    public void ThePodsReadyBeforeAndBetweenTwoTimesAreSearchesThatEqualACount()
    {
        var random = new Random(11);
        var tally = new AgentPodTally();
        var pods = new List<V1Pod>();
        for (var i = 0; i < 300; i++)
        {
            var pod = DiagnosisSnapshots.ReadyPod($"aws-guardduty-agent-{i:D3}");
            pod.Metadata.NamespaceProperty = "amazon-guardduty";
            pod.Spec.NodeName = $"node-{random.Next(120)}";
            pod.Status.Phase = random.Next(5) == 0 ? "Pending" : "Running";
            var ready = pod.Status.Conditions.Single(c => c.Type == "Ready");
            ready.Status = random.Next(4) == 0 ? "False" : "True";
            ready.LastTransitionTime = new DateTime(2026, 11, 26, 0, 0, 0, DateTimeKind.Utc).AddMinutes(random.Next(600));
            tally.Apply(null, pod);
            pods.Add(pod);
        }

        // Some pods leave, some change: the kept figures follow.
        foreach (var pod in pods.Where((_, i) => i % 7 == 0).ToList())
        {
            tally.Apply(pod, null);
            pods.Remove(pod);
        }

        var summary = tally.Summary();
        for (var probe = 0; probe < 200; probe++)
        {
            var after = new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(-10, 620));
            var before = after.AddMinutes(random.Next(-30, 300));
            DateTimeOffset? Since(V1Pod p) => KubeObjects.Time(p.Status.Conditions.Single(c => c.Type == "Ready").LastTransitionTime);
            var readyNodes = pods.Where(p => p.Status.Phase == "Running" && p.Status.Conditions.Single(c => c.Type == "Ready").Status == "True" && Since(p) < before)
                .Select(p => p.Spec.NodeName).Distinct(StringComparer.Ordinal).Count();
            var between = pods.Count(p => Since(p) is { } t && t > after && t < before);

            Assert.Equal(readyNodes, summary.ReadyNodesBefore(before));
            Assert.Equal(between, summary.ReadyTransitionsBetween(after, before));
        }
    }

    [Fact]
    public async Task ANoOpReconcileOverLoadedCachesBuildsNothingSendsNothingAndDiagnosesAsAScan()
    {
        await using var loaded = await LoadedReconciler.StartAsync(pods: 300, nodes: 300, webhooks: 20);
        var ready = loaded.Coverage()!.Status!;
        Assert.Equal(ConditionStatus.True, ready.Conditions.Find(ConditionTypes.Ready)?.Status);
        Assert.Contains("300/300 agent pods available", ready.Conditions.Find(ConditionTypes.Ready)!.Message, StringComparison.Ordinal);
        Assert.Equal(300, ready.Nodes?.WithAgent);

        var builds = loaded.View.SnapshotBuilds;
        var requests = loaded.Requests;
        for (var i = 0; i < 5; i++)
        {
            await loaded.ReconcileAsync();
        }

        // Nothing changed: the objects read last time are reused, and nothing is sent.
        Assert.Equal(builds, loaded.View.SnapshotBuilds);
        Assert.Equal(requests, loaded.Requests);

        // A pod changes in a way no check reads: one new read of the objects, still nothing sent or written.
        await loaded.TouchPodAsync(7, round: 1);
        await loaded.ReconcileAsync();
        await loaded.ReconcileAsync();
        Assert.Equal(builds + 1, loaded.View.SnapshotBuilds);
        Assert.Equal(requests, loaded.Requests);

        // What the reconcile diagnosed from the kept figures is what a scan of the cached pods says.
        var target = DiagnosisTarget.FromSpec(loaded.Coverage()!.Spec, OperatorUnderTest.Region);
        var objects = await loaded.View.ReadAsync(target, default);
        Assert.NotNull(objects.AgentPodSummary);
        var snapshot = GuardDutyCoverage.Controller.SnapshotBuilder.Build(target, objects, null, loaded.Poller.Snapshot(loaded.Name)?.ToDiagnosis(), "v1.32.0", DiagnosisMemory.None, DateTimeOffset.UtcNow);
        Assert.Equal(
            ReportWriter.Json(DiagnosisEngine.Diagnose(snapshot with { AgentPodSummary = null })),
            ReportWriter.Json(DiagnosisEngine.Diagnose(snapshot)));
    }

    /// <summary>
    /// The snapshot as the operator's cache hands it over: the objects through the cache transforms, and the agent
    /// pods as ClusterView reads them (the DaemonSet's by key, then the owner-less ones by key).
    /// </summary>
    private static ClusterSnapshot AsTheCacheReadsIt(ClusterSnapshot snapshot)
    {
        var cached = CacheTrimTests.Copy(snapshot, CacheTransforms.For);
        var owned = cached.AgentPods.Where(p => IsOwned(cached, p)).OrderBy(InformerCache<V1Pod>.KeyOf, StringComparer.Ordinal);
        var ownerless = cached.AgentPods.Where(p => p.Metadata?.OwnerReferences is not { Count: > 0 }).OrderBy(InformerCache<V1Pod>.KeyOf, StringComparer.Ordinal);
        return cached with { AgentPods = [.. owned, .. ownerless], AgentPodSummary = null };
    }

    private static bool IsOwned(ClusterSnapshot snapshot, V1Pod pod) =>
        pod.Metadata?.NamespaceProperty is null or "" || pod.Metadata.NamespaceProperty == snapshot.Target.AgentNamespace
            ? ClusterView.OwnersOf(pod).Contains("DaemonSet/" + snapshot.Target.DaemonSetName)
            : false;

    /// <summary>The figures a cache would keep for the DaemonSet's pods, applied in a random order with some updates and re-adds.</summary>
    private static AgentPodSummary Kept(ClusterSnapshot snapshot, Random random)
    {
        var tally = new AgentPodTally();
        var owned = snapshot.AgentPods.Where(p => IsOwned(snapshot, p)).OrderBy(_ => random.Next()).ToList();
        foreach (var pod in owned)
        {
            tally.Apply(null, pod);
        }

        foreach (var pod in owned.Where(_ => random.Next(2) == 0))
        {
            tally.Apply(pod, pod);
            tally.Apply(pod, null);
            tally.Apply(null, pod);
        }

        return tally.Summary();
    }
}
