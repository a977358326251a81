using System.Globalization;
using GuardDutyCoverage.Api;
using k8s.Models;

namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>AgentReady: namespace, DaemonSet, desired vs available, per-pod causes.</summary>
internal static class AgentChecks
{
    private const int PodsNamedInMessage = 3;

    public static void Run(DiagnosisContext context)
    {
        var snapshot = context.Snapshot;
        var target = context.Target;
        if (!snapshot.KubernetesObserved)
        {
            context.Note(CheckTypes.AgentReady, ConditionStatus.Unknown, ConditionReasons.NotObserved, "The cluster's objects were not read.");
            return;
        }

        var daemonSet = context.DaemonSet;
        if (daemonSet is null)
        {
            if (!snapshot.Observed(SnapshotKinds.DaemonSet))
            {
                context.Note(CheckTypes.AgentReady, ConditionStatus.Unknown, ConditionReasons.NotObserved, "DaemonSets were not read.");
                return;
            }

            if (snapshot.AgentNamespace is null && snapshot.Observed(SnapshotKinds.Namespace))
            {
                context.Add(ReasonCodes.AgentNamespaceMissing, FindingSource.Local, $"Namespace {target.AgentNamespace} does not exist.");
                return;
            }

            context.Add(ReasonCodes.AgentDaemonSetMissing, FindingSource.Local, $"DaemonSet {target.AgentNamespace}/{target.DaemonSetName} does not exist.");
            return;
        }

        var status = daemonSet.Status;
        var desired = status?.DesiredNumberScheduled ?? 0;
        var available = status?.NumberAvailable ?? 0;
        var generation = daemonSet.Metadata?.Generation;
        var observedGeneration = status?.ObservedGeneration;
        var updated = status?.UpdatedNumberScheduled;
        context.RolloutInProgress =
            (generation is not null && observedGeneration is not null && observedGeneration < generation) ||
            (updated is not null && updated < desired);

        var pods = context.AgentPods;
        var unschedulable = new List<(V1Pod Pod, string Message)>();
        var crashLooping = new List<(V1Pod Pod, string Message)>();
        var pullFailing = new List<(V1Pod Pod, string Message)>();
        var notReady = new List<(V1Pod Pod, string Message)>();

        // Healthy pods add to none of these lists: only the unhealthy ones are looked at (kept incrementally by the
        // operator's cache, so a reconcile at 5,000 ready pods classifies none).
        foreach (var pod in context.ProblemAgentPods)
        {
            var name = pod.Metadata?.Name ?? "(unnamed)";
            var scheduled = KubeObjects.Condition(pod, "PodScheduled");
            if (scheduled is { Status: "False", Reason: "Unschedulable" })
            {
                unschedulable.Add((pod, $"{name}: {scheduled.Message ?? "unschedulable"}"));
                continue;
            }

            if (context.ExplainedPods.Contains(name))
            {
                // NodeChecks reported the cause (OOM kill, kernel): one finding per cause, not a second generic one.
                continue;
            }

            var statuses = (pod.Status?.InitContainerStatuses ?? []).Concat(pod.Status?.ContainerStatuses ?? []).ToList();
            var crash = statuses.FirstOrDefault(s => s.State?.Waiting?.Reason == "CrashLoopBackOff");
            if (crash is not null)
            {
                var last = crash.LastState?.Terminated;
                var lastText = last is null
                    ? ""
                    : string.Create(CultureInfo.InvariantCulture, $", last exit code {last.ExitCode}{(last.Reason is null ? "" : $" ({last.Reason})")}");
                crashLooping.Add((pod, string.Create(CultureInfo.InvariantCulture, $"{name}: container {crash.Name} restarted {crash.RestartCount} times{lastText}")));
                continue;
            }

            var pull = statuses.FirstOrDefault(s => s.State?.Waiting?.Reason is "ErrImagePull" or "ImagePullBackOff");
            if (pull is not null)
            {
                pullFailing.Add((pod, $"{name}: container {pull.Name} {pull.State!.Waiting!.Reason}{(pull.State.Waiting.Message is { } m ? ": " + m : "")}"));
                continue;
            }

            if (!KubeObjects.IsReady(pod))
            {
                var waiting = statuses.FirstOrDefault(s => s.State?.Waiting is not null)?.State?.Waiting?.Reason;
                notReady.Add((pod, $"{name}: {pod.Status?.Phase ?? "Unknown"}{(waiting is null ? "" : $" ({waiting})")}"));
            }
        }

        var counts = string.Create(CultureInfo.InvariantCulture, $"{available}/{desired} agent pods available");
        if (unschedulable.Count > 0)
        {
            var preemption = PreemptionNote(context, unschedulable[0].Pod);
            context.Add(ReasonCodes.AgentPodsUnschedulable, FindingSource.Local,
                $"{Count(unschedulable.Count, pods.Count)} cannot be scheduled ({counts}): {Sample(unschedulable).TrimEnd('.')}{preemption}");
        }

        if (crashLooping.Count > 0)
        {
            context.Add(ReasonCodes.AgentPodsCrashLooping, FindingSource.Local,
                $"{Count(crashLooping.Count, pods.Count)} in CrashLoopBackOff ({counts}): {Sample(crashLooping)}");
        }

        if (pullFailing.Count > 0)
        {
            context.Add(ReasonCodes.AgentImagePullFailed, FindingSource.Local,
                $"{Count(pullFailing.Count, pods.Count)} cannot pull the image {context.Image} ({counts}): {Sample(pullFailing)}");
        }

        var specific = unschedulable.Count + crashLooping.Count + pullFailing.Count + context.ExplainedPods.Count /* NodeChecks explains agent pods only */;
        if (available < desired && specific == 0)
        {
            if (context.RolloutInProgress)
            {
                context.Note(CheckTypes.AgentReady, ConditionStatus.False, "RolloutInProgress",
                    string.Create(CultureInfo.InvariantCulture, $"DaemonSet {target.AgentNamespace}/{target.DaemonSetName} is rolling out: {updated ?? 0}/{desired} updated, {counts}."));
            }
            else
            {
                var detail = notReady.Count > 0 ? ": " + Sample(notReady) : pods.Count == 0 ? " (no agent pods were observed)" : "";
                context.Add(ReasonCodes.AgentPodsNotReady, FindingSource.Local,
                    $"DaemonSet {target.AgentNamespace}/{target.DaemonSetName} has {counts}{detail}");
            }
        }
        else if (desired == 0)
        {
            context.Note(CheckTypes.AgentReady, ConditionStatus.True, "NoAgentPodsDesired",
                $"DaemonSet {target.AgentNamespace}/{target.DaemonSetName} schedules no pods (0 desired): no node is eligible.");
        }
        else if (context.RolloutInProgress)
        {
            context.Note(CheckTypes.AgentReady, ConditionStatus.True, "RolloutInProgress",
                string.Create(CultureInfo.InvariantCulture, $"DaemonSet {target.AgentNamespace}/{target.DaemonSetName} is rolling out: {updated ?? 0}/{desired} updated, {counts}."));
        }
        else
        {
            context.Note(CheckTypes.AgentReady, ConditionStatus.True, "AgentAvailable",
                $"DaemonSet {target.AgentNamespace}/{target.DaemonSetName}: {counts}.");
        }
    }

