using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using k8s.Models;

namespace GuardDutyCoverage.Controller;

/// <summary>The Kubernetes objects one diagnosis reads, however they were obtained (informer caches or direct reads).</summary>
public sealed record ClusterObjects
{
    public V1Namespace? AgentNamespace { get; init; }

    public V1DaemonSet? AgentDaemonSet { get; init; }

    public IReadOnlyList<V1Pod> AgentNamespacePods { get; init; } = [];

    /// <summary>The figures of the pods the DaemonSet owns, kept incrementally by the cache (null: direct reads; the checks scan).</summary>
    public AgentPodSummary? AgentPodSummary { get; init; }

    public V1PriorityClass? PriorityClass { get; init; }

    public IReadOnlyList<V1ClusterRoleBinding> ClusterRoleBindings { get; init; } = [];

    public IReadOnlyList<V1ValidatingWebhookConfiguration> ValidatingWebhooks { get; init; } = [];

    public IReadOnlyList<V1MutatingWebhookConfiguration> MutatingWebhooks { get; init; } = [];

    /// <summary>Every Node (cluster-wide); null when they could not be read.</summary>
    public IReadOnlyList<V1Node>? Nodes { get; init; }

    /// <summary>Events of the agent namespace; null when they could not be read.</summary>
    public IReadOnlyList<ClusterEvent>? Events { get; init; }

    public IReadOnlyList<V1ResourceQuota>? ResourceQuotas { get; init; }

    public IReadOnlyList<V1LimitRange>? LimitRanges { get; init; }

    public IReadOnlyList<V1NetworkPolicy>? NetworkPolicies { get; init; }

    /// <summary>Previous logs of crash-looping agent containers by pod (only with <c>--read-agent-logs</c>).</summary>
    public IReadOnlyDictionary<string, string>? AgentLogs { get; init; }

    /// <summary>Kinds that could not be read (for example not permitted): their checks report Unknown, not healthy.</summary>
    public IReadOnlySet<string> Unobserved { get; init; } = new HashSet<string>();

    /// <summary>
    /// Changes whenever an input of the live probes changes (RBAC bindings, webhooks, the agent's objects), so probes
    /// are re-run on change and otherwise reused.
    /// </summary>
    public string ProbeFingerprint =>
        string.Join(
            '|',
            AgentNamespace?.Metadata?.ResourceVersion,
            AgentDaemonSet?.Metadata?.Generation,
            PriorityClass?.Metadata?.ResourceVersion,
            string.Join(',', ClusterRoleBindings.Select(b => b.Metadata?.ResourceVersion)),
            string.Join(',', ValidatingWebhooks.Select(w => w.Metadata?.ResourceVersion)),
            string.Join(',', MutatingWebhooks.Select(w => w.Metadata?.ResourceVersion)));
}

/// <summary>Reads the objects a diagnosis needs for one target.</summary>
public interface IClusterReader
{
    Task<ClusterObjects> ReadAsync(DiagnosisTarget target, CancellationToken cancellationToken);
}

/// <summary>Reads through the API server (the one-shot <c>diagnose</c> command): nothing cached, every kind listed once.</summary>
public sealed class DirectClusterReader(KubeApiClient client) : IClusterReader
{
    public async Task<ClusterObjects> ReadAsync(DiagnosisTarget target, CancellationToken cancellationToken)
    {
        var unobserved = new HashSet<string>(StringComparer.Ordinal);

        async Task<T> Read<T>(string kind, Func<Task<T>> read, T fallback)
        {
            try
            {
                return await read().ConfigureAwait(false);
            }
            catch (KubeApiException e) when (e.IsForbidden)
            {
                unobserved.Add(kind);
                return fallback;
            }
        }

        var ns = Read(SnapshotKinds.Namespace, () => client.GetAsync(KubeResources.Namespaces, target.AgentNamespace, null, cancellationToken), null);
        var ds = Read(SnapshotKinds.DaemonSet, () => client.GetAsync(KubeResources.DaemonSets, target.DaemonSetName, target.AgentNamespace, cancellationToken), null);
        var pods = Read<IReadOnlyList<V1Pod>>(SnapshotKinds.Pod, async () => (await client.ListAllAsync(KubeResources.Pods, target.AgentNamespace, null, cancellationToken).ConfigureAwait(false)).Items, []);
        var pc = Read(SnapshotKinds.PriorityClass, () => client.GetAsync(KubeResources.PriorityClasses, target.PriorityClassName, null, cancellationToken), null);
        var crbs = Read<IReadOnlyList<V1ClusterRoleBinding>>(SnapshotKinds.ClusterRoleBinding, async () => (await client.ListAllAsync(KubeResources.ClusterRoleBindings, null, null, cancellationToken).ConfigureAwait(false)).Items, []);
        var vwcs = Read<IReadOnlyList<V1ValidatingWebhookConfiguration>>(SnapshotKinds.ValidatingWebhookConfiguration, async () => (await client.ListAllAsync(KubeResources.ValidatingWebhookConfigurations, null, null, cancellationToken).ConfigureAwait(false)).Items, []);
        var mwcs = Read<IReadOnlyList<V1MutatingWebhookConfiguration>>(SnapshotKinds.MutatingWebhookConfiguration, async () => (await client.ListAllAsync(KubeResources.MutatingWebhookConfigurations, null, null, cancellationToken).ConfigureAwait(false)).Items, []);
        var nodes = Read<IReadOnlyList<V1Node>?>("Node", async () => (await client.ListAllAsync(KubeResources.Nodes, null, null, cancellationToken).ConfigureAwait(false)).Items, null);
        var events = Read<IReadOnlyList<ClusterEvent>?>("Event", async () => (await client.ListAllAsync(KubeResources.Events, target.AgentNamespace, null, cancellationToken).ConfigureAwait(false)).Items.Select(ClusterEvent.From).ToList(), null);
        var quotas = Read<IReadOnlyList<V1ResourceQuota>?>("ResourceQuota", async () => (await client.ListAllAsync(KubeResources.ResourceQuotas, target.AgentNamespace, null, cancellationToken).ConfigureAwait(false)).Items, null);
        var limitRanges = Read<IReadOnlyList<V1LimitRange>?>("LimitRange", async () => (await client.ListAllAsync(KubeResources.LimitRanges, target.AgentNamespace, null, cancellationToken).ConfigureAwait(false)).Items, null);
        var policies = Read<IReadOnlyList<V1NetworkPolicy>?>("NetworkPolicy", async () => (await client.ListAllAsync(KubeResources.NetworkPolicies, target.AgentNamespace, null, cancellationToken).ConfigureAwait(false)).Items, null);

        return new ClusterObjects
        {
            AgentNamespace = await ns.ConfigureAwait(false),
            AgentDaemonSet = await ds.ConfigureAwait(false),
            AgentNamespacePods = await pods.ConfigureAwait(false),
            PriorityClass = await pc.ConfigureAwait(false),
            ClusterRoleBindings = await crbs.ConfigureAwait(false),
            ValidatingWebhooks = await vwcs.ConfigureAwait(false),
            MutatingWebhooks = await mwcs.ConfigureAwait(false),
            Nodes = await nodes.ConfigureAwait(false),
            Events = await events.ConfigureAwait(false),
            ResourceQuotas = await quotas.ConfigureAwait(false),
            LimitRanges = await limitRanges.ConfigureAwait(false),
            NetworkPolicies = await policies.ConfigureAwait(false),
            Unobserved = unobserved,
        };
    }
}
