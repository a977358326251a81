using System.Text.Json.Nodes;
using KubeSandbox.Json;
using KubeSandbox.Semantics;

namespace KubeSandbox.Admission;

/// <summary>
/// The LimitRanger admission plugin for pods (plugin/pkg/admission/limitranger, v1.24), over the LimitRanges of the
/// pod's namespace. Mutating, on create: containers without a limit or request get the <c>Container</c> item's
/// <c>default</c> / <c>defaultRequest</c>, recorded in the <c>kubernetes.io/limit-ranger</c> annotation. Validating:
/// <c>min</c>, <c>max</c> and <c>maxLimitRequestRatio</c> per Container and per Pod, refused with 403 and the
/// plugin's words (<c>maximum memory usage per Container is 512Mi, but limit is 1Gi</c>, k8s-golden 108).
/// </summary>
public static class LimitRanger
{
    public const string Annotation = "kubernetes.io/limit-ranger";

    /// <summary>Applies the defaults of <paramref name="limitRanges"/> to a pod in place; true when something was set.</summary>
    public static bool Default(JsonObject pod, IReadOnlyList<JsonObject> limitRanges)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(limitRanges);
        var annotations = new List<string>();
        foreach (var item in Items(limitRanges, "Container"))
        {
            var defaults = item["default"] as JsonObject ?? [];
            var defaultRequests = item["defaultRequest"] as JsonObject ?? [];
            foreach (var (list, prefix) in new[] { ("initContainers", "init container"), ("containers", "container") })
            {
                foreach (var container in (pod["spec"]?[list] as JsonArray ?? []).OfType<JsonObject>())
                {
                    var resources = Child(container, "resources");
                    var setLimits = Merge(resources, "limits", defaults);
                    var setRequests = Merge(resources, "requests", defaultRequests);
                    var name = JsonUtil.GetString(container, "name");
                    if (setRequests.Count > 0)
                    {
                        annotations.Add($"{string.Join(", ", setRequests)} request for {prefix} {name}");
                    }

                    if (setLimits.Count > 0)
                    {
                        annotations.Add($"{string.Join(", ", setLimits)} limit for {prefix} {name}");
                    }
                }
            }
        }

        if (annotations.Count == 0)
        {
            return false;
        }

