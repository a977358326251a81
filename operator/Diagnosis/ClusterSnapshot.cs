using GuardDutyCoverage.Api;
using k8s.Models;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>What is diagnosed, from a <see cref="GuardDutyCoverageSpec"/> (defaults applied).</summary>
public sealed record DiagnosisTarget
{
    public required string ClusterName { get; init; }

    /// <summary>The cluster's AWS region; null when unknown (the registry check is then skipped).</summary>
    public string? Region { get; init; }

    public string AgentNamespace { get; init; } = "amazon-guardduty";

    public string DaemonSetName { get; init; } = "aws-guardduty-agent";

    public string PriorityClassName { get; init; } = "aws-guardduty-agent.priorityclass";

    /// <summary>Lowest acceptable agent version; null or empty: no minimum.</summary>
    public string? MinimumVersion { get; init; }

    /// <summary>AUTO_MANAGED or MANUAL; null: not declared.</summary>
    public string? ExpectedManagementType { get; init; }

    /// <summary>Cross-check with GuardDuty ListCoverage (off: Ready ignores GuardDuty).</summary>
    public bool GuardDutyCheck { get; init; } = true;

    public bool EksAddonCheck { get; init; } = true;

    public bool AdmissionDryRun { get; init; } = true;

    /// <summary>An EKS add-on CREATING, UPDATING or DELETING for longer than this is stuck (Stalled), not progressing.</summary>
    public TimeSpan AddonStuckAfter { get; init; } = DefaultAddonStuckAfter;

    /// <summary>A GuardDuty coverage record not updated for longer than this, while the cluster changed since, is stale.</summary>
    public TimeSpan CoverageStaleAfter { get; init; } = DefaultCoverageStaleAfter;

    public static readonly TimeSpan DefaultAddonStuckAfter = TimeSpan.FromMinutes(20);

    public static readonly TimeSpan DefaultCoverageStaleAfter = TimeSpan.FromHours(2);

    public static DiagnosisTarget FromSpec(GuardDutyCoverageSpec spec, string? defaultRegion = null) => new()
    {
        ClusterName = spec.ClusterName,
        Region = spec.Region ?? defaultRegion,
        AgentNamespace = spec.Agent.Namespace,
        DaemonSetName = spec.Agent.DaemonSetName,
        PriorityClassName = spec.Agent.PriorityClassName,
        MinimumVersion = string.IsNullOrWhiteSpace(spec.Agent.MinimumVersion) ? null : spec.Agent.MinimumVersion,
        ExpectedManagementType = spec.ExpectedManagementType switch
        {
            ManagementType.AutoManaged => "AUTO_MANAGED",
            ManagementType.Manual => "MANUAL",
            _ => null,
        },
        GuardDutyCheck = spec.Checks.GuardDuty,
        EksAddonCheck = spec.Checks.EksAddon,
        AdmissionDryRun = spec.Checks.AdmissionDryRun,
    };
}

/// <summary>The outcome of one SubjectAccessReview the controller ran for a <see cref="AccessProbe"/>.</summary>
/// <param name="Allowed">status.allowed.</param>
/// <param name="Reason">status.reason (RBAC explains allowed ones; denials usually have none).</param>
/// <param name="Error">Why the review could not be made (then Allowed means nothing).</param>
public sealed record AccessReviewResult(AccessProbe Probe, bool Allowed, string? Reason = null, string? Error = null);

/// <summary>The outcome of one server-side dry-run (<c>dryRun=All</c>) for a <see cref="DryRunProbe"/>.</summary>
/// <param name="Allowed">The request passed admission.</param>
/// <param name="Code">HTTP status code of a rejection (403 for a webhook denial, 500 for a failing webhook, ...).</param>
/// <param name="Message">The Status message, verbatim (for example <c>admission webhook "x" denied the request: ...</c>).</param>
/// <param name="StatusReason">The Status reason when there is one (webhook denials have none).</param>
public sealed record DryRunResult(DryRunProbe Probe, bool Allowed, int? Code = null, string? Message = null, string? StatusReason = null)
{
    public static DryRunResult Passed(DryRunProbe probe) => new(probe, true);

    public static DryRunResult Rejected(DryRunProbe probe, int code, string message, string? statusReason = null) =>
        new(probe, false, code, message, statusReason);
}

/// <summary>What the controller remembers between reconciles for the rules.</summary>
/// <param name="LocalHealthySince">When the local verdict last turned Healthy (for <c>GuardDutyStale</c>); null if unknown or not healthy.</param>
public sealed record DiagnosisMemory(DateTimeOffset? LocalHealthySince = null)
{
    public static DiagnosisMemory None { get; } = new();
}

