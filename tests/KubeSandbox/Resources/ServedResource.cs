using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Json;

namespace KubeSandbox.Resources;

/// <summary>A printer column of a custom resource (CRD <c>additionalPrinterColumns</c>).</summary>
internal sealed record PrinterColumn(string Name, string Type, string Format, string Description, int Priority, string JsonPath);

/// <summary>
/// Everything the server needs to know about a resource beyond <see cref="ResourceInfo"/>: how the real apiserver's
/// registry strategy for it behaves (generation, what DELETE returns, create/update rules).
/// </summary>
internal sealed record ServedResource(
    ResourceInfo Info,
    string ListKind,
    string? StorageVersionHash,
    IReadOnlyList<string> Categories,
    bool TracksGeneration,
    bool ReturnsDeletedObject,
    bool AllowUnconditionalUpdate,
    bool CreateOnly = false,
    IReadOnlyList<PrinterColumn>? PrinterColumns = null,
    string? CrdName = null,
    StorageConverter? Converter = null)
{
    /// <summary>Where objects live: versions of a resource share storage, and events.k8s.io events are core events.</summary>
    public Storage.ResourceKey StorageKey => Converter?.StorageKey ?? new Storage.ResourceKey(Info.Group, Info.Resource);

    /// <summary>The stored object as this resource's version presents it.</summary>
    public JsonObject Present(JsonObject stored)
    {
        if (Converter is not null)
        {
            return Converter.FromStorage(stored, ApiVersion);
        }

        if (stored["apiVersion"] is JsonValue version && version.TryGetValue<string>(out var text) && text != ApiVersion)
        {
            stored["apiVersion"] = ApiVersion;
        }

        return stored;
    }

    /// <summary>A presented object as storage keeps it.</summary>
    public JsonObject ToStorage(JsonObject presented) => Converter?.ToStorage(presented) ?? presented;

    /// <summary>Whether presenting changes more than the apiVersion (then selectors must see the presented form).</summary>
    public bool ConvertsFields => Converter is not null;

    public string Group => Info.Group;

    public string Resource => Info.Resource;

    public string Kind => Info.Kind;

    public string ApiVersion => Info.GroupVersion;

    /// <summary>customresourcedefinitions.apiextensions.k8s.io: its writes establish, serve and remove other resources.</summary>
    public bool IsCustomResourceDefinition => Info.Group == "apiextensions.k8s.io" && Info.Resource == "customresourcedefinitions";

    /// <summary>"widgets.example.com", or "pods" for the core group: how Status messages name the resource.</summary>
    public string QualifiedResource => Info.Group.Length == 0 ? Info.Resource : $"{Info.Resource}.{Info.Group}";

    /// <summary>"Widget.example.com", or "Pod" for the core group: how Invalid Status messages name the kind.</summary>
    public string QualifiedKind => Info.Group.Length == 0 ? Info.Kind : $"{Info.Kind}.{Info.Group}";

    public static string HashStorageVersion(string group, string version, string kind)
    {
        var gvk = $"{(group.Length == 0 ? "core" : group)}/{version}/{kind}";
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(gvk));
        return Convert.ToBase64String(digest, 0, 8);
    }

    public JsonObject ToDiscovery()
    {
        var entry = new JsonObject
        {
            ["name"] = Info.Resource,
            ["singularName"] = Info.IsCustomResource ? Info.Singular : string.Empty,
            ["namespaced"] = Info.Namespaced,
            ["kind"] = Info.Kind,
            ["verbs"] = new JsonArray(Info.Verbs.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
        };
        if (Info.ShortNames.Count > 0)
        {
            entry["shortNames"] = new JsonArray(Info.ShortNames.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        }

        if (Categories.Count > 0)
        {
            entry["categories"] = new JsonArray(Categories.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        }

        if (StorageVersionHash is not null)
        {
            entry["storageVersionHash"] = StorageVersionHash;
        }

        return entry;
    }

    public JsonObject StatusDiscovery() => new()
    {
        ["name"] = Info.Resource + "/status",
        ["singularName"] = string.Empty,
        ["namespaced"] = Info.Namespaced,
        ["kind"] = Info.Kind,
        ["verbs"] = new JsonArray("get", "patch", "update"),
    };
}
