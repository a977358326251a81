using System.Collections.Concurrent;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// The informers the operator runs and the reader over their caches. Pods, DaemonSets, the Namespace object, Events,
/// ResourceQuotas, LimitRanges and NetworkPolicies are watched only in the agent namespaces (least privilege: RBAC is
/// granted per namespace); Nodes and the rest cluster-wide. Nodes and Pods are cached through transforms that keep only
/// the fields the diagnosis reads.
/// </summary>
public sealed class ClusterView : IClusterReader
{
    private readonly Dictionary<string, Informer<V1DaemonSet>> _daemonSets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Informer<V1Pod>> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Informer<V1Namespace>> _namespaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Informer<Eventsv1Event>> _events = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Informer<V1ResourceQuota>> _quotas = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Informer<V1LimitRange>> _limitRanges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Informer<V1NetworkPolicy>> _networkPolicies = new(StringComparer.Ordinal);

    /// <summary>Per agent namespace, per DaemonSet owner (<c>DaemonSet/name</c>): the pod figures, kept as pods arrive.</summary>
    private readonly Dictionary<string, ConcurrentDictionary<string, AgentPodTally>> _tallies = new(StringComparer.Ordinal);

    /// <summary>The last objects read per (namespace, DaemonSet, PriorityClass), with the cache generation they were read at.</summary>
    private readonly ConcurrentDictionary<(string Namespace, string DaemonSet, string PriorityClass), (long Generation, ClusterObjects Objects)> _read = new();

    private long _snapshotBuilds;

    private ClusterView(Manager manager, IReadOnlyList<string> agentNamespaces)
    {
        // Each cache keeps what the checks read (CacheTransforms.For): managedFields only on the DaemonSet and the
        // agent Namespace, Nodes and Pods trimmed.
        Coverages = manager.AddInformer(CoverageResources.Coverages, Cached(CoverageResources.Coverages.Kind));
        PriorityClasses = manager.AddInformer(KubeResources.PriorityClasses, Cached(KubeResources.PriorityClasses.Kind));
        ClusterRoleBindings = manager.AddInformer(KubeResources.ClusterRoleBindings, Cached(KubeResources.ClusterRoleBindings.Kind));
        ValidatingWebhooks = manager.AddInformer(KubeResources.ValidatingWebhookConfigurations, Cached(KubeResources.ValidatingWebhookConfigurations.Kind));
        MutatingWebhooks = manager.AddInformer(KubeResources.MutatingWebhookConfigurations, Cached(KubeResources.MutatingWebhookConfigurations.Kind));
        Nodes = manager.AddInformer(KubeResources.Nodes, Cached(KubeResources.Nodes.Kind));
        foreach (var ns in agentNamespaces)
        {
            _namespaces[ns] = manager.AddInformer(KubeResources.Namespaces, Cached(KubeResources.Namespaces.Kind) with { FieldSelector = "metadata.name=" + ns });
            _daemonSets[ns] = manager.AddInformer(KubeResources.DaemonSets, Cached(KubeResources.DaemonSets.Kind) with { Namespace = ns });
            var pods = manager.AddInformer(KubeResources.Pods, Cached(KubeResources.Pods.Kind) with { Namespace = ns });
            pods.Cache.AddIndex(PodsByOwner, OwnersOf);
            pods.Cache.AddIndex(PodsByNode, pod => pod.Spec?.NodeName is { Length: > 0 } node ? [node] : []);
            _pods[ns] = pods;
            var tallies = new ConcurrentDictionary<string, AgentPodTally>(StringComparer.Ordinal);
            _tallies[ns] = tallies;
            pods.Cache.AddObserver((before, after) => Tally(tallies, before, after));
            _events[ns] = manager.AddInformer(KubeResources.Events, Cached(KubeResources.Events.Kind) with { Namespace = ns });
            _quotas[ns] = manager.AddInformer(KubeResources.ResourceQuotas, Cached(KubeResources.ResourceQuotas.Kind) with { Namespace = ns });
            _limitRanges[ns] = manager.AddInformer(KubeResources.LimitRanges, Cached(KubeResources.LimitRanges.Kind) with { Namespace = ns });
            _networkPolicies[ns] = manager.AddInformer(KubeResources.NetworkPolicies, Cached(KubeResources.NetworkPolicies.Kind) with { Namespace = ns });
        }
    }

    /// <summary>Pod index: by owner (<c>Kind/name</c>; <see cref="NoOwner"/> for pods without owners), kept as the informer delivers pods.</summary>
    public const string PodsByOwner = "owner";

    /// <summary>Pod index: by <c>spec.nodeName</c> (unscheduled pods are not in it).</summary>
    public const string PodsByNode = "node";

    /// <summary>The <see cref="PodsByOwner"/> value of pods without owner references.</summary>
    public const string NoOwner = "";

