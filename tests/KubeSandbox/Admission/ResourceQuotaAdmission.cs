using System.Text.Json.Nodes;
using KubeSandbox.Json;
using KubeSandbox.Semantics;

namespace KubeSandbox.Admission;

/// <summary>The result of quota admission: refused with a message, or allowed with the quotas whose usage grows.</summary>
public sealed record QuotaDecision(string? Denial, IReadOnlyList<(JsonObject Quota, JsonObject NewUsed)> Charged)
{
    public bool Allowed => Denial is null;
}

/// <summary>
/// The ResourceQuota admission plugin (plugin/pkg/admission/resourcequota, v1.24), the last validating plugin. It
/// reads each quota's <c>status</c> (which the quota controller writes; a quota without status blocks nothing,
/// k8s-golden 104), checks the pod's compute usage (<c>pods</c>, <c>requests.*</c>/<c>cpu</c>/<c>memory</c>,
/// <c>limits.*</c>) and object counts (<c>count/&lt;resource&gt;[.&lt;group&gt;]</c>, <c>configmaps</c>, ...) against
/// <c>status.hard</c> and <c>status.used</c>, refuses with the plugin's words (<c>exceeded quota: q, requested: ...,
/// used: ..., limited: ...</c>, 106; <c>failed quota: q: must specify limits.memory</c>) and otherwise charges the
/// usage to <c>status.used</c>, as the plugin does before the object is stored.
/// </summary>
public static class ResourceQuotaAdmission
{
    private static readonly HashSet<string> ComputeValidation = new(StringComparer.Ordinal)
    {
        "cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory",
    };

    /// <summary>Legacy object-count names of core resources (besides <c>count/&lt;resource&gt;</c>).</summary>
    private static readonly HashSet<string> LegacyCounts = new(StringComparer.Ordinal)
    {
        "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims",
    };

    /// <summary>Decides one create of <paramref name="obj"/> (a <paramref name="resource"/>) against the namespace's quotas.</summary>
    public static QuotaDecision Evaluate(ResourceInfo resource, JsonObject obj, IReadOnlyList<JsonObject> quotas)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(quotas);
        var isPod = resource.Group.Length == 0 && resource.Resource == "pods";
        var usage = Usage(resource, obj, isPod);
        var interesting = new List<(JsonObject Quota, Dictionary<string, Quantity> Hard, Dictionary<string, Quantity> Used)>();
        foreach (var quota in quotas.OrderBy(q => JsonUtil.GetString(q, "metadata", "name"), StringComparer.Ordinal))
        {
            if (isPod && !MatchesScopes(quota, obj))
            {
                continue;
            }

            var name = JsonUtil.GetString(quota, "metadata", "name") ?? string.Empty;
            var hard = ToDictionary(quota["status"]?["hard"] as JsonObject);
            var used = ToDictionary(quota["status"]?["used"] as JsonObject);
            var restricted = hard.Keys.Where(k => Matches(k, resource, isPod)).Order(StringComparer.Ordinal).ToList();
            if (isPod && Constraints(restricted, obj) is { } missing)
            {
                return new QuotaDecision($"failed quota: {name}: {missing}", []);
            }

            if (restricted.Any(r => !used.ContainsKey(r)))
            {
                return new QuotaDecision($"status unknown for quota: {name}, resources: {string.Join(",", restricted)}", []);
            }

            if (restricted.Count > 0)
            {
                interesting.Add((quota, hard, used));
            }
        }

        var delta = usage.Where(u => !u.Value.IsZero).ToDictionary(u => u.Key, u => u.Value, StringComparer.Ordinal);
        if (interesting.Count == 0 || delta.Count == 0)
        {
            return new QuotaDecision(null, []);
        }

        var charged = new List<(JsonObject, JsonObject)>();
        foreach (var (quota, hard, used) in interesting)
        {
            var requested = delta.Where(d => hard.ContainsKey(d.Key)).ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal);
            var newUsed = new Dictionary<string, Quantity>(used, StringComparer.Ordinal);
            foreach (var (name, value) in requested)
            {
                newUsed[name] = newUsed.TryGetValue(name, out var current) ? current.Add(value) : value;
            }

            var exceeded = requested.Keys.Where(k => newUsed[k].CompareTo(hard[k]) > 0).Order(StringComparer.Ordinal).ToList();
            if (exceeded.Count > 0)
            {
                var name = JsonUtil.GetString(quota, "metadata", "name");
                return new QuotaDecision(
                    $"exceeded quota: {name}, requested: {Pretty(requested, exceeded)}, used: {Pretty(used, exceeded)}, limited: {Pretty(hard, exceeded)}",
                    []);
            }