/// <summary>
/// Everything the diagnosis reads, gathered by the controller (live) or a support bundle (offline). Null means
/// "not observed"; the engine never does I/O.
/// </summary>
public sealed record ClusterSnapshot
{
    public required DiagnosisTarget Target { get; init; }

    public required DateTimeOffset Now { get; init; }

    /// <summary>False when the Kubernetes side was not observed at all (an AWS-only bundle): the local verdict is then Unknown.</summary>
    public bool KubernetesObserved { get; init; } = true;

    /// <summary>
    /// Kinds that were not read at all (a support bundle without them), named as in <see cref="SnapshotKinds"/>:
    /// a missing object of such a kind means "unknown", not "absent". Live snapshots observe everything.
    /// </summary>
    public IReadOnlySet<string> UnobservedKinds { get; init; } = new HashSet<string>();

    public bool Observed(string kind) => KubernetesObserved && !UnobservedKinds.Contains(kind);

    /// <summary><c>/version</c> gitVersion, e.g. <c>v1.31.4-eks-2d5f260</c>.</summary>
    public string? ServerVersion { get; init; }

    public V1Namespace? AgentNamespace { get; init; }

    public V1DaemonSet? AgentDaemonSet { get; init; }

    /// <summary>Pods of the agent namespace; the engine keeps those the DaemonSet owns.</summary>
    public IReadOnlyList<V1Pod> AgentPods { get; init; } = [];

    /// <summary>
    /// The figures of the pods the DaemonSet owns, kept incrementally by the operator's cache (null: the checks
    /// compute them from <see cref="AgentPods"/>). Owner-less pods matched by the selector are not in it.
    /// </summary>
    public AgentPodSummary? AgentPodSummary { get; init; }

    public V1PriorityClass? PriorityClass { get; init; }

    public IReadOnlyList<V1ClusterRoleBinding> ClusterRoleBindings { get; init; } = [];

    public IReadOnlyList<V1ValidatingWebhookConfiguration> ValidatingWebhooks { get; init; } = [];

    public IReadOnlyList<V1MutatingWebhookConfiguration> MutatingWebhooks { get; init; } = [];

    /// <summary>Results of <see cref="LiveProbes.AccessReviews"/>; null when not run.</summary>
    public IReadOnlyList<AccessReviewResult>? AccessReviews { get; init; }

    /// <summary>Dry-run update of the agent DaemonSet; null when not run.</summary>
    public DryRunResult? DaemonSetDryRun { get; init; }

    /// <summary>Dry-run update of the agent namespace; null when not run.</summary>
    public DryRunResult? NamespaceDryRun { get; init; }

    /// <summary>What AWS says; null when not read at all.</summary>
    public AwsSnapshot? Aws { get; init; }

    /// <summary>Every Node of the cluster (cluster-wide); null when Nodes were not read (then node checks are skipped).</summary>
    public IReadOnlyList<V1Node>? Nodes { get; init; }

    /// <summary>Events of the agent namespace (both API groups, as <see cref="ClusterEvent"/>); null when not read.</summary>
    public IReadOnlyList<ClusterEvent>? Events { get; init; }

    /// <summary>ResourceQuotas of the agent namespace; null when not read.</summary>
    public IReadOnlyList<V1ResourceQuota>? ResourceQuotas { get; init; }

    /// <summary>LimitRanges of the agent namespace; null when not read.</summary>
    public IReadOnlyList<V1LimitRange>? LimitRanges { get; init; }

    /// <summary>NetworkPolicies of the agent namespace; null when not read.</summary>
    public IReadOnlyList<V1NetworkPolicy>? NetworkPolicies { get; init; }

    /// <summary>
    /// The last lines of crash-looping agent containers' previous logs, by pod name; null unless reading agent logs is
    /// switched on (<c>--read-agent-logs</c>) or a bundle holds them.
    /// </summary>
    public IReadOnlyDictionary<string, string>? AgentLogs { get; init; }

    public DiagnosisMemory Memory { get; init; } = DiagnosisMemory.None;
}

/// <summary>
/// One Event, from <c>v1</c> (kubectl get events) or <c>events.k8s.io/v1</c> (what the operator watches), reduced to
/// what the checks read.
/// </summary>
/// <param name="ObjectKind">The kind of the object the event is about (involvedObject / regarding).</param>
/// <param name="LastSeen">The newest of lastTimestamp, series.lastObservedTime, eventTime, firstTimestamp.</param>
public sealed record ClusterEvent(string? Type, string? Reason, string? Message, string? ObjectKind, string? ObjectName, DateTimeOffset? LastSeen, int Count)
{
    public static ClusterEvent From(Corev1Event e) => new(
        e.Type,
        e.Reason,
        e.Message,
        e.InvolvedObject?.Kind,
        e.InvolvedObject?.Name,
        Newest(e.LastTimestamp, e.Series?.LastObservedTime, e.EventTime, e.FirstTimestamp, e.Metadata?.CreationTimestamp),
        e.Count ?? e.Series?.Count ?? 1);

