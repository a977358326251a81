using System.Text.Json.Nodes;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>A rendered set of Kubernetes objects (helm template or kubectl kustomize output).</summary>
public sealed class Manifests
{
    private Manifests(IReadOnlyList<JsonObject> objects) => Objects = objects;

    public IReadOnlyList<JsonObject> Objects { get; }

    public static Manifests Parse(string yaml)
    {
        var objects = new List<JsonObject>();
        foreach (var document in YamlJson.ParseAll(yaml))
        {
            var obj = document as JsonObject ?? throw new FormatException($"a rendered document is not an object: {document.ToJsonString()}");
            Assert.False(string.IsNullOrEmpty(Kind(obj)), $"a rendered object has no kind: {obj.ToJsonString()}");
            objects.Add(obj);
        }

        return new Manifests(objects);
    }

    public static string Kind(JsonNode obj) => obj["kind"]?.GetValue<string>() ?? "";

    public static string Name(JsonNode obj) => obj["metadata"]?["name"]?.GetValue<string>() ?? "";

    public static string? Namespace(JsonNode obj) => obj["metadata"]?["namespace"]?.GetValue<string>();

    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => Kind(o) == kind);

    public JsonObject Single(string kind) => Assert.Single(OfKind(kind));

    public JsonObject? Find(string kind, string name, string? ns = null) =>
        Objects.SingleOrDefault(o => Kind(o) == kind && Name(o) == name && (ns is null || Namespace(o) == ns));

    /// <summary>Kind/namespace/name of every object, sorted: the identity of what gets installed.</summary>
    public IReadOnlyList<string> Identities(params string[] exceptKinds) =>
        Objects.Where(o => !exceptKinds.Contains(Kind(o)))
            .Select(o => $"{Kind(o)}/{Namespace(o) ?? "-"}/{Name(o)}")
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>The single Deployment's single container.</summary>
    public JsonObject OperatorContainer() =>
        Assert.Single(Single("Deployment")["spec"]!["template"]!["spec"]!["containers"]!.AsArray())!.AsObject();

    public JsonObject PodSpec() => Single("Deployment")["spec"]!["template"]!["spec"]!.AsObject();

    public IReadOnlyList<string> OperatorArgs() =>
        OperatorContainer()["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray();

    public static IEnumerable<string> Strings(JsonNode? array) =>
        array is JsonArray items ? items.Select(i => i!.GetValue<string>()) : [];
}
