using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSandbox.Json;

/// <summary>Small helpers over <see cref="JsonNode"/>: the sandbox keeps every object as an untyped JSON tree.</summary>
internal static class JsonUtil
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public static string Serialize(JsonNode? node) => node is null ? "null" : node.ToJsonString(Compact);

    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            return metadata;
        }

        metadata = new JsonObject();
        obj["metadata"] = metadata;
        return metadata;
    }

    public static string? GetString(JsonNode? node, params string[] path)
    {
        var current = node;
        foreach (var segment in path)
        {
            if (current is not JsonObject obj || !obj.TryGetPropertyValue(segment, out current))
            {
                return null;
            }
        }

        return current is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
    }

    public static long? GetInt64(JsonNode? node, params string[] path)
    {
        var current = node;
        foreach (var segment in path)
        {
            if (current is not JsonObject obj || !obj.TryGetPropertyValue(segment, out current))
            {
                return null;
            }
        }

        if (current is JsonValue value)
        {
            if (value.TryGetValue<long>(out var number))
            {
                return number;
            }

            if (value.TryGetValue<double>(out var real) && Math.Floor(real) == real)
            {
                return (long)real;
            }

            if (value.GetValueKind() == JsonValueKind.Number && long.TryParse(value.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out number))
            {
                return number;
            }
        }

        return null;
    }

    public static JsonObject Clone(JsonObject obj) => (JsonObject)obj.DeepClone();

    /// <summary>Returns a copy whose object keys are sorted ordinally at every level, as Go's encoding of a map is.</summary>
    public static JsonNode? SortKeys(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var sorted = new JsonObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
                {
                    sorted[key] = SortKeys(value);
                }

                return sorted;
            case JsonArray array:
                var copy = new JsonArray();
                foreach (var item in array)
                {
                    copy.Add(SortKeys(item));
                }

                return copy;
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>Returns a copy with the given keys first, in that order, then the others in their current order.</summary>
    public static JsonObject Reorder(JsonObject obj, IReadOnlyList<string> firstKeys)
    {
        var result = new JsonObject();
        foreach (var key in firstKeys)
        {
            if (obj.TryGetPropertyValue(key, out var value))
            {
                result[key] = value?.DeepClone();
            }
        }

        foreach (var (key, value) in obj)
        {
            if (!result.ContainsKey(key))
            {
                result[key] = value?.DeepClone();
            }
        }

        return result;
    }

    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static bool TryParseTime(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    /// <summary>Parses JSON text into an object, or returns the parser's message.</summary>
    public static JsonNode? TryParse(ReadOnlySpan<byte> utf8, out string? error)
    {
        try
        {
            error = null;
            return JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            error = ex.Message;
            return null;
        }
    }

    /// <summary>A stable textual key for a JSON value, used by selectors and JSONPath filters.</summary>
    public static string? ScalarText(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        return value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => value.ToJsonString(),
            _ => null,
        };
    }
}
