using System.Text.Json.Nodes;
using KubeSandbox.Json;

namespace KubeSandbox.Resources;

/// <summary>The resources served right now: the built-ins plus those of established CustomResourceDefinitions.</summary>
internal sealed class ResourceRegistry
{
    internal const string NameDescription =
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: http://kubernetes.io/docs/user-guide/identifiers#names";

    internal const string CreationTimestampDescription =
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    private readonly Lock _gate = new();
    private readonly IReadOnlyList<ServedResource> _builtins = BuiltinCatalog.Create();

    // CRD name -> its served versions, in registration order (discovery appends CRD groups in that order).
    private readonly List<KeyValuePair<string, IReadOnlyList<ServedResource>>> _custom = [];

    public ServedResource? Find(string group, string version, string resource)
    {
        lock (_gate)
        {
            return AllLocked().FirstOrDefault(r => r.Group == group && r.Info.Version == version && r.Resource == resource);
        }
    }

    public ServedResource? FindByKind(string apiVersion, string kind)
    {
        var (group, version) = SplitApiVersion(apiVersion);
        lock (_gate)
        {
            return AllLocked().FirstOrDefault(r => r.Group == group && r.Info.Version == version && r.Kind == kind);
        }
    }

    /// <summary>The resource with this group and plural in any served version (storage is per group and resource).</summary>
    public ServedResource? FindAnyVersion(string group, string resource)
    {
        lock (_gate)
        {
            return AllLocked().FirstOrDefault(r => r.Group == group && r.Resource == resource);
        }
    }

    public IReadOnlyList<ServedResource> All()
    {
        lock (_gate)
        {
            return AllLocked().ToList();
        }
    }

    public static (string Group, string Version) SplitApiVersion(string apiVersion)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (string.Empty, apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
    }

    /// <summary>Serves the resources of an established CRD (replacing what an earlier version of it served).</summary>
    public void RegisterCrd(JsonObject crd)
    {
        var name = JsonUtil.GetString(crd, "metadata", "name") ?? throw new ArgumentException("CRD without a name", nameof(crd));
        var resources = FromCrd(crd);
        lock (_gate)
        {
            var index = _custom.FindIndex(p => p.Key == name);
            if (index >= 0)
            {
                _custom[index] = new(name, resources);
            }
            else
            {
                _custom.Add(new(name, resources));
            }
        }
    }

    public void UnregisterCrd(string name)
    {
        lock (_gate)
        {
            _custom.RemoveAll(p => p.Key == name);
        }
    }

