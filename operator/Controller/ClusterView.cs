using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// The informers the operator runs and the reader over their caches. Pods, DaemonSets and the Namespace object are
/// watched only in the agent namespaces (least privilege: RBAC is granted per namespace); the rest cluster-wide.
/// </summary>
public sealed class ClusterView : IClusterReader
{
    private readonly Dictionary<string, Informer<V1DaemonSet>> _daemonSets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Informer<V1Pod>> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Informer<V1Namespace>> _namespaces = new(StringComparer.Ordinal);

    private ClusterView(Manager manager, IReadOnlyList<string> agentNamespaces)
    {
        Coverages = manager.AddInformer(CoverageResources.Coverages);
        PriorityClasses = manager.AddInformer(KubeResources.PriorityClasses);
        ClusterRoleBindings = manager.AddInformer(KubeResources.ClusterRoleBindings);
        ValidatingWebhooks = manager.AddInformer(KubeResources.ValidatingWebhookConfigurations);
        MutatingWebhooks = manager.AddInformer(KubeResources.MutatingWebhookConfigurations);
        foreach (var ns in agentNamespaces)
        {
            _namespaces[ns] = manager.AddInformer(KubeResources.Namespaces, new InformerOptions { FieldSelector = "metadata.name=" + ns });
            _daemonSets[ns] = manager.AddInformer(KubeResources.DaemonSets, new InformerOptions { Namespace = ns });
            _pods[ns] = manager.AddInformer(KubeResources.Pods, new InformerOptions { Namespace = ns });
        }
    }

    public Informer<V1Alpha1GuardDutyCoverage> Coverages { get; }

    public Informer<V1PriorityClass> PriorityClasses { get; }

    public Informer<V1ClusterRoleBinding> ClusterRoleBindings { get; }

    public Informer<V1ValidatingWebhookConfiguration> ValidatingWebhooks { get; }

    public Informer<V1MutatingWebhookConfiguration> MutatingWebhooks { get; }

    public static ClusterView Register(Manager manager, IReadOnlyList<string> agentNamespaces) => new(manager, agentNamespaces);

    /// <summary>The informers whose caches a GuardDutyCoverage with this agent namespace is diagnosed from.</summary>
    public IReadOnlyList<IInformer> DependenciesOf(string agentNamespace)
    {
        List<IInformer> informers = [Coverages, PriorityClasses, ClusterRoleBindings, ValidatingWebhooks, MutatingWebhooks];
        if (_pods.ContainsKey(agentNamespace))
        {
            informers.AddRange([_namespaces[agentNamespace], _daemonSets[agentNamespace], _pods[agentNamespace]]);
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
    }

    public Task<ClusterObjects> ReadAsync(DiagnosisTarget target, CancellationToken cancellationToken)
    {
        var ns = target.AgentNamespace;
        var watched = _pods.ContainsKey(ns);
        var unobserved = watched
            ? new HashSet<string>(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal) { SnapshotKinds.Namespace, SnapshotKinds.DaemonSet, SnapshotKinds.Pod };

        return Task.FromResult(new ClusterObjects
        {
            AgentNamespace = watched ? _namespaces[ns].Cache.Get(ns) : null,
            AgentDaemonSet = watched ? _daemonSets[ns].Cache.Get(target.DaemonSetName, ns) : null,
            AgentNamespacePods = watched ? _pods[ns].Cache.List(ns) : [],
            PriorityClass = PriorityClasses.Cache.Get(target.PriorityClassName),
            ClusterRoleBindings = ClusterRoleBindings.Cache.List(),
            ValidatingWebhooks = ValidatingWebhooks.Cache.List(),
            MutatingWebhooks = MutatingWebhooks.Cache.List(),
            Unobserved = unobserved,
        });
    }
}
