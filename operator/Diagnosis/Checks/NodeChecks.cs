using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;

namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>How the cluster's nodes split: what the status shows as <c>status.nodes</c>.</summary>
/// <param name="Eligible">Linux nodes that can run the agent (not Fargate, hybrid, Windows, unsupported architecture) and are Ready.</param>
/// <param name="WithAgent">Eligible nodes with a running, Ready agent pod.</param>
/// <param name="NotCoverable">Nodes that can never run the agent.</param>
public sealed record NodeCounts(int Eligible, int WithAgent, int NotCoverable);

/// <summary>
/// AgentReady, node by node (FM-01..FM-06): which nodes should run the agent and do not, which can never run it, and
/// agent exits whose cause is the node (kernel, memory). Runs before <see cref="AgentChecks"/>, which then leaves the
/// pods explained here out of its generic crash-loop count.
/// </summary>
internal static class NodeChecks
{
    public const string ComputeTypeLabel = "eks.amazonaws.com/compute-type";
    public const string TaintNotTolerated = "NodeTaintNotTolerated";
    private const int NodesNamedInMessage = 10;

    /// <summary>A node this young without an agent pod is still being set up (the DaemonSet controller is quick, the node's kubelet less so).</summary>
    public static readonly TimeSpan NewNodeGrace = TimeSpan.FromMinutes(5);

    /// <summary>An OOM kill or kernel error older than this, on a container running since, is history, not a current cause.</summary>
    public static readonly TimeSpan RecentExit = TimeSpan.FromHours(1);

    private static readonly Regex KernelFailure = new(
        @"kernel\s*BTF|vmlinux\s*BTF|BPF\s*skeleton|libbpf:\s*failed|failed\s*to\s*load\s*(BPF|eBPF)|RLIMIT_MEMLOCK|memlock|bpf\(\)?.*operation\s*not\s*permitted",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant,
        Catalog.RegexBudget);

    /// <summary>Tolerations the DaemonSet controller adds to every DaemonSet pod (pkg/controller/daemon/util).</summary>
    private static readonly V1Toleration[] InjectedTolerations =
    [
        new() { Key = "node.kubernetes.io/not-ready", OperatorProperty = "Exists", Effect = "NoExecute" },
        new() { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute" },
        new() { Key = "node.kubernetes.io/disk-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" },
        new() { Key = "node.kubernetes.io/memory-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" },
        new() { Key = "node.kubernetes.io/pid-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" },
        new() { Key = "node.kubernetes.io/unschedulable", OperatorProperty = "Exists", Effect = "NoSchedule" },
    ];

    private static readonly V1Toleration HostNetworkToleration = new() { Key = "node.kubernetes.io/network-unavailable", OperatorProperty = "Exists", Effect = "NoSchedule" };

    /// <summary>Agent pods whose failure is explained by the node (OOM kill, kernel): not counted again as generic crash loops.</summary>
    public static void ExplainPodFailures(DiagnosisContext context)
    {
        if (context.DaemonSet is null)
        {
            return;
        }

        var oom = new List<string>();
        var kernel = new List<string>();
        Dictionary<string, V1Node>? byName = null;
        Dictionary<string, V1Node> nodes() => byName ??= (context.Snapshot.Nodes ?? []).Where(n => n.Metadata?.Name is not null).ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal);

        // Only pods with a terminated container can show an OOM kill or a kernel failure (the loop below skips the others).
        foreach (var pod in context.TerminatedAgentPods)
        {
            var name = pod.Metadata?.Name ?? "(unnamed)";
            foreach (var status in pod.Status?.ContainerStatuses ?? [])
            {
                var terminated = status.LastState?.Terminated ?? status.State?.Terminated;
                var crashing = status.State?.Waiting?.Reason == "CrashLoopBackOff" || status.State?.Terminated is not null;
                var recent = terminated?.FinishedAt is not { } finished || context.Snapshot.Now - new DateTimeOffset(DateTime.SpecifyKind(finished, DateTimeKind.Utc)) <= RecentExit;
                if (terminated is null || !(crashing || recent))
                {
                    continue;
                }

                var node = NodeOf(pod) is { } nodeName && nodes().TryGetValue(nodeName, out var found) ? found : null;
                if (terminated.Reason == "OOMKilled")
                {
                    var limit = context.DaemonSet.Spec?.Template?.Spec?.Containers?.FirstOrDefault(c => c.Name == status.Name)?.Resources?.Limits is { } limits
                        && limits.TryGetValue("memory", out var memory) ? memory.ToString() : "none";
                    oom.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{name}{OnNode(pod)}: container {status.Name} OOMKilled (exit {terminated.ExitCode}, {status.RestartCount} restarts, memory limit {limit})"));
                    context.ExplainedPods.Add(name);
                    break;
                }

                var text = terminated.Message;
                if ((text is null || !Catalog.SafeIsMatch(KernelFailure, text)) && context.Snapshot.AgentLogs?.GetValueOrDefault(name) is { } logs)
                {
                    text = logs;
                }

                if (text is not null && Catalog.SafeIsMatch(KernelFailure, text))
                {
                    var line = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => Catalog.SafeIsMatch(KernelFailure, l)) ?? text.Trim();
                    var kernelInfo = node?.Status?.NodeInfo is { } info ? $" (kernel {info.KernelVersion}, {info.OsImage})" : "";
                    var memlock = KernelAtMost510(node?.Status?.NodeInfo?.KernelVersion) ? "; kernels 5.10 and older also need RLIMIT_MEMLOCK of at least 32 MB" : "";
                    kernel.Add($"{name}{OnNode(pod)}{kernelInfo}: {Truncate(line, 200)}{memlock}");
                    context.ExplainedPods.Add(name);
                    break;
                }
            }
        }

