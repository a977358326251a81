using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

/// <summary>
/// Strategic merge patch, server-side apply and metadata.managedFields, as kube-apiserver v1.24's field manager does
/// them (structured-merge-diff under the apiserver's fieldmanager chain: managers are identified by name, operation,
/// subresource and, for updaters, apiVersion; an update takes ownership of what it changed; an apply owns exactly what
/// it applied, prunes what it stopped applying and conflicts with other owners of a value it changes).
/// Pure and thread-safe: every call works on copies and returns new nodes.
/// </summary>
public sealed class FieldManager : IFieldManager
{
    /// <summary>The identity of the entry that takes over an object's fields when it is first applied to without managedFields.</summary>
    public const string BeforeFirstApplyManager = "before-first-apply";

    /// <summary>At most this many Update entries are kept; beyond it the oldest merge into one "ancient-changes" entry per apiVersion.</summary>
    public const int MaxUpdateManagers = 10;

    private const string AncientChangesManager = "ancient-changes";

    // Paths nobody owns: the metadata the server manages and the type information.
    private static readonly ImmutableArray<string> StrippedPaths =
    [
        "apiVersion", "kind", "metadata", "metadata.name", "metadata.namespace", "metadata.creationTimestamp", "metadata.selfLink",
        "metadata.uid", "metadata.clusterName", "metadata.generation", "metadata.managedFields", "metadata.resourceVersion",
    ];

    private readonly StructureCatalog structures = new();
    private readonly StrategicMergePatcher patcher = new();

