using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

/// <summary>
/// application/strategic-merge-patch+json as kube-apiserver applies it (k8s.io/apimachinery strategicpatch with
/// MergeParallelList and IgnoreUnmatchedNulls): maps merge, null deletes, lists replace unless their field's
/// patchStrategy is merge (lists of maps by patchMergeKey, lists of scalars as sets), with the directives
/// <c>$patch</c> (replace/delete, in maps and list items), <c>$retainKeys</c>, <c>$setElementOrder/</c> and
/// <c>$deleteFromPrimitiveList/</c>. Error statuses mirror the server's (400, 422, or 500 for the rest).
/// </summary>
internal sealed class StrategicMergePatcher
{
    private const string DirectiveMarker = "$patch";
    private const string RetainKeysDirective = "$retainKeys";
    private const string SetElementOrderPrefix = "$setElementOrder";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList";

    public JsonObject Apply(JsonObject live, JsonObject patch, MapSchema schema) =>
        MergeMap((JsonObject)live.DeepClone(), (JsonObject)patch.DeepClone(), schema);

    private static ApiStatusException BadRequest(string message) => new(ApiStatus.BadRequest(message));

    private static ApiStatusException Unprocessable(string message) => new(ApiStatus.UnprocessableEntity(message));

    private static ApiStatusException Unclassified(string message) => new(ApiStatus.ServerError(message));

    private static ApiStatusException NoMergeKey(JsonObject map, string key) =>
        Unclassified($"map: {GoFormat.Value(map)} does not contain declared merge key: {key}");

    private static JsonObject MergeMap(JsonObject original, JsonObject patch, SchemaNode? schema)
    {
        if (patch.TryGetPropertyValue(DirectiveMarker, out var directive))
        {
            return HandleDirectiveInMergeMap(directive, patch);
        }

        ApplyRetainKeysDirective(original, patch);
        MergePatchIntoOriginal(original, patch, schema);

        foreach (var (patchKey, patchValue) in patch.ToList())
        {
            var key = patchKey;
            var isDeleteList = false;
            if (key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal))
            {
                key = ExtractKey(key, DeleteFromPrimitiveListPrefix);
                isDeleteList = true;
            }

            if (patchValue is null)
            {
                original.Remove(key);
                continue;
            }

            if (!original.TryGetPropertyValue(key, out var originalValue) || GoType(originalValue) != GoType(patchValue))
            {
                if (!isDeleteList)
                {
                    var taken = patchValue.DeepClone();
                    DiscardNullValues(taken);
                    original[key] = taken;
                }

                continue;
            }

            var (fieldType, strategy, mergeKey) = FieldMeta(schema, key);
            switch (patchValue)
            {
                case JsonObject patchMap:
                    original[key] = strategy == "replace"
                        ? patchMap.DeepClone()
                        : MergeMap((JsonObject)originalValue!.DeepClone(), (JsonObject)patchMap.DeepClone(), fieldType);
                    break;
                case JsonArray patchList:
                    original[key] = MergeSliceHandler((JsonArray)originalValue!, patchList, ElementOf(fieldType), strategy, mergeKey, isDeleteList);
                    break;
                default:
                    original[key] = patchValue.DeepClone();
                    break;
            }
        }

