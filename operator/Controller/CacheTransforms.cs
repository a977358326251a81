using System.Globalization;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// Informer transforms: the caches keep only the fields the diagnosis reads. A Node's image list, addresses,
/// capacities and managedFields are most of its size; a 5,000-node cluster must not double the operator's memory.
/// </summary>
public static class CacheTransforms
{
    /// <summary>Keeps name, labels, creation time, taints, providerID, the Ready condition (without heartbeat) and nodeInfo's OS fields.</summary>
    public static void Node(IKubernetesObject<V1ObjectMeta> obj)
    {
        if (obj is not V1Node node)
        {
            return;
        }

        StripMetadata(node.Metadata, keepAnnotations: false);
        if (node.Spec is { } spec)
        {
            node.Spec = new V1NodeSpec { Taints = spec.Taints, ProviderID = spec.ProviderID, Unschedulable = spec.Unschedulable };
        }

        if (node.Status is { } status)
        {
            var ready = status.Conditions?.FirstOrDefault(c => c.Type == "Ready");
            node.Status = new V1NodeStatus
            {
                Conditions = ready is null ? null : [new V1NodeCondition { Type = ready.Type, Status = ready.Status, Reason = ready.Reason, LastTransitionTime = ready.LastTransitionTime }],
                NodeInfo = status.NodeInfo is { } info
                    ? new V1NodeSystemInfo
                    {
                        Architecture = info.Architecture,
                        OperatingSystem = info.OperatingSystem,
                        OsImage = info.OsImage,
                        KernelVersion = info.KernelVersion,
                        KubeletVersion = info.KubeletVersion,
                        ContainerRuntimeVersion = info.ContainerRuntimeVersion,
                    }
                    : null,
            };
        }
    }

    /// <summary>Agent pods: drops managedFields, volumes and the containers' environment, commands and mounts (never read).</summary>
    public static void Pod(IKubernetesObject<V1ObjectMeta> obj)
    {
        if (obj is not V1Pod pod)
        {
            return;
        }

        StripMetadata(pod.Metadata, keepAnnotations: true);
        if (pod.Spec is { } spec)
        {
            spec.Volumes = null;
            foreach (var container in (spec.Containers ?? []).Concat(spec.InitContainers ?? []))
            {
                container.Env = null;
                container.EnvFrom = null;
                container.Command = null;
                container.Args = null;
                container.VolumeMounts = null;
            }
        }
    }

    /// <summary>
    /// The transform each cached kind goes through (ClusterView registers its informers with it; the tests run every
    /// catalog case and bundle through it and require the same diagnosis). Kept whole: the DaemonSet (its managedFields
    /// date roll-outs and show the add-on's image conflicts) and the agent Namespace (its managedFields name GitOps
    /// field managers). Nodes and Pods are trimmed to what the checks read; every other kind loses its managedFields.
    /// </summary>
    public static Action<IKubernetesObject<V1ObjectMeta>>? For(string kind) => kind switch
    {
        "DaemonSet" or "Namespace" => null,
        "Node" => Node,
        "Pod" => Pod,
        _ => DropManagedFields,
    };

    /// <summary>Any other cached kind: managedFields go (only the DaemonSet's and the Namespace's are read, and those are cached whole).</summary>
    public static void DropManagedFields(IKubernetesObject<V1ObjectMeta> obj) => obj.Metadata?.ManagedFields?.Clear();

    private static void StripMetadata(V1ObjectMeta? metadata, bool keepAnnotations)
    {
        if (metadata is null)
        {
            return;
        }

        metadata.ManagedFields = null;
        if (!keepAnnotations)
        {
            metadata.Annotations = null;
        }
    }

    /// <summary>What of a Node the diagnosis reads: an update that changes none of it is not worth a reconcile.</summary>
    public static string NodeFingerprint(V1Node node)
    {
        var labels = string.Join(',', (node.Metadata?.Labels ?? new Dictionary<string, string>()).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value));
        var taints = string.Join(',', (node.Spec?.Taints ?? []).Select(t => $"{t.Key}={t.Value}:{t.Effect}"));
        var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status;
        var info = node.Status?.NodeInfo;
        return string.Join('|', node.Metadata?.Name, labels, taints, ready, info?.KernelVersion, info?.OsImage, info?.Architecture, info?.OperatingSystem,
            node.Spec?.ProviderID, node.Spec?.Unschedulable?.ToString(CultureInfo.InvariantCulture));
    }
}
