using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

/// <summary>
/// The structure of the built-in kinds the sandbox serves, as the Go types of k8s.io/api v1.24 declare it: which
/// fields Go always serializes (non-omitempty, non-pointer structs), which maps and structs are atomic, which lists are
/// atomic, sets or maps and by which keys (<c>listType</c>/<c>listMapKey</c>, or <c>patchMergeKey</c> when no list
/// type is given), and the strategic-merge-patch strategy of each list. Parts of a type not spelled out here are
/// struct-like and their lists atomic, which is what the remaining Kubernetes fields are.
/// </summary>
internal static class BuiltinSchemas
{
    // Scalars with the value Go writes for their zero value.
    private static readonly ScalarSchema Str = new(JsonValue.Create(""));
    private static readonly ScalarSchema Int = new(JsonValue.Create(0));
    private static readonly ScalarSchema Bool = new(JsonValue.Create(false));

    /// <summary>metav1.Time and MicroTime: a struct whose zero value serializes as null.</summary>
    private static readonly ScalarSchema Time = new(null);

    /// <summary>intstr.IntOrString: its zero value is the integer 0.</summary>
    private static readonly ScalarSchema IntOrString = new(JsonValue.Create(0));

    private static readonly ScalarSchema Quantity = new(JsonValue.Create("0"), isQuantity: true);
    private static readonly ScalarSchema Bytes = new(null);

    private static readonly MapSchema StringMap = new([], Str, atomic: false);
    private static readonly MapSchema AtomicStringMap = new([], Str, atomic: true);
    private static readonly MapSchema ResourceList = new([], Quantity, atomic: false);

    private static FieldSchema F(string name, SchemaNode type) => new(name, type);

    private static FieldSchema Always(string name, SchemaNode type) => new(name, type, Presence.Always);

    private static FieldSchema P(string name, SchemaNode type) => new(name, type, Presence.Pointer);

    private static FieldSchema Atomic(string name) => new(name, UntypedSchema.AtomicList);

    private static FieldSchema Merge(string name, SchemaNode element, string key, Presence presence = Presence.OmitEmpty, string strategy = "merge") =>
        new(name, new ListSchema(element, ListType.Map, [key]), presence, strategy, key);

    private static MapSchema Struct(params FieldSchema[] fields) => new(fields, null, atomic: false, UntypedSchema.StructLike);

    private static MapSchema AtomicStruct(params FieldSchema[] fields) => new(fields, null, atomic: true, UntypedSchema.StructLike);

    private static readonly MapSchema LabelSelector = AtomicStruct(F("matchLabels", StringMap), Atomic("matchExpressions"));

    private static readonly MapSchema OwnerReference = AtomicStruct(
        Always("apiVersion", Str), Always("kind", Str), Always("name", Str), Always("uid", Str), P("controller", Bool), P("blockOwnerDeletion", Bool));

    /// <summary>metav1.ObjectMeta, also the metadata of every custom resource.</summary>
    public static readonly MapSchema ObjectMeta = Struct(
        F("name", Str),
        F("generateName", Str),
        F("namespace", Str),
        F("selfLink", Str),
        F("uid", Str),
        F("resourceVersion", Str),
        F("generation", Int),
        Always("creationTimestamp", Time),
        P("deletionTimestamp", Time),
        P("deletionGracePeriodSeconds", Int),
        F("labels", StringMap),
        F("annotations", StringMap),
        Merge("ownerReferences", OwnerReference, "uid"),
        new FieldSchema("finalizers", new ListSchema(Str, ListType.Set), Presence.OmitEmpty, "merge"),
        Atomic("managedFields"),
        F("clusterName", Str));

    private static readonly MapSchema ObjectReference = AtomicStruct(
        F("kind", Str), F("namespace", Str), F("name", Str), F("uid", Str), F("apiVersion", Str), F("resourceVersion", Str), F("fieldPath", Str));

    private static readonly MapSchema LocalObjectReference = AtomicStruct(F("name", Str));

