using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Json;
using KubeSandbox.Resources;

namespace KubeSandbox.Http;

/// <summary>
/// The OpenAPI endpoints kubectl reads before it writes: <c>/openapi/v3</c> (index of group versions),
/// <c>/openapi/v3/{gv}</c>, and <c>/openapi/v2</c> in JSON or in the gnostic protobuf kubectl asks for.
/// The documents declare no schemas, so kubectl falls back to its compiled-in types (built-ins) or JSON merge patch
/// (custom resources), the same as against a server whose OpenAPI lacks a kind.
/// </summary>
internal sealed class OpenApiDocuments(ResourceRegistry registry, string version)
{
    public (string ContentType, byte[] Body) V2(string accept)
    {
        if (accept.Contains("protobuf", StringComparison.Ordinal))
        {
            return ("application/octet-stream", V2Protobuf());
        }

        var document = new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = version },
            ["paths"] = new JsonObject(),
            ["definitions"] = new JsonObject(),
        };
        return ("application/json", Encoding.UTF8.GetBytes(JsonUtil.Serialize(document)));
    }

    public JsonObject V3Root()
    {
        var paths = new JsonObject();
        foreach (var groupVersion in GroupVersions())
        {
            var path = groupVersion.Contains('/', StringComparison.Ordinal) ? $"apis/{groupVersion}" : $"api/{groupVersion}";
            paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash={Hash(V3Document(path)!)}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    public JsonObject? V3Document(string path)
    {
        var groupVersion = path.StartsWith("apis/", StringComparison.Ordinal) ? path[5..] : path.StartsWith("api/", StringComparison.Ordinal) ? path[4..] : null;
        if (groupVersion is null || !GroupVersions().Contains(groupVersion))
        {
            return null;
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = version },
            ["paths"] = new JsonObject(),
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }

    private HashSet<string> GroupVersions() => registry.All().Select(r => r.ApiVersion).ToHashSet(StringComparer.Ordinal);

    private static string Hash(JsonObject document) =>
        Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(JsonUtil.Serialize(document))));

    /// <summary>gnostic <c>openapi_v2.Document</c>: swagger (1), info (2: title 1, version 2), paths (8), definitions (9).</summary>
    private byte[] V2Protobuf()
    {
        var info = new List<byte>();
        WriteString(info, 1, "Kubernetes");
        WriteString(info, 2, version);
        var document = new List<byte>();
        WriteString(document, 1, "2.0");
        WriteBytes(document, 2, info);
        WriteBytes(document, 8, []);
        WriteBytes(document, 9, []);
        return [.. document];
    }

    private static void WriteString(List<byte> target, int field, string value) => WriteBytes(target, field, Encoding.UTF8.GetBytes(value));

    private static void WriteBytes(List<byte> target, int field, IReadOnlyCollection<byte> value)
    {
        WriteVarint(target, (ulong)((field << 3) | 2));
        WriteVarint(target, (ulong)value.Count);
        target.AddRange(value);
    }

    private static void WriteVarint(List<byte> target, ulong value)
    {
        while (value >= 0x80)
        {
            target.Add((byte)(value | 0x80));
            value >>= 7;
        }

        target.Add((byte)value);
    }
}
