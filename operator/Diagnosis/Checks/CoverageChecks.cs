using System.Globalization;
using k8s.Models;

namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>
/// GuardDuty's own blind spots (FM-18..FM-21): the detector's features, a HEALTHY record that covers too few nodes or
/// is old, EC2 agents on the cluster's nodes, a VPC owned by another account.
/// </summary>
internal static class CoverageChecks
{
    private const string RuntimeMonitoring = "RUNTIME_MONITORING";
    private const string EksRuntimeMonitoring = "EKS_RUNTIME_MONITORING";
    private const string AddonManagement = "EKS_ADDON_MANAGEMENT";

    internal static void Detector(DiagnosisContext context)
    {
        var detector = context.Snapshot.Aws?.Detector is { Succeeded: true, Found: true } observation ? observation.Value : null;
        if (detector is null)
        {
            return;
        }

        var problems = new List<string>();
        var features = detector.Features ?? [];
        var unified = features.FirstOrDefault(f => f.Name == RuntimeMonitoring);
        var legacy = features.FirstOrDefault(f => f.Name == EksRuntimeMonitoring);
        if (string.Equals(detector.Status, "DISABLED", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add("the detector is DISABLED");
        }
        else if (!Enabled(unified?.Status) && !Enabled(legacy?.Status))
        {
            problems.Add(unified is null && legacy is null
                ? "the detector has neither RUNTIME_MONITORING nor EKS_RUNTIME_MONITORING"
                : $"{string.Join(" and ", new[] { unified, legacy }.Where(f => f is not null).Select(f => $"{f!.Name} is {f.Status}"))}");
        }
        else
        {
            var active = Enabled(unified?.Status) ? unified! : legacy!;
            var management = Management(active);
            if (context.Target.ExpectedManagementType == ManagementTypeValues.AutoManaged && !Enabled(management))
            {
                problems.Add($"spec.expectedManagementType is AUTO_MANAGED but {active.Name}'s automated agent configuration ({AddonManagement}) is {management ?? "absent"}");
            }

            if (Enabled(unified?.Status) && Enabled(legacy?.Status) && Management(unified!) is { } a && Management(legacy!) is { } b && !string.Equals(a, b, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"legacy {EksRuntimeMonitoring} and {RuntimeMonitoring} are both ENABLED with {AddonManagement} {b} and {a}: finish the migration in the documented order");
            }
        }

        if (problems.Count > 0)
        {
            context.Add(ReasonCodes.GuardDutyFeatureMisconfigured, FindingSource.GuardDuty, $"GuardDuty GetDetector: {string.Join("; ", problems)}.");
        }
    }

    private static string? Management(DetectorFeatureConfigurationResult feature) =>
        feature.AdditionalConfiguration?.FirstOrDefault(a => a.Name == AddonManagement)?.Status;

    private static bool Enabled(string? status) => string.Equals(status, "ENABLED", StringComparison.OrdinalIgnoreCase);

    internal static void NodesCovered(DiagnosisContext context, GuardDutyVerdict verdict)
    {
        if (verdict.CoverageStatus != GuardDutyVerdicts.Healthy || verdict.CoveredNodes is not { } covered)
        {
            return;
        }

        var updated = verdict.UpdatedAt is { } at ? $" (updated {AwsChecks.Rfc(at)})" : "";
        if (verdict.CompatibleNodes is { } compatible && covered < compatible)
        {
            context.Add(ReasonCodes.CoverageHealthyButNodesUncovered, FindingSource.GuardDuty,
                string.Create(CultureInfo.InvariantCulture, $"GuardDuty reports HEALTHY but covers {covered} of {compatible} compatible nodes{updated}."));
            return;
        }

        // Agents that were ready before GuardDuty's last update and are still not counted do not report.
        if (context.Snapshot.Nodes is null || verdict.UpdatedAt is not { } updatedAt)
        {
            return;
        }

        // Kept per node by the operator's cache when every agent pod is the DaemonSet's (the summary holds no
        // owner-less pod); else counted from the pods.
        var readyBefore = context.DaemonSet is not null && context.Snapshot.AgentPodSummary?.ReadyNodesBefore(updatedAt) is { } ownedBefore && context.OwnerlessAgentPods.Count == 0
            ? ownedBefore
            : context.AgentPods
            .Where(p => p.Status?.Phase == "Running" && KubeObjects.Condition(p, "Ready") is { Status: "True" } ready
                && KubeObjects.Time(ready.LastTransitionTime) is { } since && since < updatedAt)
            .Select(NodeChecks.NodeOf)
            .Where(n => n is not null)
            .Distinct(StringComparer.Ordinal)
            .Count();
        if (readyBefore > covered)
        {
            context.Add(ReasonCodes.CoverageHealthyButNodesUncovered, FindingSource.GuardDuty,
                string.Create(CultureInfo.InvariantCulture, $"GuardDuty reports HEALTHY with {covered} covered nodes{updated}, but {readyBefore} nodes ran a ready agent before that update: some agents do not report."));
        }
    }

    internal static void Stale(DiagnosisContext context, GuardDutyVerdict verdict)
    {
        if (verdict.CoverageStatus is not (GuardDutyVerdicts.Healthy or GuardDutyVerdicts.Unhealthy) || verdict.UpdatedAt is not { } updated)
        {
            return;
        }

        var age = context.Snapshot.Now - updated;
        if (age <= context.Target.CoverageStaleAfter)
        {
            return;
        }

        // Old is fine for a cluster that did not change, and a change is GuardDuty's to catch up with for the
        // threshold: only changes after the update and older than the threshold make the record stale.
        var noticeBy = context.Snapshot.Now - context.Target.CoverageStaleAfter;
        bool Unnoticed(DateTimeOffset? time) => time is { } t && t > updated && t < noticeBy;
        var changes = new List<string>();
        var newNodes = (context.Snapshot.Nodes ?? []).Count(n => Unnoticed(KubeObjects.Time(n.Metadata?.CreationTimestamp)));
        if (newNodes > 0)
        {
            changes.Add(string.Create(CultureInfo.InvariantCulture, $"{newNodes} node{(newNodes == 1 ? "" : "s")} joined"));
        }

        // Kept ordered by the operator's cache (a range count), plus the owner-less agent pods; else counted from the pods.
        bool Changed(V1Pod p) => KubeObjects.Condition(p, "Ready") is { } ready && Unnoticed(KubeObjects.Time(ready.LastTransitionTime));
        var agentChanges = context.DaemonSet is not null && context.Snapshot.AgentPodSummary?.ReadyTransitionsBetween(updated, noticeBy) is { } owned
            ? owned + context.OwnerlessAgentPods.Count(Changed)
            : context.AgentPods.Count(Changed);
        if (agentChanges > 0)
        {
            changes.Add(string.Create(CultureInfo.InvariantCulture, $"{agentChanges} agent pod{(agentChanges == 1 ? "" : "s")} changed readiness"));
        }

        if ((context.DaemonSet?.Metadata?.ManagedFields ?? []).Any(m => Unnoticed(KubeObjects.Time(m.Time))))
        {
            changes.Add("the DaemonSet changed");
        }

        if (changes.Count == 0)
        {
            return;
        }

        // The record's time, not its age: an age in the status would change it every few minutes, and each change is a
        // status write for every GuardDutyCoverage that shows the finding.
        context.Add(ReasonCodes.GuardDutyCoverageStale, FindingSource.GuardDuty,
            string.Create(CultureInfo.InvariantCulture,
                $"GuardDuty last updated the coverage record at {AwsChecks.Rfc(updated)}, longer ago than the {context.Target.CoverageStaleAfter.TotalHours:0.#} h threshold; since then {string.Join(", ", changes)}."));
    }

    internal static void DuplicateAgents(DiagnosisContext context)
    {
        var rows = context.Snapshot.Aws?.Ec2Coverage is { Succeeded: true, Value: { } list } ? list : null;
        var nodes = context.Snapshot.Nodes;
        if (rows is null || nodes is null)
        {
            return;
        }

        var instances = nodes
            .Select(n => (Node: n.Metadata?.Name, Instance: InstanceId(n.Spec?.ProviderID)))
            .Where(n => n.Instance is not null && n.Node is not null)
            .ToDictionary(n => n.Instance!, n => n.Node!, StringComparer.Ordinal);
        var duplicates = rows
            .Select(r => r.ResourceDetails?.Ec2InstanceDetails)
            .Where(d => d?.InstanceId is { } id && instances.ContainsKey(id))
            .Select(d => $"{instances[d!.InstanceId!]} ({d.InstanceId}{(d.AgentDetails?.Version is { } v ? $", EC2 agent {v}" : "")}{(d.ManagementType is { } m ? $", {m}" : "")})")
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (duplicates.Count > 0)
        {
            context.Add(ReasonCodes.DuplicateAgentOnNode, FindingSource.GuardDuty,
                string.Create(CultureInfo.InvariantCulture, $"GuardDuty ListCoverage has EC2 rows for {duplicates.Count} of the cluster's nodes: {string.Join(", ", duplicates.Take(10))}{(duplicates.Count > 10 ? $", and {duplicates.Count - 10} more" : "")}."));
        }
    }

    /// <summary>The EC2 instance of a node: <c>aws:///us-east-1a/i-0123456789abcdef0</c>.</summary>
    public static string? InstanceId(string? providerId)
    {
        if (providerId is null || !providerId.StartsWith("aws://", StringComparison.Ordinal))
        {
            return null;
        }

        var last = providerId[(providerId.LastIndexOf('/') + 1)..];
        return last.StartsWith("i-", StringComparison.Ordinal) ? last : null;
    }

    internal static void VpcOwner(DiagnosisContext context)
    {
        var vpc = context.Snapshot.Aws?.Vpc is { Succeeded: true, Value: { } value } ? value : null;
        var account = context.Snapshot.Aws?.AccountId ?? AccountOf(context.EksCluster?.Arn);
        if (vpc?.OwnerId is not { } owner || account is null || owner == account)
        {
            return;
        }

        context.Add(ReasonCodes.VpcOwnedByAnotherAccount, FindingSource.Ec2,
            $"EC2 DescribeVpcs: {vpc.VpcId} is owned by account {owner}, not {account} (shared VPC): endpoint and Runtime Monitoring settings are the owner's.",
            new Dictionary<string, string> { ["vpcId"] = vpc.VpcId, ["vpcOwner"] = owner });
    }

    private static string? AccountOf(string? arn)
    {
        var parts = arn?.Split(':');
        return parts is { Length: > 4 } && parts[4].Length > 0 ? parts[4] : null;
    }
}
