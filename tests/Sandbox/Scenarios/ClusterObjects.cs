using System.Text.Json.Nodes;
using KubeSandbox;

namespace GuardDutyCoverage.Sandbox.Scenarios;

/// <summary>A Node taint (<c>effect</c>: NoSchedule, PreferNoSchedule or NoExecute).</summary>
public sealed record NodeTaint(string Key, string? Value, string Effect);

/// <summary>What a Node reports about itself in <c>status.nodeInfo</c> (what a kubelet posts).</summary>
public sealed record NodeInfo(
    string OperatingSystem = "linux",
    string Architecture = "amd64",
    string KernelVersion = "5.10.219-208.866.amzn2.x86_64",
    string OsImage = "Amazon Linux 2",
    string KubeletVersion = "v1.29.3-eks-ae9a62a",
    string ContainerRuntimeVersion = "containerd://1.7.11");

/// <summary>
/// Builders of the objects a GuardDuty-agent scenario seeds through <see cref="SandboxCluster.Upsert"/> (status
/// included, no admission), shaped like the k8s-golden recordings 96-115: Nodes with labels, taints, providerID and a
/// kubelet's status (109-111), namespaces with Pod Security labels (96, 101), ResourceQuotas with the status the quota
/// controller would write (103, 105), LimitRanges as the API server defaults them (107), NetworkPolicies (112) and
/// core/v1 Events as controllers write them (113), which events.k8s.io/v1 also serves (114).
/// </summary>
public static class ClusterObjects
{
    /// <summary>The Pod Security admission label prefix: <c>enforce</c>, <c>warn</c>, <c>audit</c> and their <c>-version</c>.</summary>
    public const string PodSecurityLabelPrefix = "pod-security.kubernetes.io/";

    /// <summary>A namespace; <paramref name="podSecurity"/> maps modes (enforce, warn, audit) to levels (privileged, baseline, restricted).</summary>
    public static JsonObject Namespace(string name, IReadOnlyDictionary<string, string>? podSecurity = null, IReadOnlyDictionary<string, string>? labels = null)
    {
        var allLabels = new JsonObject();
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            allLabels[key] = value;
        }

