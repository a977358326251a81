using System.Globalization;
using System.Text.Json;
using GuardDutyCoverage.Runtime;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// Informer transforms: the caches keep only the fields the diagnosis reads. A Node's image list, addresses,
/// capacities and managedFields are most of its size; a 5,000-node cluster must not double the operator's memory.
/// </summary>
public static class CacheTransforms
{
    /// <summary>Nodes, each with a pool of its own: see <see cref="Node(IKubernetesObject{V1ObjectMeta}, CachePool)"/>.</summary>
    public static void Node(IKubernetesObject<V1ObjectMeta> obj) => Node(obj, new CachePool());

    /// <summary>
    /// Keeps name, labels, creation time, taints, providerID, the Ready condition (without heartbeat) and nodeInfo's
    /// OS fields. A node group's nodes have the same labels but for a few (hostname, instance id): label keys and
    /// values and the nodeInfo strings are shared through <paramref name="pool"/>.
    /// </summary>
    public static void Node(IKubernetesObject<V1ObjectMeta> obj, CachePool pool)
    {
        if (obj is not V1Node node)
        {
            return;
        }

        StripMetadata(node.Metadata, keepAnnotations: false);
        if (node.Metadata?.Labels is { } labels)
        {
            node.Metadata.Labels = labels.ToDictionary(l => pool.Intern(l.Key)!, l => pool.Intern(l.Value)!, StringComparer.Ordinal);
        }

        if (node.Spec is { } spec)
        {
            node.Spec = new V1NodeSpec { Taints = spec.Taints, ProviderID = spec.ProviderID, Unschedulable = spec.Unschedulable };
        }

        if (node.Status is { } status)
        {
            var ready = status.Conditions?.FirstOrDefault(c => c.Type == "Ready");
            node.Status = new V1NodeStatus
            {
                Conditions = ready is null ? null : [new V1NodeCondition { Type = pool.Intern(ready.Type), Status = pool.Intern(ready.Status), Reason = pool.Intern(ready.Reason), LastTransitionTime = ready.LastTransitionTime }],
                NodeInfo = status.NodeInfo is { } info
                    ? new V1NodeSystemInfo
                    {
                        Architecture = pool.Intern(info.Architecture),
                        OperatingSystem = pool.Intern(info.OperatingSystem),
                        OsImage = pool.Intern(info.OsImage),
                        KernelVersion = pool.Intern(info.KernelVersion),
                        KubeletVersion = pool.Intern(info.KubeletVersion),
                        ContainerRuntimeVersion = pool.Intern(info.ContainerRuntimeVersion),
                    }
                    : null,
            };
        }
    }

    /// <summary>
    /// The pod condition types a check reads (KubeObjects.Condition); the others (ContainersReady, Initialized,
    /// PodReadyToStartContainers, ...) were three of a pod's five conditions in the cache, 11% of the heap at 5,000
    /// pods. CacheTrimTests keeps this list and the checks' reads the same.
    /// </summary>
    public static readonly IReadOnlySet<string> PodConditionTypesRead = new HashSet<string>(["Ready", "PodScheduled"], StringComparer.Ordinal);

    /// <summary>Agent pods, each with a pool of its own (tests, one-off copies): see <see cref="Pod(IKubernetesObject{V1ObjectMeta}, CachePool)"/>.</summary>
    public static void Pod(IKubernetesObject<V1ObjectMeta> obj) => Pod(obj, new CachePool());