        if (oom.Count > 0)
        {
            context.Add(ReasonCodes.AgentOOMKilled, FindingSource.Local,
                string.Create(CultureInfo.InvariantCulture, $"{oom.Count} agent pod{(oom.Count == 1 ? " was" : "s were")} OOMKilled: {Sample(oom)}."));
        }

        if (kernel.Count > 0)
        {
            context.Add(ReasonCodes.AgentKernelUnsupported, FindingSource.Local,
                string.Create(CultureInfo.InvariantCulture, $"{kernel.Count} agent pod{(kernel.Count == 1 ? "" : "s")} cannot load eBPF on the node's kernel: {Sample(kernel)}."));
        }
    }

    /// <summary>Eligible, covered and never-coverable nodes; NodesWithoutAgent and NodesNotCoverable.</summary>
    public static void Run(DiagnosisContext context)
    {
        var nodes = context.Snapshot.Nodes;
        if (nodes is null)
        {
            return;
        }

        var agentVersion = context.AgentVersion()?.Version;
        var notCoverable = new List<(V1Node Node, string Why)>();
        var eligible = new List<V1Node>();
        foreach (var node in nodes)
        {
            if (NotCoverableReason(node, agentVersion) is { } why)
            {
                notCoverable.Add((node, why));
            }
            else if (IsReady(node))
            {
                eligible.Add(node);
            }
        }

        var podsOnNodes = AgentPodsByNode.Of(context);
        var withAgent = eligible.Count(n => podsOnNodes.HasRunningReady(n.Metadata.Name));
        context.NodeCounts = new NodeCounts(eligible.Count, withAgent, notCoverable.Count);

        if (notCoverable.Count > 0)
        {
            var groups = notCoverable.GroupBy(n => n.Why, StringComparer.Ordinal)
                .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key} ({string.Join(", ", g.Take(3).Select(n => n.Node.Metadata.Name))}{(g.Count() > 3 ? ", ..." : "")})"));
            context.Add(ReasonCodes.NodesNotCoverable, FindingSource.Local,
                string.Create(CultureInfo.InvariantCulture, $"{notCoverable.Count} of {nodes.Count} nodes cannot run the agent and are not counted as eligible: {string.Join("; ", groups)}."));
        }

        var daemonSet = context.DaemonSet;
        if (daemonSet is null)
        {
            return;
        }

        var template = daemonSet.Spec?.Template?.Spec;
        var tolerations = (template?.Tolerations ?? []).Concat(InjectedTolerations).ToList();
        if (template?.HostNetwork == true)
        {
            tolerations.Add(HostNetworkToleration);
        }

        var missing = new List<(V1Node Node, string Why)>();
        foreach (var node in eligible)
        {
            var name = node.Metadata?.Name ?? "";
            if (podsOnNodes.HasRunningReady(name))
            {
                // Running and Ready: the node has its agent.
                continue;
            }

            var pods = podsOnNodes.On(name);
            if (pods.Any(p => p.Status?.Phase is "Running" or "Succeeded" or "Failed" || p.Spec?.NodeName is not null))
            {
                // Running (ready or not): per-pod causes (crash loop, image pull, OOM, kernel) are reported by pod.
                continue;
            }

            var pending = pods.FirstOrDefault();
            if (pending is not null)
            {
                var scheduled = KubeObjects.Condition(pending, "PodScheduled");
                missing.Add((node, $"agent pod {pending.Metadata?.Name} is Pending{(scheduled?.Message is { } m ? ": " + Truncate(m, 160) : "")}"));
                continue;
            }

            var untolerated = (node.Spec?.Taints ?? [])
                .Where(t => t.Effect is "NoSchedule" or "NoExecute" && !tolerations.Any(tol => Tolerates(tol, t)))
                .ToList();
            if (untolerated.Count > 0)
            {
                missing.Add((node, $"{TaintNotTolerated}: {string.Join(", ", untolerated.Select(Describe))}"));
                continue;
            }

            if (!SelectorAdmits(template, node))
            {
                missing.Add((node, "the DaemonSet's nodeSelector/affinity excludes it"));
                continue;
            }

            var created = KubeObjects.Time(node.Metadata?.CreationTimestamp);
            if (created is { } joined && context.Snapshot.Now - joined < NewNodeGrace)
            {
                continue;
            }

            var rolledOut = (daemonSet.Metadata?.ManagedFields ?? []).Select(m => KubeObjects.Time(m.Time)).Where(t => t is not null).Max();
            missing.Add((node, created is { } c && rolledOut is { } r && c > r
                ? $"no agent pod; the node joined {AwsChecks.Rfc(c)}, after the DaemonSet last changed"
                : "no agent pod was created for it"));
        }

        if (missing.Count == 0)
        {
            return;
        }

        var shown = missing.Take(NodesNamedInMessage).Select(m => $"{m.Node.Metadata.Name} ({m.Why})");
        var more = missing.Count > NodesNamedInMessage ? string.Create(CultureInfo.InvariantCulture, $"; and {missing.Count - NodesNamedInMessage} more") : "";
        var pools = missing
            .Select(m => PoolOf(m.Node))
            .Where(p => p is not null)
            .GroupBy(p => p!, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} ({g.Count()})"))
            .ToList();
        var poolText = pools.Count > 0 ? $" Node pools: {string.Join(", ", pools)}." : "";
        var desired = daemonSet.Status?.DesiredNumberScheduled;
        var desiredText = desired is { } d && d < eligible.Count
            ? string.Create(CultureInfo.InvariantCulture, $" The DaemonSet wants {d} pods for {eligible.Count} eligible nodes.")
            : "";
        var details = new Dictionary<string, string>
        {
            ["nodes"] = string.Join(",", missing.Select(m => m.Node.Metadata.Name)),
        };
        context.Add(ReasonCodes.NodesWithoutAgent, FindingSource.Local,
            string.Create(CultureInfo.InvariantCulture, $"{missing.Count} of {eligible.Count} eligible nodes run no agent pod: {string.Join("; ", shown)}{more}.{poolText}{desiredText}"),
            details);
    }

    /// <summary>Why a node can never run the agent, or null when it can.</summary>
    public static string? NotCoverableReason(V1Node node, SemanticVersion? agentVersion)
    {
        var labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        var info = node.Status?.NodeInfo;
        switch (labels.ValueOf(ComputeTypeLabel))
        {
            case "fargate":
                return "Fargate";
            case "hybrid":
                return "EKS Hybrid Nodes";
        }

        var os = labels.ValueOf("kubernetes.io/os") ?? info?.OperatingSystem;
        if (os is not null && !string.Equals(os, "linux", StringComparison.OrdinalIgnoreCase))
        {
            return $"{os} (the agent runs on Linux only)";
        }

        var arch = labels.ValueOf("kubernetes.io/arch") ?? info?.Architecture;
        if (arch is not null && arch is not ("amd64" or "arm64"))
        {
            return $"architecture {arch}";
        }

        var instanceType = labels.ValueOf("node.kubernetes.io/instance-type") ?? labels.ValueOf("beta.kubernetes.io/instance-type");
        if (instanceType is not null && instanceType.StartsWith("a1.", StringComparison.Ordinal))
        {
            return "a1 instances (first-generation Graviton)";
        }

        if (arch == "arm64" && agentVersion is { } version && version.CompareTo(new SemanticVersion(1, 2, 0)) < 0)
        {
            return "arm64 with agent older than v1.2.0";
        }

        return null;
    }

    /// <summary>The node an agent pod runs on or is meant for (DaemonSet pods carry a matchFields affinity on metadata.name).</summary>
    public static string? NodeOf(V1Pod pod)
    {
        if (pod.Spec?.NodeName is { Length: > 0 } nodeName)
        {
            return nodeName;
        }

        var terms = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms ?? [];
        return terms
            .SelectMany(t => t.MatchFields ?? [])
            .FirstOrDefault(f => f.Key == "metadata.name" && f.OperatorProperty == "In" && f.Values is { Count: 1 })
            ?.Values[0];
    }

    public static bool IsReady(V1Node node) =>
        node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status == "True";

    /// <summary>Kubernetes' toleration matching (k8s.io/api/core/v1 Toleration.ToleratesTaint).</summary>
    public static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key)
        {
            return false;
        }

        return (toleration.OperatorProperty ?? "Equal") switch
        {
            "Exists" => true,
            "Equal" => !string.IsNullOrEmpty(toleration.Key) && (toleration.Value ?? "") == (taint.Value ?? ""),
            _ => false,
        };
    }

    private static string Describe(V1Taint taint) =>
        $"{taint.Key}{(string.IsNullOrEmpty(taint.Value) ? "" : "=" + taint.Value)}:{taint.Effect}";

    /// <summary>The DaemonSet template's nodeSelector and required node affinity admit the node.</summary>
    private static bool SelectorAdmits(V1PodSpec? template, V1Node node)
    {
        var labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        if (template?.NodeSelector is { } selector && selector.Any(kv => labels.ValueOf(kv.Key) != kv.Value))
        {
            return false;
        }

        var terms = template?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        if (terms is not { Count: > 0 })
        {
            return true;
        }

        var fields = new Dictionary<string, string> { ["metadata.name"] = node.Metadata?.Name ?? "" };
        return terms.Any(term =>
            (term.MatchExpressions ?? []).All(e => Matches(e, labels)) && (term.MatchFields ?? []).All(e => Matches(e, fields)));
    }

    private static bool Matches(V1NodeSelectorRequirement requirement, IDictionary<string, string> values)
    {
        var has = values.TryGetValue(requirement.Key, out var value);
        var list = requirement.Values ?? [];
        return requirement.OperatorProperty switch
        {
            "In" => has && list.Contains(value!),
            "NotIn" => !has || !list.Contains(value!),
            "Exists" => has,
            "DoesNotExist" => !has,
            "Gt" => has && long.TryParse(value, out var a) && list.Count == 1 && long.TryParse(list[0], out var b) && a > b,
            "Lt" => has && long.TryParse(value, out var c) && list.Count == 1 && long.TryParse(list[0], out var d) && c < d,
            _ => false,
        };
    }

    private static string? PoolOf(V1Node node)
    {
        var labels = node.Metadata?.Labels;
        if (labels is null)
        {
            return null;
        }

        foreach (var key in new[] { "karpenter.sh/nodepool", "eks.amazonaws.com/nodegroup", "alpha.eksctl.io/nodegroup-name" })
        {
            if (labels.TryGetValue(key, out var value))
            {
                return $"{key}={value}";
            }
        }

        return null;
    }

    private static bool KernelAtMost510(string? kernelVersion)
    {
        var match = kernelVersion is null ? null : Regex.Match(kernelVersion, @"^(\d+)\.(\d+)", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        if (match is not { Success: true })
        {
            return false;
        }

        var major = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var minor = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        return major < 5 || (major == 5 && minor <= 10);
    }

    private static string OnNode(V1Pod pod) => NodeOf(pod) is { } node ? $" on {node}" : "";

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "...";

    private static string Sample(List<string> items) =>
        items.Count > 3 ? string.Join("; ", items.Take(3)) + string.Create(CultureInfo.InvariantCulture, $"; and {items.Count - 3} more") : string.Join("; ", items);
}

