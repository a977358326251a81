using System.Globalization;
using System.Text.Json.Nodes;
using KubeSandbox.Authorization;
using KubeSandbox.Json;
using KubeSandbox.Resources;
using KubeSandbox.Storage;

namespace KubeSandbox;

/// <summary>
/// The sandbox's cluster state for tests: seed, read and remove objects directly (no admission, no validation), with
/// the same watch events and resourceVersions as API requests produce. CRDs written here are established at once.
/// </summary>
public sealed class SandboxCluster : IObjectReader, IObjectWriter
{
    private static readonly string[] TopLevelOrder = ["kind", "apiVersion", "metadata"];

    internal static readonly string[] MetadataOrder =
    [
        "name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    private readonly Lock _aggregation = new();

    internal SandboxCluster(ObjectStore store, ResourceRegistry registry, TimeProvider time, IFieldManager? fieldManager)
    {
        Store = store;
        Registry = registry;
        Time = time;
        FieldManager = fieldManager;
    }

    internal ObjectStore Store { get; }

    internal ResourceRegistry Registry { get; }

    internal TimeProvider Time { get; }

    internal IFieldManager? FieldManager { get; }

    /// <summary>Emulate kube-controller-manager's serviceaccount controller: a new namespace gets its <c>default</c> ServiceAccount.</summary>
    internal bool ServiceAccountController { get; set; }

    /// <summary>The latest resourceVersion, as a string like on the wire.</summary>
    public string ResourceVersion => Store.CurrentRv.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Creates or replaces an object exactly as given, status included (uid, creationTimestamp and generation are filled
    /// in when absent). Emits ADDED or MODIFIED to open watches. Returns the stored object.
    /// </summary>
    /// <exception cref="ArgumentException">The object has no apiVersion/kind/name, or its kind is not served.</exception>
    public JsonObject Upsert(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var copy = JsonUtil.Clone(obj);
        var resource = ResolveKind(copy);
        var metadata = JsonUtil.Metadata(copy);
        var name = JsonUtil.GetString(metadata, "name");
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException($"{resource.Kind} without metadata.name", nameof(obj));
        }

        var ns = resource.Info.Namespaced ? JsonUtil.GetString(metadata, "namespace") ?? "default" : string.Empty;
        if (resource.Info.Namespaced)
        {
            metadata["namespace"] = ns;
        }
        else
        {
            metadata.Remove("namespace");
        }

        var key = Key(resource, ns, name);
        var existing = Store.Get(key);
        metadata["uid"] = JsonUtil.GetString(metadata, "uid") ?? JsonUtil.GetString(existing, "metadata", "uid") ?? Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = JsonUtil.GetString(metadata, "creationTimestamp")
            ?? JsonUtil.GetString(existing, "metadata", "creationTimestamp")
            ?? JsonUtil.FormatTime(Time.GetUtcNow());
        if (resource.TracksGeneration && metadata["generation"] is null)
        {
            metadata["generation"] = JsonUtil.GetInt64(existing, "metadata", "generation") ?? 1;
        }

        metadata.Remove("resourceVersion");
        BuiltinDefaults.Default(resource, copy);
        if (resource.Group.Length == 0 && resource.Resource == "namespaces")
        {
            BuiltinDefaults.NamespaceFinalizers(copy);
        }

        if (resource.Group == "apiextensions.k8s.io" && copy["status"]?["conditions"] is not JsonArray)
        {
            BuiltinDefaults.PrepareForCreate(resource, copy);
        }

        var result = Store.Put(key, resource.ToStorage(Normalize(resource, copy)));
        var stored = resource.Present(result.Object!);
        if (resource.Group == "apiextensions.k8s.io" && resource.Resource == "customresourcedefinitions")
        {
            stored = EstablishCrd(stored);
        }

        Committed(resource, stored);
        return stored;
    }

    /// <summary>Loads every document of a multi-document YAML text (objects may include status); returns how many.</summary>
    /// <exception cref="FormatException">The text is not YAML or a document is not an object.</exception>
    /// <exception cref="ArgumentException">A document's kind is not served.</exception>
    public int LoadYaml(string yaml)
    {
        var count = 0;
        foreach (var document in YamlJson.ParseDocuments(yaml))
        {
            if (document is not JsonObject obj)
            {
                throw new FormatException("a YAML document is not an object");
            }

            if (JsonUtil.GetString(obj, "kind") is { } kind && kind.EndsWith("List", StringComparison.Ordinal) && obj["items"] is JsonArray items)
            {
                foreach (var item in items.OfType<JsonObject>())
                {
                    Upsert(item);
                    count++;
                }

                continue;
            }

            Upsert(obj);
            count++;
        }

        return count;
    }

    public JsonObject? Get(string apiVersion, string kind, string? @namespace, string name)
    {
        var resource = Resolve(apiVersion, kind);
        var stored = Store.Get(Key(resource, resource.Info.Namespaced ? @namespace ?? "default" : string.Empty, name));
        return stored is null ? null : resource.Present(stored);
    }

    public IReadOnlyList<JsonObject> List(string apiVersion, string kind, string? @namespace = null)
    {
        var resource = Resolve(apiVersion, kind);
        var filter = @namespace is null ? ObjectFilter.All : ObjectFilter.All with { Namespace = @namespace };
        return Store.List(resource.StorageKey, filter, sorted: true).Items.Select(resource.Present).ToList();
    }

    /// <summary>Removes an object at once (finalizers ignored), emitting DELETED. Returns false when absent.</summary>
    public bool Delete(string apiVersion, string kind, string? @namespace, string name)
    {
        var resource = Resolve(apiVersion, kind);
        var key = Key(resource, resource.Info.Namespaced ? @namespace ?? "default" : string.Empty, name);
        var removed = Store.Delete(key, 0).Error == CommitError.None;
        if (removed && resource.Group == "apiextensions.k8s.io" && resource.Resource == "customresourcedefinitions")
        {
            RemoveCustomResources(name);
        }

        if (removed)
        {
            Committed(resource);
        }

        return removed;
    }

    /// <summary>Objects of a resource (any served version, presented in it; all namespaces when null), sorted by namespace and name.</summary>
    IReadOnlyList<JsonObject> IObjectReader.List(string group, string resource, string? @namespace)
    {
        if (Registry.FindAnyVersion(group, resource) is not { } served)
        {
            return [];
        }

        var filter = @namespace is null ? ObjectFilter.All : ObjectFilter.All with { Namespace = @namespace };
        return Store.List(served.StorageKey, filter, sorted: true).Items.Select(served.Present).ToList();
    }

    JsonObject? IObjectReader.Get(string group, string resource, string? @namespace, string name)
    {
        if (Registry.FindAnyVersion(group, resource) is not { } served)
        {
            return null;
        }

        var stored = Store.Get(Key(served, served.Info.Namespaced ? @namespace ?? string.Empty : string.Empty, name));
        return stored is null ? null : served.Present(stored);
    }

    internal static ObjectKey Key(ServedResource resource, string @namespace, string name) =>
        new(resource.StorageKey, @namespace, name);

    /// <summary>Key order as the real server writes it: sorted for custom resources, kind/apiVersion/metadata first otherwise.</summary>
    internal static JsonObject Normalize(ServedResource resource, JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            obj["metadata"] = resource.Info.IsCustomResource ? (JsonObject)JsonUtil.SortKeys(metadata)! : JsonUtil.Reorder(metadata, MetadataOrder);
        }

        return resource.Info.IsCustomResource ? (JsonObject)JsonUtil.SortKeys(obj)! : JsonUtil.Reorder(obj, TopLevelOrder);
    }