    private static readonly MapSchema KeySelector = AtomicStruct(F("name", Str), Always("key", Str), P("optional", Bool));

    private static readonly MapSchema EnvVar = Struct(
        Always("name", Str),
        F("value", Str),
        P("valueFrom", Struct(
            P("fieldRef", AtomicStruct(F("apiVersion", Str), Always("fieldPath", Str))),
            P("resourceFieldRef", AtomicStruct(F("containerName", Str), Always("resource", Str), Always("divisor", Quantity))),
            P("configMapKeyRef", KeySelector),
            P("secretKeyRef", KeySelector))));

    private static readonly MapSchema ContainerPort = Struct(
        F("name", Str), F("hostPort", Int), Always("containerPort", Int), F("protocol", Str), F("hostIP", Str));

    private static readonly MapSchema VolumeMount = Struct(
        Always("name", Str), F("readOnly", Bool), Always("mountPath", Str), F("subPath", Str), P("mountPropagation", Str), F("subPathExpr", Str));

    private static readonly MapSchema VolumeDevice = Struct(Always("name", Str), Always("devicePath", Str));

    private static readonly MapSchema HttpGet = Struct(
        F("path", Str), Always("port", IntOrString), F("host", Str), F("scheme", Str), Atomic("httpHeaders"));

    private static readonly MapSchema TcpSocket = Struct(Always("port", IntOrString), F("host", Str));

    private static readonly MapSchema Exec = Struct(Atomic("command"));

    private static readonly MapSchema Handler = Struct(P("exec", Exec), P("httpGet", HttpGet), P("tcpSocket", TcpSocket));

    private static readonly MapSchema Probe = Struct(
        P("exec", Exec),
        P("httpGet", HttpGet),
        P("tcpSocket", TcpSocket),
        P("grpc", Struct(Always("port", Int), P("service", Str))),
        F("initialDelaySeconds", Int),
        F("timeoutSeconds", Int),
        F("periodSeconds", Int),
        F("successThreshold", Int),
        F("failureThreshold", Int),
        P("terminationGracePeriodSeconds", Int));

    private static readonly MapSchema SecurityContext = Struct(
        P("capabilities", Struct(Atomic("add"), Atomic("drop"))),
        P("privileged", Bool),
        P("seLinuxOptions", Struct()),
        P("windowsOptions", Struct()),
        P("runAsUser", Int),
        P("runAsGroup", Int),
        P("runAsNonRoot", Bool),
        P("readOnlyRootFilesystem", Bool),
        P("allowPrivilegeEscalation", Bool),
        P("procMount", Str),
        P("seccompProfile", Struct(Always("type", Str), P("localhostProfile", Str))));

    private static readonly ImmutableArray<FieldSchema> ContainerFields =
    [
        Always("name", Str),
        F("image", Str),
        Atomic("command"),
        Atomic("args"),
        F("workingDir", Str),
        new("ports", new ListSchema(ContainerPort, ListType.Map, ["containerPort", "protocol"], new Dictionary<string, JsonNode> { ["protocol"] = JsonValue.Create("TCP") }),
            Presence.OmitEmpty, "merge", "containerPort"),
        Atomic("envFrom"),
        Merge("env", EnvVar, "name"),
        Always("resources", Struct(F("limits", ResourceList), F("requests", ResourceList), Merge("claims", Struct(Always("name", Str)), "name"))),
        Merge("volumeMounts", VolumeMount, "mountPath"),
        Merge("volumeDevices", VolumeDevice, "devicePath"),
        P("livenessProbe", Probe),
        P("readinessProbe", Probe),
        P("startupProbe", Probe),
        P("lifecycle", Struct(P("postStart", Handler), P("preStop", Handler))),
        F("terminationMessagePath", Str),
        F("terminationMessagePolicy", Str),
        F("imagePullPolicy", Str),
        P("securityContext", SecurityContext),
        F("stdin", Bool),
        F("stdinOnce", Bool),
        F("tty", Bool),
    ];