        foreach (var (mode, level) in podSecurity ?? new Dictionary<string, string>())
        {
            allLabels[PodSecurityLabelPrefix + mode] = level;
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = allLabels },
        };
    }

    /// <summary>
    /// A Node as a kubelet of an EKS managed node group leaves it: labels (os, arch, compute type), providerID
    /// <c>aws:///zone/instance</c>, taints, and status (a Ready condition, nodeInfo, addresses). Labels given in
    /// <paramref name="labels"/> win over the derived ones (for example <c>eks.amazonaws.com/compute-type=fargate</c>).
    /// </summary>
    public static JsonObject Node(
        string name,
        bool ready = true,
        IReadOnlyList<NodeTaint>? taints = null,
        IReadOnlyDictionary<string, string>? labels = null,
        NodeInfo? info = null,
        string? instanceId = null,
        string zone = "eu-west-1a",
        DateTimeOffset? heartbeat = null)
    {
        info ??= new NodeInfo();
        var time = (heartbeat ?? new DateTimeOffset(2026, 12, 5, 20, 0, 0, TimeSpan.Zero)).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var allLabels = new JsonObject
        {
            ["kubernetes.io/os"] = info.OperatingSystem,
            ["kubernetes.io/arch"] = info.Architecture,
            ["kubernetes.io/hostname"] = name,
            ["eks.amazonaws.com/compute-type"] = "ec2",
            ["topology.kubernetes.io/zone"] = zone,
        };
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            allLabels[key] = value;
        }

        var spec = new JsonObject { ["providerID"] = $"aws:///{zone}/{instanceId ?? "i-" + Hex(name)}" };
        if (taints is { Count: > 0 })
        {
            spec["taints"] = new JsonArray([.. taints.Select(t => (JsonNode)Taint(t))]);
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = allLabels },
            ["spec"] = spec,
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Ready",
                    ["status"] = ready ? "True" : "False",
                    ["lastHeartbeatTime"] = time,
                    ["lastTransitionTime"] = time,
                    ["reason"] = ready ? "KubeletReady" : "KubeletNotReady",
                    ["message"] = ready ? "kubelet is posting ready status" : "container runtime network not ready",
                }),
                ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = 10250 } },
                ["nodeInfo"] = new JsonObject
                {
                    ["machineID"] = Hex(name),
                    ["systemUUID"] = Hex(name),
                    ["bootID"] = Hex(name + "/boot"),
                    ["kernelVersion"] = info.KernelVersion,
                    ["osImage"] = info.OsImage,
                    ["containerRuntimeVersion"] = info.ContainerRuntimeVersion,
                    ["kubeletVersion"] = info.KubeletVersion,
                    ["kubeProxyVersion"] = info.KubeletVersion,
                    ["operatingSystem"] = info.OperatingSystem,
                    ["architecture"] = info.Architecture,
                },
            },
        };
    }

    /// <summary>
    /// A ResourceQuota; <paramref name="used"/> is the status the quota controller would write (hard copied from spec).
    /// Null leaves the status unset, as on a cluster whose controller has not run: such a quota blocks nothing (104).
    /// </summary>
    public static JsonObject ResourceQuota(string @namespace, string name, IReadOnlyDictionary<string, string> hard, IReadOnlyDictionary<string, string>? used = null)
    {
        var quota = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ResourceQuota",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
            ["spec"] = new JsonObject { ["hard"] = Map(hard) },
        };
        quota["status"] = used is null ? new JsonObject() : new JsonObject { ["hard"] = Map(hard), ["used"] = Map(used) };
        return quota;
    }

    /// <summary>
    /// A LimitRange with one <c>Container</c> item; seeded, it is defaulted as the API server stores it (107): a missing
    /// default is the max, a missing defaultRequest is the default.
    /// </summary>
    public static JsonObject LimitRange(
        string @namespace,
        string name,
        IReadOnlyDictionary<string, string>? max = null,
        IReadOnlyDictionary<string, string>? min = null,
        IReadOnlyDictionary<string, string>? @default = null,
        IReadOnlyDictionary<string, string>? defaultRequest = null)
    {
        var item = new JsonObject { ["type"] = "Container" };
        if (max is not null)
        {
            item["max"] = Map(max);
        }

        if (min is not null)
        {
            item["min"] = Map(min);
        }

        if (@default is not null)
        {
            item["default"] = Map(@default);
        }

        if (defaultRequest is not null)
        {
            item["defaultRequest"] = Map(defaultRequest);
        }

        // SandboxCluster.Upsert applies the API defaults (default from max, defaultRequest from default or min).
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "LimitRange",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
            ["spec"] = new JsonObject { ["limits"] = new JsonArray(item) },
        };
    }

    /// <summary>A default-deny NetworkPolicy (112): empty podSelector, both policy types, no rules.</summary>
    public static JsonObject DenyAllNetworkPolicy(string @namespace, string name = "default-deny-all") =>
        NetworkPolicy(@namespace, name, new JsonObject(), ["Ingress", "Egress"], egress: null);

    /// <summary>
    /// A NetworkPolicy selecting pods by <paramref name="podSelector"/> (a LabelSelector; empty selects every pod) with the
    /// given policy types and egress rules (each a NetworkPolicyEgressRule: <c>ports</c>, <c>to</c>).
    /// </summary>
    public static JsonObject NetworkPolicy(string @namespace, string name, JsonObject podSelector, IReadOnlyList<string> policyTypes, JsonArray? egress)
    {
        var spec = new JsonObject
        {
            ["podSelector"] = podSelector.DeepClone(),
            ["policyTypes"] = new JsonArray([.. policyTypes.Select(t => (JsonNode)JsonValue.Create(t))]),
        };
        if (egress is not null)
        {
            spec["egress"] = egress.DeepClone();
        }

        return new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "NetworkPolicy",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
            ["spec"] = spec,
        };
    }

    /// <summary>An egress rule allowing TCP <paramref name="port"/> to anywhere (<c>0.0.0.0/0</c>).</summary>
    public static JsonObject EgressToAnywhere(int port) => new()
    {
        ["ports"] = new JsonArray(new JsonObject { ["protocol"] = "TCP", ["port"] = port }),
        ["to"] = new JsonArray(new JsonObject { ["ipBlock"] = new JsonObject { ["cidr"] = "0.0.0.0/0" } }),
    };

    /// <summary>
    /// A core/v1 Event as a controller writes it (113): <c>involvedObject</c>, reason, message, source component,
    /// count and first/last timestamps. Seen through events.k8s.io/v1 as <c>regarding</c>, <c>note</c>, ... (114).
    /// </summary>
    public static JsonObject Event(
        string @namespace,
        string name,
        string involvedKind,
        string involvedName,
        string reason,
        string message,
        string type = "Warning",
        string component = "daemonset-controller",
        int count = 1,
        DateTimeOffset? firstTimestamp = null,
        DateTimeOffset? lastTimestamp = null,
        string involvedApiVersion = "apps/v1")
    {
        var first = firstTimestamp ?? new DateTimeOffset(2026, 12, 5, 19, 0, 0, TimeSpan.Zero);
        var last = lastTimestamp ?? first;
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
            ["involvedObject"] = new JsonObject
            {
                ["kind"] = involvedKind,
                ["namespace"] = @namespace,
                ["name"] = involvedName,
                ["apiVersion"] = involvedApiVersion,
            },
            ["reason"] = reason,
            ["message"] = message,
            ["source"] = new JsonObject { ["component"] = component },
            ["firstTimestamp"] = KubeSandbox.Json.JsonUtil.FormatTime(first),
            ["lastTimestamp"] = KubeSandbox.Json.JsonUtil.FormatTime(last),
            ["count"] = count,
            ["type"] = type,
            ["eventTime"] = null,
            ["reportingComponent"] = string.Empty,
            ["reportingInstance"] = string.Empty,
        };
    }

    private static JsonObject Taint(NodeTaint taint)
    {
        var result = new JsonObject { ["key"] = taint.Key };
        if (!string.IsNullOrEmpty(taint.Value))
        {
            result["value"] = taint.Value;
        }

        result["effect"] = taint.Effect;
        return result;
    }

    private static JsonObject Map(IReadOnlyDictionary<string, string> values)
    {
        var map = new JsonObject();
        foreach (var (key, value) in values.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            map[key] = value;
        }

        return map;
    }

    /// <summary>A stable 17-hex-digit id derived from a name (instance ids, machine ids), so seeded clusters are reproducible.</summary>
    private static string Hex(string text)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text));
        return Convert.ToHexStringLower(hash)[..17];
    }
}
