using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KubeSandbox.Json;

namespace KubeSandbox.Admission;

/// <summary>
/// The mutating admission plugins of kube-apiserver v1.24 that shape a new pod or node before it is stored
/// (k8s-golden 102, 109): ServiceAccount (the account must exist; its token is mounted as a projected
/// <c>kube-api-access-xxxxx</c> volume), Priority (priority and preemption policy from the PriorityClass),
/// DefaultTolerationSeconds (tolerate not-ready/unreachable for 300 s) and TaintNodesByCondition (a new node is
/// <c>node.kubernetes.io/not-ready:NoSchedule</c> until its kubelet reports Ready and the node controller lifts it).
/// Each returns the refusal message (for a 403) or null.
/// </summary>
public static class PodAdmissionPlugins
{
    public const string TokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";
    public const string TokenVolumePrefix = "kube-api-access-";
    public const string NotReadyTaint = "node.kubernetes.io/not-ready";
    public const string UnreachableTaint = "node.kubernetes.io/unreachable";

    /// <summary>utilrand's alphabet: no vowels, no confusable digits.</summary>
    private const string RandomAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>The ServiceAccount plugin: defaults the account to <c>default</c>, requires it to exist, mounts its token.</summary>
    public static string? ServiceAccount(JsonObject pod, string @namespace, IObjectReader cluster)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(cluster);
        if (JsonUtil.GetString(pod, "metadata", "annotations", "kubernetes.io/config.mirror") is not null)
        {
            return null;
        }

        var spec = Child(pod, "spec");
        var name = JsonUtil.GetString(spec, "serviceAccountName");
        if (string.IsNullOrEmpty(name))
        {
            name = "default";
            spec["serviceAccountName"] = name;
        }

        var account = cluster.Get(string.Empty, "serviceaccounts", @namespace, name);
        if (account is null)
        {
            return $"error looking up service account {@namespace}/{name}: serviceaccount {PodSecurityAdmission.GoQuote(name)} not found";
        }

        var automount = Flag(spec, "automountServiceAccountToken") ?? Flag(account, "automountServiceAccountToken") ?? true;
        if (automount)
        {
            MountToken(spec);
        }