    private static readonly MapSchema Container = Struct([.. ContainerFields]);

    private static readonly MapSchema EphemeralContainer = Struct([.. ContainerFields, F("targetContainerName", Str)]);

    private static readonly MapSchema KeyToPathItems = Struct(P("defaultMode", Int), Atomic("items"));

    private static readonly MapSchema Volume = Struct(
        Always("name", Str),
        P("hostPath", Struct(Always("path", Str), P("type", Str))),
        P("emptyDir", Struct(F("medium", Str), P("sizeLimit", Quantity))),
        P("secret", Struct(F("secretName", Str), Atomic("items"), P("defaultMode", Int), P("optional", Bool))),
        P("configMap", Struct(F("name", Str), Atomic("items"), P("defaultMode", Int), P("optional", Bool))),
        P("downwardAPI", KeyToPathItems),
        P("projected", Struct(Atomic("sources"), P("defaultMode", Int))),
        P("persistentVolumeClaim", Struct(Always("claimName", Str), F("readOnly", Bool))),
        P("csi", Struct(Always("driver", Str), P("readOnly", Bool), P("fsType", Str), F("volumeAttributes", StringMap), P("nodePublishSecretRef", LocalObjectReference))));

    private static readonly MapSchema TopologySpreadConstraint = Struct(
        Always("maxSkew", Int), Always("topologyKey", Str), Always("whenUnsatisfiable", Str), P("labelSelector", LabelSelector), P("minDomains", Int),
        P("nodeAffinityPolicy", Str), P("nodeTaintsPolicy", Str), Atomic("matchLabelKeys"));

    private static readonly MapSchema PodAffinity = Struct(
        Atomic("requiredDuringSchedulingIgnoredDuringExecution"), Atomic("preferredDuringSchedulingIgnoredDuringExecution"));

    private static readonly MapSchema PodSpec = Struct(
        new FieldSchema("volumes", new ListSchema(Volume, ListType.Map, ["name"]), Presence.OmitEmpty, "merge,retainKeys", "name"),
        Merge("initContainers", Container, "name"),
        Merge("containers", Container, "name", Presence.Always),
        Merge("ephemeralContainers", EphemeralContainer, "name"),
        F("restartPolicy", Str),
        P("terminationGracePeriodSeconds", Int),
        P("activeDeadlineSeconds", Int),
        F("dnsPolicy", Str),
        F("nodeSelector", AtomicStringMap),
        F("serviceAccountName", Str),
        F("serviceAccount", Str),
        P("automountServiceAccountToken", Bool),
        F("nodeName", Str),
        F("hostNetwork", Bool),
        F("hostPID", Bool),
        F("hostIPC", Bool),
        P("shareProcessNamespace", Bool),
        P("securityContext", Struct(
            P("seLinuxOptions", Struct()),
            P("windowsOptions", Struct()),
            P("runAsUser", Int),
            P("runAsGroup", Int),
            P("runAsNonRoot", Bool),
            Atomic("supplementalGroups"),
            P("fsGroup", Int),
            Atomic("sysctls"),
            P("fsGroupChangePolicy", Str),
            P("seccompProfile", Struct(Always("type", Str), P("localhostProfile", Str))))),
        Merge("imagePullSecrets", LocalObjectReference, "name"),
        F("hostname", Str),
        F("subdomain", Str),
        P("affinity", Struct(
            P("nodeAffinity", Struct(
                P("requiredDuringSchedulingIgnoredDuringExecution", AtomicStruct(Atomic("nodeSelectorTerms"))),
                Atomic("preferredDuringSchedulingIgnoredDuringExecution"))),
            P("podAffinity", PodAffinity),
            P("podAntiAffinity", PodAffinity))),
        F("schedulerName", Str),
        Atomic("tolerations"),
        Merge("hostAliases", Struct(F("ip", Str), Atomic("hostnames")), "ip"),
        F("priorityClassName", Str),
        P("priority", Int),
        P("dnsConfig", Struct(Atomic("nameservers"), Atomic("searches"), Atomic("options"))),
        Atomic("readinessGates"),
        P("runtimeClassName", Str),
        P("enableServiceLinks", Bool),
        P("preemptionPolicy", Str),
        F("overhead", ResourceList),
        new FieldSchema("topologySpreadConstraints", new ListSchema(TopologySpreadConstraint, ListType.Map, ["topologyKey", "whenUnsatisfiable"]),
            Presence.OmitEmpty, "merge", "topologyKey"),
        P("setHostnameAsFQDN", Bool),
        P("os", Struct(Always("name", Str))),
        P("hostUsers", Bool),
        Merge("schedulingGates", Struct(Always("name", Str)), "name"),
        Merge("resourceClaims", Struct(Always("name", Str)), "name"));

