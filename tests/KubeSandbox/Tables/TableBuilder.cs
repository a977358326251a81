using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KubeSandbox.Json;
using KubeSandbox.Resources;

namespace KubeSandbox.Tables;

/// <summary>What <c>rows[].object</c> carries (the <c>includeObject</c> query parameter).</summary>
internal enum IncludeObject
{
    None,
    Metadata,
    Object,
}

/// <summary>Server-side printing: <c>meta.k8s.io/v1 Table</c> as kube-apiserver renders it for kubectl (k8s-golden 21, 22).</summary>
internal static class TableBuilder
{
    private static readonly string[] MetadataOrder =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    private sealed record Column(string Name, string Type, string Format, string Description, int Priority, Func<JsonObject, DateTimeOffset, JsonNode?> Cell);

    public static JsonObject Build(ServedResource resource, IReadOnlyList<JsonObject> objects, string resourceVersion, string? continueToken, DateTimeOffset now, IncludeObject include)
    {
        var columns = Columns(resource);
        var definitions = new JsonArray();
        foreach (var column in columns)
        {
            definitions.Add(new JsonObject
            {
                ["name"] = column.Name,
                ["type"] = column.Type,
                ["format"] = column.Format,
                ["description"] = column.Description,
                ["priority"] = column.Priority,
            });
        }

        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var cells = new JsonArray();
            foreach (var column in columns)
            {
                cells.Add(column.Cell(obj, now));
            }

            var row = new JsonObject { ["cells"] = cells };
            switch (include)
            {
                case IncludeObject.Metadata:
                    row["object"] = new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = JsonUtil.Reorder(obj["metadata"] as JsonObject ?? new JsonObject(), MetadataOrder),
                    };
                    break;
                case IncludeObject.Object:
                    row["object"] = obj.DeepClone();
                    break;
            }