/// <summary>
/// The agent pods by node (<see cref="NodeChecks.NodeOf"/>), as NodeChecks reads them: whether a node has a Running,
/// Ready agent pod, and the other pods of a node (in the order of <see cref="DiagnosisContext.AgentPods"/>; from the
/// summary, without the Running, Ready ones: callers ask <see cref="HasRunningReady"/> first).
/// From the snapshot's incremental summary when it keeps them (plus the owner-less agent pods), so a diagnosis does
/// not group thousands of pods; else grouped from the pods, only when a node asks.
/// </summary>
internal sealed class AgentPodsByNode
{
    private readonly AgentPodSummary? _summary;
    private readonly Dictionary<string, List<V1Pod>>? _extra;
    private readonly Func<Dictionary<string, List<V1Pod>>>? _group;
    private Dictionary<string, List<V1Pod>>? _grouped;

    private AgentPodsByNode(AgentPodSummary? summary, Dictionary<string, List<V1Pod>>? extra, Func<Dictionary<string, List<V1Pod>>>? group)
    {
        _summary = summary;
        _extra = extra;
        _group = group;
    }

    public static AgentPodsByNode Of(DiagnosisContext context)
    {
        // Without a DaemonSet no pod counts as the agent's (AgentPods is empty), whatever the summary holds.
        if (context.DaemonSet is not null && context.Snapshot.AgentPodSummary is { RunningReadyByNode: not null, NotRunningReadyByNode: not null } summary)
        {
            // The summary holds the pods the DaemonSet owns; owner-less agent pods (matched by the selector) are added.
            var extra = Group(context.OwnerlessAgentPods);
            return new AgentPodsByNode(summary, extra, null);
        }

        return new AgentPodsByNode(null, null, () => Group(context.AgentPods));
    }