    /// <summary>
    /// What the apiextensions controllers do right after a CRD is written: accept its names, mark it Established and
    /// serve its resources (k8s-golden 05). Returns the CRD as stored afterwards.
    /// </summary>
    internal JsonObject EstablishCrd(JsonObject crd)
    {
        var name = JsonUtil.GetString(crd, "metadata", "name")!;
        var key = new ObjectKey(new ResourceKey("apiextensions.k8s.io", "customresourcedefinitions"), string.Empty, name);
        var updated = JsonUtil.Clone(crd);
        var names = updated["spec"]?["names"] as JsonObject ?? new JsonObject();
        var accepted = new JsonObject();
        foreach (var field in new[] { "plural", "singular", "shortNames", "kind", "listKind", "categories" })
        {
            if (names[field] is { } value)
            {
                accepted[field] = value.DeepClone();
            }
        }

        var status = updated["status"] as JsonObject ?? new JsonObject();
        updated["status"] = status;
        var now = JsonUtil.FormatTime(Time.GetUtcNow());
        var previous = status["conditions"] as JsonArray;
        string Since(string type) =>
            previous?.OfType<JsonObject>().FirstOrDefault(c => JsonUtil.GetString(c, "type") == type && JsonUtil.GetString(c, "status") == "True") is { } old
                ? JsonUtil.GetString(old, "lastTransitionTime") ?? now
                : now;
        var conditions = new JsonArray
        {
            new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["lastTransitionTime"] = Since("NamesAccepted"), ["reason"] = "NoConflicts", ["message"] = "no conflicts found" },
            new JsonObject { ["type"] = "Established", ["status"] = "True", ["lastTransitionTime"] = Since("Established"), ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted" },
        };
        foreach (var other in previous?.OfType<JsonObject>() ?? [])
        {
            if (JsonUtil.GetString(other, "type") is not ("NamesAccepted" or "Established"))
            {
                conditions.Add(other.DeepClone());
            }
        }

        status["conditions"] = conditions;
        status["acceptedNames"] = accepted;
        var crdResource = Registry.FindAnyVersion("apiextensions.k8s.io", "customresourcedefinitions")!;
        if (FieldManager is not null)
        {
            JsonUtil.Metadata(updated)["managedFields"] = FieldManager.UpdateManagedFields(crd, updated, crdResource.Info, "kube-apiserver", "status", Time.GetUtcNow());
        }

        JsonObject stored;
        if (JsonNode.DeepEquals(updated["status"], crd["status"]))
        {
            stored = crd;
        }
        else
        {
            var result = Store.Update(key, Normalize(crdResource, updated), 0);
            stored = result.Object ?? crd;
        }

        Registry.RegisterCrd(stored);
        var group = JsonUtil.GetString(stored, "spec", "group") ?? string.Empty;
        var plural = JsonUtil.GetString(stored, "spec", "names", "plural") ?? string.Empty;
        Store.RegisterCustomResource(new ResourceKey(group, plural));
        return stored;
    }