    public JsonObject ApiVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public JsonObject ApiGroupList()
    {
        var groups = new JsonArray();
        foreach (var (group, versions) in GroupsInOrder())
        {
            groups.Add(ApiGroupEntry(group, versions));
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public JsonObject? ApiGroup(string group)
    {
        foreach (var (name, versions) in GroupsInOrder())
        {
            if (name == group)
            {
                var entry = ApiGroupEntry(name, versions);
                return new JsonObject
                {
                    ["kind"] = "APIGroup",
                    ["apiVersion"] = "v1",
                    ["name"] = name,
                    ["versions"] = entry["versions"]!.DeepClone(),
                    ["preferredVersion"] = entry["preferredVersion"]!.DeepClone(),
                };
            }
        }

        return null;
    }

    /// <summary>The APIResourceList of a group version, or null when no such group version is served.</summary>
    public JsonObject? ApiResourceList(string group, string version)
    {
        if (!GroupsInOrder().Any(g => g.Group == group && g.Versions.Contains(version)) && !(group.Length == 0 && version == "v1"))
        {
            return null;
        }

        var resources = new JsonArray();
        List<ServedResource> served;
        lock (_gate)
        {
            served = AllLocked().Where(r => r.Group == group && r.Info.Version == version).ToList();
        }

        if (served.Any(r => r.Info.IsCustomResource))
        {
            // The apiextensions server lists a CRD's resource and then its subresources.
            foreach (var resource in served)
            {
                resources.Add(resource.ToDiscovery());
                if (resource.Info.HasStatusSubresource)
                {
                    resources.Add(resource.StatusDiscovery());
                }
            }
        }
        else
        {
            var entries = new List<JsonObject>();
            foreach (var resource in served)
            {
                entries.Add(resource.ToDiscovery());
                if (resource.Info.HasStatusSubresource)
                {
                    entries.Add(resource.StatusDiscovery());
                }
            }

            foreach (var entry in entries.OrderBy(e => (string)e["name"]!, StringComparer.Ordinal))
            {
                resources.Add(entry);
            }
        }

        var list = new JsonObject { ["kind"] = "APIResourceList" };
        if (group.Length > 0)
        {
            list["apiVersion"] = "v1";
        }

        list["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}";
        list["resources"] = resources;
        return list;
    }

    private List<(string Group, string[] Versions)> GroupsInOrder()
    {
        var groups = BuiltinCatalog.Groups.Select(g => (g.Group, g.Versions)).ToList();
        lock (_gate)
        {
            foreach (var (_, resources) in _custom)
            {
                foreach (var resource in resources)
                {
                    var index = groups.FindIndex(g => g.Group == resource.Group);
                    if (index < 0)
                    {
                        groups.Add((resource.Group, [resource.Info.Version]));
                    }
                    else if (!groups[index].Versions.Contains(resource.Info.Version))
                    {
                        groups[index] = (groups[index].Group, [.. groups[index].Versions, resource.Info.Version]);
                    }
                }
            }
        }

        return groups;
    }

    private static JsonObject ApiGroupEntry(string group, string[] versions)
    {
        var list = new JsonArray();
        foreach (var version in versions)
        {
            list.Add(new JsonObject { ["groupVersion"] = $"{group}/{version}", ["version"] = version });
        }

        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = list,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{versions[0]}", ["version"] = versions[0] },
        };
    }

    private IEnumerable<ServedResource> AllLocked() => _builtins.Concat(_custom.SelectMany(p => p.Value));

    private static List<ServedResource> FromCrd(JsonObject crd)
    {
        var name = JsonUtil.GetString(crd, "metadata", "name")!;
        var spec = crd["spec"] as JsonObject ?? new JsonObject();
        var names = spec["names"] as JsonObject ?? new JsonObject();
        var group = JsonUtil.GetString(spec, "group") ?? string.Empty;
        var kind = JsonUtil.GetString(names, "kind") ?? string.Empty;
        var plural = JsonUtil.GetString(names, "plural") ?? string.Empty;
        var singular = JsonUtil.GetString(names, "singular") ?? kind.ToLowerInvariant();
        var listKind = JsonUtil.GetString(names, "listKind") ?? kind + "List";
        var namespaced = JsonUtil.GetString(spec, "scope") != "Cluster";
        var shortNames = Strings(names["shortNames"]);
        var categories = Strings(names["categories"]);
        var result = new List<ServedResource>();
        foreach (var version in (spec["versions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (version["served"] is JsonValue served && served.TryGetValue<bool>(out var isServed) && !isServed)
            {
                continue;
            }

            var versionName = JsonUtil.GetString(version, "name") ?? "v1";
            var schema = (version["schema"]?["openAPIV3Schema"] as JsonObject)?.DeepClone() as JsonObject ?? new JsonObject();
            var hasStatus = version["subresources"]?["status"] is JsonObject;
            var info = new ResourceInfo(
                group,
                versionName,
                plural,
                kind,
                namespaced,
                singular,
                shortNames,
                ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
                hasStatus,
                schema);
            result.Add(new ServedResource(
                info,
                listKind,
                ServedResource.HashStorageVersion(group, versionName, kind),
                categories,
                TracksGeneration: true,
                ReturnsDeletedObject: false,
                AllowUnconditionalUpdate: false,
                PrinterColumns: Columns(version),
                CrdName: name));
        }

        return result;
    }

    private static List<PrinterColumn> Columns(JsonObject version)
    {
        var columns = new List<PrinterColumn>();
        if (version["additionalPrinterColumns"] is JsonArray defined && defined.Count > 0)
        {
            foreach (var column in defined.OfType<JsonObject>())
            {
                var jsonPath = JsonUtil.GetString(column, "jsonPath") ?? string.Empty;
                var description = JsonUtil.GetString(column, "description");
                columns.Add(new PrinterColumn(
                    JsonUtil.GetString(column, "name") ?? string.Empty,
                    JsonUtil.GetString(column, "type") ?? "string",
                    JsonUtil.GetString(column, "format") ?? string.Empty,
                    string.IsNullOrEmpty(description) ? $"Custom resource definition column (in JSONPath format): {jsonPath}" : description,
                    (int)(JsonUtil.GetInt64(column, "priority") ?? 0),
                    jsonPath));
            }
        }
        else
        {
            columns.Add(new PrinterColumn("Age", "date", string.Empty, CreationTimestampDescription, 0, ".metadata.creationTimestamp"));
        }

        return columns;
    }

    private static List<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(JsonUtil.ScalarText).Where(s => s is not null).Select(s => s!).ToList();
}