    /// <summary>
    /// Agent pods: exactly what the checks read (Diagnosis: AgentChecks, NodeChecks, PolicyChecks.Mutations,
    /// CoverageChecks, DiagnosisContext.IsAgentPod; Controller: ClusterView's indexes, AgentLogReader). Metadata: name,
    /// namespace, uid, resourceVersion, timestamps, labels, owner references. Spec: nodeName, priorityClassName, the
    /// required node affinity only while the pod is unscheduled (NodeOf), and per container name, image, resources,
    /// securityContext (the mutation check). Status: phase, the conditions of <see cref="PodConditionTypesRead"/> (no probe
    /// times), and per container status
    /// name, ready, restartCount, state and lastState. Everything else (managedFields, annotations, volumes, env,
    /// probes, tolerations, IPs, image IDs, init containers) is dropped. Strings and parts repeated across the
    /// DaemonSet's pods (namespace, labels, owner references, image, resources, reasons) are shared through
    /// <paramref name="pool"/>, the informer's own.
    /// </summary>
    public static void Pod(IKubernetesObject<V1ObjectMeta> obj, CachePool pool)
    {
        if (obj is not V1Pod pod)
        {
            return;
        }

        if (pod.Metadata is { } meta)
        {
            pod.Metadata = new V1ObjectMeta
            {
                Name = meta.Name,
                NamespaceProperty = pool.Intern(meta.NamespaceProperty),
                Uid = meta.Uid,
                ResourceVersion = meta.ResourceVersion,
                Generation = meta.Generation,
                CreationTimestamp = meta.CreationTimestamp,
                DeletionTimestamp = meta.DeletionTimestamp,
                Labels = SharedLabels(meta.Labels, pool),
                OwnerReferences = meta.OwnerReferences is { Count: > 0 } owners
                    ? pool.Share("owners:" + string.Join(';', owners.Select(o => $"{o.ApiVersion}|{o.Kind}|{o.Name}|{o.Uid}|{o.Controller}|{o.BlockOwnerDeletion}")),
                        () => owners.Select(o => new V1OwnerReference
                        {
                            ApiVersion = pool.Intern(o.ApiVersion), Kind = pool.Intern(o.Kind), Name = pool.Intern(o.Name), Uid = pool.Intern(o.Uid),
                            Controller = o.Controller, BlockOwnerDeletion = o.BlockOwnerDeletion,
                        }).ToList())
                    : null,
            };
        }

        if (pod.Spec is { } spec)
        {
            var scheduled = spec.NodeName is { Length: > 0 };
            pod.Spec = new V1PodSpec
            {
                NodeName = spec.NodeName,
                PriorityClassName = pool.Intern(spec.PriorityClassName),
                Affinity = scheduled || spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is not { } required
                    ? null
                    : new V1Affinity { NodeAffinity = new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = required } },
                Containers = spec.Containers?.Select(c => new V1Container
                {
                    Name = pool.Intern(c.Name),
                    Image = pool.Intern(c.Image),
                    Resources = c.Resources is null ? null : pool.Share("resources:" + JsonSerializer.Serialize(c.Resources, KubeJson.TypeInfo<V1ResourceRequirements>()), () => c.Resources),
                    SecurityContext = c.SecurityContext is null ? null : pool.Share("securityContext:" + JsonSerializer.Serialize(c.SecurityContext, KubeJson.TypeInfo<V1SecurityContext>()), () => c.SecurityContext),
                }).ToList()!,
            };
        }

        if (pod.Status is { } status)
        {
            pod.Status = new V1PodStatus
            {
                Phase = pool.Intern(status.Phase),
                Conditions = status.Conditions?.Where(c => PodConditionTypesRead.Contains(c.Type)).Select(c => new V1PodCondition
                {
                    Type = pool.Intern(c.Type), Status = pool.Intern(c.Status), Reason = pool.Intern(c.Reason), Message = c.Message,
                    LastTransitionTime = c.LastTransitionTime,
                }).ToList(),
                ContainerStatuses = ContainerStatuses(status.ContainerStatuses, pool),
                InitContainerStatuses = ContainerStatuses(status.InitContainerStatuses, pool),
            };
        }
    }

    private static List<V1ContainerStatus>? ContainerStatuses(IList<V1ContainerStatus>? statuses, CachePool pool) =>
        statuses?.Select(s => new V1ContainerStatus
        {
            Name = pool.Intern(s.Name),
            Ready = s.Ready,
            RestartCount = s.RestartCount,
            State = State(s.State, pool),
            LastState = State(s.LastState, pool),
        }).ToList();

    private static V1ContainerState? State(V1ContainerState? state, CachePool pool) => state is null
        ? null
        : new V1ContainerState
        {
            Running = state.Running,
            Waiting = state.Waiting is { } waiting ? new V1ContainerStateWaiting { Reason = pool.Intern(waiting.Reason), Message = waiting.Message } : null,
            Terminated = state.Terminated is { } terminated
                ? new V1ContainerStateTerminated
                {
                    ExitCode = terminated.ExitCode, Signal = terminated.Signal, Reason = pool.Intern(terminated.Reason), Message = terminated.Message,
                    StartedAt = terminated.StartedAt, FinishedAt = terminated.FinishedAt,
                }
                : null,
        };

    /// <summary>One dictionary for every object with the same labels (a DaemonSet's pods, a node group's nodes).</summary>
    private static IDictionary<string, string>? SharedLabels(IDictionary<string, string>? labels, CachePool pool) => labels is null
        ? null
        : pool.Share(
            "labels:" + string.Join('\n', labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)),
            () => labels.ToDictionary(l => pool.Intern(l.Key)!, l => pool.Intern(l.Value)!, StringComparer.Ordinal));

    /// <summary>
    /// The transform each cached kind goes through (ClusterView registers its informers with it; the tests run every
    /// catalog case and bundle through it and require the same diagnosis). Kept whole: the DaemonSet (its managedFields
    /// date roll-outs and show the add-on's image conflicts) and the agent Namespace (its managedFields name GitOps
    /// field managers). Nodes and Pods are trimmed to what the checks read; every other kind loses its managedFields.
    /// </summary>
    /// Each call makes a new transform with a pool of its own (one per informer: no state shared between caches).
    public static Action<IKubernetesObject<V1ObjectMeta>>? For(string kind)
    {
        switch (kind)
        {
            case "DaemonSet" or "Namespace":
                return null;
            case "Node":
            {
                var pool = new CachePool();
                return obj => Node(obj, pool);
            }

            case "Pod":
            {
                var pool = new CachePool();
                return obj => Pod(obj, pool);
            }

            default:
                return DropManagedFields;
        }
    }

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
