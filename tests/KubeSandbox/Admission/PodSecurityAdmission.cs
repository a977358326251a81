using System.Text.Json.Nodes;
using KubeSandbox.Json;

namespace KubeSandbox.Admission;

/// <summary>A Pod Security Standards level and the version of the standard (<c>latest</c> or <c>v1.24</c>).</summary>
public sealed record PodSecurityPolicy(string Level, string Version)
{
    public static PodSecurityPolicy Privileged { get; } = new(PodSecurityAdmission.Privileged, "latest");

    public override string ToString() => $"{Level}:{Version}";
}

/// <summary>One failed check: its reason (<c>host namespaces</c>) and detail (<c>hostPID=true</c>).</summary>
public sealed record PodSecurityViolation(string Reason, string Detail)
{
    public override string ToString() => Detail.Length == 0 ? Reason : $"{Reason} ({Detail})";
}

/// <summary>
/// The PodSecurity admission plugin (k8s.io/pod-security-admission, v1.24): the namespace's
/// <c>pod-security.kubernetes.io/{enforce,warn,audit}[-version]</c> labels select a level; pods that fail the
/// enforce level are refused (403 <c>violates PodSecurity "restricted:latest": ...</c>, k8s-golden 97); pods and
/// the pod templates of workloads that fail the warn level get a <c>Warning</c> (<c>would violate PodSecurity ...</c>,
/// 100, 102). Workloads are never refused: enforce applies to pods only, so a dry-run of a DaemonSet does not reveal an
/// enforce label (98). Checks run in the order the library registers them (baseline, then restricted) and their
/// messages are the library's words.
/// </summary>
public static class PodSecurityAdmission
{
    public const string LabelPrefix = "pod-security.kubernetes.io/";
    public const string Privileged = "privileged";
    public const string Baseline = "baseline";
    public const string Restricted = "restricted";

