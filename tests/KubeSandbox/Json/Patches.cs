using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSandbox.Json;

/// <summary>A JSON patch (RFC 6902) that cannot be decoded: the server answers 400.</summary>
internal sealed class PatchFormatException(string message) : Exception(message);

/// <summary>A JSON patch operation that does not apply (failed <c>test</c>, missing path): the server answers 422.</summary>
internal sealed class PatchApplyException(string message) : Exception(message);

/// <summary>JSON patch (RFC 6902), for <c>application/json-patch+json</c>; merge patches are <see cref="JsonMergePatch"/>.</summary>
internal static class Patches
{
    /// <summary>RFC 6902 JSON patch.</summary>
    public static JsonNode? JsonPatch(JsonNode? document, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
        {
            throw new PatchFormatException("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        }

        var root = new JsonObject { ["doc"] = document?.DeepClone() };
        foreach (var item in operations)
        {
            if (item is not JsonObject operation)
            {
                throw new PatchFormatException("json: cannot unmarshal into Go value of type jsonpatch.Operation");
            }

            var op = JsonUtil.GetString(operation, "op") ?? throw new PatchFormatException("Unexpected kind: unknown");
            var path = JsonUtil.GetString(operation, "path") ?? throw new PatchApplyException($"operation missing path: {op}");
            switch (op)
            {
                case "add":
                    Add(root, path, Value(operation));
                    break;
                case "remove":
                    Remove(root, path);
                    break;
                case "replace":
                    Remove(root, path, $"replace operation does not apply: doc is missing key: {path}");
                    Add(root, path, Value(operation));
                    break;
                case "move":
                    var from = JsonUtil.GetString(operation, "from") ?? throw new PatchApplyException("move operation missing from");
                    var moved = Remove(root, from);
                    Add(root, path, moved);
                    break;
                case "copy":
                    var source = JsonUtil.GetString(operation, "from") ?? throw new PatchApplyException("copy operation missing from");
                    Add(root, path, Get(root, source)?.DeepClone());
                    break;
                case "test":
                    var actual = Get(root, path);
                    if (!JsonNode.DeepEquals(actual, operation["value"]))
                    {
                        throw new PatchApplyException($"testing value {path} failed: test failed");
                    }

                    break;
                default:
                    throw new PatchFormatException($"Unexpected kind: {op}");
            }
        }

        var result = root["doc"];
        root.Remove("doc");
        return result;
    }

    private static JsonNode? Value(JsonObject operation) =>
        operation.TryGetPropertyValue("value", out var value) ? value?.DeepClone() : throw new PatchApplyException("missing value");

    private static List<string> Tokens(string path)
    {
        if (path.Length == 0)
        {
            return [];
        }

        if (path[0] != '/')
        {
            throw new PatchApplyException($"invalid path: {path}");
        }

        return path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
    }

    private static (JsonNode Parent, string Token) Parent(JsonObject root, string path)
    {
        var tokens = Tokens(path);
        JsonNode? current = root;
        var token = "doc";
        foreach (var next in tokens)
        {
            current = Child(current, token) ?? throw new PatchApplyException($"doc is missing path: {path}");
            token = next;
        }

        return (current!, token);
    }

    private static JsonNode? Child(JsonNode? node, string token) => node switch
    {
        JsonObject obj => obj.TryGetPropertyValue(token, out var value) ? value : null,
        JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count => array[index],
        _ => null,
    };

    private static JsonNode? Get(JsonObject root, string path)
    {
        var (parent, token) = Parent(root, path);
        return parent switch
        {
            JsonObject obj when obj.TryGetPropertyValue(token, out var value) => value,
            JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count => array[index],
            _ => throw new PatchApplyException($"doc is missing path: {path}"),
        };
    }

    private static void Add(JsonObject root, string path, JsonNode? value)
    {
        var (parent, token) = Parent(root, path);
        switch (parent)
        {
            case JsonObject obj:
                obj[token] = value;
                break;
            case JsonArray array when token == "-":
                array.Add(value);
                break;
            case JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index <= array.Count:
                array.Insert(index, value);
                break;
            default:
                throw new PatchApplyException($"add operation does not apply: doc is missing path: \"{path}\"");
        }
    }

    private static JsonNode? Remove(JsonObject root, string path, string? message = null)
    {
        var (parent, token) = Parent(root, path);
        switch (parent)
        {
            case JsonObject obj when obj.TryGetPropertyValue(token, out var value):
                obj.Remove(token);
                return value;
            case JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count:
                var item = array[index];
                array.RemoveAt(index);
                return item;
            default:
                throw new PatchApplyException(message ?? $"remove operation does not apply: doc is missing path: \"{path}\"");
        }
    }
}