    private static readonly MapSchema PodTemplateSpec = Struct(Always("metadata", ObjectMeta), Always("spec", PodSpec));

    private static MapSchema Condition(params string[] timeFields) => Struct(
        [Always("type", Str), Always("status", Str), .. timeFields.Select(t => Always(t, Time)), F("reason", Str), F("message", Str)]);

    private static FieldSchema Conditions(MapSchema condition) => Merge("conditions", condition, "type");

    private static MapSchema Kind(params FieldSchema[] fields) =>
        Struct([F("apiVersion", Str), F("kind", Str), Always("metadata", ObjectMeta), .. fields]);

    private static readonly MapSchema RollingUpdate = Struct(P("maxUnavailable", IntOrString), P("maxSurge", IntOrString));

    private static readonly MapSchema DaemonSet = Kind(
        Always("spec", Struct(
            new FieldSchema("selector", LabelSelector, Presence.NullablePointer),
            Always("template", PodTemplateSpec),
            Always("updateStrategy", Struct(F("type", Str), P("rollingUpdate", RollingUpdate))),
            F("minReadySeconds", Int),
            P("revisionHistoryLimit", Int))),
        Always("status", Struct(
            Always("currentNumberScheduled", Int),
            Always("numberMisscheduled", Int),
            Always("desiredNumberScheduled", Int),
            Always("numberReady", Int),
            F("observedGeneration", Int),
            F("updatedNumberScheduled", Int),
            F("numberAvailable", Int),
            F("numberUnavailable", Int),
            P("collisionCount", Int),
            Conditions(Condition("lastTransitionTime")))));

    private static readonly MapSchema Deployment = Kind(
        Always("spec", Struct(
            P("replicas", Int),
            new FieldSchema("selector", LabelSelector, Presence.NullablePointer),
            Always("template", PodTemplateSpec),
            new FieldSchema("strategy", Struct(F("type", Str), P("rollingUpdate", RollingUpdate)), Presence.Always, "retainKeys"),
            F("minReadySeconds", Int),
            P("revisionHistoryLimit", Int),
            F("paused", Bool),
            P("progressDeadlineSeconds", Int))),
        Always("status", Struct(
            F("observedGeneration", Int),
            F("replicas", Int),
            F("updatedReplicas", Int),
            F("readyReplicas", Int),
            F("availableReplicas", Int),
            F("unavailableReplicas", Int),
            Conditions(Condition("lastUpdateTime", "lastTransitionTime")),
            P("collisionCount", Int))));

    private static readonly MapSchema ReplicaSet = Kind(
        Always("spec", Struct(P("replicas", Int), F("minReadySeconds", Int), new FieldSchema("selector", LabelSelector, Presence.NullablePointer), Always("template", PodTemplateSpec))),
        Always("status", Struct(
            Always("replicas", Int),
            F("fullyLabeledReplicas", Int),
            F("readyReplicas", Int),
            F("availableReplicas", Int),
            F("observedGeneration", Int),
            Conditions(Condition("lastTransitionTime")))));

