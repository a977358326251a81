using System.Collections.Immutable;
using k8s.Models;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>What AgentChecks makes of one agent pod, before node-level causes (OOM kill, kernel) are considered.</summary>
public enum AgentPodState
{
    /// <summary>Scheduled, Ready, no container crash-looping or failing to pull: contributes no finding.</summary>
    Healthy,

    Unschedulable,

    CrashLooping,

    ImagePullFailing,

    NotReady,
}

/// <summary>
/// The figures the agent checks would otherwise compute by scanning every pod of the DaemonSet on each diagnosis:
/// counts (total, ready, running, by phase, image and node) and the pods that are not healthy, ordered by key
/// (<c>namespace/name</c>). Kept incrementally by <see cref="AgentPodTally"/> as the informer delivers pods, or
/// computed once by <see cref="Scan"/> (one-shot diagnoses, bundles). The checks only look at
/// <see cref="ProblemPods"/> one by one: at 5,000 healthy pods, that is none.
/// </summary>
public sealed record AgentPodSummary(
    int Total,
    int Ready,
    int Running,
    IReadOnlyDictionary<string, int> ByPhase,
    IReadOnlyDictionary<string, int> ByImage,
    IReadOnlyDictionary<string, int> ByNode,
    IReadOnlyList<V1Pod> ProblemPods)
{
    public static AgentPodSummary Empty { get; } = new(0, 0, 0, new Dictionary<string, int>(), new Dictionary<string, int>(), new Dictionary<string, int>(), [])
    {
        RunningReadyByNode = ImmutableDictionary<string, int>.Empty,
        NotRunningReadyByNode = ImmutableDictionary<string, ImmutableSortedDictionary<string, V1Pod>>.Empty,
        TerminatedPods = [],
        ReadyTransitions = ImmutableSortedSet<(DateTimeOffset, string)>.Empty.WithComparer(AgentPodTally.EarliestOrder),
        SpecShapes = ImmutableDictionary<PodSpecShape, ImmutableSortedDictionary<string, V1Pod>>.Empty,
        EarliestReadyByNode = ImmutableSortedSet<(DateTimeOffset, string)>.Empty.WithComparer(AgentPodTally.EarliestOrder),
    };

    /// <summary>
    /// Per node (<see cref="Checks.NodeChecks.NodeOf"/>: <c>spec.nodeName</c>, else the DaemonSet's node affinity): how
    /// many pods are Running and Ready there (NodeChecks' "node with an agent"). Null: not kept (scan the pods).
    /// </summary>
    public ImmutableDictionary<string, int>? RunningReadyByNode { get; init; }

    /// <summary>Per node, the pods there that are not Running and Ready, by key (what NodeChecks reads of a node without an agent).</summary>
    public ImmutableDictionary<string, ImmutableSortedDictionary<string, V1Pod>>? NotRunningReadyByNode { get; init; }

    /// <summary>
    /// The pods with a container that terminated (<c>state</c> or <c>lastState</c>), ordered by key: the only ones
    /// NodeChecks looks at for an OOM kill or a kernel failure. Null: not kept (scan the pods).
    /// </summary>
    public IReadOnlyList<V1Pod>? TerminatedPods { get; init; }

    /// <summary>Whether a container of <paramref name="pod"/> terminated (what <see cref="TerminatedPods"/> holds).</summary>
    public static bool HasTermination(V1Pod pod) =>
        (pod.Status?.ContainerStatuses ?? []).Any(s => s.LastState?.Terminated is not null || s.State?.Terminated is not null);

    /// <summary>Per node with a Running, Ready pod: the earliest time one turned Ready, ordered by (time, node).</summary>
    public ImmutableSortedSet<(DateTimeOffset Since, string Node)>? EarliestReadyByNode { get; init; }

    /// <summary>Every pod's Ready condition transition (any status) as (time, pod key), ordered: CoverageChecks.Stale counts a range of it.</summary>
    public ImmutableSortedSet<(DateTimeOffset Since, string Node)>? ReadyTransitions { get; init; }

    /// <summary>
    /// How many pods' Ready condition changed strictly after <paramref name="after"/> and strictly before
    /// <paramref name="before"/>: two searches in <see cref="ReadyTransitions"/>. Null when it is not kept.
    /// </summary>
    public int? ReadyTransitionsBetween(DateTimeOffset after, DateTimeOffset before)
    {
        if (ReadyTransitions is not { } transitions)
        {
            return null;
        }

        var upTo = CountBefore(transitions, before);
        var through = after == DateTimeOffset.MaxValue ? transitions.Count : CountBefore(transitions, after.AddTicks(1));
        return Math.Max(0, upTo - through);
    }

    /// <summary>Entries strictly earlier than <paramref name="time"/> (the position (time, "") would take; no key is "").</summary>
    private static int CountBefore(ImmutableSortedSet<(DateTimeOffset Since, string Node)> set, DateTimeOffset time)
    {
        var index = set.IndexOf((time, ""));
        return index >= 0 ? index : ~index;
    }

    /// <summary>
    /// The pods grouped by what AgentPodSpecMutated compares (their <c>pod-template-generation</c> label and each
    /// container's name, image, securityContext and resources; the cache shares equal securityContext and resources
    /// objects, so a DaemonSet's pods make one group), each group's pods by key. Null: not kept (scan the pods).
    /// </summary>
    public ImmutableDictionary<PodSpecShape, ImmutableSortedDictionary<string, V1Pod>>? SpecShapes { get; init; }

    /// <summary>
    /// How many nodes ran a Running pod whose Ready condition turned True before <paramref name="before"/>: a search
    /// in <see cref="EarliestReadyByNode"/>, not a count over the pods. Null when it is not kept.
    /// </summary>
    public int? ReadyNodesBefore(DateTimeOffset before)
    {
        if (EarliestReadyByNode is not { } earliest)
        {
            return null;
        }

        // The position (time, "") would take: every entry before it is earlier (no node is named "").
        return CountBefore(earliest, before);
    }

    /// <summary>The summary of <paramref name="pods"/> computed from scratch (the reference the incremental tally must equal).</summary>
    public static AgentPodSummary Scan(IEnumerable<V1Pod> pods)
    {
        var tally = new AgentPodTally();
        foreach (var pod in pods)
        {
            tally.Apply(null, pod);
        }

        return tally.Summary();
    }

    /// <summary>The state AgentChecks classifies a pod into (the same order of tests as its loop).</summary>
    public static AgentPodState StateOf(V1Pod pod)
    {
        if (KubeObjects.Condition(pod, "PodScheduled") is { Status: "False", Reason: "Unschedulable" })
        {
            return AgentPodState.Unschedulable;
        }

        var statuses = (pod.Status?.InitContainerStatuses ?? []).Concat(pod.Status?.ContainerStatuses ?? []);
        var waiting = statuses.Select(s => s.State?.Waiting?.Reason).Where(r => r is not null).ToList();
        if (waiting.Contains("CrashLoopBackOff"))
        {
            return AgentPodState.CrashLooping;
        }

        if (waiting.Any(r => r is "ErrImagePull" or "ImagePullBackOff"))
        {
            return AgentPodState.ImagePullFailing;
        }

        return KubeObjects.IsReady(pod) ? AgentPodState.Healthy : AgentPodState.NotReady;
    }

    /// <summary>The image a pod's first container runs (the agent's; "" when none).</summary>
    public static string ImageOf(V1Pod pod) => pod.Spec?.Containers is { Count: > 0 } containers ? containers[0].Image ?? "" : "";
}

