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
    public static AgentPodSummary Empty { get; } = new(0, 0, 0, new Dictionary<string, int>(), new Dictionary<string, int>(), new Dictionary<string, int>(), []);

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
                [.. _problems.Values]);
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