    /// <summary>
    /// What the controllers of kube-controller-manager the sandbox emulates do after a write: the ClusterRole
    /// aggregation controller re-aggregates after any ClusterRole changed (<see cref="ClusterRoleAggregator"/>).
    /// </summary>
    internal void Committed(ServedResource resource, JsonObject? written = null)
    {
        if (resource.Group == RbacAuthorizer.RbacGroup && resource.Resource == "clusterroles")
        {
            AggregateClusterRoles();
        }

        if (ServiceAccountController && written is not null && resource.Group.Length == 0 && resource.Resource == "namespaces"
            && JsonUtil.GetString(written, "metadata", "name") is { } ns && written["metadata"]?["deletionTimestamp"] is null
            && Get("v1", "ServiceAccount", ns, "default") is null)
        {
            // The serviceaccount controller: every namespace has a "default" account (the ServiceAccount admission
            // plugin refuses pods whose account does not exist).
            Upsert(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ServiceAccount",
                ["metadata"] = new JsonObject { ["name"] = "default", ["namespace"] = ns },
            });
        }
    }

    /// <summary>Writes the aggregated rules back, each as an update by the aggregation controller (it owns <c>rules</c>).</summary>
    private void AggregateClusterRoles()
    {
        lock (_aggregation)
        {
            var served = Registry.FindAnyVersion(RbacAuthorizer.RbacGroup, "clusterroles")!;
            foreach (var aggregated in ClusterRoleAggregator.Reconcile(this))
            {
                var key = Key(served, string.Empty, JsonUtil.GetString(aggregated, "metadata", "name")!);
                for (var attempt = 0; attempt < 8; attempt++)
                {
                    var (stored, rv) = Store.GetWithRv(key);
                    if (stored is null)
                    {
                        break;
                    }

                    var current = served.Present(stored);
                    var updated = JsonUtil.Clone(current);
                    updated["rules"] = aggregated["rules"]?.DeepClone();
                    if (FieldManager is not null)
                    {
                        JsonUtil.Metadata(updated)["managedFields"] = FieldManager.UpdateManagedFields(current, updated, served.Info, ClusterRoleAggregator.FieldManager, null, Time.GetUtcNow());
                    }

                    if (Store.Update(key, served.ToStorage(Normalize(served, updated)), rv).Error != CommitError.Conflict)
                    {
                        break;
                    }
                }
            }
        }
    }

    /// <summary>The CRD's resources stop being served and its objects are removed (k8s-golden 66-68).</summary>
    internal void RemoveCustomResources(string crdName)
    {
        var resource = Registry.All().FirstOrDefault(r => r.CrdName == crdName);
        Registry.UnregisterCrd(crdName);
        if (resource is null)
        {
            return;
        }

        var resourceKey = new ResourceKey(resource.Group, resource.Resource);
        foreach (var key in Store.Keys(resourceKey))
        {
            Store.Delete(key, 0);
        }

        Store.DropResource(resourceKey);
    }

    /// <summary>What the namespace controller does for a deleted namespace: remove everything in it.</summary>
    internal void RemoveNamespaceContents(string @namespace)
    {
        foreach (var resource in Store.Resources())
        {
            foreach (var key in Store.Keys(resource, @namespace))
            {
                if (key.Namespace.Length > 0)
                {
                    Store.Delete(key, 0);
                }
            }
        }
    }

    private ServedResource ResolveKind(JsonObject obj)
    {
        var apiVersion = JsonUtil.GetString(obj, "apiVersion");
        var kind = JsonUtil.GetString(obj, "kind");
        if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind))
        {
            throw new ArgumentException("object without apiVersion or kind", nameof(obj));
        }

        return Resolve(apiVersion, kind);
    }

    private ServedResource Resolve(string apiVersion, string kind) =>
        Registry.FindByKind(apiVersion, kind) ?? throw new ArgumentException($"no kind \"{kind}\" is served in apiVersion \"{apiVersion}\"");

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Namespace, string Pod, string Container, bool Previous), string> _containerLogs = new();

    /// <summary>
    /// What the kubelet would return for a container's log (<c>pods/log</c>); <paramref name="previous"/>: the last
    /// terminated instance (<c>?previous=true</c>). Kept apart from the stored objects, as the API server does.
    /// </summary>
    public void SetContainerLog(string namespaceName, string pod, string container, string text, bool previous = false) =>
        _containerLogs[(namespaceName, pod, container, previous)] = text;

    internal string? ContainerLog(string namespaceName, string pod, string container, bool previous) =>
        _containerLogs.GetValueOrDefault((namespaceName, pod, container, previous));
}
