using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>
/// The agent namespace's own objects that stop or change the agent (FM-07..FM-11): Pod Security labels, quotas and
/// LimitRanges, NetworkPolicies, GitOps ownership, pods mutated away from their template.
/// </summary>
internal static class PolicyChecks
{
    public const string EnforceLabel = "pod-security.kubernetes.io/enforce";

    /// <summary>Events older than this are history: what a recent FailedCreate says counts only while pods are missing.</summary>
    public static readonly TimeSpan RecentEvent = TimeSpan.FromHours(1);

    /// <summary>Capabilities the Pod Security baseline level allows to add.</summary>
    private static readonly HashSet<string> BaselineCapabilities = new(StringComparer.Ordinal)
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    };

    private static readonly string[] GitOpsManagers =
        ["argocd-controller", "argocd-application-controller", "argocd-server", "kustomize-controller", "helm-controller", "helm", "Helm", "Terraform", "terraform"];

    /// <summary>The DaemonSet is missing pods: fewer scheduled than desired, or eligible nodes without a pod.</summary>
    private static bool PodsMissing(DiagnosisContext context)
    {
        var status = context.DaemonSet?.Status;
        if (status is null)
        {
            return false;
        }

        return status.CurrentNumberScheduled < status.DesiredNumberScheduled
            || context.AgentPods.Count < status.DesiredNumberScheduled
            || (context.NodeCounts is { } counts && context.Observations.Any(o => o.Reason == ReasonCodes.NodesWithoutAgent) && counts.Eligible > 0);
    }

    private static List<ClusterEvent> RecentFailedCreates(DiagnosisContext context, string contains) =>
        (context.Snapshot.Events ?? [])
            .Where(e => e.Reason == "FailedCreate" && e.Message?.Contains(contains, StringComparison.OrdinalIgnoreCase) == true)
            .Where(e => e.ObjectKind is null or "DaemonSet" && (e.ObjectName is null || e.ObjectName == context.Target.DaemonSetName))
            .Where(e => e.LastSeen is not { } seen || context.Snapshot.Now - seen <= RecentEvent)
            .OrderByDescending(e => e.LastSeen)
            .ToList();

    internal static void PodSecurity(DiagnosisContext context)
    {
        var target = context.Target;
        var events = PodsMissing(context) ? RecentFailedCreates(context, "violates PodSecurity") : [];
        var level = context.Snapshot.AgentNamespace?.Metadata?.Labels?.ValueOf(EnforceLabel);
        var violations = level is "baseline" or "restricted" ? BaselineViolations(context.DaemonSet?.Spec?.Template?.Spec) : [];
        if (violations.Count == 0 && events.Count == 0)
        {
            return;
        }

        var parts = new List<string>();
        if (violations.Count > 0)
        {
            parts.Add($"Namespace {target.AgentNamespace} has {EnforceLabel}={level}, which rejects the agent's pods: {string.Join(", ", violations)}.");
        }

        if (events.Count > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"FailedCreate ({events.Sum(e => e.Count)}x): {Truncate(events[0].Message!, 400)}"));
        }

        context.Add(ReasonCodes.PodSecurityBlocksAgent, FindingSource.Local, string.Join(" ", parts));
    }

    /// <summary>What the Pod Security baseline level forbids in the pod spec (restricted forbids all of it too).</summary>
    internal static List<string> BaselineViolations(V1PodSpec? spec)
    {
        var found = new List<string>();
        if (spec is null)
        {
            return found;
        }

        if (spec.HostNetwork == true || spec.HostPID == true || spec.HostIPC == true)
        {
            found.Add("host namespaces");
        }

        var hostPaths = (spec.Volumes ?? []).Where(v => v.HostPath is not null).Select(v => v.Name).ToList();
        if (hostPaths.Count > 0)
        {
            found.Add($"hostPath volumes ({string.Join(", ", hostPaths)})");
        }

        foreach (var container in (spec.InitContainers ?? []).Concat(spec.Containers ?? []))
        {
            var security = container.SecurityContext;
            if (security?.Privileged == true)
            {
                found.Add($"privileged container {container.Name}");
            }

            var added = (security?.Capabilities?.Add ?? []).Where(c => !BaselineCapabilities.Contains(c)).ToList();
            if (added.Count > 0)
            {
                found.Add($"non-default capabilities ({container.Name}: {string.Join(", ", added)})");
            }

            if ((container.Ports ?? []).Any(p => p.HostPort is > 0))
            {
                found.Add($"host ports ({container.Name})");
            }
        }

        return found;
    }

    internal static void Quotas(DiagnosisContext context)
    {
        var target = context.Target;
        var container = context.AgentContainer;
        var missing = PodsMissing(context);
        var problems = new List<string>();
        var eligible = context.NodeCounts?.Eligible;
        foreach (var quota in context.Snapshot.ResourceQuotas ?? [])
        {
            var name = quota.Metadata?.Name ?? "(unnamed)";
            var hard = quota.Status?.Hard ?? quota.Spec?.Hard;
            var used = quota.Status?.Used;
            if (hard is null)
            {
                continue;
            }

            foreach (var (resource, limit) in hard)
            {
                var perPod = PerPod(resource, container);
                if (perPod is null)
                {
                    continue;
                }

                var hardValue = limit.ToDecimal();
                if (eligible is { } nodes && nodes > 0 && perPod.Value * nodes > hardValue)
                {
                    problems.Add(string.Create(CultureInfo.InvariantCulture,
                        $"ResourceQuota {name} allows {resource}={limit}, less than {nodes} eligible nodes x {FormatPerPod(resource, perPod.Value)} per agent pod"));
                    continue;
                }

                if (missing && used is not null && used.TryGetValue(resource, out var usedValue) && usedValue.ToDecimal() + perPod.Value > hardValue)
                {
                    problems.Add($"ResourceQuota {name} is full: {resource} used {usedValue} of {limit}");
                }
            }
        }

        foreach (var range in context.Snapshot.LimitRanges ?? [])
        {
            foreach (var item in (range.Spec?.Limits ?? []).Where(l => l.Type is "Container" or "Pod"))
            {
                foreach (var resource in new[] { "cpu", "memory" })
                {
                    var limit = Quantity(container?.Resources?.Limits, resource) ?? Quantity(container?.Resources?.Requests, resource);
                    var request = Quantity(container?.Resources?.Requests, resource) ?? limit;
                    if (item.Max?.TryGetValue(resource, out var max) == true && limit is { } l && l.ToDecimal() > max.ToDecimal())
                    {
                        problems.Add($"LimitRange {range.Metadata?.Name} allows at most {resource} {max} per {item.Type}, the agent's limit is {l}");
                    }

                    if (item.Min?.TryGetValue(resource, out var min) == true && request is { } r && r.ToDecimal() < min.ToDecimal())
                    {
                        problems.Add($"LimitRange {range.Metadata?.Name} requires at least {resource} {min} per {item.Type}, the agent requests {r}");
                    }
                }
            }
        }

        var events = missing ? RecentFailedCreates(context, "exceeded quota") : [];
        if (missing)
        {
            events.AddRange(RecentFailedCreates(context, "LimitRange").Concat(RecentFailedCreates(context, "maximum cpu usage")).Concat(RecentFailedCreates(context, "maximum memory usage")));
        }

        if (problems.Count == 0 && events.Count == 0)
        {
            return;
        }

        var text = problems.Count > 0 ? $"In namespace {target.AgentNamespace}: {string.Join("; ", problems.Distinct(StringComparer.Ordinal))}." : "";
        if (events.Count > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"{(text.Length > 0 ? " " : "")}FailedCreate ({events.Sum(e => e.Count)}x): {Truncate(events[0].Message!, 400)}");
        }

        context.Add(ReasonCodes.ResourceQuotaBlocksAgent, FindingSource.Local, text);
    }

    /// <summary>What one agent pod takes of a quota resource; null for resources it does not count against.</summary>
    private static decimal? PerPod(string resource, V1Container? container)
    {
        switch (resource)
        {
            case "pods" or "count/pods":
                return 1;
            case "requests.cpu" or "cpu":
                return Quantity(container?.Resources?.Requests, "cpu")?.ToDecimal() ?? Quantity(container?.Resources?.Limits, "cpu")?.ToDecimal();
            case "requests.memory" or "memory":
                return Quantity(container?.Resources?.Requests, "memory")?.ToDecimal() ?? Quantity(container?.Resources?.Limits, "memory")?.ToDecimal();
            case "limits.cpu":
                return Quantity(container?.Resources?.Limits, "cpu")?.ToDecimal();
            case "limits.memory":
                return Quantity(container?.Resources?.Limits, "memory")?.ToDecimal();
            default:
                return null;
        }
    }

    private static string FormatPerPod(string resource, decimal value) =>
        resource.EndsWith("memory", StringComparison.Ordinal)
            ? string.Create(CultureInfo.InvariantCulture, $"{value / (1024 * 1024):0.##}Mi")
            : value.ToString("0.###", CultureInfo.InvariantCulture);

    private static ResourceQuantity? Quantity(IDictionary<string, ResourceQuantity>? values, string name) =>
        values is not null && values.TryGetValue(name, out var value) ? value : null;

    internal static void NetworkPolicies(DiagnosisContext context)
    {
        var policies = context.Snapshot.NetworkPolicies;
        var template = context.DaemonSet?.Spec?.Template;
        if (policies is null || template is null || template.Spec?.HostNetwork == true)
        {
            // Host-networked pods are not subject to NetworkPolicies.
            return;
        }

        var labels = KubeObjects.Labels(template.Metadata);
        var egress = policies
            .Where(p => KubeObjects.Matches(p.Spec?.PodSelector ?? new V1LabelSelector(), labels))
            .Where(p => p.Spec?.PolicyTypes is { Count: > 0 } types ? types.Contains("Egress") : p.Spec?.Egress is not null)
            .ToList();
        if (egress.Count == 0)
        {
            return;
        }

        var rules = egress.SelectMany(p => p.Spec?.Egress ?? []).ToList();
        var https = rules.Any(r => AllowsPort(r, 443, "TCP") && (r.To is not { Count: > 0 } || r.To.Any(peer => peer.IpBlock is not null)));
        var dns = rules.Any(r => AllowsPort(r, 53, "UDP") || AllowsPort(r, 53, "TCP"));
        if (https && dns)
        {
            return;
        }

        var denied = new List<string>();
        if (!https)
        {
            denied.Add("TCP 443 to the guardduty-data endpoint");
        }

        if (!dns)
        {
            denied.Add("DNS (port 53)");
        }

        context.Add(ReasonCodes.NetworkPolicyBlocksAgent, FindingSource.Local,
            $"NetworkPolicies selecting the agent pods in {context.Target.AgentNamespace} ({string.Join(", ", egress.Select(p => p.Metadata?.Name))}) allow no egress for {string.Join(" or ", denied)}; the agent pods are not host-networked.");
    }

    private static bool AllowsPort(V1NetworkPolicyEgressRule rule, int port, string protocol)
    {
        if (rule.Ports is not { Count: > 0 } ports)
        {
            return true;
        }

        return ports.Any(p =>
        {
            if ((p.Protocol ?? "TCP") != protocol)
            {
                return false;
            }

            if (p.Port is null)
            {
                return true;
            }

            var value = p.Port.Value;
            if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
            {
                return (port == 443 && value == "https") || (port == 53 && value is "dns" or "dns-tcp");
            }

            return number == port || (p.EndPort is { } end && number <= port && port <= end);
        });
    }

    internal static void GitOps(DiagnosisContext context)
    {
        var found = new List<string>();
        if (context.DaemonSet?.Metadata is { } ds && Owners(ds) is { Count: > 0 } dsOwners)
        {
            found.Add($"DaemonSet {context.Target.AgentNamespace}/{context.Target.DaemonSetName} is managed by {string.Join(", ", dsOwners)}");
        }

        if (context.Snapshot.AgentNamespace?.Metadata is { } ns && Owners(ns) is { Count: > 0 } nsOwners && !PruneDisabled(ns))
        {
            found.Add($"Namespace {context.Target.AgentNamespace} is managed by {string.Join(", ", nsOwners)} without pruning disabled");
        }

        if (found.Count > 0)
        {
            context.Add(ReasonCodes.GitOpsOwnsAgentObjects, FindingSource.Local, string.Join("; ", found) + ".");
        }
    }

    /// <summary>GitOps and Helm ownership marks: labels, annotations, field managers.</summary>
    internal static List<string> Owners(V1ObjectMeta metadata)
    {
        var owners = new List<string>();
        var labels = metadata.Labels ?? new Dictionary<string, string>();
        var annotations = metadata.Annotations ?? new Dictionary<string, string>();
        if (annotations.ContainsKey("argocd.argoproj.io/tracking-id") || labels.ContainsKey("argocd.argoproj.io/instance"))
        {
            owners.Add("Argo CD");
        }

        if (labels.ContainsKey("kustomize.toolkit.fluxcd.io/name") || labels.ContainsKey("helm.toolkit.fluxcd.io/name"))
        {
            owners.Add("Flux");
        }

        if (annotations.ContainsKey("meta.helm.sh/release-name") || labels.ValueOf("app.kubernetes.io/managed-by") == "Helm")
        {
            owners.Add("Helm");
        }

        foreach (var manager in (metadata.ManagedFields ?? []).Select(m => m.Manager).Where(m => m is not null).Distinct(StringComparer.Ordinal))
        {
            if (GitOpsManagers.Contains(manager, StringComparer.Ordinal))
            {
                owners.Add($"field manager \"{manager}\"");
            }
        }

        return owners;
    }

    private static bool PruneDisabled(V1ObjectMeta metadata)
    {
        var annotations = metadata.Annotations ?? new Dictionary<string, string>();
        var argo = annotations.ValueOf("argocd.argoproj.io/sync-options") ?? "";
        var flux = annotations.ValueOf("kustomize.toolkit.fluxcd.io/prune");
        var helm = annotations.ValueOf("helm.sh/resource-policy");
        return argo.Contains("Prune=false", StringComparison.Ordinal) || argo.Contains("Delete=false", StringComparison.Ordinal) || flux == "disabled" || helm == "keep";
    }

    internal static void Mutations(DiagnosisContext context)
    {
        var daemonSet = context.DaemonSet;
        var template = daemonSet?.Spec?.Template?.Spec;
        if (template is null)
        {
            return;
        }

        var generation = daemonSet!.Metadata?.Generation?.ToString(CultureInfo.InvariantCulture);
        // How many (pod, container) pairs differ, and the first three described: at thousands of mutated pods (a
        // mutating webhook on every agent pod) the message names three, so only three are formatted.
        var mutatedCount = 0;
        var mutated = new List<string>();

        // The operator's cache shares one securityContext and one resources object among the pods that have equal ones
        // (CacheTransforms.Pod): each distinct object is compared with the template once, not once per pod. Keyed by
        // reference, so objects that are not shared (a bundle's) are compared as before, one by one.
        var differs = new Dictionary<(object Actual, V1Container Expected), bool>(ReferenceKeys.Instance);
        bool Differs(object? actual, object? expected, V1Container container)
        {
            if (actual is null)
            {
                return false;
            }

            if (!differs.TryGetValue((actual, container), out var result))
            {
                result = !IsEmpty(actual) && !SameJson(actual, expected);
                differs[(actual, container)] = result;
            }

            return result;
        }

        // The differing fields of each template container for one pod (empty lists: none differs).
        List<List<string>> Compare(V1Pod pod)
        {
            var result = new List<List<string>>();
            foreach (var expected in template.Containers ?? [])
            {
                var fields = new List<string>();
                result.Add(fields);
                var actual = pod.Spec?.Containers?.FirstOrDefault(c => c.Name == expected.Name);
                if (actual is null)
                {
                    continue;
                }

                if (!string.Equals(actual.Image, expected.Image, StringComparison.Ordinal))
                {
                    fields.Add($"image {actual.Image} (template {expected.Image})");
                }

                // Only what the pod shows is compared: mutations add or change fields, and a pod reduced by whoever
                // collected it (an empty struct) says nothing.
                if (Differs(actual.SecurityContext, expected.SecurityContext, expected))
                {
                    fields.Add("securityContext");
                }

                if (Differs(actual.Resources, expected.Resources, expected))
                {
                    fields.Add("resources");
                }

            }

            return result;
        }

        void Report(V1Pod pod, List<List<string>> differing, int pods)
        {
            var containers = template.Containers ?? [];
            var perPod = differing.Count(f => f.Count > 0);
            mutatedCount += perPod * pods;
            if (mutated.Count < 3 && perPod > 0)
            {
                for (var i = 0; i < containers.Count && mutated.Count < 3; i++)
                {
                    if (differing[i].Count > 0)
                    {
                        mutated.Add($"{pod.Metadata?.Name}: container {containers[i].Name} {string.Join(", ", differing[i])}");
                    }
                }
            }
        }

        // Only pods the DaemonSet controller made from the current template (its pod-template-generation label):
        // a pod of an older template, or of unknown origin, differs because of a roll-out, not a mutation.
        bool Current(V1Pod pod) => generation is not null && pod.Metadata?.Labels?.ValueOf("pod-template-generation") == generation;

        if (context.Snapshot.AgentPodSummary is { SpecShapes: { } shapes })
        {
            // The operator's cache groups the DaemonSet's pods by what is compared here: one comparison per group, and
            // the first pods (by key, the order of AgentPods) of the groups that differ are named. Then the owner-less
            // agent pods, which come after them in AgentPods.
            var named = new List<(string Key, V1Pod Pod, List<List<string>> Differing)>();
            foreach (var (shape, pods) in shapes)
            {
                if (generation is null || shape.TemplateGeneration != generation)
                {
                    continue;
                }

                var differing = Compare(pods.Values.First());
                var perPod = differing.Count(f => f.Count > 0);
                if (perPod == 0)
                {
                    continue;
                }

                mutatedCount += perPod * pods.Count;
                named.AddRange(pods.Take(3).Select(p => (p.Key, p.Value, differing)));
            }

            foreach (var (_, pod, differing) in named.OrderBy(n => n.Key, StringComparer.Ordinal))
            {
                Report(pod, differing, pods: 0);
            }

            foreach (var pod in context.OwnerlessAgentPods.Where(Current))
            {
                Report(pod, Compare(pod), pods: 1);
            }
        }
        else
        {
            foreach (var pod in context.AgentPods.Where(Current))
            {
                Report(pod, Compare(pod), pods: 1);
            }
        }

        if (mutatedCount > 0)
        {
            context.Add(ReasonCodes.AgentPodSpecMutated, FindingSource.Local,
                string.Create(CultureInfo.InvariantCulture, $"{mutatedCount} agent pod{(mutatedCount == 1 ? "" : "s")} differ from the DaemonSet template: {string.Join("; ", mutated)}{(mutatedCount > 3 ? $"; and {mutatedCount - 3} more" : "")}."));
        }
    }

    /// <summary>Pairs of objects compared by reference (the memo of <see cref="Mutations"/>).</summary>
    private sealed class ReferenceKeys : IEqualityComparer<(object Actual, V1Container Expected)>
    {
        public static readonly ReferenceKeys Instance = new();

        public bool Equals((object Actual, V1Container Expected) x, (object Actual, V1Container Expected) y) =>
            ReferenceEquals(x.Actual, y.Actual) && ReferenceEquals(x.Expected, y.Expected);

        public int GetHashCode((object Actual, V1Container Expected) key) =>
            HashCode.Combine(RuntimeHelpers.GetHashCode(key.Actual), RuntimeHelpers.GetHashCode(key.Expected));
    }

    private static bool IsEmpty(object? value) => value is null || Canonical(JsonDocument.Parse(Serialize(value)).RootElement) == "{}";

    /// <summary>A container's securityContext or resources as JSON (the two fields AgentPodSpecMutated compares).</summary>
    private static string Serialize(object value) => value switch
    {
        V1SecurityContext securityContext => JsonSerializer.Serialize(securityContext, ContainerFieldsJson.Default.V1SecurityContext),
        V1ResourceRequirements resources => JsonSerializer.Serialize(resources, ContainerFieldsJson.Default.V1ResourceRequirements),
        _ => throw new ArgumentException($"cannot compare a {value.GetType().Name} as JSON", nameof(value)),
    };

    /// <summary>Compares two API objects as JSON; null and an empty object are the same (the API server omits empty structs).</summary>
    private static bool SameJson(object? a, object? b)
    {
        static string Normal(object? value)
        {
            if (value is null)
            {
                return "{}";
            }

            using var document = JsonDocument.Parse(Serialize(value));
            return Canonical(document.RootElement);
        }

        return Normal(a) == Normal(b);
    }

    private static string Canonical(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", element.EnumerateObject()
            .Where(p => p.Value.ValueKind is not JsonValueKind.Null && !(p.Value.ValueKind == JsonValueKind.Object && !p.Value.EnumerateObject().Any()))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => JsonSerializer.Serialize(p.Name, KubeJsonStrings.Default.String) + ":" + Canonical(p.Value))) + "}",
        JsonValueKind.Array => "[" + string.Join(",", element.EnumerateArray().Select(Canonical)) + "]",
        _ => element.GetRawText(),
    };

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "...";
}

/// <summary>
/// The container fields AgentPodSpecMutated compares, with KubernetesClient's options: only these two, not its
/// context of every API model (which the NativeAOT image would then carry whole).
/// </summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(
    DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase,
    Converters = [typeof(KubernetesJson.Iso8601TimeSpanConverter), typeof(KubernetesJson.KubernetesDateTimeConverter), typeof(KubernetesJson.KubernetesDateTimeOffsetConverter)])]
[System.Text.Json.Serialization.JsonSerializable(typeof(V1SecurityContext))]
[System.Text.Json.Serialization.JsonSerializable(typeof(V1ResourceRequirements))]
internal sealed partial class ContainerFieldsJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>Source-generated string serialization for canonical JSON keys (NativeAOT: no reflection).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class KubeJsonStrings : System.Text.Json.Serialization.JsonSerializerContext;