    public static ClusterEvent From(Eventsv1Event e) => new(
        e.Type,
        e.Reason,
        e.Note,
        e.Regarding?.Kind,
        e.Regarding?.Name,
        Newest(e.Series?.LastObservedTime, e.EventTime, e.DeprecatedLastTimestamp, e.DeprecatedFirstTimestamp, e.Metadata?.CreationTimestamp),
        e.Series?.Count ?? e.DeprecatedCount ?? 1);

    private static DateTimeOffset? Newest(params DateTime?[] times)
    {
        var newest = times.Where(t => t is not null).Select(t => t!.Value).DefaultIfEmpty().Max();
        return newest == default ? null : new DateTimeOffset(DateTime.SpecifyKind(newest, DateTimeKind.Utc));
    }
}

/// <summary>Kind names for <see cref="ClusterSnapshot.UnobservedKinds"/>.</summary>
public static class SnapshotKinds
{
    public const string Namespace = "Namespace";
    public const string DaemonSet = "DaemonSet";
    public const string Pod = "Pod";
    public const string PriorityClass = "PriorityClass";
    public const string ClusterRoleBinding = "ClusterRoleBinding";
    public const string ValidatingWebhookConfiguration = "ValidatingWebhookConfiguration";
    public const string MutatingWebhookConfiguration = "MutatingWebhookConfiguration";

    public static IReadOnlyList<string> All { get; } =
        [Namespace, DaemonSet, Pod, PriorityClass, ClusterRoleBinding, ValidatingWebhookConfiguration, MutatingWebhookConfiguration];
}

/// <summary>A SubjectAccessReview the controller must run (data, so the reconciler hard-codes none).</summary>
/// <param name="Id">Stable identifier, e.g. <c>addon-manager-patch-priorityclass</c>.</param>
/// <param name="Group">API group ("" for core).</param>
/// <param name="Namespace">Null for cluster-scoped resources.</param>
public sealed record AccessProbe(string Id, string User, string Verb, string Group, string Resource, string? Namespace, string? Name)
{
    public string Describe() =>
        $"{Verb} {(Group.Length == 0 ? Resource : Resource + "." + Group)}{(Name is null ? "" : $" \"{Name}\"")}{(Namespace is null ? "" : $" in namespace {Namespace}")}";
}

/// <summary>A server-side dry-run update the controller must attempt (an unchanged object is enough: webhooks see an UPDATE).</summary>
/// <param name="Group">API group ("" for core).</param>
/// <param name="Namespace">Null for cluster-scoped resources.</param>
public sealed record DryRunProbe(string Id, string Group, string Version, string Resource, string Kind, string? Namespace, string Name);

/// <summary>The live probes the diagnosis wants for a target.</summary>
public static class LiveProbes
{
    public const string PatchPriorityClass = "addon-manager-patch-priorityclass";
    public const string PatchNamespace = "addon-manager-patch-namespace";
    public const string PatchDaemonSet = "addon-manager-patch-daemonset";
    public const string DryRunDaemonSet = "dry-run-update-daemonset";
    public const string DryRunNamespace = "dry-run-update-namespace";

    /// <summary>What <c>eks:addon-manager</c> must be allowed to do (the AccessDenied texts of the catalog).</summary>
    public static IReadOnlyList<AccessProbe> AccessReviews(DiagnosisTarget target) =>
    [
        new(PatchPriorityClass, Catalog.AddonManagerUser, "patch", "scheduling.k8s.io", "priorityclasses", null, target.PriorityClassName),
        new(PatchNamespace, Catalog.AddonManagerUser, "patch", "", "namespaces", null, target.AgentNamespace),
        new(PatchDaemonSet, Catalog.AddonManagerUser, "patch", "apps", "daemonsets", target.AgentNamespace, target.DaemonSetName),
    ];

    /// <summary>The dry-runs to attempt when <see cref="DiagnosisTarget.AdmissionDryRun"/> is on (and the object exists).</summary>
    public static IReadOnlyList<DryRunProbe> DryRuns(DiagnosisTarget target) =>
        target.AdmissionDryRun
            ?
            [
                new(DryRunDaemonSet, "apps", "v1", "daemonsets", "DaemonSet", target.AgentNamespace, target.DaemonSetName),
                new(DryRunNamespace, "", "v1", "namespaces", "Namespace", null, target.AgentNamespace),
            ]
            : [];
}