    private static readonly MapSchema Pod = Kind(
        Always("spec", PodSpec),
        Always("status", Struct(
            F("phase", Str),
            Conditions(Condition("lastProbeTime", "lastTransitionTime")),
            F("message", Str),
            F("reason", Str),
            F("nominatedNodeName", Str),
            F("hostIP", Str),
            F("podIP", Str),
            Merge("podIPs", Struct(F("ip", Str)), "ip"),
            P("startTime", Time),
            Atomic("initContainerStatuses"),
            Atomic("containerStatuses"),
            F("qosClass", Str),
            Atomic("ephemeralContainerStatuses"))));

    private static readonly MapSchema Namespace = Kind(
        Always("spec", Struct(Atomic("finalizers"))),
        Always("status", Struct(F("phase", Str), Conditions(Condition("lastTransitionTime")))));

    private static readonly MapSchema Node = Kind(
        Always("spec", Struct(
            F("podCIDR", Str),
            new FieldSchema("podCIDRs", new ListSchema(Str, ListType.Set), Presence.OmitEmpty, "merge"),
            F("providerID", Str),
            F("unschedulable", Bool),
            Atomic("taints"),
            P("configSource", Struct()),
            F("externalID", Str))),
        Always("status", Struct(
            F("capacity", ResourceList),
            F("allocatable", ResourceList),
            F("phase", Str),
            Conditions(Condition("lastHeartbeatTime", "lastTransitionTime")),
            Merge("addresses", Struct(Always("type", Str), Always("address", Str)), "type"),
            Always("daemonEndpoints", Struct(Always("kubeletEndpoint", Struct(Always("Port", Int))))),
            Always("nodeInfo", Struct(
                Always("machineID", Str), Always("systemUUID", Str), Always("bootID", Str), Always("kernelVersion", Str), Always("osImage", Str),
                Always("containerRuntimeVersion", Str), Always("kubeletVersion", Str), Always("kubeProxyVersion", Str),
                Always("operatingSystem", Str), Always("architecture", Str))),
            Atomic("images"),
            Atomic("volumesInUse"),
            Atomic("volumesAttached"),
            P("config", Struct()))));

    private static readonly MapSchema ServiceAccount = Kind(
        Merge("secrets", ObjectReference, "name"),
        Atomic("imagePullSecrets"),
        P("automountServiceAccountToken", Bool));

    private static readonly MapSchema ConfigMap = Kind(P("immutable", Bool), F("data", StringMap), F("binaryData", new MapSchema([], Bytes, atomic: false)));

    private static readonly MapSchema Secret = Kind(P("immutable", Bool), F("data", new MapSchema([], Bytes, atomic: false)), F("stringData", StringMap), F("type", Str));

    private static readonly MapSchema CoreEvent = Kind(
        Always("involvedObject", ObjectReference),
        F("reason", Str),
        F("message", Str),
        Always("source", Struct(F("component", Str), F("host", Str))),
        Always("firstTimestamp", Time),
        Always("lastTimestamp", Time),
        F("count", Int),
        F("type", Str),
        Always("eventTime", Time),
        P("series", Struct(F("count", Int), Always("lastObservedTime", Time))),
        F("action", Str),
        P("related", ObjectReference),
        Always("reportingComponent", Str),
        Always("reportingInstance", Str));

    private static readonly MapSchema EventsEvent = Kind(
        Always("eventTime", Time),
        P("series", Struct(Always("count", Int), Always("lastObservedTime", Time))),
        F("reportingController", Str),
        F("reportingInstance", Str),
        F("action", Str),
        F("reason", Str),
        Always("regarding", ObjectReference),
        P("related", ObjectReference),
        F("note", Str),
        F("type", Str),
        Always("deprecatedSource", Struct(F("component", Str), F("host", Str))),
        Always("deprecatedFirstTimestamp", Time),
        Always("deprecatedLastTimestamp", Time),
        F("deprecatedCount", Int));

    private static readonly MapSchema ResourceQuota = Kind(
        Always("spec", Struct(
            F("hard", ResourceList),
            Atomic("scopes"),
            P("scopeSelector", Struct(Atomic("matchExpressions"))))),
        Always("status", Struct(F("hard", ResourceList), F("used", ResourceList))));

