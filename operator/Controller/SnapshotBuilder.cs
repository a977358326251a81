using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Controller;

/// <summary>Assembles the diagnosis input from what was read, probed and polled.</summary>
public static class SnapshotBuilder
{
    public static ClusterSnapshot Build(
        DiagnosisTarget target,
        ClusterObjects objects,
        ProbeResults? probes,
        AwsSnapshot? aws,
        string? serverVersion,
        DiagnosisMemory memory,
        DateTimeOffset now) => new()
        {
            Target = target,
            Now = now,
            KubernetesObserved = true,
            UnobservedKinds = objects.Unobserved,
            ServerVersion = serverVersion,
            AgentNamespace = objects.AgentNamespace,
            AgentDaemonSet = objects.AgentDaemonSet,
            AgentPods = objects.AgentNamespacePods,
            AgentPodSummary = objects.AgentPodSummary,
            PriorityClass = objects.PriorityClass,
            ClusterRoleBindings = objects.ClusterRoleBindings,
            ValidatingWebhooks = objects.ValidatingWebhooks,
            MutatingWebhooks = objects.MutatingWebhooks,
            Nodes = objects.Nodes,
            Events = objects.Events,
            ResourceQuotas = objects.ResourceQuotas,
            LimitRanges = objects.LimitRanges,
            NetworkPolicies = objects.NetworkPolicies,
            AgentLogs = objects.AgentLogs,
            AccessReviews = probes?.AccessReviews,
            DaemonSetDryRun = probes?.DaemonSetDryRun,
            NamespaceDryRun = probes?.NamespaceDryRun,
            Aws = aws,
            Memory = memory,
        };
}
