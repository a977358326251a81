using System.Text.Json;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>
/// A GuardDutyCoverage as the operator writes it, built from the API types (so it serializes exactly as the operator's
/// status patches do), with what Argo CD's health check and kstatus must make of it.
/// </summary>
public sealed record StatusShape(
    string Name,
    V1Alpha1GuardDutyCoverage Coverage,
    string ArgoHealth,
    string ArgoMessage,
    KStatusResult KStatus)
{
    public JsonNode Json => JsonSerializer.SerializeToNode(Coverage, ApiJsonContext.Default.V1Alpha1GuardDutyCoverage)!;

    public override string ToString() => Name;
}

/// <summary>Every status shape the operator writes: first reconcile, healthy, unhealthy, stalled, in progress.</summary>
public static class CoverageStatusShapes
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    public static IReadOnlyList<StatusShape> All { get; } =
    [
        new("no status yet", Coverage(generation: 1, status: null),
            "Progressing", "Waiting for the operator to observe generation 1", KStatusResult.Current),

        new("generation not yet observed", Coverage(generation: 3, Status(observed: 2, Ready("True", "CoverageHealthy", "GuardDuty and the cluster agree: covered"))),
            "Progressing", "Waiting for the operator to observe generation 3", KStatusResult.InProgress),

        new("first reconcile", Coverage(generation: 1, Status(observed: 1,
                Ready("Unknown", "Reconciling", "Checking the cluster and GuardDuty"),
                Condition("Reconciling", "True", "FirstCheck", "Checking the cluster and GuardDuty"))),
            "Progressing", "Checking the cluster and GuardDuty", KStatusResult.InProgress),

        new("healthy", Coverage(generation: 2, Healthy(observed: 2)),
            "Healthy", "GuardDuty and the cluster agree: covered", KStatusResult.Current),

        new("healthy with an empty message", Coverage(generation: 1, Status(observed: 1, Ready("True", "CoverageHealthy", ""))),
            "Healthy", "CoverageHealthy", KStatusResult.Current),

        new("unhealthy", Coverage(generation: 4, Unhealthy(observed: 4)),
            "Degraded", "AddonManagerForbidden: ClusterRoleBinding eks:addon-cluster-admin is missing; apply it (kubectl describe for the YAML)", KStatusResult.Current),

        new("stalled", Coverage(generation: 5, Status(observed: 5,
                Ready("False", "InvalidInterval", "spec.interval \"200h\" is longer than the maximum of 168h (7 days)"),
                Condition("Stalled", "True", "InvalidInterval", "spec.interval \"200h\" is longer than the maximum of 168h (7 days)"))),
            "Degraded", "spec.interval \"200h\" is longer than the maximum of 168h (7 days)", KStatusResult.Failed),

        new("agent roll-out in progress", Coverage(generation: 2, Status(observed: 2,
                Ready("False", "AgentPodsNotReady", "2/3 agent pods available"),
                Condition("Reconciling", "True", "AgentRollout", "DaemonSet amazon-guardduty/aws-guardduty-agent is rolling out: 2/3 available"))),
            "Progressing", "DaemonSet amazon-guardduty/aws-guardduty-agent is rolling out: 2/3 available", KStatusResult.InProgress),

        new("GuardDuty provisioning in progress", Coverage(generation: 1, Status(observed: 1,
                Ready("Unknown", "EnablementProvisioningInProgress", "EKS Runtime Monitoring enablement resource provisioning in progress"),
                Condition("Reconciling", "True", "EnablementProvisioningInProgress", "EKS Runtime Monitoring enablement resource provisioning in progress"))),
            "Progressing", "EKS Runtime Monitoring enablement resource provisioning in progress", KStatusResult.InProgress),

        new("GuardDuty unreachable", Coverage(generation: 1, Status(observed: 1,
                Ready("Unknown", "GuardDutyUnreachable", "no AWS credentials: set up IRSA or EKS Pod Identity (docs/aws-access.md)"))),
            "Progressing", "no AWS credentials: set up IRSA or EKS Pod Identity (docs/aws-access.md)", KStatusResult.Current),
    ];

    private static V1Alpha1GuardDutyCoverage Coverage(long generation, GuardDutyCoverageStatus? status) => new()
    {
        Metadata = new V1ObjectMeta { Name = "prod-eks-1", Generation = generation, Uid = "5b0e1a8e-9d5e-4c1b-8f0e-4a7c3e2d1f00" },
        Spec = new GuardDutyCoverageSpec { ClusterName = "prod-eks-1", Region = "us-east-1" },
        Status = status,
    };

    private static GuardDutyCoverageStatus Status(long observed, params Condition[] conditions) => new()
    {
        ObservedGeneration = observed,
        Coverage = "Unknown",
        Local = "Unknown",
        Conditions = conditions,
    };

    private static GuardDutyCoverageStatus Healthy(long observed) => new()
    {
        ObservedGeneration = observed,
        Coverage = "Healthy",
        Local = "Healthy",
        CrossCheck = "Agree",
        GuardDuty = new GuardDutyStatus
        {
            CoverageStatus = "HEALTHY",
            ManagementType = "AUTO_MANAGED",
            AddonVersion = "v1.8.1-eksbuild.2",
            CoveredNodes = 3,
            CompatibleNodes = 3,
            UpdatedAt = Now.AddMinutes(-7),
            CheckedAt = Now,
        },
        Agent = new AgentStatus { Desired = 3, Available = 3, Summary = "3/3", Version = "1.8.1", Image = "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.8.1" },
        Findings = [],
        Conditions =
        [
            Ready("True", "CoverageHealthy", "GuardDuty and the cluster agree: covered"),
            Condition("AgentHealthy", "True", "AllPodsAvailable", "3/3 agent pods available"),
            Condition("GuardDutyHealthy", "True", "CoverageHealthy", "ListCoverage reports HEALTHY"),
        ],
    };

    private static GuardDutyCoverageStatus Unhealthy(long observed) => new()
    {
        ObservedGeneration = observed,
        Coverage = "Unhealthy",
        Local = "Unhealthy",
        CrossCheck = "Agree",
        GuardDuty = new GuardDutyStatus
        {
            CoverageStatus = "UNHEALTHY",
            Issue = "Addon Update Failed: EKS Addon issue - AccessDenied: priorityclasses.scheduling.k8s.io \"aws-guardduty-agent.priorityclass\" is forbidden: User \"eks:addon-manager\" cannot patch resource \"priorityclasses\"",
            ManagementType = "AUTO_MANAGED",
            CheckedAt = Now,
        },
        Agent = new AgentStatus { Desired = 3, Available = 3, Summary = "3/3" },
        Findings =
        [
            new Finding
            {
                Reason = "AddonManagerForbidden",
                Severity = "Error",
                Sources = ["Local", "GuardDuty", "EksAddon"],
                Message = "ClusterRoleBinding eks:addon-cluster-admin is missing",
                Remediation = ["kubectl apply -f - (the eks:addon-cluster-admin ClusterRoleBinding)"],
            },
        ],
        Conditions =
        [
            Ready("False", "AddonManagerForbidden", "AddonManagerForbidden: ClusterRoleBinding eks:addon-cluster-admin is missing; apply it (kubectl describe for the YAML)"),
            Condition("AddonManagerAccess", "False", "AddonManagerForbidden", "eks:addon-manager cannot patch priorityclasses"),
        ],
    };

    private static Condition Ready(string status, string reason, string message) => Condition("Ready", status, reason, message);

    private static Condition Condition(string type, string status, string reason, string message) => new()
    {
        Type = type,
        Status = status,
        Reason = reason,
        Message = message,
        LastTransitionTime = Now.AddMinutes(-1),
    };
}