    public bool HasRunningReady(string? node)
    {
        if (node is null)
        {
            return false;
        }

        if (_summary is null)
        {
            return Grouped().GetValueOrDefault(node)?.Any(RunningReady) == true;
        }

        return _summary.RunningReadyByNode!.ContainsKey(node) || _extra!.GetValueOrDefault(node)?.Any(RunningReady) == true;
    }

    public IReadOnlyList<V1Pod> On(string node)
    {
        if (_summary is null)
        {
            return Grouped().GetValueOrDefault(node) ?? [];
        }

        // Owned pods first (by key, as the owner index lists them), then the owner-less ones, as in AgentPods. Without
        // the Running, Ready ones: NodeChecks asks HasRunningReady first, and such a pod (Running) ends its look.
        IReadOnlyList<V1Pod> owned = _summary.NotRunningReadyByNode!.GetValueOrDefault(node)?.Values.ToList() ?? [];
        return _extra!.GetValueOrDefault(node) is { } extra ? [.. owned, .. extra] : owned;
    }

    private static bool RunningReady(V1Pod pod) => pod.Status?.Phase == "Running" && KubeObjects.IsReady(pod);

    private Dictionary<string, List<V1Pod>> Grouped() => _grouped ??= _group!();

    private static Dictionary<string, List<V1Pod>> Group(IEnumerable<V1Pod> pods) =>
        pods.Select(p => (Pod: p, Node: NodeChecks.NodeOf(p)))
            .Where(p => p.Node is not null)
            .GroupBy(p => p.Node!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(p => p.Pod).ToList(), StringComparer.Ordinal);
}

/// <summary>Label and annotation look-ups on the client's <see cref="IDictionary{TKey, TValue}"/> maps.</summary>
internal static class MetadataMaps
{
    public static string? ValueOf(this IDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value : null;
}
