using System.Globalization;
using System.Text.Json.Nodes;
using KubeSandbox.Json;

namespace KubeSandbox.Resources;

/// <summary>
/// The defaulting and create/update strategies of the built-in kinds, as kube-apiserver v1.24 applies them
/// (k8s-golden 38-45, 50/51, 57): defaults on every write, status reset on create, server-maintained annotations.
/// </summary>
internal static class BuiltinDefaults
{
    private const string TemplateGenerationAnnotation = "deprecated.daemonset.template.generation";

    /// <summary>Applies the API defaults; run on every create, update and patch result (the server defaults on decode).</summary>
    public static void Default(ServedResource resource, JsonObject obj)
    {
        if (resource.Info.IsCustomResource)
        {
            return;
        }

        switch (resource.Group, resource.Resource)
        {
            case ("", "namespaces"):
                var name = JsonUtil.GetString(obj, "metadata", "name");
                if (name is not null)
                {
                    Labels(obj)["kubernetes.io/metadata.name"] = name;
                }

                break;
            case ("", "pods"):
                var podSpec = Child(obj, "spec");
                DefaultPodSpec(podSpec);

                // SetDefaults_Pod (pods only, not templates): service links on, requests default to limits.
                podSpec.TryAdd("enableServiceLinks", true);
                foreach (var list in new[] { "initContainers", "containers" })
                {
                    foreach (var container in (podSpec[list] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        if (container["resources"]?["limits"] is JsonObject { Count: > 0 } limits)
                        {
                            var requests = Child((JsonObject)container["resources"]!, "requests");
                            foreach (var (resourceName, quantity) in limits)
                            {
                                requests.TryAdd(resourceName, quantity?.DeepClone());
                            }
                        }
                    }
                }

                break;
            case ("", "limitranges"):
                foreach (var item in (obj["spec"]?["limits"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    DefaultLimitRangeItem(item);
                }

                break;
            case ("networking.k8s.io", "networkpolicies"):
                var policySpec = Child(obj, "spec");
                foreach (var direction in new[] { "ingress", "egress" })
                {
                    foreach (var rule in (policySpec[direction] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        foreach (var port in (rule["ports"] as JsonArray ?? []).OfType<JsonObject>())
                        {
                            port.TryAdd("protocol", "TCP");
                        }
                    }
                }

                // Any policy without policyTypes implies Ingress, and Egress when it has egress rules.
                if (policySpec["policyTypes"] is not JsonArray { Count: > 0 })
                {
                    policySpec["policyTypes"] = policySpec["egress"] is JsonArray { Count: > 0 } ? new JsonArray("Ingress", "Egress") : new JsonArray("Ingress");
                }

                break;
            case ("", "secrets"):
                obj.TryAdd("type", "Opaque");

                // v1 → internal conversion: stringData is write-only; its entries (base64-encoded) win over data's.
                if (obj["stringData"] is JsonObject stringData)
                {
                    var data = Child(obj, "data");
                    foreach (var (key, value) in stringData)
                    {
                        data[key] = System.Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value?.GetValue<string>() ?? ""));
                    }

                    obj.Remove("stringData");
                }

                break;
            case ("apps", "daemonsets"):
                var dsSpec = Child(obj, "spec");
                DefaultTemplate(dsSpec);
                if (dsSpec["updateStrategy"] is not JsonObject strategy)
                {
                    strategy = new JsonObject();
                    dsSpec["updateStrategy"] = strategy;
                }

                strategy.TryAdd("type", "RollingUpdate");
                if (JsonUtil.GetString(strategy, "type") == "RollingUpdate")
                {
                    var rolling = Child(strategy, "rollingUpdate");
                    rolling.TryAdd("maxUnavailable", 1);
                    rolling.TryAdd("maxSurge", 0);
                }

                dsSpec.TryAdd("revisionHistoryLimit", 10);
                break;
            case ("apps", "deployments"):
                var deploySpec = Child(obj, "spec");
                deploySpec.TryAdd("replicas", 1);
                DefaultTemplate(deploySpec);
                if (deploySpec["strategy"] is not JsonObject deployStrategy)
                {
                    deployStrategy = new JsonObject();
                    deploySpec["strategy"] = deployStrategy;
                }

                deployStrategy.TryAdd("type", "RollingUpdate");
                if (JsonUtil.GetString(deployStrategy, "type") == "RollingUpdate")
                {
                    var rolling = Child(deployStrategy, "rollingUpdate");
                    rolling.TryAdd("maxUnavailable", "25%");
                    rolling.TryAdd("maxSurge", "25%");
                }

                deploySpec.TryAdd("revisionHistoryLimit", 10);
                deploySpec.TryAdd("progressDeadlineSeconds", 600);
                break;
            case ("scheduling.k8s.io", "priorityclasses"):
                obj.TryAdd("preemptionPolicy", "PreemptLowerPriority");
                if (obj["globalDefault"] is JsonValue globalDefault && globalDefault.TryGetValue<bool>(out var isDefault) && !isDefault)
                {
                    obj.Remove("globalDefault"); // omitempty
                }

                break;
            case ("admissionregistration.k8s.io", "validatingwebhookconfigurations"):
            case ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"):
                foreach (var webhook in (obj["webhooks"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    DefaultWebhook(webhook, mutating: resource.Resource == "mutatingwebhookconfigurations");
                }

                break;
            case ("rbac.authorization.k8s.io", "clusterrolebindings"):
            case ("rbac.authorization.k8s.io", "rolebindings"):
                foreach (var subject in (obj["subjects"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    var kind = JsonUtil.GetString(subject, "kind");
                    if (kind is "User" or "Group")
                    {
                        subject.TryAdd("apiGroup", "rbac.authorization.k8s.io");
                    }
                }

                break;
            case ("apiextensions.k8s.io", "customresourcedefinitions"):
                var crdSpec = Child(obj, "spec");
                var names = Child(crdSpec, "names");
                var crdKind = JsonUtil.GetString(names, "kind");
                if (crdKind is not null)
                {
                    names.TryAdd("singular", crdKind.ToLowerInvariant());
                    names.TryAdd("listKind", crdKind + "List");
                }

                if (crdSpec["conversion"] is not JsonObject conversion)
                {
                    conversion = new JsonObject();
                    crdSpec["conversion"] = conversion;
                }

                conversion.TryAdd("strategy", "None");
                break;
        }
    }

    /// <summary>The create strategy: server-maintained fields of a new object (status reset, annotations).</summary>
    public static void PrepareForCreate(ServedResource resource, JsonObject obj)
    {
        if (resource.Info.IsCustomResource)
        {
            if (resource.Info.HasStatusSubresource)
            {
                obj.Remove("status");
            }

            return;
        }

        switch (resource.Group, resource.Resource)
        {
            case ("", "namespaces"):
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                NamespaceFinalizers(obj);
                break;
            case ("", "pods"):
                obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(obj) };
                break;
            case ("apps", "daemonsets"):
                Annotations(obj)[TemplateGenerationAnnotation] = "1";
                obj["status"] = new JsonObject
                {
                    ["currentNumberScheduled"] = 0,
                    ["numberMisscheduled"] = 0,
                    ["desiredNumberScheduled"] = 0,
                    ["numberReady"] = 0,
                };
                break;
            case ("apps", "deployments"):
            case ("", "resourcequotas"):
            case ("networking.k8s.io", "networkpolicies"):
                obj["status"] = new JsonObject();
                break;
            case ("apiextensions.k8s.io", "customresourcedefinitions"):
                var storage = (obj["spec"]?["versions"] as JsonArray ?? [])
                    .OfType<JsonObject>()
                    .FirstOrDefault(v => v["storage"] is JsonValue s && s.TryGetValue<bool>(out var b) && b);
                obj["status"] = new JsonObject
                {
                    ["conditions"] = null,
                    ["acceptedNames"] = new JsonObject { ["plural"] = string.Empty, ["kind"] = string.Empty },
                    ["storedVersions"] = new JsonArray(JsonUtil.GetString(storage, "name") ?? "v1"),
                };
                break;
        }
    }

    /// <summary>
    /// The namespace create strategy's finalizer (<c>spec.finalizers: [kubernetes]</c>, which only the namespace
    /// controller removes); nobody's field in managedFields (k8s-golden 38).
    /// </summary>
    public static void NamespaceFinalizers(JsonObject obj)
    {
        var spec = Child(obj, "spec");
        if (spec["finalizers"] is null)
        {
            spec["finalizers"] = new JsonArray("kubernetes");
        }
    }

    /// <summary>
    /// What Go's conversion of a decoded body adds: a DaemonSet always carries its template generation as the
    /// <c>deprecated.daemonset.template.generation</c> annotation ("0" until the create strategy sets 1), so the writer
    /// of a POST or PUT owns that annotation in managedFields (k8s-golden 57).
    /// </summary>
    public static void Convert(ServedResource resource, JsonObject obj)
    {
        if (resource.Group == "apps" && resource.Resource == "daemonsets")
        {
            Annotations(obj).TryAdd(TemplateGenerationAnnotation, "0");
        }
    }

    /// <summary>The update strategy's server-maintained fields (DaemonSet template generation, namespace finalizers).</summary>
    public static void PrepareForUpdate(ServedResource resource, JsonObject updated, JsonObject old)
    {
        if (resource.Group.Length == 0 && resource.Resource == "namespaces")
        {
            // Finalizers change only through the finalize subresource.
            Child(updated, "spec")["finalizers"] = old["spec"]?["finalizers"]?.DeepClone();
            if (Child(updated, "spec")["finalizers"] is null)
            {
                ((JsonObject)updated["spec"]!).Remove("finalizers");
            }
        }

        if (resource.Group == "apps" && resource.Resource == "daemonsets")
        {
            var previous = long.TryParse(JsonUtil.GetString(old, "metadata", "annotations", TemplateGenerationAnnotation), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 1;
            var changed = !JsonNode.DeepEquals(updated["spec"]?["template"], old["spec"]?["template"]);
            Annotations(updated)[TemplateGenerationAnnotation] = (changed ? previous + 1 : previous).ToString(CultureInfo.InvariantCulture);
        }
    }

    private static void DefaultTemplate(JsonObject spec)
    {
        var template = Child(spec, "template");
        var metadata = Child(template, "metadata");
        metadata.TryAdd("creationTimestamp", null);
        DefaultPodSpec(Child(template, "spec"));
    }

    private static void DefaultPodSpec(JsonObject podSpec)
    {
        foreach (var list in new[] { "initContainers", "containers" })
        {
            foreach (var container in (podSpec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                DefaultContainer(container);
            }
        }

        // v1 conversion: the deprecated serviceAccount always mirrors serviceAccountName (k8s-golden 98).
        if (string.IsNullOrEmpty(JsonUtil.GetString(podSpec, "serviceAccountName")) && JsonUtil.GetString(podSpec, "serviceAccount") is { Length: > 0 } deprecated)
        {
            podSpec["serviceAccountName"] = deprecated;
        }

        if (JsonUtil.GetString(podSpec, "serviceAccountName") is { Length: > 0 } serviceAccount)
        {
            podSpec["serviceAccount"] = serviceAccount;
        }

        foreach (var volume in (podSpec["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            DefaultVolume(volume);
        }

        podSpec.TryAdd("restartPolicy", "Always");
        podSpec.TryAdd("terminationGracePeriodSeconds", 30);
        podSpec.TryAdd("dnsPolicy", "ClusterFirst");
        podSpec.TryAdd("securityContext", new JsonObject());
        podSpec.TryAdd("schedulerName", "default-scheduler");
    }

    private static void DefaultContainer(JsonObject container)
    {
        container.TryAdd("resources", new JsonObject());
        container.TryAdd("terminationMessagePath", "/dev/termination-log");
        container.TryAdd("terminationMessagePolicy", "File");
        if (container["imagePullPolicy"] is null)
        {
            var image = JsonUtil.GetString(container, "image") ?? string.Empty;
            var lastSegment = image[(image.LastIndexOf('/') + 1)..];
            var hasDigest = image.Contains('@', StringComparison.Ordinal);
            var tag = lastSegment.Contains(':', StringComparison.Ordinal) ? lastSegment[(lastSegment.IndexOf(':', StringComparison.Ordinal) + 1)..] : null;
            container["imagePullPolicy"] = !hasDigest && (tag is null || tag == "latest") ? "Always" : "IfNotPresent";
        }

        foreach (var port in (container["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            port.TryAdd("protocol", "TCP");
        }
    }

    /// <summary>SetDefaults of the volume sources: hostPath type "" (unset), file modes 0644, downward API fields in v1.</summary>
    private static void DefaultVolume(JsonObject volume)
    {
        if (volume["hostPath"] is JsonObject hostPath)
        {
            hostPath.TryAdd("type", string.Empty);
        }

        foreach (var source in new[] { "secret", "configMap", "downwardAPI", "projected" })
        {
            if (volume[source] is JsonObject sourceObject)
            {
                sourceObject.TryAdd("defaultMode", 420);
            }
        }

        foreach (var item in (volume["downwardAPI"]?["items"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (item["fieldRef"] is JsonObject fieldRef)
            {
                fieldRef.TryAdd("apiVersion", "v1");
            }
        }
    }

    /// <summary>
    /// SetDefaults_LimitRangeItem for Container items (k8s-golden 107): a missing default limit is the max, a missing
    /// default request is the default limit, else the min.
    /// </summary>
    public static void DefaultLimitRangeItem(JsonObject item)
    {
        if (JsonUtil.GetString(item, "type") != "Container")
        {
            return;
        }

        var defaults = item["default"] as JsonObject ?? [];
        var defaultRequests = item["defaultRequest"] as JsonObject ?? [];
        foreach (var (name, value) in item["max"] as JsonObject ?? [])
        {
            defaults.TryAdd(name, value?.DeepClone());
        }

        foreach (var (name, value) in defaults)
        {
            defaultRequests.TryAdd(name, value?.DeepClone());
        }

        foreach (var (name, value) in item["min"] as JsonObject ?? [])
        {
            defaultRequests.TryAdd(name, value?.DeepClone());
        }

        if (defaults.Count > 0 && defaults.Parent is null)
        {
            item["default"] = defaults;
        }

        if (defaultRequests.Count > 0 && defaultRequests.Parent is null)
        {
            item["defaultRequest"] = defaultRequests;
        }
    }

    private static void DefaultWebhook(JsonObject webhook, bool mutating)
    {
        webhook.TryAdd("failurePolicy", "Fail");
        webhook.TryAdd("matchPolicy", "Equivalent");
        webhook.TryAdd("namespaceSelector", new JsonObject());
        webhook.TryAdd("objectSelector", new JsonObject());
        webhook.TryAdd("timeoutSeconds", 10);
        if (mutating)
        {
            webhook.TryAdd("reinvocationPolicy", "Never");
        }

        if (webhook["clientConfig"]?["service"] is JsonObject service)
        {
            service.TryAdd("port", 443);
        }

        foreach (var rule in (webhook["rules"] as JsonArray ?? []).OfType<JsonObject>())
        {
            rule.TryAdd("scope", "*");
        }
    }

    private static string QosClass(JsonObject pod)
    {
        var containers = (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var anyResources = containers.Any(c => c["resources"] is JsonObject r && (r["requests"] is JsonObject { Count: > 0 } || r["limits"] is JsonObject { Count: > 0 }));
        if (!anyResources)
        {
            return "BestEffort";
        }

        var guaranteed = containers.All(c =>
            c["resources"]?["limits"] is JsonObject limits && limits["cpu"] is not null && limits["memory"] is not null &&
            (c["resources"]?["requests"] is not JsonObject requests || (JsonNode.DeepEquals(requests["cpu"] ?? limits["cpu"], limits["cpu"]) && JsonNode.DeepEquals(requests["memory"] ?? limits["memory"], limits["memory"]))));
        return guaranteed ? "Guaranteed" : "Burstable";
    }

    private static JsonObject Child(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject child)
        {
            return child;
        }

        child = new JsonObject();
        parent[name] = child;
        return child;
    }

    private static JsonObject Labels(JsonObject obj) => Child(JsonUtil.Metadata(obj), "labels");

    private static JsonObject Annotations(JsonObject obj) => Child(JsonUtil.Metadata(obj), "annotations");
}