        Child(Child(pod, "metadata"), "annotations")[Annotation] = "LimitRanger plugin set: " + string.Join("; ", annotations);
        return true;
    }

    /// <summary>The constraint violations of a pod, in the plugin's order and words; empty when it fits.</summary>
    public static IReadOnlyList<string> Validate(JsonObject pod, IReadOnlyList<JsonObject> limitRanges)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(limitRanges);
        var errors = new List<string>();
        var spec = pod["spec"] as JsonObject ?? [];
        var containers = (spec["containers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var initContainers = (spec["initContainers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var limitRange in limitRanges)
        {
            foreach (var item in (limitRange["spec"]?["limits"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var type = JsonUtil.GetString(item, "type");
                if (type == "Container")
                {
                    foreach (var container in containers.Concat(initContainers))
                    {
                        Check(item, type, Resources(container, "requests"), Resources(container, "limits"), errors);
                    }
                }
                else if (type == "Pod")
                {
                    var requests = Sum(containers, "requests");
                    var limits = Sum(containers, "limits");
                    foreach (var init in initContainers)
                    {
                        Max(requests, Resources(init, "requests"));
                        Max(limits, Resources(init, "limits"));
                    }

                    Check(item, type, requests, limits, errors);
                }
            }
        }

        return errors;
    }

    /// <summary>The message of the plugin's aggregated error: one error as is, several in brackets.</summary>
    public static string Aggregate(IReadOnlyList<string> errors) =>
        errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]";

    private static void Check(JsonObject item, string type, Dictionary<string, Quantity> requests, Dictionary<string, Quantity> limits, List<string> errors)
    {
        foreach (var (resource, value) in Quantities(item["min"] as JsonObject))
        {
            var hasRequest = requests.TryGetValue(resource, out var request);
            var hasLimit = limits.TryGetValue(resource, out var limit);
            if (!hasRequest)
            {
                errors.Add($"minimum {resource} usage per {type} is {value}.  No request is specified");
            }
            else if (request!.CompareTo(value) < 0)
            {
                errors.Add($"minimum {resource} usage per {type} is {value}, but request is {request}");
            }
            else if (hasLimit && limit!.CompareTo(value) < 0)
            {
                errors.Add($"minimum {resource} usage per {type} is {value}, but limit is {limit}");
            }
        }

        foreach (var (resource, value) in Quantities(item["max"] as JsonObject))
        {
            var hasRequest = requests.TryGetValue(resource, out var request);
            var hasLimit = limits.TryGetValue(resource, out var limit);
            if (!hasLimit)
            {
                errors.Add($"maximum {resource} usage per {type} is {value}.  No limit is specified");
            }
            else if (limit!.CompareTo(value) > 0)
            {
                errors.Add($"maximum {resource} usage per {type} is {value}, but limit is {limit}");
            }
            else if (hasRequest && request!.CompareTo(value) > 0)
            {
                errors.Add($"maximum {resource} usage per {type} is {value}, but request is {request}");
            }
        }

        foreach (var (resource, value) in Quantities(item["maxLimitRequestRatio"] as JsonObject))
        {
            var request = requests.GetValueOrDefault(resource);
            var limit = limits.GetValueOrDefault(resource);
            if (request is null || request.IsZero)
            {
                errors.Add($"{resource} max limit to request ratio per {type} is {value}, but no request is specified or request is 0");
            }
            else if (limit is null || limit.IsZero)
            {
                errors.Add($"{resource} max limit to request ratio per {type} is {value}, but no limit is specified or limit is 0");
            }
            else
            {
                var ratio = (double)limit.MilliValue() / request.MilliValue();
                if (ratio * 1000 > value.MilliValue())
                {
                    errors.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{resource} max limit to request ratio per {type} is {value}, but provided ratio is {ratio:F6}"));
                }
            }
        }
    }

    private static IEnumerable<JsonObject> Items(IReadOnlyList<JsonObject> limitRanges, string type) =>
        limitRanges.SelectMany(lr => (lr["spec"]?["limits"] as JsonArray ?? []).OfType<JsonObject>()).Where(i => JsonUtil.GetString(i, "type") == type);

    /// <summary>Copies defaults the container lacks into resources[field]; returns the names set, sorted.</summary>
    private static List<string> Merge(JsonObject resources, string field, JsonObject defaults)
    {
        var set = new List<string>();
        if (defaults.Count == 0)
        {
            return set;
        }

        var target = resources[field] as JsonObject;
        foreach (var (name, value) in defaults)
        {
            if (target?.ContainsKey(name) == true)
            {
                continue;
            }

            if (target is null)
            {
                target = [];
                resources[field] = target;
            }

            target[name] = value?.DeepClone();
            set.Add(name);
        }

        set.Sort(StringComparer.Ordinal);
        return set;
    }

    private static Dictionary<string, Quantity> Resources(JsonObject container, string field) =>
        Quantities(container["resources"]?[field] as JsonObject).ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);

    private static Dictionary<string, Quantity> Sum(List<JsonObject> containers, string field)
    {
        var sum = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            foreach (var (name, value) in Resources(container, field))
            {
                sum[name] = sum.TryGetValue(name, out var total) ? total.Add(value) : value;
            }
        }

        return sum;
    }

    private static void Max(Dictionary<string, Quantity> into, Dictionary<string, Quantity> other)
    {
        foreach (var (name, value) in other)
        {
            if (!into.TryGetValue(name, out var current) || value.CompareTo(current) > 0)
            {
                into[name] = value;
            }
        }
    }

    internal static IEnumerable<(string Name, Quantity Value)> Quantities(JsonObject? list)
    {
        foreach (var (name, value) in list ?? [])
        {
            var text = value is JsonValue scalar && scalar.TryGetValue<string>(out var s) ? s : value?.ToJsonString();
            if (Quantity.TryParse(text, out var quantity))
            {
                yield return (name, quantity);
            }
        }
    }

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
