using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>A container image reference split the way the container runtime reads it.</summary>
public sealed record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public static ImageReference Parse(string image)
    {
        var rest = image.Trim();
        string? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
        }

        string? tag = null;
        var lastSlash = rest.LastIndexOf('/');
        var lastColon = rest.LastIndexOf(':');
        if (lastColon > lastSlash)
        {
            tag = rest[(lastColon + 1)..];
            rest = rest[..lastColon];
        }

        var firstSlash = rest.IndexOf('/', StringComparison.Ordinal);
        if (firstSlash > 0)
        {
            var first = rest[..firstSlash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost")
            {
                return new ImageReference(first, rest[(firstSlash + 1)..], tag, digest);
            }
        }

        // No registry host: Docker Hub, as the container runtime resolves it.
        return new ImageReference("docker.io", rest, tag, digest);
    }
}

/// <summary>Small readers over KubernetesClient's models.</summary>
internal static class KubeObjects
{
    public static IDictionary<string, string> Labels(V1ObjectMeta? metadata) =>
        metadata?.Labels ?? new Dictionary<string, string>();

    /// <summary>metav1.LabelSelector semantics: null or empty selects everything.</summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return true;
        }

        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        foreach (var requirement in selector.MatchExpressions ?? [])
        {
            var has = labels.TryGetValue(requirement.Key, out var actual);
            var values = requirement.Values ?? [];
            var ok = requirement.OperatorProperty switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    public static string DescribeSelector(V1LabelSelector? selector)
    {
        if (selector is null || ((selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0))
        {
            return "{}";
        }

        var parts = new List<string>();
        parts.AddRange((selector.MatchLabels ?? new Dictionary<string, string>()).Select(kv => $"{kv.Key}={kv.Value}"));
        parts.AddRange((selector.MatchExpressions ?? []).Select(e => $"{e.Key} {e.OperatorProperty} ({string.Join(",", e.Values ?? [])})"));
        return string.Join(",", parts);
    }

    public static V1PodCondition? Condition(V1Pod pod, string type) =>
        pod.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    public static bool IsReady(V1Pod pod) => Condition(pod, "Ready")?.Status == "True";

    public static V1Container? AgentContainer(V1DaemonSet? daemonSet)
    {
        var containers = daemonSet?.Spec?.Template?.Spec?.Containers;
        return containers?.FirstOrDefault(c => c.Name == Catalog.AgentContainerName) ?? containers?.FirstOrDefault();
    }

    public static DateTimeOffset? Time(DateTime? time) =>
        time is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
}

/// <summary>One field a manager owns, from <c>metadata.managedFields[].fieldsV1</c>.</summary>
/// <param name="Path">The path as kube-apiserver prints it, e.g. <c>.spec.template.spec.containers[name="aws-guardduty-agent"].image</c>.</param>
/// <param name="IsElement">The entry is a list element or map itself (the "." marker), not a leaf field.</param>
internal sealed record OwnedField(string Path, bool IsElement);

/// <summary>Reads the FieldsV1 trie (<c>f:</c> fields, <c>k:</c> keyed list elements, <c>v:</c> set values, <c>i:</c> indexes).</summary>
internal static class ManagedFields
{
    public static IReadOnlyList<OwnedField> Flatten(object? fieldsV1)
    {
        var root = fieldsV1 switch
        {
            JsonNode node => node,
            JsonElement element => JsonNode.Parse(element.GetRawText()),
            string text => SafeParse(text),
            _ => null,
        };
        var result = new List<OwnedField>();
        if (root is JsonObject obj)
        {
            Walk(obj, "", result);
        }

        return result;
    }

    private static JsonNode? SafeParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Walk(JsonObject node, string path, List<OwnedField> result)
    {
        foreach (var (key, child) in node)
        {
            if (key == ".")
            {
                result.Add(new OwnedField(path, IsElement: true));
                continue;
            }

            var childPath = path + Segment(key);
            if (child is JsonObject { Count: > 0 } nested)
            {
                Walk(nested, childPath, result);
            }
            else
            {
                result.Add(new OwnedField(childPath, IsElement: false));
            }
        }
    }

    private static string Segment(string key)
    {
        if (key.Length < 2 || key[1] != ':')
        {
            return "." + key;
        }

        var body = key[2..];
        return key[0] switch
        {
            'f' => "." + body,
            'i' => "[" + body + "]",
            'v' => "[=" + body + "]",
            'k' => "[" + KeyFields(body) + "]",
            _ => "." + key,
        };
    }

    /// <summary><c>{"name":"x","port":80}</c> becomes <c>name="x",port=80</c>, as the apiserver prints conflicts.</summary>
    private static string KeyFields(string json)
    {
        if (SafeParse(json) is not JsonObject keys)
        {
            return json;
        }

        var builder = new StringBuilder();
        foreach (var (name, value) in keys)
        {
            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(name).Append('=');
            builder.Append(value is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? "\"" + v.GetValue<string>() + "\""
                : value?.ToJsonString() ?? "null");
        }

        return builder.ToString();
    }

    public static string FormatTime(DateTime? time) =>
        time is { } t ? DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "unknown time";
}