            if (requested.Count > 0)
            {
                var usedJson = new JsonObject();
                foreach (var (name, value) in newUsed.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    usedJson[name] = value.ToString();
                }

                charged.Add((quota, usedJson));
            }
        }

        return new QuotaDecision(null, charged);
    }

    /// <summary>What one object adds to quota usage: its object count, and for pods their compute resources.</summary>
    public static Dictionary<string, Quantity> Usage(ResourceInfo resource, JsonObject obj, bool isPod)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(obj);
        var one = Quantity.Parse("1");
        var usage = new Dictionary<string, Quantity>(StringComparer.Ordinal)
        {
            [CountName(resource)] = one,
        };
        if (resource.Group.Length == 0 && LegacyCounts.Contains(resource.Resource))
        {
            usage[resource.Resource] = one;
        }

        if (!isPod)
        {
            return usage;
        }

        var phase = JsonUtil.GetString(obj, "status", "phase");
        if (phase is "Succeeded" or "Failed")
        {
            return [];
        }

        var spec = obj["spec"] as JsonObject ?? [];
        var requests = PodResources(spec, "requests");
        var limits = PodResources(spec, "limits");
        foreach (var (name, value) in requests)
        {
            usage["requests." + name] = value;
            if (name is "cpu" or "memory" or "ephemeral-storage")
            {
                usage[name] = value;
            }
        }

        foreach (var (name, value) in limits)
        {
            if (name is "cpu" or "memory" or "ephemeral-storage")
            {
                usage["limits." + name] = value;
            }
        }

        return usage;
    }

    private static string CountName(ResourceInfo resource) =>
        resource.Group.Length == 0 ? "count/" + resource.Resource : $"count/{resource.Resource}.{resource.Group}";

    private static bool Matches(string quotaResource, ResourceInfo resource, bool isPod)
    {
        if (quotaResource == CountName(resource) || (resource.Group.Length == 0 && quotaResource == resource.Resource && LegacyCounts.Contains(quotaResource)))
        {
            return true;
        }

        return isPod && (quotaResource is "cpu" or "memory" or "ephemeral-storage" || quotaResource.StartsWith("requests.", StringComparison.Ordinal) || quotaResource.StartsWith("limits.", StringComparison.Ordinal));
    }

    /// <summary>Quotas on cpu or memory require every container to state them (the evaluator's backward-compatible rule).</summary>
    private static string? Constraints(List<string> restricted, JsonObject pod)
    {
        var required = restricted.Where(ComputeValidation.Contains).ToHashSet(StringComparer.Ordinal);
        if (required.Count == 0)
        {
            return null;
        }

        var missing = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in new[] { "containers", "initContainers" }.SelectMany(l => (pod["spec"]?[l] as JsonArray ?? []).OfType<JsonObject>()))
        {
            var containerSet = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, _) in LimitRanger.Quantities(container["resources"]?["requests"] as JsonObject))
            {
                if (name is "cpu" or "memory")
                {
                    containerSet.Add(name);
                    containerSet.Add("requests." + name);
                }
            }

            foreach (var (name, _) in LimitRanger.Quantities(container["resources"]?["limits"] as JsonObject))
            {
                if (name is "cpu" or "memory")
                {
                    containerSet.Add("limits." + name);
                }
            }

            missing.UnionWith(required.Where(r => !containerSet.Contains(r)));
        }

        return missing.Count == 0 ? null : "must specify " + string.Join(",", missing);
    }

    /// <summary>The scopes a quota is limited to (<c>spec.scopes</c>, <c>spec.scopeSelector</c>): BestEffort, Terminating, PriorityClass.</summary>
    private static bool MatchesScopes(JsonObject quota, JsonObject pod)
    {
        var scopes = (quota["spec"]?["scopes"] as JsonArray ?? []).Select(s => (Scope: s?.GetValue<string>() ?? string.Empty, Operator: "Exists", Values: (IReadOnlyList<string>)[])).ToList();
        foreach (var expression in (quota["spec"]?["scopeSelector"]?["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            scopes.Add((
                JsonUtil.GetString(expression, "scopeName") ?? string.Empty,
                JsonUtil.GetString(expression, "operator") ?? "In",
                [.. (expression["values"] as JsonArray ?? []).Select(v => v?.GetValue<string>() ?? string.Empty)]));
        }

        var spec = pod["spec"] as JsonObject ?? [];
        var bestEffort = PodResources(spec, "requests").Count == 0 && PodResources(spec, "limits").Count == 0;
        var terminating = spec["activeDeadlineSeconds"] is not null;
        var priorityClass = JsonUtil.GetString(spec, "priorityClassName") ?? string.Empty;
        foreach (var (scope, op, values) in scopes)
        {
            var matches = scope switch
            {
                "BestEffort" => bestEffort,
                "NotBestEffort" => !bestEffort,
                "Terminating" => terminating,
                "NotTerminating" => !terminating,
                "PriorityClass" => op switch
                {
                    "In" => values.Contains(priorityClass),
                    "NotIn" => !values.Contains(priorityClass),
                    "Exists" => priorityClass.Length > 0,
                    "DoesNotExist" => priorityClass.Length == 0,
                    _ => false,
                },
                _ => true,
            };
            if (!matches)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A pod's requests or limits: the containers' sum, or an init container's if larger, plus overhead.</summary>
    private static Dictionary<string, Quantity> PodResources(JsonObject spec, string field)
    {
        var sum = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        foreach (var container in (spec["containers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var (name, value) in LimitRanger.Quantities(container["resources"]?[field] as JsonObject))
            {
                sum[name] = sum.TryGetValue(name, out var total) ? total.Add(value) : value;
            }
        }

        foreach (var init in (spec["initContainers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var (name, value) in LimitRanger.Quantities(init["resources"]?[field] as JsonObject))
            {
                if (!sum.TryGetValue(name, out var current) || value.CompareTo(current) > 0)
                {
                    sum[name] = value;
                }
            }
        }

        foreach (var (name, value) in LimitRanger.Quantities(spec["overhead"] as JsonObject))
        {
            if (sum.TryGetValue(name, out var current))
            {
                sum[name] = current.Add(value);
            }
        }

        return sum;
    }

    private static Dictionary<string, Quantity> ToDictionary(JsonObject? list) =>
        LimitRanger.Quantities(list).ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);

    private static string Pretty(Dictionary<string, Quantity> values, List<string> names) =>
        string.Join(",", names.Where(values.ContainsKey).Select(n => $"{n}={values[n]}"));
}