            rows.Add(row);
        }

        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion };
        if (!string.IsNullOrEmpty(continueToken))
        {
            metadata["continue"] = continueToken;
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = metadata,
            ["columnDefinitions"] = definitions,
            ["rows"] = rows,
        };
    }

    /// <summary>Go's <c>duration.HumanDuration</c>, the way kubectl and the server render ages.</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)Math.Floor(d.TotalSeconds);
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 60 * 2)
        {
            return Invariant($"{seconds}s");
        }

        var minutes = seconds / 60;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? Invariant($"{minutes}m") : Invariant($"{minutes}m{s}s");
        }

        if (minutes < 60 * 3)
        {
            return Invariant($"{minutes}m");
        }

        var hours = minutes / 60;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? Invariant($"{hours}h") : Invariant($"{hours}h{m}m");
        }

        if (hours < 48)
        {
            return Invariant($"{hours}h");
        }

        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? Invariant($"{hours / 24}d") : Invariant($"{hours / 24}d{h}h");
        }

        if (hours < 24 * 365 * 2)
        {
            return Invariant($"{hours / 24}d");
        }

        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? Invariant($"{hours / 24 / 365}y") : Invariant($"{hours / 24 / 365}y{dy}d");
        }

        return Invariant($"{hours / 24 / 365}y");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static List<Column> Columns(ServedResource resource)
    {
        var name = new Column("Name", "string", "name", ResourceRegistry.NameDescription, 0, (o, _) => JsonUtil.GetString(o, "metadata", "name"));
        if (resource.PrinterColumns is { } printerColumns)
        {
            var columns = new List<Column> { name };
            foreach (var column in printerColumns)
            {
                var path = JsonPathLite.Parse(column.JsonPath);
                columns.Add(new Column(column.Name, column.Type, column.Format, column.Description, column.Priority, (o, now) => CustomCell(path, column.Type, o, now)));
            }

            return columns;
        }

        var age = new Column("Age", "string", string.Empty, ResourceRegistry.CreationTimestampDescription, 0, (o, now) => Age(o, now));
        return (resource.Group, resource.Resource) switch
        {
            ("", "namespaces") =>
            [
                name,
                new Column("Status", "string", string.Empty, "The status of the namespace", 0, (o, _) => JsonUtil.GetString(o, "status", "phase")),
                age,
            ],
            ("", "pods") =>
            [
                name,
                new Column("Ready", "string", string.Empty, "The aggregate readiness state of this pod for accepting traffic.", 0, (o, _) => PodReady(o)),
                new Column("Status", "string", string.Empty, "The aggregate status of the containers in this pod.", 0, (o, _) => PodStatus(o)),
                new Column("Restarts", "string", string.Empty, "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0, (o, _) => PodRestarts(o)),
                age,
                new Column("IP", "string", string.Empty, "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1, (o, _) => JsonUtil.GetString(o, "status", "podIP") ?? "<none>"),
                new Column("Node", "string", string.Empty, "NodeName is a request to schedule this pod onto a specific node. If it is non-empty, the scheduler simply schedules this pod onto that node, assuming that it fits resource requirements.", 1, (o, _) => JsonUtil.GetString(o, "spec", "nodeName") ?? "<none>"),
            ],
            ("apps", "daemonsets") =>
            [
                name,
                Count("Desired", "DesiredNumberScheduled is the total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).", "desiredNumberScheduled"),
                Count("Current", "CurrentNumberScheduled is the number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.", "currentNumberScheduled"),
                Count("Ready", "NumberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.", "numberReady"),
                Count("Up-to-date", "UpdatedNumberScheduled is the total number of nodes that are running updated daemon pod", "updatedNumberScheduled"),
                Count("Available", "NumberAvailable is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)", "numberAvailable"),
                new Column("Node Selector", "string", string.Empty, "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/", 0, (o, _) => NodeSelector(o)),
                age,
            ],
            ("", "events") or ("events.k8s.io", "events") =>
            [
                new Column("Last Seen", "string", string.Empty, "The time at which the most recent occurrence of this event was recorded.", 0, (o, now) => EventLastSeen(o, now)),
                new Column("Type", "string", string.Empty, "Type of this event (Normal, Warning), new types could be added in the future", 0, (o, _) => JsonUtil.GetString(o, "type")),
                new Column("Reason", "string", string.Empty, "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", 0, (o, _) => JsonUtil.GetString(o, "reason")),
                new Column("Object", "string", string.Empty, "The object that this event is about.", 0, (o, _) => EventObject(o)),
                new Column("Message", "string", string.Empty, "A human-readable description of the status of this operation.", 0, (o, _) => JsonUtil.GetString(o, "message") ?? JsonUtil.GetString(o, "note")),
                name with { Priority = 1 },
            ],
            ("", "nodes") =>
            [
                name,
                new Column("Status", "string", string.Empty, "The status of the node", 0, (o, _) => NodeStatus(o)),
                new Column("Roles", "string", string.Empty, "The roles of the node", 0, (o, _) => NodeRoles(o)),
                age,
                new Column("Version", "string", string.Empty, "Kubelet Version reported by the node.", 0, (o, _) => JsonUtil.GetString(o, "status", "nodeInfo", "kubeletVersion") ?? string.Empty),
                new Column("Internal-IP", "string", string.Empty, NodeAddressesDescription, 1, (o, _) => NodeAddress(o, "InternalIP")),
                new Column("External-IP", "string", string.Empty, NodeAddressesDescription, 1, (o, _) => NodeAddress(o, "ExternalIP")),
                new Column("OS-Image", "string", string.Empty, "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1, (o, _) => NodeInfo(o, "osImage")),
                new Column("Kernel-Version", "string", string.Empty, "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1, (o, _) => NodeInfo(o, "kernelVersion")),
                new Column("Container-Runtime", "string", string.Empty, "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1, (o, _) => NodeInfo(o, "containerRuntimeVersion")),
            ],
            ("", "resourcequotas") =>
            [
                name,
                age,
                new Column("Request", "string", string.Empty, "Request represents a minimum amount of cpu/memory that a container may consume.", 0, (o, _) => QuotaUsage(o, limits: false)),
                new Column("Limit", "string", string.Empty, "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.", 0, (o, _) => QuotaUsage(o, limits: true)),
            ],
            ("", "limitranges") =>
            [
                name,
                new Column("Created At", "date", string.Empty, ResourceRegistry.CreationTimestampDescription, 0, (o, _) => JsonUtil.GetString(o, "metadata", "creationTimestamp")),
            ],
            ("networking.k8s.io", "networkpolicies") =>
            [
                name,
                new Column("Pod-Selector", "string", string.Empty, "Selects the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.", 0, (o, _) => FormatLabelSelector(o["spec"]?["podSelector"] as JsonObject)),
                age,
            ],
            _ => [name, age],
        };
    }

    private const string NodeAddressesDescription = "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/concepts/nodes/node/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example.";

    /// <summary>printNode: Ready or NotReady from the Ready condition (Unknown without one), then SchedulingDisabled when cordoned.</summary>
    private static string NodeStatus(JsonObject node)
    {
        var status = new List<string>();
        var ready = (node["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().LastOrDefault(c => JsonUtil.GetString(c, "type") == "Ready");
        if (ready is not null)
        {
            status.Add(JsonUtil.GetString(ready, "status") == "True" ? "Ready" : "NotReady");
        }
        else
        {
            status.Add("Unknown");
        }

        if (node["spec"]?["unschedulable"] is JsonValue unschedulable && unschedulable.GetValueKind() == JsonValueKind.True)
        {
            status.Add("SchedulingDisabled");
        }

        return string.Join(",", status);
    }

    private static string NodeRoles(JsonObject node)
    {
        var roles = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in node["metadata"]?["labels"] as JsonObject ?? [])
        {
            if (key.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal))
            {
                roles.Add(key["node-role.kubernetes.io/".Length..]);
            }
            else if (key == "kubernetes.io/role" && JsonUtil.ScalarText(value) is { Length: > 0 } role)
            {
                roles.Add(role);
            }
        }

        return roles.Count == 0 ? "<none>" : string.Join(",", roles);
    }

    private static string NodeAddress(JsonObject node, string type) =>
        (node["status"]?["addresses"] as JsonArray ?? []).OfType<JsonObject>().Where(a => JsonUtil.GetString(a, "type") == type).Select(a => JsonUtil.GetString(a, "address")).FirstOrDefault() ?? "<none>";

    private static string NodeInfo(JsonObject node, string field) =>
        JsonUtil.GetString(node, "status", "nodeInfo", field) is { Length: > 0 } value ? value : "<unknown>";

    /// <summary>printResourceQuota: "resource: used/hard" for every hard resource, limits.* in the Limit column.</summary>
    private static string QuotaUsage(JsonObject quota, bool limits)
    {
        var hard = quota["status"]?["hard"] as JsonObject ?? [];
        var used = quota["status"]?["used"] as JsonObject;
        var parts = hard.Select(p => p.Key).Order(StringComparer.Ordinal)
            .Where(resource => resource.StartsWith("limits.", StringComparison.Ordinal) == limits)
            .Select(resource => $"{resource}: {Canonical(used?[resource])}/{Canonical(hard[resource])}");
        return string.Join(", ", parts);
    }

    private static string Canonical(JsonNode? quantity) =>
        Semantics.Quantity.TryParse(JsonUtil.ScalarText(quantity), out var parsed) ? parsed.ToString() : "0";

    /// <summary>metav1.FormatLabelSelector: <c>&lt;none&gt;</c> for an empty selector, else <c>k=v,k in (a,b)</c>.</summary>
    private static string FormatLabelSelector(JsonObject? selector)
    {
        var parts = new List<string>();
        foreach (var (key, value) in (selector?["matchLabels"] as JsonObject ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            parts.Add($"{key}={JsonUtil.ScalarText(value)}");
        }

        foreach (var expression in (selector?["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = JsonUtil.GetString(expression, "key");
            var values = string.Join(",", (expression["values"] as JsonArray ?? []).Select(JsonUtil.ScalarText));
            parts.Add(JsonUtil.GetString(expression, "operator") switch
            {
                "In" => $"{key} in ({values})",
                "NotIn" => $"{key} notin ({values})",
                "Exists" => key ?? string.Empty,
                "DoesNotExist" => "!" + key,
                var op => $"{key} {op} ({values})",
            });
        }

        return parts.Count == 0 ? "<none>" : string.Join(",", parts);
    }

    private static Column Count(string name, string description, string field) =>
        new(name, "integer", string.Empty, description, 0, (o, _) => JsonValue.Create(JsonUtil.GetInt64(o, "status", field) ?? 0));

    private static JsonNode? Age(JsonObject obj, DateTimeOffset now) =>
        JsonUtil.TryParseTime(JsonUtil.GetString(obj, "metadata", "creationTimestamp"), out var created)
            ? HumanDuration(now - created)
            : "<unknown>";

    private static JsonNode? CustomCell(JsonPathLite path, string type, JsonObject obj, DateTimeOffset now)
    {
        var results = path.Find(obj);
        if (results.Count == 0)
        {
            return null;
        }

        var value = results[0];
        if (value is null)
        {
            return null;
        }

        switch (type)
        {
            case "string":
                return value is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String ? scalar.GetValue<string>() : value.ToJsonString();
            case "integer":
                return JsonUtil.GetInt64(new JsonObject { ["v"] = value.DeepClone() }, "v") is { } integer ? JsonValue.Create(integer) : null;
            case "number":
                return value is JsonValue number && number.GetValueKind() == JsonValueKind.Number ? JsonValue.Create(number.GetValue<double>()) : null;
            case "boolean":
                return value is JsonValue boolean && boolean.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? JsonValue.Create(boolean.GetValueKind() == JsonValueKind.True) : null;
            case "date":
                if (value is JsonValue date && date.GetValueKind() == JsonValueKind.String)
                {
                    return JsonUtil.TryParseTime(date.GetValue<string>(), out var time) ? HumanDuration(now - time) : "<invalid>";
                }

                return null;
            default:
                return null;
        }
    }

    private static string EventLastSeen(JsonObject ev, DateTimeOffset now)
    {
        var last = JsonUtil.GetString(ev, "lastTimestamp") ?? JsonUtil.GetString(ev, "deprecatedLastTimestamp")
            ?? JsonUtil.GetString(ev, "series", "lastObservedTime") ?? JsonUtil.GetString(ev, "eventTime");
        return JsonUtil.TryParseTime(last, out var time) ? HumanDuration(now - time) : "<unknown>";
    }

    private static string EventObject(JsonObject ev)
    {
        var reference = ev["involvedObject"] ?? ev["regarding"];
        return $"{(JsonUtil.GetString(reference, "kind") ?? string.Empty).ToLowerInvariant()}/{JsonUtil.GetString(reference, "name")}";
    }

    private static string PodReady(JsonObject pod)
    {
        var total = (pod["spec"]?["containers"] as JsonArray)?.Count ?? 0;
        var ready = (pod["status"]?["containerStatuses"] as JsonArray ?? []).Count(s => s?["ready"] is JsonValue v && v.GetValueKind() == JsonValueKind.True);
        return Invariant($"{ready}/{total}");
    }

    private static string PodStatus(JsonObject pod)
    {
        if (pod["metadata"]?["deletionTimestamp"] is not null)
        {
            return "Terminating";
        }

        foreach (var status in (pod["status"]?["containerStatuses"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var waiting = JsonUtil.GetString(status, "state", "waiting", "reason");
            if (!string.IsNullOrEmpty(waiting))
            {
                return waiting;
            }
        }

        return JsonUtil.GetString(pod, "status", "reason") ?? JsonUtil.GetString(pod, "status", "phase") ?? "Unknown";
    }

    private static string PodRestarts(JsonObject pod) =>
        (pod["status"]?["containerStatuses"] as JsonArray ?? []).OfType<JsonObject>().Sum(s => JsonUtil.GetInt64(s, "restartCount") ?? 0).ToString(CultureInfo.InvariantCulture);

    private static string NodeSelector(JsonObject daemonSet)
    {
        if (daemonSet["spec"]?["template"]?["spec"]?["nodeSelector"] is not JsonObject { Count: > 0 } selector)
        {
            return "<none>";
        }

        return string.Join(",", selector.Select(p => $"{p.Key}={JsonUtil.ScalarText(p.Value)}"));
    }
}