/// <summary>
/// An <see cref="AgentPodSummary"/> kept up to date one pod change at a time (add: <c>Apply(null, pod)</c>, update:
/// <c>Apply(old, new)</c>, delete: <c>Apply(old, null)</c>), so a reconcile reads the figures without scanning the
/// pods. Thread-safe; <see cref="Summary"/> is built once per change and shared by every reader until the next one.
/// </summary>
public sealed class AgentPodTally
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _byPhase = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byImage = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byNode = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, V1Pod> _problems = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, V1Pod> _terminated = new(StringComparer.Ordinal);

    /// <summary>Per node, per pod key: since when a Running pod's Ready condition is True (the source of the earliest per node).</summary>
    private ImmutableDictionary<string, int> _runningReadyByNode = ImmutableDictionary.Create<string, int>(StringComparer.Ordinal);
    private ImmutableDictionary<string, ImmutableSortedDictionary<string, V1Pod>> _notRunningReadyByNode = ImmutableDictionary.Create<string, ImmutableSortedDictionary<string, V1Pod>>(StringComparer.Ordinal);
    private ImmutableDictionary<string, ImmutableDictionary<string, DateTimeOffset>> _readySinceByNode = ImmutableDictionary.Create<string, ImmutableDictionary<string, DateTimeOffset>>(StringComparer.Ordinal);
    private ImmutableSortedSet<(DateTimeOffset Since, string Node)> _earliestReadyByNode = ImmutableSortedSet.Create(EarliestOrder);
    private ImmutableSortedSet<(DateTimeOffset Since, string Node)> _readyTransitions = ImmutableSortedSet.Create(EarliestOrder);
    private ImmutableDictionary<PodSpecShape, ImmutableSortedDictionary<string, V1Pod>> _specShapes = ImmutableDictionary<PodSpecShape, ImmutableSortedDictionary<string, V1Pod>>.Empty;

    /// <summary>The order of <see cref="AgentPodSummary.EarliestReadyByNode"/>: by time, then node (ordinal).</summary>
    internal static readonly IComparer<(DateTimeOffset Since, string Node)> EarliestOrder = Comparer<(DateTimeOffset Since, string Node)>.Create(
        (a, b) => a.Since != b.Since ? a.Since.CompareTo(b.Since) : string.CompareOrdinal(a.Node, b.Node));
    private int _total;
    private int _ready;
    private int _running;
    private AgentPodSummary? _summary;

    /// <summary>Changes applied so far (tests and callers can tell a rebuilt summary from a shared one).</summary>
    public long Version { get; private set; }

    public void Apply(V1Pod? before, V1Pod? after)
    {
        lock (_gate)
        {
            if (before is not null)
            {
                Count(before, -1);
            }

            if (after is not null)
            {
                Count(after, +1);
            }

            Version++;
            _summary = null;
        }
    }

    public AgentPodSummary Summary()
    {
        lock (_gate)
        {
            return _summary ??= new AgentPodSummary(
                _total,
                _ready,
                _running,
                new Dictionary<string, int>(_byPhase, StringComparer.Ordinal),
                new Dictionary<string, int>(_byImage, StringComparer.Ordinal),
                new Dictionary<string, int>(_byNode, StringComparer.Ordinal),
                [.. _problems.Values])
            {
                RunningReadyByNode = _runningReadyByNode,
                NotRunningReadyByNode = _notRunningReadyByNode,
                TerminatedPods = [.. _terminated.Values],
                EarliestReadyByNode = _earliestReadyByNode,
                ReadyTransitions = _readyTransitions,
                SpecShapes = _specShapes,
            };
        }
    }

    private void Count(V1Pod pod, int delta)
    {
        _total += delta;
        if (KubeObjects.IsReady(pod))
        {
            _ready += delta;
        }

        var phase = pod.Status?.Phase ?? "";
        if (phase == "Running")
        {
            _running += delta;
        }

        Bump(_byPhase, phase, delta);
        Bump(_byImage, AgentPodSummary.ImageOf(pod), delta);
        if (pod.Spec?.NodeName is { Length: > 0 } node)
        {
            Bump(_byNode, node, delta);
        }

        var key = pod.Metadata?.NamespaceProperty is { Length: > 0 } ns ? ns + "/" + pod.Metadata.Name : pod.Metadata?.Name ?? "";
        if (delta < 0)
        {
            _problems.Remove(key);
        }
        else if (AgentPodSummary.StateOf(pod) != AgentPodState.Healthy)
        {
            _problems[key] = pod;
        }

        if (delta < 0)
        {
            _terminated.Remove(key);
        }
        else if (AgentPodSummary.HasTermination(pod))
        {
            _terminated[key] = pod;
        }

        if (KubeObjects.Condition(pod, "Ready") is { } readyCondition && KubeObjects.Time(readyCondition.LastTransitionTime) is { } transition)
        {
            _readyTransitions = delta < 0 ? _readyTransitions.Remove((transition, key)) : _readyTransitions.Add((transition, key));
        }

        var shape = new PodSpecShape(pod);
        var shaped = _specShapes.GetValueOrDefault(shape) ?? ImmutableSortedDictionary.Create<string, V1Pod>(StringComparer.Ordinal);
        shaped = delta < 0 ? shaped.Remove(key) : shaped.SetItem(key, pod);
        _specShapes = shaped.IsEmpty ? _specShapes.Remove(shape) : _specShapes.SetItem(shape, shaped);

        if (Checks.NodeChecks.NodeOf(pod) is { } podNode)
        {
            CountOnNode(pod, key, podNode, delta);
        }
    }

    /// <summary>The per-node figures NodeChecks and CoverageChecks read, with the same tests they apply to each pod.</summary>
    private void CountOnNode(V1Pod pod, string key, string node, int delta)
    {
        var running = pod.Status?.Phase == "Running";
        if (running && KubeObjects.IsReady(pod))
        {
            var now = _runningReadyByNode.GetValueOrDefault(node) + delta;
            _runningReadyByNode = now == 0 ? _runningReadyByNode.Remove(node) : _runningReadyByNode.SetItem(node, now);
        }
        else
        {
            var pods = _notRunningReadyByNode.GetValueOrDefault(node) ?? ImmutableSortedDictionary.Create<string, V1Pod>(StringComparer.Ordinal);
            pods = delta < 0 ? pods.Remove(key) : pods.SetItem(key, pod);
            _notRunningReadyByNode = pods.IsEmpty ? _notRunningReadyByNode.Remove(node) : _notRunningReadyByNode.SetItem(node, pods);
        }

        if (running && KubeObjects.Condition(pod, "Ready") is { Status: "True" } ready && KubeObjects.Time(ready.LastTransitionTime) is { } since)
        {
            var before = _readySinceByNode.GetValueOrDefault(node) ?? ImmutableDictionary.Create<string, DateTimeOffset>(StringComparer.Ordinal);
            var pods = delta < 0 ? before.Remove(key) : before.SetItem(key, since);
            _readySinceByNode = pods.IsEmpty ? _readySinceByNode.Remove(node) : _readySinceByNode.SetItem(node, pods);

            // The node's earliest time (a node has one or two agent pods: the minimum is over those).
            if (!before.IsEmpty)
            {
                _earliestReadyByNode = _earliestReadyByNode.Remove((before.Values.Min(), node));
            }

            if (!pods.IsEmpty)
            {
                _earliestReadyByNode = _earliestReadyByNode.Add((pods.Values.Min(), node));
            }
        }
    }

    private static void Bump(Dictionary<string, int> counts, string key, int delta)
    {
        var now = counts.GetValueOrDefault(key) + delta;
        if (now == 0)
        {
            counts.Remove(key);
        }
        else
        {
            counts[key] = now;
        }
    }
}