    public Informer<V1Alpha1GuardDutyCoverage> Coverages { get; }

    public Informer<V1PriorityClass> PriorityClasses { get; }

    public Informer<V1ClusterRoleBinding> ClusterRoleBindings { get; }

    public Informer<V1ValidatingWebhookConfiguration> ValidatingWebhooks { get; }

    public Informer<V1MutatingWebhookConfiguration> MutatingWebhooks { get; }

    /// <summary>Every Node, cluster-wide, transformed (<see cref="CacheTransforms.Node"/>).</summary>
    public Informer<V1Node> Nodes { get; }

    private static InformerOptions Cached(string kind) => new() { Transform = CacheTransforms.For(kind) };

    /// <summary>How many times <see cref="ReadAsync"/> assembled the objects instead of reusing the last ones (one per burst of changes).</summary>
    public long SnapshotBuilds => Interlocked.Read(ref _snapshotBuilds);

    /// <summary>The incrementally kept figures of the pods DaemonSet <paramref name="daemonSetName"/> owns (null: namespace not watched).</summary>
    public AgentPodSummary? PodSummary(string agentNamespace, string daemonSetName) =>
        _tallies.TryGetValue(agentNamespace, out var tallies)
            ? tallies.TryGetValue("DaemonSet/" + daemonSetName, out var tally) ? tally.Summary() : AgentPodSummary.Empty
            : null;

    /// <summary>Moves a pod between the tallies of its owners (called under the pod cache's lock, for every change).</summary>
    private static void Tally(ConcurrentDictionary<string, AgentPodTally> tallies, V1Pod? before, V1Pod? after)
    {
        foreach (var owner in before is null ? [] : OwnersOf(before))
        {
            if (owner.StartsWith("DaemonSet/", StringComparison.Ordinal))
            {
                tallies.GetOrAdd(owner, _ => new AgentPodTally()).Apply(before, null);
            }
        }

        foreach (var owner in after is null ? [] : OwnersOf(after))
        {
            if (owner.StartsWith("DaemonSet/", StringComparison.Ordinal))
            {
                tallies.GetOrAdd(owner, _ => new AgentPodTally()).Apply(null, after);
            }
        }
    }

    /// <summary>The pod informer of an agent namespace (null: not watched).</summary>
    public Informer<V1Pod>? Pods(string agentNamespace) => _pods.GetValueOrDefault(agentNamespace);

    internal static IEnumerable<string> OwnersOf(V1Pod pod) =>
        pod.Metadata?.OwnerReferences is { Count: > 0 } owners ? owners.Select(o => o.Kind + "/" + o.Name) : [NoOwner];

    public static ClusterView Register(Manager manager, IReadOnlyList<string> agentNamespaces) => new(manager, agentNamespaces);

    /// <summary>The informers whose caches a GuardDutyCoverage with this agent namespace is diagnosed from.</summary>
    public IReadOnlyList<IInformer> DependenciesOf(string agentNamespace)
    {
        List<IInformer> informers = [Coverages, PriorityClasses, ClusterRoleBindings, ValidatingWebhooks, MutatingWebhooks, Nodes];
        if (_pods.ContainsKey(agentNamespace))
        {
            informers.AddRange([_namespaces[agentNamespace], _daemonSets[agentNamespace], _pods[agentNamespace]]);
            informers.AddRange([_events[agentNamespace], _quotas[agentNamespace], _limitRanges[agentNamespace], _networkPolicies[agentNamespace]]);
        }

        return informers;
    }

    /// <summary>
    /// Calls <paramref name="affected"/> with the agent namespace a change concerns (null: cluster-wide objects, which
    /// may concern every GuardDutyCoverage).
    /// </summary>
    public void OnChange(Action<string?> affected)
    {
        void Cluster<T>(Informer<T> informer)
            where T : class, IKubernetesObject<V1ObjectMeta> =>
            informer.AddEventHandler(_ => affected(null), (_, _) => affected(null), _ => affected(null));

        Cluster(PriorityClasses);
        Cluster(ClusterRoleBindings);
        Cluster(ValidatingWebhooks);
        Cluster(MutatingWebhooks);
        foreach (var (ns, informer) in _namespaces)
        {
            informer.AddEventHandler(_ => affected(ns), (_, _) => affected(ns), _ => affected(ns));
        }

        foreach (var (ns, informer) in _daemonSets)
        {
            informer.AddEventHandler(_ => affected(ns), (_, _) => affected(ns), _ => affected(ns));
        }

        foreach (var (ns, informer) in _pods)
        {
            // Only status and spec changes matter; the informer already skips identical resync updates.
            informer.AddEventHandler(_ => affected(ns), (_, _) => affected(ns), _ => affected(ns));
        }

        // Kubelets rewrite their Node now and then; only what the diagnosis reads (labels, taints, Ready, OS) matters.
        Nodes.AddEventHandler(
            _ => affected(null),
            (before, after) =>
            {
                if (CacheTransforms.NodeFingerprint(before) != CacheTransforms.NodeFingerprint(after))
                {
                    affected(null);
                }
            },
            _ => affected(null));
        Namespaced(_events);
        Namespaced(_quotas);
        Namespaced(_limitRanges);
        Namespaced(_networkPolicies);

        void Namespaced<T>(Dictionary<string, Informer<T>> informers)
            where T : class, IKubernetesObject<V1ObjectMeta>
        {
            foreach (var (ns, informer) in informers)
            {
                informer.AddEventHandler(_ => affected(ns), (_, _) => affected(ns), _ => affected(ns));
            }
        }
    }