    private static string PreemptionNote(DiagnosisContext context, V1Pod pod)
    {
        var className = pod.Spec?.PriorityClassName ?? context.DaemonSet?.Spec?.Template?.Spec?.PriorityClassName;
        var priorityClass = context.Snapshot.PriorityClass;
        if (className is null || priorityClass?.Metadata?.Name != className)
        {
            return className is null ? "" : $". The pods use PriorityClass {className}.";
        }

        var policy = priorityClass.PreemptionPolicy ?? "PreemptLowerPriority";
        var value = priorityClass.Value?.ToString(CultureInfo.InvariantCulture) ?? "unknown";
        return policy == "Never"
            ? $". PriorityClass {className} (value {value}) has preemptionPolicy Never: the agent cannot preempt other pods; use {Catalog.HighPriorityClassName}."
            : $". PriorityClass {className} (value {value}) has preemptionPolicy {policy}.";
    }

    private static string Count(int count, int total) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} of {total} agent pod{(total == 1 ? "" : "s")}");

    private static string Sample(List<(V1Pod Pod, string Message)> items)
    {
        var shown = string.Join("; ", items.Take(PodsNamedInMessage).Select(i => i.Message));
        return items.Count > PodsNamedInMessage
            ? string.Create(CultureInfo.InvariantCulture, $"{shown}; and {items.Count - PodsNamedInMessage} more")
            : shown;
    }
}