/// <summary>
/// What AgentPodSpecMutated compares of a pod, as a key: the <c>pod-template-generation</c> label and, per container
/// in order, its name and image (by value) and its securityContext and resources (by reference: the operator's cache
/// shares equal ones, and objects that are not shared only make more groups, never a wrong one).
/// </summary>
public sealed class PodSpecShape : IEquatable<PodSpecShape>
{
    private readonly (string? Name, string? Image, object? SecurityContext, object? Resources)[] _containers;
    private readonly int _hash;

    public PodSpecShape(V1Pod pod)
    {
        TemplateGeneration = pod.Metadata?.Labels is { } labels && labels.TryGetValue("pod-template-generation", out var generation) ? generation : null;
        _containers = [.. (pod.Spec?.Containers ?? []).Select(c => (c.Name, c.Image, (object?)c.SecurityContext, (object?)c.Resources))];
        var hash = new HashCode();
        hash.Add(TemplateGeneration, StringComparer.Ordinal);
        foreach (var (name, image, security, resources) in _containers)
        {
            hash.Add(name, StringComparer.Ordinal);
            hash.Add(image, StringComparer.Ordinal);
            hash.Add(security is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(security));
            hash.Add(resources is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(resources));
        }

        _hash = hash.ToHashCode();
    }

    /// <summary>The pod's <c>pod-template-generation</c> label (null: none).</summary>
    public string? TemplateGeneration { get; }

    public bool Equals(PodSpecShape? other) =>
        other is not null
        && _hash == other._hash
        && string.Equals(TemplateGeneration, other.TemplateGeneration, StringComparison.Ordinal)
        && _containers.Length == other._containers.Length
        && _containers.Zip(other._containers).All(p =>
            string.Equals(p.First.Name, p.Second.Name, StringComparison.Ordinal)
            && string.Equals(p.First.Image, p.Second.Image, StringComparison.Ordinal)
            && ReferenceEquals(p.First.SecurityContext, p.Second.SecurityContext)
            && ReferenceEquals(p.First.Resources, p.Second.Resources));

    public override bool Equals(object? obj) => Equals(obj as PodSpecShape);

    public override int GetHashCode() => _hash;
}
