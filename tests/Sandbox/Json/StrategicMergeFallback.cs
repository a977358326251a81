using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Sandbox.Json;

/// <summary>
/// The strategic-merge-patch fallback used while no <see cref="IFieldManager"/> is plugged in: a JSON merge patch that
/// honours the directives kubectl sends (<c>$setElementOrder/</c>, <c>$patch</c>, <c>$retainKeys</c>,
/// <c>$deleteFromPrimitiveList/</c>) and merges lists of objects by their merge key instead of replacing them, so that
/// <c>kubectl apply</c> of built-in kinds does not corrupt objects. The merge key comes from the patch's
/// <c>$setElementOrder</c> entries, else from the common Kubernetes list fields below. Lists of other fields are replaced.
/// </summary>
internal static class StrategicMergeFallback
{
    private static readonly Dictionary<string, string> KnownMergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["env"] = "name",
        ["volumes"] = "name",
        ["volumeMounts"] = "mountPath",
        ["volumeDevices"] = "devicePath",
        ["imagePullSecrets"] = "name",
        ["ports"] = "containerPort",
        ["conditions"] = "type",
        ["hostAliases"] = "ip",
        ["topologySpreadConstraints"] = "topologyKey",
        ["ownerReferences"] = "uid",
    };

    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        if (JsonUtil.GetString(patchObject, "$patch") == "replace")
        {
            var replacement = (JsonObject)patchObject.DeepClone();
            replacement.Remove("$patch");
            return replacement;
        }

        if (JsonUtil.GetString(patchObject, "$patch") == "delete")
        {
            return null;
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (key is "$patch" or "$retainKeys" || key.StartsWith("$setElementOrder/", StringComparison.Ordinal))
            {
                continue;
            }

            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var listName = key["$deleteFromPrimitiveList/".Length..];
                if (result[listName] is JsonArray primitives && value is JsonArray remove)
                {
                    var doomed = remove.Select(JsonUtil.ScalarText).ToHashSet(StringComparer.Ordinal);
                    result[listName] = new JsonArray(primitives.Where(p => !doomed.Contains(JsonUtil.ScalarText(p) ?? string.Empty)).Select(p => p?.DeepClone()).ToArray());
                }

                continue;
            }

            if (value is null)
            {
                result.Remove(key);
                continue;
            }

            result.TryGetPropertyValue(key, out var existing);
            if (value is JsonArray patchList && existing is JsonArray liveList && MergeKey(key, patchObject, patchList) is { } mergeKey)
            {
                result[key] = MergeList(liveList, patchList, mergeKey, patchObject[$"$setElementOrder/{key}"] as JsonArray);
            }
            else
            {
                result[key] = Apply(existing, value);
            }
        }

        return result;
    }

    private static string? MergeKey(string field, JsonObject patch, JsonArray patchList)
    {
        if (patch[$"$setElementOrder/{field}"] is JsonArray order && order.FirstOrDefault() is JsonObject first && first.Count == 1)
        {
            return first.First().Key;
        }

        return patchList.All(item => item is JsonObject) && KnownMergeKeys.TryGetValue(field, out var key) ? key : null;
    }

    private static JsonArray MergeList(JsonArray live, JsonArray patch, string mergeKey, JsonArray? order)
    {
        string? KeyOf(JsonNode? item) => JsonUtil.ScalarText(item?[mergeKey]);
        var merged = new List<(string? Key, JsonNode? Item)>();
        foreach (var item in live)
        {
            merged.Add((KeyOf(item), item?.DeepClone()));
        }

        foreach (var item in patch)
        {
            var key = KeyOf(item);
            var index = key is null ? -1 : merged.FindIndex(m => m.Key == key);
            var deleted = item is JsonObject obj && JsonUtil.GetString(obj, "$patch") == "delete";
            if (index >= 0)
            {
                if (deleted)
                {
                    merged.RemoveAt(index);
                }
                else
                {
                    merged[index] = (key, Apply(merged[index].Item, item));
                }
            }
            else if (!deleted)
            {
                merged.Add((key, Apply(null, item)));
            }
        }

        if (order is not null)
        {
            var rank = order.Select(KeyOf).Select((key, i) => (key, i)).Where(p => p.key is not null).GroupBy(p => p.key!).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
            merged = merged.OrderBy(m => m.Key is not null && rank.TryGetValue(m.Key, out var r) ? r : int.MaxValue).ToList();
        }

        return new JsonArray(merged.Select(m => m.Item).ToArray());
    }
}