    private static readonly MapSchema LimitRange = Kind(
        Always("spec", Struct(new FieldSchema("limits", new ListSchema(Struct(
            Always("type", Str),
            F("max", ResourceList),
            F("min", ResourceList),
            F("default", ResourceList),
            F("defaultRequest", ResourceList),
            F("maxLimitRequestRatio", ResourceList)), ListType.Atomic), Presence.Always))));

    /// <summary>networking.k8s.io/v1 NetworkPolicy of v1.24: rules and policyTypes atomic lists, an (always written) status.</summary>
    private static readonly MapSchema NetworkPolicy = Kind(
        Always("spec", Struct(
            Always("podSelector", LabelSelector),
            Atomic("ingress"),
            Atomic("egress"),
            Atomic("policyTypes"))),
        Always("status", Struct(Conditions(Struct(
            Always("type", Str), Always("status", Str), F("observedGeneration", Int), Always("lastTransitionTime", Time), Always("reason", Str), Always("message", Str))))));

    private static readonly MapSchema PriorityClass = Kind(
        Always("value", Int), F("globalDefault", Bool), F("description", Str), P("preemptionPolicy", Str));

    private static readonly MapSchema RoleRef = AtomicStruct(Always("apiGroup", Str), Always("kind", Str), Always("name", Str));

    private static readonly MapSchema ClusterRole = Kind(
        new FieldSchema("rules", UntypedSchema.AtomicList, Presence.Always),
        P("aggregationRule", Struct(Atomic("clusterRoleSelectors"))));

    private static readonly MapSchema Role = Kind(new FieldSchema("rules", UntypedSchema.AtomicList, Presence.Always));

    private static readonly MapSchema RoleBinding = Kind(Atomic("subjects"), Always("roleRef", RoleRef));

    private static readonly ImmutableArray<FieldSchema> WebhookFields =
    [
        Always("name", Str),
        Always("clientConfig", Struct(
            P("url", Str),
            P("service", Struct(Always("namespace", Str), Always("name", Str), P("path", Str), P("port", Int))),
            F("caBundle", Bytes))),
        Atomic("rules"),
        P("failurePolicy", Str),
        P("matchPolicy", Str),
        P("namespaceSelector", LabelSelector),
        P("objectSelector", LabelSelector),
        new FieldSchema("sideEffects", Str, Presence.NullablePointer),
        P("timeoutSeconds", Int),
        new FieldSchema("admissionReviewVersions", UntypedSchema.AtomicList, Presence.Always),
        Merge("matchConditions", Struct(Always("name", Str), Always("expression", Str)), "name"),
    ];

    private static readonly MapSchema ValidatingWebhookConfiguration = Kind(Merge("webhooks", Struct([.. WebhookFields]), "name"));

    private static readonly MapSchema MutatingWebhookConfiguration = Kind(
        Merge("webhooks", Struct([.. WebhookFields, P("reinvocationPolicy", Str)]), "name"));

    private static readonly MapSchema Lease = Kind(Always("spec", Struct(
        P("holderIdentity", Str), P("leaseDurationSeconds", Int), P("acquireTime", Time), P("renewTime", Time), P("leaseTransitions", Int))));

    private static readonly MapSchema CrdNames = Struct(
        Always("plural", Str), F("singular", Str), Atomic("shortNames"), Always("kind", Str), F("listKind", Str), Atomic("categories"));

