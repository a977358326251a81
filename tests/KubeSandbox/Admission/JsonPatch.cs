using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KubeSandbox.Authorization;
using KubeSandbox.Semantics;

namespace KubeSandbox.Admission;

/// <summary>A patch that cannot be decoded or applied; the message follows evanphx/json-patch, which kube-apiserver uses.</summary>
internal sealed class JsonPatchException(string message) : Exception(message);

/// <summary>RFC 6902 JSON Patch (add, remove, replace, move, copy, test) over System.Text.Json nodes.</summary>
internal sealed class JsonPatch
{
    private readonly IReadOnlyList<JsonObject> operations;

    private JsonPatch(IReadOnlyList<JsonObject> operations) => this.operations = operations;

    public int Count => operations.Count;

    /// <summary>jsonpatch.DecodePatch: the document must be an array of operation objects.</summary>
    public static JsonPatch Decode(ReadOnlySpan<byte> utf8)
    {
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(utf8);
        }
        catch (JsonException e)
        {
            throw new JsonPatchException(e.Message);
        }

        if (document is not JsonArray array)
        {
            throw new JsonPatchException($"json: cannot unmarshal {GoJsonType(document)} into Go value of type jsonpatch.Patch");
        }

        var operations = new List<JsonObject>(array.Count);
        foreach (var item in array)
        {
            if (item is not JsonObject operation)
            {
                throw new JsonPatchException($"json: cannot unmarshal {GoJsonType(item)} into Go value of type jsonpatch.Operation");
            }

            operations.Add(operation);
        }

        return new JsonPatch(operations);
    }

    /// <summary>Applies the operations in order to a copy of <paramref name="document"/>; the input is not modified.</summary>
    public JsonNode? Apply(JsonNode? document)
    {
        var root = new JsonArray(document?.DeepClone());
        foreach (var operation in operations)
        {
            var op = JsonRead.String(operation["op"]) ?? "";
            var path = JsonRead.String(operation["path"]);
            switch (op)
            {
                case "add":
                    Add(root, Required(path, op), ValueOf(operation, op));
                    break;
                case "remove":
                    Remove(root, Required(path, op), op);
                    break;
                case "replace":
                    Replace(root, Required(path, op), ValueOf(operation, op));
                    break;
                case "move":
                {
                    var from = Required(JsonRead.String(operation["from"]), op, "from");
                    var value = Remove(root, from, op);
                    Add(root, Required(path, op), value);
                    break;
                }

                case "copy":
                {
                    var from = Required(JsonRead.String(operation["from"]), op, "from");
                    var (parent, token) = Resolve(root, from, op);
                    if (!TryGet(parent, token, out var value))
                    {
                        throw new JsonPatchException($"copy operation does not apply: doc is missing from path: {from}: missing value");
                    }

                    Add(root, Required(path, op), value?.DeepClone());
                    break;
                }

                case "test":
                {
                    var target = Required(path, op);
                    var expected = ValueOf(operation, op);
                    var (parent, token) = Resolve(root, target, op);
                    if (!TryGet(parent, token, out var actual) || !JsonNode.DeepEquals(actual, expected))
                    {
                        throw new JsonPatchException($"testing value {target} failed: test failed");
                    }

                    break;
                }

                default:
                    throw new JsonPatchException("Unexpected kind: " + op);
            }
        }

        var result = root[0];
        root.RemoveAt(0);
        return result;
    }

    private static string Required(string? value, string op, string member = "path") =>
        value ?? throw new JsonPatchException($"{op} operation missing {member} field");

    private static JsonNode? ValueOf(JsonObject operation, string op) =>
        operation.TryGetPropertyValue("value", out var value)
            ? value?.DeepClone()
            : throw new JsonPatchException($"{op} operation missing value field");

    private static void Add(JsonArray root, string path, JsonNode? value)
    {
        if (path.Length == 0)
        {
            root[0] = value;
            return;
        }

        var (parent, token) = Resolve(root, path, "add");
        switch (parent)
        {
            case JsonObject obj:
                obj[token] = value;
                break;
            case JsonArray array:
                if (token == "-")
                {
                    array.Add(value);
                    break;
                }

                var index = Index(token, array.Count, allowEnd: true, "add", path);
                array.Insert(index, value);
                break;
            default:
                throw new JsonPatchException($"add operation does not apply: doc is missing path: {GoFormat.Quote(path)}: missing value");
        }
    }

    private static JsonNode? Remove(JsonArray root, string path, string op)
    {
        var (parent, token) = Resolve(root, path, op);
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(token):
                var removed = obj[token];
                obj.Remove(token);
                return removed;
            case JsonArray array:
                var index = Index(token, array.Count, allowEnd: false, op, path);
                var item = array[index];
                array.RemoveAt(index);
                return item;
            default:
                throw new JsonPatchException($"{op} operation does not apply: doc is missing path: {GoFormat.Quote(path)}: missing value");
        }
    }

    private static void Replace(JsonArray root, string path, JsonNode? value)
    {
        if (path.Length == 0)
        {
            root[0] = value;
            return;
        }

        var (parent, token) = Resolve(root, path, "replace");
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(token):
                obj[token] = value;
                break;
            case JsonArray array:
                var index = Index(token, array.Count, allowEnd: false, "replace", path);
                array[index] = value;
                break;
            default:
                throw new JsonPatchException($"replace operation does not apply: doc is missing key: {path}: missing value");
        }
    }

    /// <summary>The container holding the pointer's last token (the document itself is element 0 of a holder array).</summary>
    private static (JsonNode? Parent, string Token) Resolve(JsonArray root, string pointer, string op)
    {
        if (pointer.Length == 0)
        {
            return (root, "0");
        }

        if (pointer[0] != '/')
        {
            throw new JsonPatchException($"{op} operation does not apply: doc is missing path: {GoFormat.Quote(pointer)}: missing value");
        }

        var tokens = pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        JsonNode? current = root[0];
        for (var i = 0; i < tokens.Length - 1; i++)
        {
            if (!TryGet(current, tokens[i], out var next) || next is null)
            {
                throw new JsonPatchException($"{op} operation does not apply: doc is missing path: {GoFormat.Quote(pointer)}: missing value");
            }

            current = next;
        }

        return (current, tokens[^1]);
    }

    private static bool TryGet(JsonNode? container, string token, out JsonNode? value)
    {
        value = null;
        switch (container)
        {
            case JsonObject obj:
                return obj.TryGetPropertyValue(token, out value);
            case JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count:
                value = array[index];
                return true;
            default:
                return false;
        }
    }

    private static int Index(string token, int count, bool allowEnd, string op, string path)
    {
        if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index > count || (!allowEnd && index == count))
        {
            throw new JsonPatchException($"{op} operation does not apply: doc is missing path: {GoFormat.Quote(path)}: invalid index referenced: {token}");
        }

        return index;
    }

    private static string GoJsonType(JsonNode? node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        null => "null",
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            _ => "bool",
        },
        _ => "value",
    };
}
