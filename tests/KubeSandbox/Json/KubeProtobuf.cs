using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace KubeSandbox.Json;

/// <summary>A protobuf body that is not a Kubernetes protobuf envelope or not well-formed.</summary>
internal sealed class ProtobufFormatException(string message) : Exception(message);

/// <summary>
/// Decodes the Kubernetes protobuf wire format (<c>k8s\0</c> + runtime.Unknown) for the kinds kubectl sends as
/// protobuf: its typed clients (<c>kubectl create clusterrolebinding|rolebinding</c>; and with the kubectl of a v1.24
/// server's skew, 1.25-1.27, also <c>create namespace</c>, <c>create configmap</c> and <c>auth can-i</c>) send
/// protobuf bodies, which kube-apiserver accepts for every built-in kind. Field numbers are those of
/// k8s.io/api/{rbac,core,authorization}/v1 and apimachinery meta/v1 generated.proto.
/// </summary>
internal static class KubeProtobuf
{
    private static readonly byte[] Magic = [0x6b, 0x38, 0x73, 0x00];

    public static bool CanDecode(string kind) => kind is "ClusterRoleBinding" or "RoleBinding" or "Namespace" or "ConfigMap" or "SelfSubjectAccessReview";

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
        switch (kind)
        {
            case "Namespace":
                Namespace(obj, raw);
                break;
            case "ConfigMap":
                ConfigMap(obj, raw);
                break;
            case "SelfSubjectAccessReview":
                SelfSubjectAccessReview(obj, raw);
                break;
            default:
                RoleBinding(obj, raw);
                break;
        }

        return obj;
    }

    /// <summary>Every top-level kind has its ObjectMeta as field 1; the kind's own fields go to <paramref name="member"/>.</summary>
    private static void Members(JsonObject obj, byte[] raw, Action<int, FieldValue> member)
    {
        foreach (var (field, value) in Fields(raw))
        {
            if (field == 1)
            {
                obj["metadata"] = ObjectMeta(value.Bytes!);
            }
            else
            {
                member(field, value);
            }
        }
    }

    // rbac/v1 (Cluster)RoleBinding: subjects 2, roleRef 3.
    private static void RoleBinding(JsonObject obj, byte[] raw)
    {
        var subjects = new JsonArray();
        Members(obj, raw, (field, value) =>
        {
            if (field == 2)
            {
                subjects.Add(Strings(value.Bytes!, (1, "kind"), (2, "apiGroup"), (3, "name"), (4, "namespace")));
            }
            else if (field == 3)
            {
                obj["roleRef"] = Strings(value.Bytes!, (1, "apiGroup"), (2, "kind"), (3, "name"));
            }
        });
        if (subjects.Count > 0)
        {
            obj["subjects"] = subjects;
        }
    }

    // core/v1 Namespace: spec 2 (finalizers 1), status 3 (phase 1).
    private static void Namespace(JsonObject obj, byte[] raw) => Members(obj, raw, (field, value) =>
    {
        if (field == 2)
        {
            var finalizers = new JsonArray(Fields(value.Bytes!).Where(f => f.Field == 1).Select(f => (JsonNode?)JsonValue.Create(f.Value.Text)).ToArray());
            obj["spec"] = finalizers.Count > 0 ? new JsonObject { ["finalizers"] = finalizers } : new JsonObject();
        }
        else if (field == 3)
        {
            obj["status"] = Strings(value.Bytes!, (1, "phase"));
        }
    });

    // core/v1 ConfigMap: data 2 (map<string, string>), binaryData 3 (map<string, bytes>, base64 in JSON), immutable 4.
    private static void ConfigMap(JsonObject obj, byte[] raw) => Members(obj, raw, (field, value) =>
    {
        if (field == 4)
        {
            obj["immutable"] = value.Varint != 0;
            return;
        }

        if (field is not (2 or 3))
        {
            return;
        }

        var name = field == 2 ? "data" : "binaryData";
        var entry = Fields(value.Bytes!);
        var key = entry.Where(f => f.Field == 1).Select(f => f.Value.Text).LastOrDefault() ?? string.Empty;
        var bytes = entry.Where(f => f.Field == 2).Select(f => f.Value.Bytes ?? []).LastOrDefault() ?? [];
        var map = obj[name] as JsonObject ?? new JsonObject();
        map[key] = field == 2 ? Encoding.UTF8.GetString(bytes) : Convert.ToBase64String(bytes);
        obj[name] = map;
    });

    // authorization/v1 SelfSubjectAccessReview: spec 2 (resourceAttributes 1, nonResourceAttributes 2).
    private static void SelfSubjectAccessReview(JsonObject obj, byte[] raw) => Members(obj, raw, (field, value) =>
    {
        if (field != 2)
        {
            return;
        }

        var spec = new JsonObject();
        foreach (var (specField, attributes) in Fields(value.Bytes!))
        {
            if (specField == 1)
            {
                spec["resourceAttributes"] = Strings(attributes.Bytes!, (1, "namespace"), (2, "verb"), (3, "group"), (4, "version"), (5, "resource"), (6, "subresource"), (7, "name"));
            }
            else if (specField == 2)
            {
                spec["nonResourceAttributes"] = Strings(attributes.Bytes!, (1, "path"), (2, "verb"));
            }
        }

        obj["spec"] = spec;
    });

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