    /// <inheritdoc />
    /// <exception cref="ApiStatusException">The patch is malformed (400, 422 or 500 as kube-apiserver answers), or the resource is a custom resource (415).</exception>
    public JsonObject StrategicMergePatch(JsonObject live, JsonObject patch, ResourceInfo resource)
    {
        if (resource.IsCustomResource)
        {
            throw new ApiStatusException(ApiStatus.UnsupportedMediaType(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"));
        }

        return patcher.Apply(live, patch, structures.For(resource));
    }

    /// <inheritdoc />
    /// <remarks>
    /// <paramref name="after"/> is the object as the request made it (decoded and defaulted, before the server's own
    /// changes such as generation or the fields a create strategy sets). Managed fields sent with a main-resource
    /// request replace the stored ones (a single empty entry clears them); an object stored without managed fields
    /// stays untracked until it is applied to. If the object cannot be read with its schema the result is empty, as
    /// kube-apiserver drops managedFields it cannot compute.
    /// </remarks>
    public JsonArray UpdateManagedFields(JsonObject? before, JsonObject after, ResourceInfo resource, string manager, string? subresource, DateTimeOffset now)
    {
        var managed = DecodeLiveOrNew(before, after, subresource is not null);
        if (managed.Count == 0 && before is not null)
        {
            return [];
        }

        try
        {
            var schema = structures.For(resource);
            var live = before is null ? structures.ZeroObject(resource) : WithoutManagedFields(before);
            Update(live, WithoutManagedFields(after), resource, schema, managed, manager, subresource, now);
            CapUpdateManagers(managed);
            return ManagedFieldsCodec.Encode(managed.Values, resource.IsCustomResource);
        }
        catch (StructuredMergeException)
        {
            return [];
        }
    }

    /// <inheritdoc />
    /// <exception cref="ApiStatusException">
    /// The configuration is not for this resource's apiVersion and kind, carries managedFields (400), or cannot be read
    /// with the schema (500), or the live object's managedFields cannot be decoded (500).
    /// </exception>
    public ApplyOutcome Apply(JsonObject? live, JsonObject applyConfiguration, ResourceInfo resource, string manager, bool force, string? subresource, DateTimeOffset now)
    {
        var configVersion = applyConfiguration["apiVersion"] is JsonValue v && v.TryGetValue<string>(out var version) ? version : "";
        if (configVersion != resource.GroupVersion)
        {
            throw new ApiStatusException(ApiStatus.BadRequest(
                $"Incorrect version specified in apply patch. Specified patch version: {configVersion}, expected: {resource.GroupVersion}"));
        }

        var configKind = applyConfiguration["kind"] is JsonValue k && k.TryGetValue<string>(out var kind) ? kind : "";
        if (configKind != resource.Kind)
        {
            throw new ApiStatusException(ApiStatus.BadRequest(
                $"Incorrect kind specified in apply patch. Specified patch kind: {configKind}, expected: {resource.Kind}"));
        }

        if (applyConfiguration["metadata"] is JsonObject metadata && metadata.ContainsKey("managedFields"))
        {
            throw new ApiStatusException(ApiStatus.BadRequest("metadata.managedFields must be nil"));
        }

        Dictionary<string, ManagedEntry> managed;
        try
        {
            managed = ManagedFieldsCodec.Decode(live?["metadata"]?["managedFields"]);
        }
        catch (FormatException e)
        {
            throw new ApiStatusException(ApiStatus.ServerError("failed to decode managed fields: " + e.Message));
        }

        var schema = structures.For(resource);
        var liveValue = live is null ? structures.ZeroObject(resource) : WithoutManagedFields(live);
        try
        {
            if (managed.Count == 0 && live is not null)
            {
                // An object nobody tracked yet: what is there becomes the "before-first-apply" manager's, so that
                // the first applier conflicts with it instead of silently owning everything.
                Update(structures.ZeroObject(resource), liveValue, resource, schema, managed, BeforeFirstApplyManager, subresource, now);
            }

            var outcome = ApplyCore(liveValue, applyConfiguration, resource, schema, managed, manager, force, subresource, now);
            if (outcome.Conflicts.Count > 0)
            {
                return outcome;
            }

            CapUpdateManagers(managed);
            var result = outcome.Result!;
            if (result["metadata"] is not JsonObject resultMetadata)
            {
                resultMetadata = [];
                result["metadata"] = resultMetadata;
            }

            resultMetadata["managedFields"] = ManagedFieldsCodec.Encode(managed.Values, resource.IsCustomResource);
            return outcome;
        }
        catch (StructuredMergeException e)
        {
            throw new ApiStatusException(ApiStatus.ServerError(
                $"failed to create typed patch object ({resource.GroupVersion}, Kind={resource.Kind}): {e.Message}"));
        }
    }

    private ApplyOutcome ApplyCore(
        JsonObject live, JsonObject config, ResourceInfo resource, MapSchema schema, Dictionary<string, ManagedEntry> managed,
        string manager, bool force, string? subresource, DateTimeOffset now)
    {
        var resetFields = StructureCatalog.ResetFields(resource, subresource);
        var applied = StructuredOps.ToFieldSet(config, schema).RecursiveDifference(resetFields);
        var merged = StructuredOps.Merge(live, config, schema) as JsonObject ?? [];

        var applierId = ManagedEntry.IdentifierOf(manager, ManagedEntry.Apply, resource.GroupVersion, subresource);
        var lastApplied = managed.GetValueOrDefault(applierId)?.Set;
        managed[applierId] = new ManagedEntry
        {
            Manager = manager,
            Operation = ManagedEntry.Apply,
            ApiVersion = resource.GroupVersion,
            Subresource = subresource,
            Time = managed.GetValueOrDefault(applierId)?.Time,
            Set = applied,
        };
        merged = Prune(merged, managed, lastApplied, schema);

        var comparison = StructuredOps.Compare(live, merged, schema);
        comparison.Exclude(resetFields);
        var changed = comparison.Modified.Union(comparison.Added);
        var conflicts = new List<ApplyConflict>();
        foreach (var (id, entry) in managed.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (id == applierId)
            {
                continue;
            }

            var owned = entry.Set.Intersection(changed);
            foreach (var path in owned.Paths())
            {
                conflicts.Add(new ApplyConflict(entry.Manager, entry.ApiVersion, new FieldPath(path).ToString(), entry.Operation, entry.Subresource));
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            return new ApplyOutcome(null, conflicts);
        }

        foreach (var (id, entry) in managed.ToList())
        {
            if (id == applierId)
            {
                continue;
            }

            entry.Set = entry.Set.Difference(changed).Difference(comparison.Removed);
            if (entry.Set.IsEmpty)
            {
                managed.Remove(id);
            }
        }

        var applier = managed[applierId];
        applier.Set = applier.Set.Difference(Stripped());
        if (applier.Set.IsEmpty)
        {
            managed.Remove(applierId);
        }
        else if (!JsonValues.DeepEquals(live, merged))
        {
            // As kube-apiserver: a no-op apply keeps the entry's time.
            applier.Time = now;
        }

        return new ApplyOutcome(merged, []);
    }

    /// <summary>
    /// Removes from <paramref name="merged"/> what the applier applied last time, no longer applies, and nobody else
    /// owns (structured-merge-diff's prune, addBackOwnedItems and addBackDanglingItems).
    /// </summary>
    private static JsonObject Prune(JsonObject merged, Dictionary<string, ManagedEntry> managed, FieldSet? lastApplied, MapSchema schema)
    {
        if (lastApplied is null || lastApplied.IsEmpty)
        {
            return merged;
        }

        var last = StructuredOps.EnsureNamedFieldsAreMembers(lastApplied, schema);
        var pruned = StructuredOps.RemoveItems(merged, last, schema);

        var owned = new FieldSet();
        foreach (var entry in managed.Values)
        {
            owned = owned.Union(entry.Set);
        }

        var mergedSet = StructuredOps.EnsureNamedFieldsAreMembers(StructuredOps.ToFieldSet(merged, schema), schema);
        var prunedSet = StructuredOps.EnsureNamedFieldsAreMembers(StructuredOps.ToFieldSet(pruned, schema), schema);
        var ownedSet = StructuredOps.EnsureNamedFieldsAreMembers(owned, schema);
        pruned = StructuredOps.RemoveItems(merged, mergedSet.Difference(prunedSet.Union(ownedSet)), schema);

        prunedSet = StructuredOps.EnsureNamedFieldsAreMembers(StructuredOps.ToFieldSet(pruned, schema), schema);
        return StructuredOps.RemoveItems(merged, mergedSet.Difference(prunedSet).Intersection(last), schema) as JsonObject ?? [];
    }

    /// <summary>
    /// Records an Update by <paramref name="manager"/>: the fields it added or changed become its own (and stop being
    /// anyone else's), removed fields stop being anyone's; the entry's time moves only when it gained fields.
    /// </summary>
    private static void Update(
        JsonObject live, JsonObject updated, ResourceInfo resource, MapSchema schema, Dictionary<string, ManagedEntry> managed,
        string manager, string? subresource, DateTimeOffset now)
    {
        var resetFields = StructureCatalog.ResetFields(resource, subresource);
        var comparison = StructuredOps.Compare(live, updated, schema);
        comparison.Exclude(resetFields);
        var changed = comparison.Modified.Union(comparison.Added);

        foreach (var (otherId, other) in managed.ToList())
        {
            other.Set = other.Set.Difference(changed).Difference(comparison.Removed);
            if (other.Set.IsEmpty)
            {
                managed.Remove(otherId);
            }
        }

        var gained = changed.Difference(comparison.Removed).RecursiveDifference(resetFields).Difference(Stripped());
        if (gained.IsEmpty)
        {
            return;
        }

        var id = ManagedEntry.IdentifierOf(manager, ManagedEntry.Update, resource.GroupVersion, subresource);
        if (managed.TryGetValue(id, out var existing))
        {
            existing.Set = existing.Set.Union(gained);
            existing.Time = now;
        }
        else
        {
            managed[id] = new ManagedEntry
            {
                Manager = manager,
                Operation = ManagedEntry.Update,
                ApiVersion = resource.GroupVersion,
                Subresource = subresource,
                Time = now,
                Set = gained,
            };
        }
    }

    /// <summary>Merges the oldest Update entries into "ancient-changes" entries (one per apiVersion) beyond <see cref="MaxUpdateManagers"/>.</summary>
    private static void CapUpdateManagers(Dictionary<string, ManagedEntry> managed)
    {
        var updaters = managed.Where(e => e.Value.Operation != ManagedEntry.Apply)
            .OrderBy(e => e.Value.Time?.ToUnixTimeSeconds() ?? 0)
            .ThenBy(e => e.Key, StringComparer.Ordinal)
            .ToList();
        var count = updaters.Count;
        var firstByVersion = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < updaters.Count && count > MaxUpdateManagers; i++)
        {
            var (id, entry) = updaters[i];
            var bucketId = ManagedEntry.IdentifierOf(AncientChangesManager, ManagedEntry.Update, entry.ApiVersion, null);
            if (!firstByVersion.TryGetValue(entry.ApiVersion, out var firstId))
            {
                firstByVersion[entry.ApiVersion] = id;
                continue;
            }

            if (!managed.TryGetValue(bucketId, out var bucket))
            {
                var first = managed[firstId];
                managed.Remove(firstId);
                bucket = new ManagedEntry
                {
                    Manager = AncientChangesManager,
                    Operation = ManagedEntry.Update,
                    ApiVersion = entry.ApiVersion,
                    Time = first.Time,
                    Set = first.Set,
                };
                managed[bucketId] = bucket;
            }

            bucket.Set = bucket.Set.Union(entry.Set);
            bucket.Time = entry.Time;
            managed.Remove(id);
            count--;
        }
    }

    /// <summary>
    /// The managed fields an update starts from: for subresources always the stored ones; otherwise the ones the
    /// request carries when it carries any (a single empty entry clearing them), else the stored ones.
    /// </summary>
    private static Dictionary<string, ManagedEntry> DecodeLiveOrNew(JsonObject? before, JsonObject after, bool isSubresource)
    {
        var live = before?["metadata"]?["managedFields"];
        if (!isSubresource)
        {
            var requested = after["metadata"]?["managedFields"];
            if (ManagedFieldsCodec.IsReset(requested))
            {
                return new Dictionary<string, ManagedEntry>(StringComparer.Ordinal);
            }

            try
            {
                var decoded = ManagedFieldsCodec.Decode(requested);
                if (decoded.Count > 0)
                {
                    return decoded;
                }
            }
            catch (FormatException)
            {
                // Like kube-apiserver: managed fields a client garbled fall back to the stored ones.
            }
        }

        try
        {
            return ManagedFieldsCodec.Decode(live);
        }
        catch (FormatException)
        {
            return new Dictionary<string, ManagedEntry>(StringComparer.Ordinal);
        }
    }

    private static JsonObject WithoutManagedFields(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        if (copy["metadata"] is JsonObject metadata)
        {
            metadata.Remove("managedFields");
        }

        return copy;
    }

    private static FieldSet Stripped()
    {
        var set = new FieldSet();
        foreach (var path in StrippedPaths)
        {
            set.Insert(path.Split('.').Select(PathElement.Field).ToList());
        }

        return set;
    }
}