        return null;
    }

    /// <summary>The Priority plugin: the class's value and preemption policy; no class means 0 and PreemptLowerPriority.</summary>
    public static string? Priority(JsonObject pod, IObjectReader cluster)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(cluster);
        var spec = Child(pod, "spec");
        var className = JsonUtil.GetString(spec, "priorityClassName");
        long priority;
        string? preemptionPolicy;
        if (string.IsNullOrEmpty(className))
        {
            var globalDefault = cluster.List("scheduling.k8s.io", "priorityclasses")
                .Where(pc => pc["globalDefault"] is JsonValue v && v.TryGetValue<bool>(out var b) && b)
                .OrderBy(pc => JsonUtil.GetInt64(pc, "value") ?? 0)
                .FirstOrDefault();
            if (globalDefault is not null)
            {
                spec["priorityClassName"] = JsonUtil.GetString(globalDefault, "metadata", "name");
            }

            priority = JsonUtil.GetInt64(globalDefault, "value") ?? 0;
            preemptionPolicy = globalDefault is null ? "PreemptLowerPriority" : JsonUtil.GetString(globalDefault, "preemptionPolicy");
        }
        else
        {
            var priorityClass = cluster.Get("scheduling.k8s.io", "priorityclasses", null, className);
            if (priorityClass is null)
            {
                return $"no PriorityClass with name {className} was found";
            }

            priority = JsonUtil.GetInt64(priorityClass, "value") ?? 0;
            preemptionPolicy = JsonUtil.GetString(priorityClass, "preemptionPolicy");
        }

        if (JsonUtil.GetInt64(spec, "priority") is { } given && given != priority)
        {
            return $"the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name";
        }

        spec["priority"] = priority;
        if (preemptionPolicy is not null)
        {
            if (JsonUtil.GetString(spec, "preemptionPolicy") is { } givenPolicy && givenPolicy != preemptionPolicy)
            {
                return $"the string value of PreemptionPolicy ({givenPolicy}) must not be provided in pod spec; priority admission controller computed {preemptionPolicy} from the given PriorityClass name";
            }

            spec["preemptionPolicy"] = preemptionPolicy;
        }

        return null;
    }

    /// <summary>DefaultTolerationSeconds: pods tolerate NoExecute not-ready and unreachable for 300 s unless they say otherwise.</summary>
    public static void DefaultTolerationSeconds(JsonObject pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var spec = Child(pod, "spec");
        var tolerations = spec["tolerations"] as JsonArray;
        foreach (var key in new[] { NotReadyTaint, UnreachableTaint })
        {
            var tolerated = (tolerations ?? []).OfType<JsonObject>().Any(t =>
            {
                var effect = JsonUtil.GetString(t, "effect") ?? string.Empty;
                var tolerationKey = JsonUtil.GetString(t, "key") ?? string.Empty;
                var exists = JsonUtil.GetString(t, "operator") == "Exists";
                return (effect.Length == 0 || effect == "NoExecute") && (tolerationKey == key || (exists && tolerationKey.Length == 0));
            });
            if (tolerated)
            {
                continue;
            }

            if (tolerations is null)
            {
                tolerations = [];
                spec["tolerations"] = tolerations;
            }

            tolerations.Add(new JsonObject
            {
                ["key"] = key,
                ["operator"] = "Exists",
                ["effect"] = "NoExecute",
                ["tolerationSeconds"] = 300,
            });
        }
    }

    /// <summary>TaintNodesByCondition: a new node carries <c>node.kubernetes.io/not-ready:NoSchedule</c> (k8s-golden 109).</summary>
    public static void TaintNewNode(JsonObject node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var spec = Child(node, "spec");
        var taints = spec["taints"] as JsonArray;
        if ((taints ?? []).OfType<JsonObject>().Any(t => JsonUtil.GetString(t, "key") == NotReadyTaint && JsonUtil.GetString(t, "effect") == "NoSchedule"))
        {
            return;
        }

        if (taints is null)
        {
            taints = [];
            spec["taints"] = taints;
        }

        taints.Add(new JsonObject { ["key"] = NotReadyTaint, ["effect"] = "NoSchedule" });
    }

    private static void MountToken(JsonObject spec)
    {
        var volumes = spec["volumes"] as JsonArray;
        var existing = (volumes ?? []).OfType<JsonObject>().Select(v => JsonUtil.GetString(v, "name") ?? string.Empty).FirstOrDefault(n => n.StartsWith(TokenVolumePrefix, StringComparison.Ordinal));
        var volumeName = existing ?? TokenVolumePrefix + RandomString(5);
        var needsVolume = false;
        foreach (var list in new[] { "initContainers", "containers" })
        {
            foreach (var container in (spec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                var mounts = container["volumeMounts"] as JsonArray;
                if ((mounts ?? []).OfType<JsonObject>().Any(m => JsonUtil.GetString(m, "mountPath") == TokenMountPath))
                {
                    continue;
                }

                if (mounts is null)
                {
                    mounts = [];
                    container["volumeMounts"] = mounts;
                }

                mounts.Add(new JsonObject { ["name"] = volumeName, ["readOnly"] = true, ["mountPath"] = TokenMountPath });
                needsVolume = true;
            }
        }

        if (existing is not null || !needsVolume)
        {
            return;
        }

        if (volumes is null)
        {
            volumes = [];
            spec["volumes"] = volumes;
        }

        volumes.Add(JsonNode.Parse($$$"""
            {"name":"{{{volumeName}}}","projected":{"sources":[
              {"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},
              {"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},
              {"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],
             "defaultMode":420}}
            """));
    }

    private static string RandomString(int length) =>
        string.Create(length, 0, (chars, _) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = RandomAlphabet[RandomNumberGenerator.GetInt32(RandomAlphabet.Length)];
            }
        });

    private static bool? Flag(JsonObject obj, string name) =>
        obj[name] is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : null;

    private static JsonObject Child(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject child)
        {
            return child;
        }

        child = [];
        parent[name] = child;
        return child;
    }
}