    private static readonly HashSet<string> BaselineCapabilities = new(StringComparer.Ordinal)
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    };

    private static readonly HashSet<string> SafeSysctls = new(StringComparer.Ordinal)
    {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
    };

    private static readonly string[] RestrictedVolumeSources = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

    private static readonly string[] OtherVolumeSources =
    [
        "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd", "flexVolume", "cinder", "cephfs",
        "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos",
    ];

    /// <summary>The kinds whose pod templates are checked against warn and audit (never enforce).</summary>
    private static readonly Dictionary<(string Group, string Resource), string> Workloads = new()
    {
        [("", "podtemplates")] = "/template/spec",
        [("", "replicationcontrollers")] = "/spec/template/spec",
        [("apps", "daemonsets")] = "/spec/template/spec",
        [("apps", "deployments")] = "/spec/template/spec",
        [("apps", "replicasets")] = "/spec/template/spec",
        [("apps", "statefulsets")] = "/spec/template/spec",
        [("batch", "jobs")] = "/spec/template/spec",
        [("batch", "cronjobs")] = "/spec/jobTemplate/spec/template/spec",
    };

    /// <summary>The policy of one mode (<c>enforce</c>, <c>warn</c>, <c>audit</c>) from namespace labels; unlabelled is privileged.</summary>
    public static PodSecurityPolicy PolicyFor(JsonObject? namespaceObject, string mode)
    {
        var labels = namespaceObject?["metadata"]?["labels"] as JsonObject;
        var level = JsonUtil.GetString(labels, LabelPrefix + mode);
        var version = JsonUtil.GetString(labels, LabelPrefix + mode + "-version");
        if (string.IsNullOrEmpty(level))
        {
            return PodSecurityPolicy.Privileged;
        }

        // An unknown level fails closed, as the library does: it evaluates as restricted.
        level = level is Privileged or Baseline or Restricted ? level : Restricted;
        return new PodSecurityPolicy(level, string.IsNullOrEmpty(version) ? "latest" : version);
    }

    /// <summary>Evaluates a pod's metadata and spec against a level; empty when allowed.</summary>
    public static IReadOnlyList<PodSecurityViolation> Evaluate(string level, JsonObject? podMetadata, JsonObject podSpec)
    {
        ArgumentNullException.ThrowIfNull(podSpec);
        var violations = new List<PodSecurityViolation>();
        if (level == Privileged)
        {
            return violations;
        }

        var restricted = level == Restricted;
        var containers = Containers(podSpec);

        // Baseline checks (those restricted overrides are skipped at restricted).
        Add(violations, AppArmor(podMetadata));
        if (!restricted)
        {
            Add(violations, BaselineCapabilitiesCheck(containers));
        }

        Add(violations, HostNamespaces(podSpec));
        if (!restricted)
        {
            Add(violations, HostPathVolumes(podSpec));
        }

        Add(violations, HostPorts(containers));
        Add(violations, PrivilegedContainers(containers));
        Add(violations, ProcMount(containers));
        Add(violations, SeLinuxOptions(podSpec, containers));
        if (!restricted)
        {
            Add(violations, SeccompBaseline(podSpec, containers));
        }

        Add(violations, Sysctls(podSpec));
        Add(violations, WindowsHostProcess(podSpec, containers));
        if (!restricted)
        {
            return violations;
        }

        Add(violations, AllowPrivilegeEscalation(containers));
        Add(violations, RestrictedCapabilities(containers));
        Add(violations, RestrictedVolumes(podSpec));
        Add(violations, RunAsNonRoot(podSpec, containers));
        Add(violations, RunAsUser(podSpec, containers));
        Add(violations, SeccompRestricted(podSpec, containers));
        return violations;
    }

    /// <summary>The library's aggregate detail: each violation as <c>reason (detail)</c>, joined by ", ".</summary>
    public static string Describe(IReadOnlyList<PodSecurityViolation> violations) => string.Join(", ", violations);

    /// <summary>
    /// The plugin on one request: null when it does not apply or allows silently; else the outcome (a 403 Status
    /// for an enforce failure, or allowed with warnings).
    /// </summary>
    internal static AdmissionOutcome? Validate(AdmissionRequestContext request)
    {
        if (request.Operation is not ("CREATE" or "UPDATE") || request.Object is null || request.Namespace is null)
        {
            return null;
        }

        var resource = request.Resource;
        var isPod = resource.Group.Length == 0 && resource.Resource == "pods";
        if (isPod)
        {
            if (request.Subresource is not (null or "ephemeralcontainers"))
            {
                return null;
            }

            if (request.Operation == "UPDATE" && request.OldObject is { } old && !SignificantPodUpdate(request.Object, old))
            {
                return null;
            }
        }
        else if (!Workloads.ContainsKey((resource.Group, resource.Resource)) || request.Subresource is not null)
        {
            return null;
        }

        var (metadata, spec) = isPod
            ? (request.Object["metadata"] as JsonObject, request.Object["spec"] as JsonObject)
            : Template(request.Object, Workloads[(resource.Group, resource.Resource)]);
        if (spec is null)
        {
            return null;
        }

        if (isPod)
        {
            var enforce = PolicyFor(request.NamespaceObject, "enforce");
            var denied = Evaluate(enforce.Level, metadata, spec);
            if (denied.Count > 0)
            {
                var message = $"{resource.Resource} {GoQuote(request.Name)} is forbidden: violates PodSecurity {GoQuote(enforce.ToString())}: {Describe(denied)}";
                return new AdmissionOutcome(false, null, 403, ForbiddenStatus(message, request.Name, resource));
            }
        }

        var warn = PolicyFor(request.NamespaceObject, "warn");
        var violations = Evaluate(warn.Level, metadata, spec);
        return violations.Count == 0
            ? null
            : new AdmissionOutcome(true, null, 200, null, [$"would violate PodSecurity {GoQuote(warn.ToString())}: {Describe(violations)}"]);
    }

    /// <summary>The 403 Status of an admission plugin's Forbidden error (details name the object and the resource).</summary>
    internal static JsonObject ForbiddenStatus(string message, string name, ResourceInfo resource)
    {
        var details = new JsonObject { ["name"] = name };
        if (resource.Group.Length > 0)
        {
            details["group"] = resource.Group;
        }

        details["kind"] = resource.Resource;
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = "Forbidden",
            ["details"] = details,
            ["code"] = 403,
        };
    }

    internal static string GoQuote(string text) => Semantics.GoFormat.Quote(text);

    /// <summary>A pod update is checked unless only metadata or container images changed (the library's rule).</summary>
    private static bool SignificantPodUpdate(JsonObject pod, JsonObject old)
    {
        var newSpec = pod["spec"]?.DeepClone() as JsonObject;
        var oldSpec = old["spec"]?.DeepClone() as JsonObject;
        foreach (var spec in new[] { newSpec, oldSpec })
        {
            foreach (var list in new[] { "initContainers", "containers", "ephemeralContainers" })
            {
                foreach (var container in (spec?[list] as JsonArray ?? []).OfType<JsonObject>())
                {
                    container.Remove("image");
                }
            }
        }

        return !JsonNode.DeepEquals(newSpec, oldSpec) || !JsonNode.DeepEquals(
            pod["metadata"]?["annotations"]?.DeepClone() is JsonObject a ? AppArmorAnnotations(a) : null,
            old["metadata"]?["annotations"]?.DeepClone() is JsonObject b ? AppArmorAnnotations(b) : null);
    }

    private static JsonObject AppArmorAnnotations(JsonObject annotations) =>
        new([.. annotations.Where(p => p.Key.StartsWith("container.apparmor.security.beta.kubernetes.io/", StringComparison.Ordinal)).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))]);

    private static (JsonObject? Metadata, JsonObject? Spec) Template(JsonObject obj, string specPointer)
    {
        JsonNode? node = obj;
        foreach (var segment in specPointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = (node as JsonObject)?[segment];
        }

        var template = node?.Parent as JsonObject;
        return (template?["metadata"] as JsonObject, node as JsonObject);
    }

    private static void Add(List<PodSecurityViolation> violations, PodSecurityViolation? violation)
    {
        if (violation is not null)
        {
            violations.Add(violation);
        }
    }

    /// <summary>Init containers, containers, ephemeral containers: the library's visiting order.</summary>
    private static List<JsonObject> Containers(JsonObject podSpec) =>
        [.. new[] { "initContainers", "containers", "ephemeralContainers" }.SelectMany(list => (podSpec[list] as JsonArray ?? []).OfType<JsonObject>())];

    private static string Name(JsonObject container) => JsonUtil.GetString(container, "name") ?? string.Empty;

    private static JsonObject? SecurityContext(JsonObject node) => node["securityContext"] as JsonObject;

    private static bool? Flag(JsonObject? obj, string name) =>
        obj?[name] is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : null;

    private static string Pluralize(string singular, string plural, int count) => count == 1 ? singular : plural;

    private static string JoinQuote(IEnumerable<string> items) => string.Join(", ", items.Select(GoQuote));

    private static string Containerish(IReadOnlyList<string> names) => $"{Pluralize("container", "containers", names.Count)} {JoinQuote(names)}";

    private static PodSecurityViolation? AppArmor(JsonObject? metadata)
    {
        var bad = (metadata?["annotations"] as JsonObject ?? [])
            .Where(p => p.Key.StartsWith("container.apparmor.security.beta.kubernetes.io/", StringComparison.Ordinal))
            .Select(p => (p.Key, Value: p.Value?.GetValue<string>() ?? string.Empty))
            .Where(p => p.Value != "runtime/default" && !p.Value.StartsWith("localhost/", StringComparison.Ordinal))
            .Select(p => $"{p.Key}={GoQuote(p.Value)}")
            .Order(StringComparer.Ordinal)
            .ToList();
        return bad.Count == 0 ? null : new PodSecurityViolation(Pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", bad.Count), string.Join(", ", bad));
    }

    private static PodSecurityViolation? BaselineCapabilitiesCheck(List<JsonObject> containers)
    {
        var bad = new List<string>();
        var forbidden = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            var added = (SecurityContext(container)?["capabilities"]?["add"] as JsonArray ?? []).Select(c => c?.GetValue<string>() ?? string.Empty).Where(c => !BaselineCapabilities.Contains(c)).ToList();
            if (added.Count > 0)
            {
                bad.Add(Name(container));
                forbidden.UnionWith(added);
            }
        }

        return bad.Count == 0 ? null : new PodSecurityViolation("non-default capabilities", $"{Containerish(bad)} must not include {JoinQuote(forbidden)} in securityContext.capabilities.add");
    }

    private static PodSecurityViolation? HostNamespaces(JsonObject podSpec)
    {
        var used = new[] { "hostNetwork", "hostPID", "hostIPC" }.Where(field => Flag(podSpec, field) == true).Select(field => field + "=true").ToList();
        return used.Count == 0 ? null : new PodSecurityViolation("host namespaces", string.Join(", ", used));
    }

    private static PodSecurityViolation? HostPathVolumes(JsonObject podSpec)
    {
        var bad = (podSpec["volumes"] as JsonArray ?? []).OfType<JsonObject>().Where(v => v["hostPath"] is JsonObject).Select(v => JsonUtil.GetString(v, "name") ?? string.Empty).ToList();
        return bad.Count == 0 ? null : new PodSecurityViolation("hostPath volumes", $"{Pluralize("volume", "volumes", bad.Count)} {JoinQuote(bad)}");
    }

    private static PodSecurityViolation? HostPorts(List<JsonObject> containers)
    {
        var bad = new List<string>();
        var ports = new SortedSet<long>();
        foreach (var container in containers)
        {
            var used = (container["ports"] as JsonArray ?? []).OfType<JsonObject>().Select(p => JsonUtil.GetInt64(p, "hostPort") ?? 0).Where(p => p != 0).ToList();
            if (used.Count > 0)
            {
                bad.Add(Name(container));
                ports.UnionWith(used);
            }
        }

        return bad.Count == 0
            ? null
            : new PodSecurityViolation("hostPort", $"{Containerish(bad)} {Pluralize("uses", "use", bad.Count)} {Pluralize("hostPort", "hostPorts", ports.Count)} {string.Join(", ", ports)}");
    }

    private static PodSecurityViolation? PrivilegedContainers(List<JsonObject> containers)
    {
        var bad = containers.Where(c => Flag(SecurityContext(c), "privileged") == true).Select(Name).ToList();
        return bad.Count == 0 ? null : new PodSecurityViolation("privileged", $"{Containerish(bad)} must not set securityContext.privileged=true");
    }

    private static PodSecurityViolation? ProcMount(List<JsonObject> containers)
    {
        var bad = new List<string>();
        var values = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            if (JsonUtil.GetString(SecurityContext(container), "procMount") is { } mount && mount != "Default")
            {
                bad.Add(Name(container));
                values.Add(mount);
            }
        }

        return bad.Count == 0 ? null : new PodSecurityViolation("procMount", $"{Containerish(bad)} must not set securityContext.procMount to {JoinQuote(values)}");
    }

    private static PodSecurityViolation? SeLinuxOptions(JsonObject podSpec, List<JsonObject> containers)
    {
        var allowedTypes = new HashSet<string>(StringComparer.Ordinal) { string.Empty, "container_t", "container_init_t", "container_kvm_t" };
        var badSetters = new List<string>();
        var badTypes = new SortedSet<string>(StringComparer.Ordinal);
        var setsUserOrRole = false;
        bool Bad(JsonObject? options)
        {
            if (options is null)
            {
                return false;
            }

            var bad = false;
            if (JsonUtil.GetString(options, "type") is { } type && !allowedTypes.Contains(type))
            {
                badTypes.Add(type);
                bad = true;
            }

            if (!string.IsNullOrEmpty(JsonUtil.GetString(options, "user")) || !string.IsNullOrEmpty(JsonUtil.GetString(options, "role")))
            {
                setsUserOrRole = true;
                bad = true;
            }

            return bad;
        }

        if (Bad(SecurityContext(podSpec)?["seLinuxOptions"] as JsonObject))
        {
            badSetters.Add("pod");
        }

        var badContainers = containers.Where(c => Bad(SecurityContext(c)?["seLinuxOptions"] as JsonObject)).Select(Name).ToList();
        if (badContainers.Count > 0)
        {
            badSetters.Add(Containerish(badContainers));
        }

        if (badSetters.Count == 0)
        {
            return null;
        }

        var details = new List<string>();
        if (badTypes.Count > 0)
        {
            details.Add($"{Pluralize("type", "types", badTypes.Count)} {JoinQuote(badTypes)}");
        }

        if (setsUserOrRole)
        {
            details.Add("user may not be set");
            details.Add("role may not be set");
        }

        return new PodSecurityViolation("seLinuxOptions", $"{string.Join(" and ", badSetters)} set forbidden securityContext.seLinuxOptions: {string.Join("; ", details)}");
    }

    private static PodSecurityViolation? SeccompBaseline(JsonObject podSpec, List<JsonObject> containers)
    {
        var badSetters = new List<string>();
        if (JsonUtil.GetString(SecurityContext(podSpec)?["seccompProfile"] as JsonObject, "type") == "Unconfined")
        {
            badSetters.Add("pod");
        }

        var bad = containers.Where(c => JsonUtil.GetString(SecurityContext(c)?["seccompProfile"] as JsonObject, "type") == "Unconfined").Select(Name).ToList();
        if (bad.Count > 0)
        {
            badSetters.Add(Containerish(bad));
        }

        return badSetters.Count == 0 ? null : new PodSecurityViolation("seccompProfile", $"{string.Join(" and ", badSetters)} must not set securityContext.seccompProfile.type to \"Unconfined\"");
    }

    private static PodSecurityViolation? Sysctls(JsonObject podSpec)
    {
        var bad = (SecurityContext(podSpec)?["sysctls"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(s => JsonUtil.GetString(s, "name") ?? string.Empty).Where(n => !SafeSysctls.Contains(n)).ToList();
        return bad.Count == 0 ? null : new PodSecurityViolation("forbidden sysctls", string.Join(", ", bad));
    }

    private static PodSecurityViolation? WindowsHostProcess(JsonObject podSpec, List<JsonObject> containers)
    {
        var pod = Flag(SecurityContext(podSpec)?["windowsOptions"] as JsonObject, "hostProcess") == true;
        var bad = containers.Where(c => Flag(SecurityContext(c)?["windowsOptions"] as JsonObject, "hostProcess") == true).Select(Name).ToList();
        if (!pod && bad.Count == 0)
        {
            return null;
        }

        var setters = new List<string>();
        if (pod)
        {
            setters.Add("pod");
        }

        if (bad.Count > 0)
        {
            setters.Add(Containerish(bad));
        }

        return new PodSecurityViolation("hostProcess", $"{string.Join(" and ", setters)} must not set securityContext.windowsOptions.hostProcess=true");
    }

    private static PodSecurityViolation? AllowPrivilegeEscalation(List<JsonObject> containers)
    {
        var bad = containers.Where(c => Flag(SecurityContext(c), "allowPrivilegeEscalation") != false).Select(Name).ToList();
        return bad.Count == 0 ? null : new PodSecurityViolation("allowPrivilegeEscalation != false", $"{Containerish(bad)} must set securityContext.allowPrivilegeEscalation=false");
    }

    private static PodSecurityViolation? RestrictedCapabilities(List<JsonObject> containers)
    {
        var missingDropAll = new List<string>();
        var addingForbidden = new List<string>();
        var forbidden = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            var capabilities = SecurityContext(container)?["capabilities"] as JsonObject;
            if (capabilities is null)
            {
                missingDropAll.Add(Name(container));
                continue;
            }

            if (!(capabilities["drop"] as JsonArray ?? []).Any(c => c?.GetValue<string>() == "ALL"))
            {
                missingDropAll.Add(Name(container));
            }

            var added = (capabilities["add"] as JsonArray ?? []).Select(c => c?.GetValue<string>() ?? string.Empty).Where(c => c != "NET_BIND_SERVICE").ToList();
            if (added.Count > 0)
            {
                addingForbidden.Add(Name(container));
                forbidden.UnionWith(added);
            }
        }

        var details = new List<string>();
        if (missingDropAll.Count > 0)
        {
            details.Add($"{Containerish(missingDropAll)} must set securityContext.capabilities.drop=[\"ALL\"]");
        }

        if (addingForbidden.Count > 0)
        {
            details.Add($"{Containerish(addingForbidden)} must not include {JoinQuote(forbidden)} in securityContext.capabilities.add");
        }

        return details.Count == 0 ? null : new PodSecurityViolation("unrestricted capabilities", string.Join("; ", details));
    }

    private static PodSecurityViolation? RestrictedVolumes(JsonObject podSpec)
    {
        var bad = new List<string>();
        var types = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var volume in (podSpec["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (RestrictedVolumeSources.Any(volume.ContainsKey))
            {
                continue;
            }

            bad.Add(JsonUtil.GetString(volume, "name") ?? string.Empty);
            types.Add(OtherVolumeSources.FirstOrDefault(volume.ContainsKey) ?? "unknown");
        }

        return bad.Count == 0
            ? null
            : new PodSecurityViolation(
                "restricted volume types",
                $"{Pluralize("volume", "volumes", bad.Count)} {JoinQuote(bad)} {Pluralize("uses", "use", bad.Count)} {Pluralize("restricted volume type", "restricted volume types", types.Count)} {JoinQuote(types)}");
    }

    private static PodSecurityViolation? RunAsNonRoot(JsonObject podSpec, List<JsonObject> containers)
    {
        var badSetters = new List<string>();
        var podNonRoot = false;
        if (Flag(SecurityContext(podSpec), "runAsNonRoot") is { } podValue)
        {
            if (podValue)
            {
                podNonRoot = true;
            }
            else
            {
                badSetters.Add("pod");
            }
        }

        var explicitlyBad = new List<string>();
        var implicitlyBad = new List<string>();
        foreach (var container in containers)
        {
            if (Flag(SecurityContext(container), "runAsNonRoot") is { } value)
            {
                if (!value)
                {
                    explicitlyBad.Add(Name(container));
                }
            }
            else if (!podNonRoot)
            {
                implicitlyBad.Add(Name(container));
            }
        }

        if (explicitlyBad.Count > 0)
        {
            badSetters.Add(Containerish(explicitlyBad));
        }

        if (badSetters.Count > 0)
        {
            return new PodSecurityViolation("runAsNonRoot != true", $"{string.Join(" and ", badSetters)} must not set securityContext.runAsNonRoot=false");
        }

        return implicitlyBad.Count == 0 ? null : new PodSecurityViolation("runAsNonRoot != true", $"pod or {Containerish(implicitlyBad)} must set securityContext.runAsNonRoot=true");
    }

    private static PodSecurityViolation? RunAsUser(JsonObject podSpec, List<JsonObject> containers)
    {
        var badSetters = new List<string>();
        if (JsonUtil.GetInt64(SecurityContext(podSpec), "runAsUser") == 0)
        {
            badSetters.Add("pod");
        }

        var bad = containers.Where(c => JsonUtil.GetInt64(SecurityContext(c), "runAsUser") == 0).Select(Name).ToList();
        if (bad.Count > 0)
        {
            badSetters.Add(Containerish(bad));
        }

        return badSetters.Count == 0 ? null : new PodSecurityViolation("runAsUser=0", $"{string.Join(" and ", badSetters)} must not set runAsUser=0");
    }

    private static PodSecurityViolation? SeccompRestricted(JsonObject podSpec, List<JsonObject> containers)
    {
        static bool Valid(string type) => type is "RuntimeDefault" or "Localhost";
        var badSetters = new List<string>();
        var badValues = new SortedSet<string>(StringComparer.Ordinal);
        var podSet = false;
        if (JsonUtil.GetString(SecurityContext(podSpec)?["seccompProfile"] as JsonObject, "type") is { } podType)
        {
            if (Valid(podType))
            {
                podSet = true;
            }
            else
            {
                badSetters.Add("pod");
                badValues.Add(podType);
            }
        }

        var explicitlyBad = new List<string>();
        var implicitlyBad = new List<string>();
        foreach (var container in containers)
        {
            if (JsonUtil.GetString(SecurityContext(container)?["seccompProfile"] as JsonObject, "type") is { } type)
            {
                if (!Valid(type))
                {
                    explicitlyBad.Add(Name(container));
                    badValues.Add(type);
                }
            }
            else if (!podSet)
            {
                implicitlyBad.Add(Name(container));
            }
        }

        if (explicitlyBad.Count > 0)
        {
            badSetters.Add(Containerish(explicitlyBad));
        }

        if (badSetters.Count > 0)
        {
            return new PodSecurityViolation("seccompProfile", $"{string.Join(" and ", badSetters)} must not set securityContext.seccompProfile.type to {JoinQuote(badValues)}");
        }

        return implicitlyBad.Count == 0
            ? null
            : new PodSecurityViolation("seccompProfile", $"pod or {Containerish(implicitlyBad)} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
    }
}
