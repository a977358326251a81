namespace GuardDutyCoverage.Sandbox.Resources;

/// <summary>The built-in resources the sandbox serves, described as kube-apiserver v1.24 serves them.</summary>
internal static class BuiltinCatalog
{
    private static readonly string[] AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    private static readonly string[] NamespaceVerbs = ["create", "delete", "get", "list", "patch", "update", "watch"];
    private static readonly string[] CreateVerb = ["create"];

    /// <summary>
    /// The API groups in the order kube-apiserver v1.24 lists them on <c>/apis</c> (k8s-golden 03). Groups the sandbox
    /// serves no resource of are still listed, with an empty resource list, so clients see the same group set.
    /// </summary>
    public static readonly IReadOnlyList<(string Group, string[] Versions)> Groups =
    [
        ("apiregistration.k8s.io", ["v1"]),
        ("apps", ["v1"]),
        ("events.k8s.io", ["v1", "v1beta1"]),
        ("authentication.k8s.io", ["v1"]),
        ("authorization.k8s.io", ["v1"]),
        ("autoscaling", ["v2", "v1", "v2beta1", "v2beta2"]),
        ("batch", ["v1", "v1beta1"]),
        ("certificates.k8s.io", ["v1"]),
        ("networking.k8s.io", ["v1"]),
        ("policy", ["v1", "v1beta1"]),
        ("rbac.authorization.k8s.io", ["v1"]),
        ("storage.k8s.io", ["v1", "v1beta1"]),
        ("admissionregistration.k8s.io", ["v1"]),
        ("apiextensions.k8s.io", ["v1"]),
        ("scheduling.k8s.io", ["v1"]),
        ("coordination.k8s.io", ["v1"]),
        ("node.k8s.io", ["v1", "v1beta1"]),
        ("discovery.k8s.io", ["v1", "v1beta1"]),
        ("flowcontrol.apiserver.k8s.io", ["v1beta2", "v1beta1"]),
    ];

    public static IReadOnlyList<ServedResource> Create() =>
    [
        Make("", "v1", "configmaps", "ConfigMap", true, ["cm"], generation: false, status: false),
        Make("", "v1", "events", "Event", true, ["ev"], generation: false, status: false, hash: "r2yiGXH7wu8="),
        Make("", "v1", "namespaces", "Namespace", false, ["ns"], generation: false, status: true, verbs: NamespaceVerbs, returnsDeleted: true),
        Make("", "v1", "nodes", "Node", false, ["no"], generation: false, status: true),
        Make("", "v1", "pods", "Pod", true, ["po"], generation: false, status: true, categories: ["all"], returnsDeleted: true),
        Make("", "v1", "secrets", "Secret", true, [], generation: false, status: false),
        Make("", "v1", "serviceaccounts", "ServiceAccount", true, ["sa"], generation: false, status: false),
        Make("apps", "v1", "daemonsets", "DaemonSet", true, ["ds"], generation: true, status: true, categories: ["all"]),
        Make("apps", "v1", "deployments", "Deployment", true, ["deploy"], generation: true, status: true, categories: ["all"]),
        Make("events.k8s.io", "v1", "events", "Event", true, ["ev"], generation: false, status: false, hash: "r2yiGXH7wu8="),
        Make("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false, [], generation: false, status: false, verbs: CreateVerb, createOnly: true),
        Make("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false, [], generation: false, status: false, verbs: CreateVerb, createOnly: true),
        Make("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, [], generation: false, status: false),
        Make("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, [], generation: false, status: false),
        Make("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, [], generation: false, status: false),
        Make("rbac.authorization.k8s.io", "v1", "roles", "Role", true, [], generation: false, status: false),
        Make("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, [], generation: true, status: false, categories: ["api-extensions"]),
        Make("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, [], generation: true, status: false, categories: ["api-extensions"]),
        Make("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, ["crd", "crds"], generation: true, status: true, categories: ["api-extensions"], hash: "jfWCUB31mvA="),
        Make("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, ["pc"], generation: true, status: false),
        Make("coordination.k8s.io", "v1", "leases", "Lease", true, [], generation: false, status: false),
    ];

    private static ServedResource Make(
        string group,
        string version,
        string resource,
        string kind,
        bool namespaced,
        string[] shortNames,
        bool generation,
        bool status,
        string[]? verbs = null,
        string[]? categories = null,
        string? hash = null,
        bool returnsDeleted = false,
        bool createOnly = false)
    {
        var info = new ResourceInfo(group, version, resource, kind, namespaced, kind.ToLowerInvariant(), shortNames, verbs ?? AllVerbs, status);
        return new ServedResource(
            info,
            kind + "List",
            createOnly ? null : hash ?? ServedResource.HashStorageVersion(group, version, kind),
            categories ?? [],
            TracksGeneration: generation,
            ReturnsDeletedObject: returnsDeleted,
            AllowUnconditionalUpdate: true,
            CreateOnly: createOnly);
    }
}
