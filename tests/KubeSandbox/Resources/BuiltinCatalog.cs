namespace KubeSandbox.Resources;

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
        Make("events.k8s.io", "v1", "events", "Event", true, ["ev"], generation: false, status: false, hash: "r2yiGXH7wu8=") with { Converter = new EventsConverter() },
        Make("events.k8s.io", "v1beta1", "events", "Event", true, ["ev"], generation: false, status: false, hash: "r2yiGXH7wu8=") with { Converter = new EventsConverter() },
        Make("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", false, [], generation: false, status: false, verbs: CreateVerb, createOnly: true),
        Make("authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", true, [], generation: false, status: false, verbs: CreateVerb, createOnly: true),
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

        // Served with generic storage (no defaulting) so that discovery and kubectl see the full v1.24 API surface.
        Generic("", "v1", "endpoints", "Endpoints", true, ["ep"], [], "3F60rt8fcUE=", status: false, generation: false),
        Generic("", "v1", "limitranges", "LimitRange", true, ["limits"], [], "ZqhcdbVrhd0=", status: false, generation: false),
        Generic("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, ["pvc"], [], "Hl85sveFNok=", status: true, generation: false),
        Generic("", "v1", "persistentvolumes", "PersistentVolume", false, ["pv"], [], "JgGQ++yJ6kk=", status: true, generation: false),
        Generic("", "v1", "podtemplates", "PodTemplate", true, [], [], "2v9ajXnYk4s=", status: false, generation: false),
        Generic("", "v1", "replicationcontrollers", "ReplicationController", true, ["rc"], ["all"], "vMVGJMfvOsI=", status: true, generation: false),
        Generic("", "v1", "resourcequotas", "ResourceQuota", true, ["quota"], [], "4GyIJMxc9XQ=", status: true, generation: false),
        Generic("", "v1", "services", "Service", true, ["svc"], ["all"], "tbbJWOHt7AM=", status: true, generation: false),
        Generic("apps", "v1", "controllerrevisions", "ControllerRevision", true, [], [], "85nkx63pcBU=", status: false, generation: false),
        Generic("apps", "v1", "replicasets", "ReplicaSet", true, ["rs"], ["all"], "P1RzHs8/mWQ=", status: true, generation: true),
        Generic("apps", "v1", "statefulsets", "StatefulSet", true, ["sts"], ["all"], "H+vl74LkKdo=", status: true, generation: true),
        Generic("storage.k8s.io", "v1", "csidrivers", "CSIDriver", false, [], [], "hL6j/rwBV5w=", status: false, generation: false),
        Generic("storage.k8s.io", "v1", "csinodes", "CSINode", false, [], [], "Pe62DkZtjuo=", status: false, generation: false),
        Generic("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, ["sc"], [], "K+m6uJwbjGY=", status: false, generation: false),
        Generic("storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", false, [], [], "tJx/ezt6UDU=", status: true, generation: false),
        Generic("apiregistration.k8s.io", "v1", "apiservices", "APIService", false, [], ["api-extensions"], "InPBPD7+PqM=", status: true, generation: true),
        Generic("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, ["hpa"], ["all"], "oQlkt7f5j/A=", status: true, generation: true),
        Generic("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, ["hpa"], ["all"], "oQlkt7f5j/A=", status: true, generation: true),
        Generic("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, [], [], "l/iqIbDgFyQ=", status: false, generation: true),
        Generic("networking.k8s.io", "v1", "ingresses", "Ingress", true, ["ing"], [], "39NQlfNR+bo=", status: true, generation: true),
        Generic("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, ["netpol"], [], "YpfwF18m1G8=", status: true, generation: true),
        Generic("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", false, [], [], "WQTu1GL3T2Q=", status: false, generation: false),
        Generic("node.k8s.io", "v1beta1", "runtimeclasses", "RuntimeClass", false, [], [], "WQTu1GL3T2Q=", status: false, generation: false),
        Generic("batch", "v1", "cronjobs", "CronJob", true, ["cj"], ["all"], "sd5LIXh4Fjs=", status: true, generation: true),
        Generic("batch", "v1", "jobs", "Job", true, [], ["all"], "mudhfqk/qZY=", status: true, generation: true),
        Generic("autoscaling", "v2beta2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, ["hpa"], ["all"], "oQlkt7f5j/A=", status: true, generation: true),
        Generic("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false, ["csr"], [], "95fRKMXA+00=", status: true, generation: false),
        Generic("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, ["pdb"], [], "6BGBu0kpHtk=", status: true, generation: true),
        Generic("policy", "v1beta1", "poddisruptionbudgets", "PodDisruptionBudget", true, ["pdb"], [], "6BGBu0kpHtk=", status: true, generation: true),
        Generic("policy", "v1beta1", "podsecuritypolicies", "PodSecurityPolicy", false, ["psp"], [], "khBLobUXkqA=", status: false, generation: true),
        Generic("flowcontrol.apiserver.k8s.io", "v1beta1", "flowschemas", "FlowSchema", false, [], [], "9bSnTLYweJ0=", status: true, generation: true),
        Generic("flowcontrol.apiserver.k8s.io", "v1beta1", "prioritylevelconfigurations", "PriorityLevelConfiguration", false, [], [], "BFVwf8eYnsw=", status: true, generation: true),
        Generic("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, [], [], "Nx3SIv6I0mE=", status: false, generation: false),
        Generic("storage.k8s.io", "v1beta1", "csistoragecapacities", "CSIStorageCapacity", true, [], [], "4as6MA/kOg0=", status: false, generation: false),
        Generic("autoscaling", "v2beta1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, ["hpa"], ["all"], "oQlkt7f5j/A=", status: true, generation: true),
        Generic("batch", "v1beta1", "cronjobs", "CronJob", true, ["cj"], ["all"], "sd5LIXh4Fjs=", status: true, generation: true),
        Generic("discovery.k8s.io", "v1beta1", "endpointslices", "EndpointSlice", true, [], [], "Nx3SIv6I0mE=", status: false, generation: false),
        Generic("flowcontrol.apiserver.k8s.io", "v1beta2", "flowschemas", "FlowSchema", false, [], [], "9bSnTLYweJ0=", status: true, generation: true),
        Generic("flowcontrol.apiserver.k8s.io", "v1beta2", "prioritylevelconfigurations", "PriorityLevelConfiguration", false, [], [], "BFVwf8eYnsw=", status: true, generation: true),
    ];

    private static ServedResource Generic(string group, string version, string resource, string kind, bool namespaced, string[] shortNames, string[] categories, string hash, bool status, bool generation) =>
        Make(group, version, resource, kind, namespaced, shortNames, generation, status, categories: categories, hash: hash);

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
