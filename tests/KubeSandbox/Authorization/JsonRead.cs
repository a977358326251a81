using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSandbox.Authorization;

/// <summary>Lenient readers over stored objects: a member of the wrong type reads as absent instead of throwing.</summary>
internal static class JsonRead
{
    public static string? String(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static bool? Boolean(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? value.GetValue<bool>() : null;

    /// <summary>An integer, whether the node was parsed (a JsonElement) or built in code from an int or a long.</summary>
    public static long? Integer(JsonNode? node)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        if (value.TryGetValue<long>(out var number))
        {
            return number;
        }

        if (value.TryGetValue<int>(out var small))
        {
            return small;
        }

        return value.TryGetValue<JsonElement>(out var element) && element.TryGetInt64(out var parsed) ? parsed : null;
    }

    public static JsonObject? Object(JsonNode? node) => node as JsonObject;

    public static IReadOnlyList<string> Strings(JsonNode? node)
    {
        if (node is not JsonArray array)
        {
            return [];
        }

        var result = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (String(item) is { } text)
            {
                result.Add(text);
            }
        }

        return result;
    }

    public static string Name(JsonObject obj) => String(Object(obj["metadata"])?["name"]) ?? "";

    public static string? Namespace(JsonObject obj) => String(Object(obj["metadata"])?["namespace"]);

    public static IReadOnlyDictionary<string, string> Labels(JsonObject? obj)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Object(Object(obj?["metadata"])?["labels"]) is { } map)
        {
            foreach (var (key, value) in map)
            {
                if (String(value) is { } text)
                {
                    labels[key] = text;
                }
            }
        }

        return labels;
    }
}
