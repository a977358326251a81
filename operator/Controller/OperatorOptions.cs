using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Controller;

/// <summary>How this operator instance was started (the <c>run</c> command's flags).</summary>
public sealed record OperatorOptions
{
    /// <summary>The only namespaces whose DaemonSets and Pods are read (least privilege: RBAC is granted per namespace).</summary>
    public IReadOnlyList<string> AgentNamespaces { get; init; } = ["amazon-guardduty"];

    /// <summary>Whether <c>spec.remediation.mode: Apply</c> may act (the remediation RBAC is installed).</summary>
    public bool RemediationEnabled { get; init; }

    /// <summary>Read the previous logs of crash-looping agent containers (the opt-in pods/log Role is installed).</summary>
    public bool ReadAgentLogs { get; init; }

    public int MaxConcurrentReconciles { get; init; } = 2;

    /// <summary>Region used when a CR names none (AWS_REGION / AWS_DEFAULT_REGION / instance metadata).</summary>
    public string? DefaultRegion { get; init; }

    /// <summary>
    /// How long a newly unhealthy state must hold before a Warning event and a notification go out (roll-outs and
    /// node churn pass within it); causes that cannot pass by themselves are announced at once.
    /// </summary>
    public TimeSpan UnhealthyConfirmation { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>EventBridge bus for every CR's coverage changes (a CR's <c>spec.notify.eventBusName</c> wins); null: off.</summary>
    public string? NotifyEventBus { get; init; }

    /// <summary>
    /// Origins a GuardDutyCoverage's <c>spec.endpoints</c> may name beyond the AWS services' own HTTPS host names
    /// (<c>--allowed-aws-endpoints</c>): the operator's credentials go wherever an endpoint points.
    /// </summary>
    public OriginAllowList AllowedAwsEndpoints { get; init; } = OriginAllowList.Empty;

    /// <summary>
    /// Origins a notification webhook may have beyond public HTTPS hosts (<c>--allowed-notification-urls</c>): an entry
    /// also allows plain HTTP and loopback or link-local addresses for that origin.
    /// </summary>
    public OriginAllowList AllowedNotificationUrls { get; init; } = OriginAllowList.Empty;

    /// <summary>
    /// An informer a GuardDutyCoverage depends on that has not been current for longer than this makes its Ready
    /// Unknown (<c>ClusterViewStale</c>) and /readyz fail.
    /// </summary>
    public TimeSpan ClusterViewStaleAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>An EKS add-on CREATING, UPDATING or DELETING for longer is stuck (<c>--addon-stuck-after</c>, AddonStuckInProgress).</summary>
    public TimeSpan AddonStuckAfter { get; init; } = DiagnosisTarget.DefaultAddonStuckAfter;

    /// <summary>A coverage record older than this while the cluster changed is stale (<c>--coverage-stale-after</c>, GuardDutyCoverageStale).</summary>
    public TimeSpan CoverageStaleAfter { get; init; } = DiagnosisTarget.DefaultCoverageStaleAfter;
}
