using k8s.Models;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>One source's sighting of a root cause; the engine merges sightings into one finding per reason.</summary>
internal sealed record Observation(string Reason, FindingSource Source, string Message, IReadOnlyDictionary<string, string>? Details = null);

/// <summary>What a check could not evaluate, or notes for its condition message.</summary>
internal sealed record CheckNote(string Check, string Status, string Reason, string Message);

/// <summary>Per-diagnosis working state: the snapshot, values derived from it once, and what the checks found.</summary>
internal sealed class DiagnosisContext
{
    public DiagnosisContext(ClusterSnapshot snapshot, DiagnosisOptions? options = null)
    {
        Snapshot = snapshot;
        Options = options ?? new DiagnosisOptions();
        Target = snapshot.Target;
        DaemonSet = snapshot.AgentDaemonSet;
        AgentContainer = KubeObjects.AgentContainer(DaemonSet);
        Image = AgentContainer?.Image;
        ImageRef = string.IsNullOrWhiteSpace(Image) ? null : ImageReference.Parse(Image);
        AgentPods = DaemonSet is null ? [] : snapshot.AgentPods.Where(IsAgentPod).ToList();
        Addon = snapshot.Aws?.Addon is { Succeeded: true, Found: true } addon ? addon.Value : null;
        Coverage = snapshot.Aws?.Coverage is { Succeeded: true, Found: true } coverage ? coverage.Value : null;
        EksCluster = snapshot.Aws?.Cluster is { Succeeded: true, Found: true } cluster ? cluster.Value : null;
        Region = Target.Region ?? snapshot.Aws?.Region;
    }

    public ClusterSnapshot Snapshot { get; }

    /// <summary>Inputs of the diagnosis that are not about the cluster.</summary>
    public DiagnosisOptions Options { get; }

    /// <summary>GuardDuty's verdict, once the GuardDutyCovered check has run (later checks and the Ready derivation read it).</summary>
    public GuardDutyVerdict? GuardDuty { get; set; }

    public DiagnosisTarget Target { get; }

    public V1DaemonSet? DaemonSet { get; }

    public V1Container? AgentContainer { get; }

    public string? Image { get; }

    public ImageReference? ImageRef { get; }

    public IReadOnlyList<V1Pod> AgentPods { get; }

    /// <summary>
    /// The agent pods that are not healthy (<see cref="AgentPodSummary.StateOf"/>), in the order of
    /// <see cref="AgentPods"/>: from the snapshot's incremental summary when it has one (plus the owner-less agent
    /// pods), else from a scan. Healthy pods contribute no finding to the per-pod checks, so those read only these.
    /// </summary>
    public IReadOnlyList<V1Pod> ProblemAgentPods => _problemAgentPods ??= DaemonSet is null
        ? []
        : Snapshot.AgentPodSummary is { } summary
            ? [.. summary.ProblemPods.Where(IsAgentPod), .. OwnerlessAgentPods.Where(p => AgentPodSummary.StateOf(p) != AgentPodState.Healthy)]
            : [.. AgentPods.Where(p => AgentPodSummary.StateOf(p) != AgentPodState.Healthy)];

    private IReadOnlyList<V1Pod>? _problemAgentPods;

    /// <summary>
    /// The agent pods without owner references (matched by the DaemonSet's selector), in the order of
    /// <see cref="AgentPods"/>: the snapshot's incremental summary holds only the pods the DaemonSet owns, so the checks
    /// that read it add these.
    /// </summary>
    public IReadOnlyList<V1Pod> OwnerlessAgentPods => _ownerlessAgentPods ??= [.. AgentPods.Where(p => p.Metadata?.OwnerReferences is not { Count: > 0 })];

    private IReadOnlyList<V1Pod>? _ownerlessAgentPods;

