using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace KubeSandbox.Json;

/// <summary>A protobuf body that is not a Kubernetes protobuf envelope or not well-formed.</summary>
internal sealed class ProtobufFormatException(string message) : Exception(message);

/// <summary>
/// Decodes the Kubernetes protobuf wire format (<c>k8s\0</c> + runtime.Unknown) for the kinds kubectl sends as
/// protobuf: <c>kubectl create clusterrolebinding|rolebinding</c> use a typed client with protobuf bodies.
/// Field numbers are those of k8s.io/api/rbac/v1 and apimachinery meta/v1 generated.proto.
/// </summary>
internal static class KubeProtobuf
{
    private static readonly byte[] Magic = [0x6b, 0x38, 0x73, 0x00];

    public static bool CanDecode(string kind) => kind is "ClusterRoleBinding" or "RoleBinding";

    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (body.Length < Magic.Length || !body[..Magic.Length].SequenceEqual(Magic))
        {
            throw new ProtobufFormatException("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        }

        string? apiVersion = null;
        string? kind = null;
        byte[]? raw = null;
        foreach (var (field, value) in Fields(body[Magic.Length..].ToArray()))
        {
            switch (field)
            {
                case 1:
                    foreach (var (typeField, typeValue) in Fields(value.Bytes!))
                    {
                        if (typeField == 1)
                        {
                            apiVersion = typeValue.Text;
                        }
                        else if (typeField == 2)
                        {
                            kind = typeValue.Text;
                        }
                    }

                    break;
                case 2:
                    raw = value.Bytes;
                    break;
            }
        }

        if (kind is null || raw is null || !CanDecode(kind))
        {
            throw new ProtobufFormatException($"protobuf bodies of kind \"{kind}\" are not supported by the sandbox");
        }

        var obj = new JsonObject { ["kind"] = kind, ["apiVersion"] = apiVersion };
        var subjects = new JsonArray();
        foreach (var (field, value) in Fields(raw))
        {
            switch (field)
            {
                case 1:
                    obj["metadata"] = ObjectMeta(value.Bytes!);
                    break;
                case 2:
                    subjects.Add(Strings(value.Bytes!, (1, "kind"), (2, "apiGroup"), (3, "name"), (4, "namespace")));
                    break;
                case 3:
                    obj["roleRef"] = Strings(value.Bytes!, (1, "apiGroup"), (2, "kind"), (3, "name"));
                    break;
            }
        }

        if (subjects.Count > 0)
        {
            obj["subjects"] = subjects;
        }

        return obj;
    }

    private static JsonObject ObjectMeta(byte[] bytes)
    {
        var metadata = new JsonObject();
        var finalizers = new JsonArray();
        foreach (var (field, value) in Fields(bytes))
        {
            switch (field)
            {
                case 1:
                    metadata["name"] = value.Text;
                    break;
                case 2:
                    metadata["generateName"] = value.Text;
                    break;
                case 3:
                    metadata["namespace"] = value.Text;
                    break;
                case 5:
                    metadata["uid"] = value.Text;
                    break;
                case 6:
                    metadata["resourceVersion"] = value.Text;
                    break;
                case 11 or 12:
                    var map = metadata[field == 11 ? "labels" : "annotations"] as JsonObject ?? new JsonObject();
                    var entry = Strings(value.Bytes!, (1, "key"), (2, "value"));
                    map[(string?)entry["key"] ?? string.Empty] = (string?)entry["value"] ?? string.Empty;
                    metadata[field == 11 ? "labels" : "annotations"] = map;
                    break;
                case 14:
                    finalizers.Add(value.Text);
                    break;
            }
        }

        if (finalizers.Count > 0)
        {
            metadata["finalizers"] = finalizers;
        }

        // Empty strings are how proto2 optional strings arrive when set to ""; JSON omits them.
        foreach (var key in metadata.Where(p => p.Value is JsonValue v && v.TryGetValue<string>(out var s) && s.Length == 0).Select(p => p.Key).ToList())
        {
            metadata.Remove(key);
        }

        return metadata;
    }

    private static JsonObject Strings(byte[] bytes, params (int Field, string Name)[] names)
    {
        var obj = new JsonObject();
        foreach (var (field, value) in Fields(bytes))
        {
            foreach (var (number, name) in names)
            {
                if (number == field && value.Bytes is { Length: > 0 })
                {
                    obj[name] = value.Text;
                }
            }
        }

        return obj;
    }

    private readonly record struct FieldValue(ulong Varint, byte[]? Bytes)
    {
        public string Text => Bytes is null ? Varint.ToString(CultureInfo.InvariantCulture) : Encoding.UTF8.GetString(Bytes);
    }

    private static List<(int Field, FieldValue Value)> Fields(byte[] bytes)
    {
        var fields = new List<(int, FieldValue)>();
        var position = 0;
        while (position < bytes.Length)
        {
            var key = ReadVarint(bytes, ref position);
            var field = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    fields.Add((field, new FieldValue(ReadVarint(bytes, ref position), null)));
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(bytes, ref position);
                    if (length < 0 || position + length > bytes.Length)
                    {
                        throw new ProtobufFormatException("truncated protobuf message");
                    }

                    fields.Add((field, new FieldValue(0, bytes[position..(position + length)])));
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new ProtobufFormatException($"unsupported protobuf wire type {key & 7}");
            }
        }

        if (position > bytes.Length)
        {
            throw new ProtobufFormatException("truncated protobuf message");
        }

        return fields;
    }

    private static ulong ReadVarint(byte[] bytes, ref int position)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= bytes.Length)
            {
                throw new ProtobufFormatException("truncated protobuf varint");
            }

            var b = bytes[position++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new ProtobufFormatException("protobuf varint too long");
    }
}