    /// <summary>
    /// The objects a diagnosis of <paramref name="target"/> reads. A burst of informer events followed by the
    /// reconciles of every CR it concerns assembles them once: they are reused while no cache they come from changed
    /// (the sum of the caches' generations), so 20 CRs of one namespace share one read.
    /// </summary>
    public Task<ClusterObjects> ReadAsync(DiagnosisTarget target, CancellationToken cancellationToken)
    {
        var key = (target.AgentNamespace, target.DaemonSetName, target.PriorityClassName);
        var generation = Generation(target.AgentNamespace);
        if (_read.TryGetValue(key, out var last) && last.Generation == generation)
        {
            return Task.FromResult(last.Objects);
        }

        var objects = Build(target);
        Interlocked.Increment(ref _snapshotBuilds);
        _read[key] = (generation, objects);
        return Task.FromResult(objects);
    }

    /// <summary>Sum of the generations of every cache a diagnosis of this namespace reads (each only grows).</summary>
    private long Generation(string ns)
    {
        var sum = PriorityClasses.Cache.Generation + ClusterRoleBindings.Cache.Generation + ValidatingWebhooks.Cache.Generation
            + MutatingWebhooks.Cache.Generation + Nodes.Cache.Generation;
        if (_pods.TryGetValue(ns, out var pods))
        {
            sum += _namespaces[ns].Cache.Generation + _daemonSets[ns].Cache.Generation + pods.Cache.Generation + _events[ns].Cache.Generation
                + _quotas[ns].Cache.Generation + _limitRanges[ns].Cache.Generation + _networkPolicies[ns].Cache.Generation;
        }

        return sum;
    }

    private ClusterObjects Build(DiagnosisTarget target)
    {
        var ns = target.AgentNamespace;
        var watched = _pods.ContainsKey(ns);
        var unobserved = watched
            ? new HashSet<string>(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal) { SnapshotKinds.Namespace, SnapshotKinds.DaemonSet, SnapshotKinds.Pod };

        return new ClusterObjects
        {
            AgentNamespace = watched ? _namespaces[ns].Cache.Get(ns) : null,
            AgentDaemonSet = watched ? _daemonSets[ns].Cache.Get(target.DaemonSetName, ns) : null,
            AgentNamespacePods = watched ? AgentPods(_pods[ns].Cache, target.DaemonSetName) : [],
            AgentPodSummary = PodSummary(ns, target.DaemonSetName),
            PriorityClass = PriorityClasses.Cache.Get(target.PriorityClassName),
            ClusterRoleBindings = ClusterRoleBindings.Cache.List(),
            ValidatingWebhooks = ValidatingWebhooks.Cache.List(),
            MutatingWebhooks = MutatingWebhooks.Cache.List(),
            Nodes = Nodes.Cache.List(),
            Events = watched ? _events[ns].Cache.List(ns).Select(ClusterEvent.From).ToList() : null,
            ResourceQuotas = watched ? _quotas[ns].Cache.List(ns) : null,
            LimitRanges = watched ? _limitRanges[ns].Cache.List(ns) : null,
            NetworkPolicies = watched ? _networkPolicies[ns].Cache.List(ns) : null,
            Unobserved = unobserved,
        };
    }

    /// <summary>
    /// The pods the diagnosis can count as the agent's (DiagnosisContext.IsAgentPod): those the DaemonSet owns and the
    /// owner-less ones (matched by the selector later). Read from the owner index, so a reconcile never scans every pod
    /// of the namespace; the index's lists are shared by all readers until a pod of that owner changes.
    /// </summary>
    private static IReadOnlyList<V1Pod> AgentPods(InformerCache<V1Pod> cache, string daemonSetName)
    {
        var owned = cache.ByIndex(PodsByOwner, "DaemonSet/" + daemonSetName);
        var orphans = cache.ByIndex(PodsByOwner, NoOwner);
        return orphans.Count == 0 ? owned : [.. owned, .. orphans];
    }
}