        return original;
    }

    private static JsonObject HandleDirectiveInMergeMap(JsonNode? directive, JsonObject patch)
    {
        var text = directive is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        switch (text)
        {
            case "replace":
                var replaced = (JsonObject)patch.DeepClone();
                replaced.Remove(DirectiveMarker);
                return replaced;
            case "delete":
                return [];
            default:
                throw Unclassified($"unknown patch type: {GoFormat.Value(directive)} in map: {GoFormat.Value(patch)}");
        }
    }

    private static void ApplyRetainKeysDirective(JsonObject original, JsonObject patch)
    {
        if (!patch.TryGetPropertyValue(RetainKeysDirective, out var retainKeys))
        {
            return;
        }

        patch.Remove(RetainKeysDirective);
        if (retainKeys is not JsonArray list)
        {
            throw BadRequest("invalid patch format of retainKeys");
        }

        var retained = list.Select(k => k is JsonValue value && value.TryGetValue<string>(out var name) ? name : null).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in patch)
        {
            if (value is null || key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal) ||
                key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (!retained.Contains(key))
            {
                throw BadRequest("invalid patch format of retainKeys");
            }
        }

        foreach (var key in original.Select(p => p.Key).ToList())
        {
            if (!retained.Contains(key))
            {
                original.Remove(key);
            }
        }
    }

    /// <summary>Processes <c>$setElementOrder/field</c> together with the patch of <c>field</c>.</summary>
    private static void MergePatchIntoOriginal(JsonObject original, JsonObject patch, SchemaNode? schema)
    {
        foreach (var (key, orderValue) in patch.ToList())
        {
            if (!key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            patch.Remove(key);
            if (orderValue is not JsonArray order)
            {
                throw Unclassified($"expected a slice, but received a {GoKindName(orderValue)}");
            }

            var originalKey = ExtractKey(key, SetElementOrderPrefix);
            var foundOriginal = original.TryGetPropertyValue(originalKey, out var originalNode);
            var foundPatch = patch.TryGetPropertyValue(originalKey, out var patchNode);
            var originalList = foundOriginal ? originalNode as JsonArray ?? throw Unclassified($"expected a slice, but received a {GoKindName(originalNode)}") : null;
            var patchList = foundPatch ? patchNode as JsonArray ?? throw Unclassified($"expected a slice, but received a {GoKindName(patchNode)}") : null;
            var (fieldType, strategy, mergeKey) = FieldMeta(schema, originalKey);
            ValidatePatchWithSetOrderList(patchList ?? [], order, mergeKey);

            List<JsonNode?> merged;
            if (foundOriginal && !foundPatch)
            {
                merged = [.. originalList!];
            }
            else if (!foundOriginal && foundPatch)
            {
                merged = [.. patchList!];
            }
            else if (foundOriginal && foundPatch)
            {
                merged = [.. MergeSliceHandler(originalList!, patchList!, ElementOf(fieldType), strategy, mergeKey, isDeleteList: false)];
            }
            else
            {
                continue;
            }

            var orderItems = order.ToList();
            var (patchItems, serverOnly) = Partition(merged, orderItems, mergeKey);
            var kind = SliceElementType([.. originalList ?? []], [.. patchList ?? []]);
            var both = NormalizeElementOrder(patchItems, serverOnly, orderItems, [.. originalList ?? []], mergeKey, kind);
            original[originalKey] = new JsonArray(both.Select(n => n?.DeepClone()).ToArray());
            patch.Remove(originalKey);
        }
    }

    private static void ValidatePatchWithSetOrderList(JsonArray patchList, JsonArray setOrderList, string? mergeKey)
    {
        if (setOrderList.Count == 0 || patchList.Count == 0)
        {
            return;
        }

        var nonDelete = new List<JsonNode?>();
        if (!string.IsNullOrEmpty(mergeKey))
        {
            foreach (var item in patchList)
            {
                if (item is not JsonObject map)
                {
                    throw Unclassified($"expected a map, but received a {GoKindName(item)}");
                }

                if (!(map[DirectiveMarker] is JsonValue d && d.TryGetValue<string>(out var text) && text == "delete"))
                {
                    nonDelete.Add(item);
                }
            }
        }
        else
        {
            nonDelete.AddRange(patchList);
        }

        var patchIndex = 0;
        var orderIndex = 0;
        while (patchIndex < nonDelete.Count && orderIndex < setOrderList.Count)
        {
            if (nonDelete[patchIndex] is JsonObject withDirective && withDirective.ContainsKey(DirectiveMarker))
            {
                patchIndex++;
                continue;
            }

            if (MergeKeyValueEqual(nonDelete[patchIndex], setOrderList[orderIndex], mergeKey))
            {
                patchIndex++;
            }

            orderIndex++;
        }

        if (patchIndex < nonDelete.Count && orderIndex >= setOrderList.Count)
        {
            throw Unclassified($"The order in patch list:\n{GoFormat.Value(patchList)}\n doesn't match {SetElementOrderPrefix} list:\n{GoFormat.Value(setOrderList)}\n");
        }
    }

    private static bool MergeKeyValueEqual(JsonNode? left, JsonNode? right, string? mergeKey)
    {
        if (string.IsNullOrEmpty(mergeKey))
        {
            return GoEquals(left, right);
        }

        if (left is not JsonObject l)
        {
            throw Unclassified($"expected a map, but received a {GoKindName(left)}");
        }

        if (right is not JsonObject r)
        {
            throw Unclassified($"expected a map, but received a {GoKindName(right)}");
        }

        if (!l.TryGetPropertyValue(mergeKey, out var lv))
        {
            throw NoMergeKey(l, mergeKey);
        }

        if (!r.TryGetPropertyValue(mergeKey, out var rv))
        {
            throw NoMergeKey(r, mergeKey);
        }

        return GoEquals(lv, rv);
    }

    private static JsonArray MergeSliceHandler(JsonArray original, JsonArray patch, SchemaNode? elementType, string? strategy, string? mergeKey, bool isDeleteList)
    {
        if (strategy == "merge" || isDeleteList)
        {
            return MergeSlice([.. original.Select(n => n?.DeepClone())], [.. patch.Select(n => n?.DeepClone())], elementType, mergeKey, isDeleteList);
        }

        return (JsonArray)patch.DeepClone();
    }

    private static JsonArray MergeSlice(List<JsonNode?> original, List<JsonNode?> patch, SchemaNode? elementType, string? mergeKey, bool isDeleteList)
    {
        if (original.Count == 0 && patch.Count == 0)
        {
            return [];
        }

        var kind = SliceElementType(original, patch);
        List<JsonNode?> merged;
        if (kind != JsonKind.Object)
        {
            if (isDeleteList)
            {
                return new JsonArray(original.Where(o => !patch.Any(p => GoEquals(o, p))).ToArray());
            }

            merged = DeduplicateScalars([.. original, .. patch]);
        }
        else
        {
            if (string.IsNullOrEmpty(mergeKey))
            {
                throw Unclassified("cannot merge lists without merge key for type map");
            }

            (original, patch) = MergeSliceWithSpecialElements(original, patch, mergeKey);
            merged = MergeSliceWithoutSpecialElements([.. original], patch, mergeKey, elementType);
        }

        var (patchItems, serverOnly) = Partition(merged, patch, kind == JsonKind.Object ? mergeKey : null);
        return new JsonArray(NormalizeElementOrder(patchItems, serverOnly, patch, original, kind == JsonKind.Object ? mergeKey : null, kind).ToArray());
    }

    private static (List<JsonNode?> Original, List<JsonNode?> Patch) MergeSliceWithSpecialElements(List<JsonNode?> original, List<JsonNode?> patch, string mergeKey)
    {
        var withoutSpecial = new List<JsonNode?>();
        var replace = false;
        foreach (var item in patch)
        {
            var map = (JsonObject)item!;
            if (!map.TryGetPropertyValue(DirectiveMarker, out var directive))
            {
                withoutSpecial.Add(item);
                continue;
            }

            var text = directive is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            switch (text)
            {
                case "delete":
                    if (!map.TryGetPropertyValue(mergeKey, out var mergeValue))
                    {
                        throw NoMergeKey(map, mergeKey);
                    }

                    original = original.Where(o => !(AsMap(o).TryGetPropertyValue(mergeKey, out var ov) && GoEquals(ov, mergeValue))).ToList();
                    break;
                case "replace":
                    replace = true;
                    break;
                case "merge":
                    throw Unclassified("merging lists cannot yet be specified in the patch");
                default:
                    throw Unclassified($"unknown patch type: {GoFormat.Value(directive)} in map: {GoFormat.Value(map)}");
            }
        }

        return replace ? (withoutSpecial, []) : (original, withoutSpecial);
    }

    private static JsonObject AsMap(JsonNode? node) =>
        node as JsonObject ?? throw Unclassified($"value for key is not a map.");

    private static List<JsonNode?> MergeSliceWithoutSpecialElements(List<JsonNode?> original, List<JsonNode?> patch, string mergeKey, SchemaNode? elementType)
    {
        foreach (var item in patch)
        {
            var map = (JsonObject)item!;
            if (!map.TryGetPropertyValue(mergeKey, out var mergeValue))
            {
                throw NoMergeKey(map, mergeKey);
            }

            var index = original.FindIndex(o => AsMap(o).TryGetPropertyValue(mergeKey, out var ov) && GoEquals(ov, mergeValue));
            if (index >= 0)
            {
                original[index] = MergeMap((JsonObject)original[index]!, map, elementType);
            }
            else
            {
                original.Add(item);
            }
        }

        return original;
    }

    /// <summary>Items of <paramref name="merged"/> present in <paramref name="by"/> (by merge key for maps), and the others.</summary>
    private static (List<JsonNode?> Present, List<JsonNode?> Absent) Partition(List<JsonNode?> merged, List<JsonNode?> by, string? mergeKey)
    {
        var present = new List<JsonNode?>();
        var absent = new List<JsonNode?>();
        foreach (var item in merged)
        {
            bool found;
            if (string.IsNullOrEmpty(mergeKey))
            {
                found = by.Any(b => GoEquals(b, item));
            }
            else
            {
                var map = item as JsonObject ?? throw Unclassified($"expected a map, but received a {GoKindName(item)}");
                if (!map.TryGetPropertyValue(mergeKey, out var value))
                {
                    throw NoMergeKey(map, mergeKey);
                }

                found = by.Any(b => AsMap(b).TryGetPropertyValue(mergeKey, out var bv) && GoEquals(bv, value));
            }

            (found ? present : absent).Add(item);
        }

        return (present, absent);
    }

    /// <summary>
    /// Orders the patch items by <paramref name="patchOrder"/> and the server-only items by
    /// <paramref name="serverOrder"/>, then interleaves them: a server-only item goes before a patch item only when
    /// both appear in the live list in that order.
    /// </summary>
    private static List<JsonNode?> NormalizeElementOrder(
        List<JsonNode?> patch, List<JsonNode?> serverOnly, List<JsonNode?> patchOrder, List<JsonNode?> serverOrder, string? mergeKey, JsonKind kind)
    {
        patch = NormalizeSliceOrder(patch, patchOrder, mergeKey, kind);
        serverOnly = NormalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);

        var result = new List<JsonNode?>(patch.Count + serverOnly.Count);
        int i = 0, j = 0;
        while (i < serverOnly.Count || j < patch.Count)
        {
            if (i >= serverOnly.Count)
            {
                result.Add(patch[j++]);
            }
            else if (j >= patch.Count)
            {
                result.Add(serverOnly[i++]);
            }
            else
            {
                var li = IndexOf(serverOrder, serverOnly[i], mergeKey, kind);
                var ri = IndexOf(serverOrder, patch[j], mergeKey, kind);
                if (li >= 0 && ri >= 0 && li < ri)
                {
                    result.Add(serverOnly[i++]);
                }
                else
                {
                    result.Add(patch[j++]);
                }
            }
        }

        return result;
    }

    private static List<JsonNode?> NormalizeSliceOrder(List<JsonNode?> toSort, List<JsonNode?> order, string? mergeKey, JsonKind kind)
    {
        var toDelete = new List<JsonNode?>();
        if (kind == JsonKind.Object)
        {
            foreach (var item in toSort.Concat(order))
            {
                var map = item as JsonObject ?? throw Unclassified($"expected a map, but received a {GoKindName(item)}");
                if (mergeKey is not null && !map.ContainsKey(mergeKey))
                {
                    throw NoMergeKey(map, mergeKey);
                }
            }

            toDelete = toSort.Where(IsDeleteDirective).ToList();
            toSort = toSort.Where(n => !IsDeleteDirective(n)).ToList();
        }

        var sorted = toSort
            .Select((item, position) => (item, position, index: IndexOf(order, item, mergeKey, kind)))
            .OrderBy(e => e.index < 0 ? int.MaxValue : e.index)
            .ThenBy(e => e.position)
            .Select(e => e.item)
            .ToList();
        sorted.AddRange(toDelete);
        return sorted;
    }

    private static bool IsDeleteDirective(JsonNode? node) =>
        node is JsonObject map && map[DirectiveMarker] is JsonValue v && v.TryGetValue<string>(out var text) && text == "delete";

    private static int IndexOf(List<JsonNode?> list, JsonNode? item, string? mergeKey, JsonKind kind)
    {
        JsonNode? Key(JsonNode? n) => kind == JsonKind.Object && mergeKey is not null ? (n as JsonObject)?[mergeKey] : n;
        var wanted = Key(item);
        return list.FindIndex(n => GoEquals(Key(n), wanted));
    }

    /// <summary>Go's quadratic in-place de-duplication (its swaps decide the order before normalization).</summary>
    private static List<JsonNode?> DeduplicateScalars(List<JsonNode?> items)
    {
        var length = items.Count - 1;
        for (var i = 0; i < length; i++)
        {
            for (var j = i + 1; j <= length; j++)
            {
                if (GoEquals(items[i], items[j]))
                {
                    items[j] = items[length];
                    items.RemoveAt(length);
                    length--;
                    j--;
                }
            }
        }

        return items;
    }

    /// <summary>The common element type of the lists; lists of lists and mixed types are errors.</summary>
    private static JsonKind SliceElementType(List<JsonNode?> original, List<JsonNode?> patch)
    {
        JsonKind? previous = null;
        foreach (var item in original.Concat(patch))
        {
            var current = GoType(item);
            if (previous is null)
            {
                if (current == JsonKind.Array)
                {
                    throw Unprocessable("lists of lists are not supported");
                }

                previous = current;
            }
            else if (previous != current)
            {
                throw Unclassified($"list element types are not identical: [{GoFormat.Value(new JsonArray(original.Select(n => n?.DeepClone()).ToArray()))} {GoFormat.Value(new JsonArray(patch.Select(n => n?.DeepClone()).ToArray()))}]");
            }
        }

        return previous ?? throw Unclassified("no elements in any of the given slices");
    }

    private static string ExtractKey(string key, string prefix)
    {
        var parts = key.Split('/', 2);
        if (parts.Length <= 1 || parts[0] != prefix)
        {
            throw prefix == DeleteFromPrimitiveListPrefix
                ? BadRequest("invalid patch format of primitive list")
                : BadRequest("invalid patch format of setElementOrder list");
        }

        return parts[1];
    }

    /// <summary>The patch metadata of member <paramref name="key"/>: its type, patch strategy and merge key.</summary>
    private static (SchemaNode? Type, string? Strategy, string? MergeKey) FieldMeta(SchemaNode? schema, string key)
    {
        if (schema is MapSchema map)
        {
            if (map.Fields.TryGetValue(key, out var field))
            {
                return (field.Type, field.MergeStrategy, field.PatchMergeKey);
            }

            return (map.Member(key).Type, null, null);
        }

        return (UntypedSchema.StructLike, null, null);
    }

    private static SchemaNode? ElementOf(SchemaNode? listType) => listType is ListSchema list ? list.ElementType : UntypedSchema.StructLike;

    private static void DiscardNullValues(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject map:
                foreach (var (key, value) in map.ToList())
                {
                    if (value is null)
                    {
                        map.Remove(key);
                    }
                    else
                    {
                        DiscardNullValues(value);
                    }
                }

                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    DiscardNullValues(item);
                }

                break;
        }
    }

    /// <summary>The Go type a decoded JSON value has: int64 and float64 differ, null is its own.</summary>
    private static JsonKind GoType(JsonNode? node) => JsonValues.KindOf(node);

    /// <summary>Go's == on decoded scalars: same type and value.</summary>
    private static bool GoEquals(JsonNode? left, JsonNode? right) =>
        GoType(left) == GoType(right) && JsonValues.IsScalar(left) && JsonValues.DeepEquals(left, right);

    private static string GoKindName(JsonNode? node) => GoType(node) switch
    {
        JsonKind.Object => "map",
        JsonKind.Array => "slice",
        JsonKind.String => "string",
        JsonKind.Boolean => "bool",
        JsonKind.Integer => "int64",
        JsonKind.Float => "float64",
        _ => "invalid",
    };
}
