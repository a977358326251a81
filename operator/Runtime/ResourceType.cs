using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Runtime;

/// <summary>
/// Describes one Kubernetes resource for the runtime: where it lives in the REST API and how its JSON is read and
/// written. Works for built-in kinds (<see cref="KubeResources"/>) and custom resources alike.
/// </summary>
public sealed class ResourceType<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public ResourceType(string group, string version, string plural, string kind, bool namespaced, JsonTypeInfo<T> typeInfo)
    {
        ArgumentException.ThrowIfNullOrEmpty(version);
        ArgumentException.ThrowIfNullOrEmpty(plural);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(typeInfo);
        Group = group ?? "";
        Version = version;
        Plural = plural;
        Kind = kind;
        Namespaced = namespaced;
        TypeInfo = KubeJson.WithObjectMembers(typeInfo);
    }

    /// <summary>API group; empty for the core group.</summary>
    public string Group { get; }

    public string Version { get; }

    /// <summary>Lower-case plural resource name as in the URL (<c>daemonsets</c>).</summary>
    public string Plural { get; }

    public string Kind { get; }

    public bool Namespaced { get; }

    /// <summary>The contract of <typeparamref name="T"/>, able to round-trip managedFields.</summary>
    public JsonTypeInfo<T> TypeInfo { get; }

    /// <summary><c>apps/v1</c>, or <c>v1</c> for the core group.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary><c>daemonsets.apps</c>, the name RBAC and error messages use.</summary>
    public string GroupResource => Group.Length == 0 ? Plural : Plural + "." + Group;

    /// <summary>Path of the collection, across all namespaces when <paramref name="namespaceName"/> is null.</summary>
    public string CollectionPath(string? namespaceName)
    {
        var root = Group.Length == 0 ? "/api/" + Version : "/apis/" + Group + "/" + Version;
        if (!Namespaced || string.IsNullOrEmpty(namespaceName))
        {
            return root + "/" + Plural;
        }

        return root + "/namespaces/" + Uri.EscapeDataString(namespaceName) + "/" + Plural;
    }

    public string ItemPath(string name, string? namespaceName)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Namespaced && string.IsNullOrEmpty(namespaceName))
        {
            throw new ArgumentException($"{GroupResource} is namespaced: a namespace is required for \"{name}\"", nameof(namespaceName));
        }

        return CollectionPath(Namespaced ? namespaceName : null) + "/" + Uri.EscapeDataString(name);
    }

    /// <summary>A reference to <paramref name="obj"/> as Events and owner references want it.</summary>
    public V1ObjectReference ReferenceTo(T obj) => new()
    {
        ApiVersion = ApiVersion,
        Kind = Kind,
        Name = obj.Metadata?.Name,
        NamespaceProperty = Namespaced ? obj.Metadata?.NamespaceProperty : null,
        Uid = obj.Metadata?.Uid,
        ResourceVersion = obj.Metadata?.ResourceVersion,
    };

    public override string ToString() => GroupResource + "/" + Version;
}

/// <summary>Descriptors of the built-in kinds the operator reads or writes.</summary>
public static class KubeResources
{
    public static ResourceType<V1Pod> Pods { get; } = new("", "v1", "pods", "Pod", true, KubeJson.TypeInfo<V1Pod>());

    public static ResourceType<V1Namespace> Namespaces { get; } = new("", "v1", "namespaces", "Namespace", false, KubeJson.TypeInfo<V1Namespace>());

    public static ResourceType<V1Node> Nodes { get; } = new("", "v1", "nodes", "Node", false, KubeJson.TypeInfo<V1Node>());

    public static ResourceType<V1Secret> Secrets { get; } = new("", "v1", "secrets", "Secret", true, KubeJson.TypeInfo<V1Secret>());

    public static ResourceType<V1DaemonSet> DaemonSets { get; } = new("apps", "v1", "daemonsets", "DaemonSet", true, KubeJson.TypeInfo<V1DaemonSet>());

    public static ResourceType<V1PriorityClass> PriorityClasses { get; } =
        new("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, KubeJson.TypeInfo<V1PriorityClass>());

    public static ResourceType<V1ClusterRole> ClusterRoles { get; } =
        new("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, KubeJson.TypeInfo<V1ClusterRole>());

    public static ResourceType<V1ClusterRoleBinding> ClusterRoleBindings { get; } =
        new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, KubeJson.TypeInfo<V1ClusterRoleBinding>());

    public static ResourceType<V1ValidatingWebhookConfiguration> ValidatingWebhookConfigurations { get; } =
        new("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, KubeJson.TypeInfo<V1ValidatingWebhookConfiguration>());

    public static ResourceType<V1MutatingWebhookConfiguration> MutatingWebhookConfigurations { get; } =
        new("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, KubeJson.TypeInfo<V1MutatingWebhookConfiguration>());

    public static ResourceType<V1SubjectAccessReview> SubjectAccessReviews { get; } =
        new("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false, KubeJson.TypeInfo<V1SubjectAccessReview>());

    public static ResourceType<V1CustomResourceDefinition> CustomResourceDefinitions { get; } =
        new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, KubeJson.TypeInfo<V1CustomResourceDefinition>());

    public static ResourceType<V1Lease> Leases { get; } = new("coordination.k8s.io", "v1", "leases", "Lease", true, KubeJson.TypeInfo<V1Lease>());

    public static ResourceType<Eventsv1Event> Events { get; } = new("events.k8s.io", "v1", "events", "Event", true, KubeJson.TypeInfo<Eventsv1Event>());

    public static ResourceType<V1ResourceQuota> ResourceQuotas { get; } = new("", "v1", "resourcequotas", "ResourceQuota", true, KubeJson.TypeInfo<V1ResourceQuota>());

    public static ResourceType<V1LimitRange> LimitRanges { get; } = new("", "v1", "limitranges", "LimitRange", true, KubeJson.TypeInfo<V1LimitRange>());

    public static ResourceType<V1NetworkPolicy> NetworkPolicies { get; } =
        new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, KubeJson.TypeInfo<V1NetworkPolicy>());
}