    /// <summary>apiextensions.k8s.io/v1 CustomResourceDefinition (versions are an atomic list; conditions a map by type).</summary>
    private static readonly MapSchema CustomResourceDefinition = Kind(
        Always("spec", Struct(
            Always("group", Str),
            Always("names", CrdNames),
            Always("scope", Str),
            new FieldSchema("versions", UntypedSchema.AtomicList, Presence.Always),
            P("conversion", Struct(Always("strategy", Str), P("webhook", AtomicStruct(P("clientConfig", UntypedSchema.StructLike), Atomic("conversionReviewVersions"))))),
            F("preserveUnknownFields", Bool))),
        Always("status", Struct(
            new FieldSchema("conditions", new ListSchema(Condition("lastTransitionTime"), ListType.Map, ["type"]), Presence.NullablePointer, "merge", "type"),
            Always("acceptedNames", CrdNames),
            new FieldSchema("storedVersions", UntypedSchema.AtomicList, Presence.NullablePointer))));

    private static readonly MapSchema ResourceAttributes = Struct(
        F("namespace", Str), F("verb", Str), F("group", Str), F("version", Str), F("resource", Str), F("subresource", Str), F("name", Str));

    /// <summary>authorization.k8s.io/v1 Subject/Local/SelfSubjectAccessReview: never stored, but managedFields are computed.</summary>
    private static readonly MapSchema AccessReview = Kind(
        Always("spec", Struct(
            P("resourceAttributes", ResourceAttributes),
            P("nonResourceAttributes", Struct(F("path", Str), F("verb", Str))),
            F("user", Str),
            Atomic("groups"),
            F("extra", new MapSchema([], UntypedSchema.AtomicList, atomic: false)),
            F("uid", Str))),
        Always("status", Struct(Always("allowed", Bool), F("denied", Bool), F("reason", Str), F("evaluationError", Str))));

    /// <summary>Any other built-in kind: metadata typed, everything else struct-like with atomic lists.</summary>
    private static readonly MapSchema Unknown = Kind();

    private static readonly FrozenDictionary<(string Group, string Kind), MapSchema> Kinds = new Dictionary<(string Group, string Kind), MapSchema>
    {
        [("", "Pod")] = Pod,
        [("", "Namespace")] = Namespace,
        [("", "Node")] = Node,
        [("", "ServiceAccount")] = ServiceAccount,
        [("", "ConfigMap")] = ConfigMap,
        [("", "Secret")] = Secret,
        [("", "Event")] = CoreEvent,
        [("", "ResourceQuota")] = ResourceQuota,
        [("", "LimitRange")] = LimitRange,
        [("networking.k8s.io", "NetworkPolicy")] = NetworkPolicy,
        [("events.k8s.io", "Event")] = EventsEvent,
        [("apps", "DaemonSet")] = DaemonSet,
        [("apps", "Deployment")] = Deployment,
        [("apps", "ReplicaSet")] = ReplicaSet,
        [("scheduling.k8s.io", "PriorityClass")] = PriorityClass,
        [("rbac.authorization.k8s.io", "ClusterRole")] = ClusterRole,
        [("rbac.authorization.k8s.io", "Role")] = Role,
        [("rbac.authorization.k8s.io", "ClusterRoleBinding")] = RoleBinding,
        [("rbac.authorization.k8s.io", "RoleBinding")] = RoleBinding,
        [("admissionregistration.k8s.io", "ValidatingWebhookConfiguration")] = ValidatingWebhookConfiguration,
        [("admissionregistration.k8s.io", "MutatingWebhookConfiguration")] = MutatingWebhookConfiguration,
        [("coordination.k8s.io", "Lease")] = Lease,
        [("apiextensions.k8s.io", "CustomResourceDefinition")] = CustomResourceDefinition,
        [("authorization.k8s.io", "SubjectAccessReview")] = AccessReview,
        [("authorization.k8s.io", "LocalSubjectAccessReview")] = AccessReview,
        [("authorization.k8s.io", "SelfSubjectAccessReview")] = AccessReview,
    }.ToFrozenDictionary();

    /// <summary>The schema of a built-in kind; kinds not listed get metadata typed and the rest struct-like.</summary>
    public static MapSchema For(string group, string kind) => Kinds.GetValueOrDefault((group, kind), Unknown);

    public static bool IsKnown(string group, string kind) => Kinds.ContainsKey((group, kind));
}