    /// <summary>
    /// The agent pods with a container that terminated (<see cref="AgentPodSummary.HasTermination"/>), in the order of
    /// <see cref="AgentPods"/>: from the snapshot's incremental summary when it keeps them (plus the owner-less agent
    /// pods), else from a scan. NodeChecks looks for OOM kills and kernel failures only there.
    /// </summary>
    public IReadOnlyList<V1Pod> TerminatedAgentPods => _terminatedAgentPods ??= DaemonSet is null
        ? []
        : Snapshot.AgentPodSummary is { TerminatedPods: { } terminated }
            ? [.. terminated.Where(IsAgentPod), .. OwnerlessAgentPods.Where(AgentPodSummary.HasTermination)]
            : [.. AgentPods.Where(AgentPodSummary.HasTermination)];

    private IReadOnlyList<V1Pod>? _terminatedAgentPods;

    public EksAddon? Addon { get; }

    public CoverageResource? Coverage { get; }

    public EksCluster? EksCluster { get; }

    public string? Region { get; }

    public List<Observation> Observations { get; } = [];

    public List<CheckNote> Notes { get; } = [];

    /// <summary>A DaemonSet roll-out is in progress: not-ready pods without a hard cause are progress, not failure.</summary>
    public bool RolloutInProgress { get; set; }

    /// <summary>EKS reports the add-on CREATING or UPDATING.</summary>
    public bool AddonProgressing { get; set; }

    /// <summary>Agent pods whose failure a node-level cause explains (OOM kill, kernel): not counted again as generic crash loops.</summary>
    public HashSet<string> ExplainedPods { get; } = new(StringComparer.Ordinal);

    /// <summary>Eligible, covered and never-coverable nodes; null when Nodes were not read.</summary>
    public Checks.NodeCounts? NodeCounts { get; set; }

    public void Add(string reason, FindingSource source, string message, IReadOnlyDictionary<string, string>? details = null) =>
        Observations.Add(new Observation(reason, source, message, details));

    public void Note(string check, string status, string reason, string message) =>
        Notes.Add(new CheckNote(check, status, reason, message));

    /// <summary>The version the agent runs: the image tag, else what GuardDuty or EKS report.</summary>
    public (SemanticVersion Version, string Text, FindingSource Source)? AgentVersion()
    {
        if (ImageRef?.Tag is { } tag && SemanticVersion.TryParse(tag, out var fromImage))
        {
            return (fromImage, tag, FindingSource.Local);
        }

        if (Addon?.AddonVersion is { } addonVersion && SemanticVersion.TryParse(addonVersion, out var fromAddon))
        {
            return (fromAddon, addonVersion, FindingSource.EksAddon);
        }

        var gdVersion = Coverage?.ResourceDetails?.EksClusterDetails?.AddonDetails?.AddonVersion;
        if (gdVersion is not null && SemanticVersion.TryParse(gdVersion, out var fromGuardDuty))
        {
            return (fromGuardDuty, gdVersion, FindingSource.GuardDuty);
        }

        return null;
    }

    /// <summary>The cluster's Kubernetes version: <c>/version</c>, else EKS DescribeCluster.</summary>
    public (SemanticVersion Version, string Text, FindingSource Source)? KubernetesVersion()
    {
        if (SemanticVersion.TryParse(Snapshot.ServerVersion, out var server))
        {
            return (server, Snapshot.ServerVersion!, FindingSource.Local);
        }

        if (SemanticVersion.TryParse(EksCluster?.Version, out var eks))
        {
            return (eks, EksCluster!.Version!, FindingSource.EksAddon);
        }

        return null;
    }

    public string? VpcId =>
        Snapshot.Aws?.VpcDns?.Value?.VpcId ?? EksCluster?.ResourcesVpcConfig?.VpcId;

    private bool IsAgentPod(V1Pod pod)
    {
        if (pod.Metadata?.NamespaceProperty is { } ns && ns != Target.AgentNamespace)
        {
            return false;
        }

        var owners = pod.Metadata?.OwnerReferences;
        if (owners is { Count: > 0 })
        {
            // A loop, not Any with a closure: this runs for each of thousands of pods on every diagnosis.
            foreach (var owner in owners)
            {
                if (owner.Kind == "DaemonSet" && owner.Name == Target.DaemonSetName)
                {
                    return true;
                }
            }

            return false;
        }

        var selector = DaemonSet?.Spec?.Selector;
        return selector is not null && KubeObjects.Matches(selector, KubeObjects.Labels(pod.Metadata));
    }
}
