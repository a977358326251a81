using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

/// <summary>A value cannot be read with its schema (for example an associative-list item without its key).</summary>
internal sealed class StructuredMergeException(string message) : Exception(message);

/// <summary>What changed between two versions of an object, as paths.</summary>
internal sealed class Comparison
{
    public FieldSet Added { get; private set; } = new();

    public FieldSet Modified { get; private set; } = new();

    public FieldSet Removed { get; private set; } = new();

    /// <summary>Drops <paramref name="fields"/> and everything below them from the three sets.</summary>
    public void Exclude(FieldSet fields)
    {
        if (fields.IsEmpty)
        {
            return;
        }

        Added = Added.RecursiveDifference(fields);
        Modified = Modified.RecursiveDifference(fields);
        Removed = Removed.RecursiveDifference(fields);
    }
}

/// <summary>
/// The typed-value operations of structured merge, on <see cref="JsonNode"/> with a <see cref="SchemaNode"/>:
/// the set of fields a value sets, the comparison of two values, the merge of an apply configuration into a live
/// object, and the removal of a set of fields. Semantics follow sigs.k8s.io/structured-merge-diff (typed package).
/// </summary>
internal static class StructuredOps
{
    private enum Shape
    {
        Scalar,
        Map,
        List,
    }

    /// <summary>How a schema reads a value: the shape, and the map or list schema for compound shapes.</summary>
    private static (Shape Shape, MapSchema? Map, ListSchema? List) Resolve(SchemaNode schema, JsonNode? value)
    {
        switch (schema)
        {
            case MapSchema map when value is JsonObject or null:
                return (Shape.Map, map, null);
            case ListSchema list when value is JsonArray or null:
                return (Shape.List, null, list);
            case UntypedSchema untyped when value is JsonObject:
                return (Shape.Map, untyped.AsMap, null);
            case UntypedSchema when value is JsonArray:
                return (Shape.List, null, UntypedSchema.AtomicList);
            default:
                return (Shape.Scalar, null, null);
        }
    }

    /// <summary>The path element of list item <paramref name="index"/>: its key fields (map lists) or its value (sets).</summary>
    public static PathElement ItemElement(ListSchema list, JsonNode? item, IReadOnlyList<PathElement> listPath, int index)
    {
        if (list.Type == ListType.Map)
        {
            if (item is not JsonObject obj)
            {
                throw Error(listPath, index, item is null ? "associative list with keys may not have a null element" : "associative list with keys may not have non-map elements");
            }

            var key = new List<KeyValuePair<string, JsonNode?>>(list.Keys.Count);
            foreach (var name in list.Keys)
            {
                if (obj.TryGetPropertyValue(name, out var value))
                {
                    key.Add(KeyValuePair.Create(name, value));
                }
                else if (list.KeyDefaults.TryGetValue(name, out var defaultValue))
                {
                    key.Add(KeyValuePair.Create<string, JsonNode?>(name, defaultValue));
                }
                else
                {
                    throw Error(listPath, index, $"associative list with keys has an element that omits key field {GoFormat.Quote(name)} (and doesn't have default value)");
                }
            }

            return PathElement.ForKey(key);
        }

        return item switch
        {
            JsonObject => throw Error(listPath, index, "associative list without keys has an element that's a map type"),
            JsonArray => throw Error(listPath, index, "not supported: associative list with lists as elements"),
            null => throw Error(listPath, index, "associative list without keys has an element that's an explicit null"),
            _ => PathElement.ForValue(item),
        };
    }

    private static StructuredMergeException Error(IReadOnlyList<PathElement> path, string message) =>
        new(path.Count == 0 ? message : $"{new FieldPath(path)}: {message}");

    private static StructuredMergeException Error(IReadOnlyList<PathElement> path, int index, string message) =>
        Error(path, $"element {index}: {message}");

    // ---- ToFieldSet -----------------------------------------------------------------------------------------------

    /// <summary>The fields <paramref name="value"/> sets: what an applier owns after applying it.</summary>
    public static FieldSet ToFieldSet(JsonNode? value, SchemaNode schema)
    {
        var set = new FieldSet();
        CollectFields(value, schema, [], set);
        return set;
    }

    private static void CollectFields(JsonNode? value, SchemaNode schema, List<PathElement> path, FieldSet set)
    {
        var (shape, map, list) = Resolve(schema, value);
        switch (shape)
        {
            case Shape.Scalar:
                set.Insert(path);
                return;
            case Shape.List:
                if (list!.Type == ListType.Atomic)
                {
                    set.Insert(path);
                    return;
                }

                if (value is not JsonArray items)
                {
                    return;
                }

                var seen = new HashSet<PathElement>();
                for (var i = 0; i < items.Count; i++)
                {
                    var item = items[i];
                    var pe = ItemElement(list, item, path, i);
                    if (!seen.Add(pe))
                    {
                        throw Error(path, $"duplicate entries for key {pe}");
                    }

                    path.Add(pe);
                    CollectFields(item, list.ElementType, path, set);
                    set.Insert(path);
                    path.RemoveAt(path.Count - 1);
                }

                return;
            case Shape.Map:
                if (map!.Atomic)
                {
                    set.Insert(path);
                    return;
                }

                if (value is not JsonObject obj)
                {
                    return;
                }

                foreach (var (name, member) in obj)
                {
                    var (type, declared) = map.Member(name);
                    path.Add(PathElement.Field(name));
                    CollectFields(member, type, path, set);
                    if (member is null || member is JsonObject { Count: 0 } || !declared)
                    {
                        set.Insert(path);
                    }

                    path.RemoveAt(path.Count - 1);
                }

                return;
        }
    }

    // ---- Compare --------------------------------------------------------------------------------------------------

    /// <summary>The paths added, modified and removed from <paramref name="left"/> to <paramref name="right"/>.</summary>
    public static Comparison Compare(JsonNode? left, JsonNode? right, SchemaNode schema)
    {
        var comparison = new Comparison();
        CompareValues(new Side(true, left), new Side(true, right), schema, [], comparison);
        return comparison;
    }

    /// <summary>A value that may be absent (which is not the same as JSON null).</summary>
    private readonly record struct Side(bool Present, JsonNode? Value);

    private static void CompareValues(Side left, Side right, SchemaNode schema, List<PathElement> path, Comparison comparison)
    {
        var leftShape = left.Present ? Resolve(schema, left.Value) : default;
        var rightShape = right.Present ? Resolve(schema, right.Value) : default;
        var (shape, map, list) = left.Present ? leftShape : rightShape;
        var inLeaf = false;
        if (left.Present && right.Present && leftShape.Shape != rightShape.Shape)
        {
            shape = Shape.Scalar;
        }

        switch (shape)
        {
            case Shape.Scalar:
                CompareLeaf(left, right, path, comparison);
                inLeaf = true;
                break;
            case Shape.List:
            {
                var l = left.Value as JsonArray;
                var r = right.Value as JsonArray;
                if (list!.Type == ListType.Atomic || ((l is null || l.Count == 0) && (r is null || r.Count == 0)))
                {
                    CompareLeaf(left, right, path, comparison);
                    inLeaf = true;
                }
                else
                {
                    CompareListItems(l, r, list, path, comparison);
                }

                break;
            }

            case Shape.Map:
            {
                var l = left.Value as JsonObject;
                var r = right.Value as JsonObject;
                if (map!.Atomic || ((l is null || l.Count == 0) && (r is null || r.Count == 0)))
                {
                    CompareLeaf(left, right, path, comparison);
                    inLeaf = true;
                }
                else
                {
                    CompareMapItems(l, r, map, path, comparison);
                }

                break;
            }
        }

        if (!inLeaf && path.Count > 0)
        {
            if (!left.Present)
            {
                comparison.Added.Insert(path);
            }
            else if (!right.Present)
            {
                comparison.Removed.Insert(path);
            }
        }
    }

    private static void CompareLeaf(Side left, Side right, List<PathElement> path, Comparison comparison)
    {
        if (path.Count == 0)
        {
            return;
        }

        if (!left.Present)
        {
            comparison.Added.Insert(path);
        }
        else if (!right.Present)
        {
            comparison.Removed.Insert(path);
        }
        else if (!JsonValues.DeepEquals(left.Value, right.Value))
        {
            comparison.Modified.Insert(path);
        }
    }

    private static void CompareListItems(JsonArray? left, JsonArray? right, ListSchema list, List<PathElement> path, Comparison comparison)
    {
        var rightItems = new Dictionary<PathElement, JsonNode?>();
        var rightOrder = new List<PathElement>();
        for (var i = 0; i < (right?.Count ?? 0); i++)
        {
            var item = right![i];
            var pe = ItemElement(list, item, path, i);
            if (rightItems.TryAdd(pe, item))
            {
                rightOrder.Add(pe);
            }
        }

        var seenLeft = new HashSet<PathElement>();
        for (var i = 0; i < (left?.Count ?? 0); i++)
        {
            var item = left![i];
            var pe = ItemElement(list, item, path, i);
            if (!seenLeft.Add(pe))
            {
                continue;
            }

            path.Add(pe);
            var rightSide = rightItems.TryGetValue(pe, out var rightItem) ? new Side(true, rightItem) : new Side(false, null);
            CompareValues(new Side(true, item), rightSide, list.ElementType, path, comparison);
            path.RemoveAt(path.Count - 1);
        }

        foreach (var pe in rightOrder)
        {
            if (seenLeft.Contains(pe))
            {
                continue;
            }

            path.Add(pe);
            CompareValues(new Side(false, null), new Side(true, rightItems[pe]), list.ElementType, path, comparison);
            path.RemoveAt(path.Count - 1);
        }
    }

    private static void CompareMapItems(JsonObject? left, JsonObject? right, MapSchema map, List<PathElement> path, Comparison comparison)
    {
        foreach (var (name, value) in left ?? [])
        {
            path.Add(PathElement.Field(name));
            var rightSide = right is not null && right.TryGetPropertyValue(name, out var rightValue) ? new Side(true, rightValue) : new Side(false, null);
            CompareValues(new Side(true, value), rightSide, map.Member(name).Type, path, comparison);
            path.RemoveAt(path.Count - 1);
        }

        foreach (var (name, value) in right ?? [])
        {
            if (left is not null && left.ContainsKey(name))
            {
                continue;
            }

            path.Add(PathElement.Field(name));
            CompareValues(new Side(false, null), new Side(true, value), map.Member(name).Type, path, comparison);
            path.RemoveAt(path.Count - 1);
        }
    }

    // ---- Merge ----------------------------------------------------------------------------------------------------

    /// <summary>
    /// Merges <paramref name="right"/> (an apply configuration) into <paramref name="left"/> (the live object): the
    /// right side wins for leaves and atomic values, maps merge member by member, associative lists item by item
    /// (right items first in their order, then the items only the left side has). Returns new nodes.
    /// </summary>
    public static JsonNode? Merge(JsonNode? left, JsonNode? right, SchemaNode schema) =>
        MergeValues(new Side(true, left), new Side(true, right), schema, []).Value;

    private static Side MergeValues(Side left, Side right, SchemaNode schema, List<PathElement> path)
    {
        var leftShape = left.Present ? Resolve(schema, left.Value) : default;
        var rightShape = right.Present ? Resolve(schema, right.Value) : default;
        var (shape, map, list) = right.Present ? rightShape : leftShape;
        if (left.Present && right.Present && leftShape.Shape != rightShape.Shape)
        {
            shape = Shape.Scalar;
        }

        switch (shape)
        {
            case Shape.List:
            {
                var l = left.Value as JsonArray;
                var r = right.Value as JsonArray;
                if (list!.Type == ListType.Atomic || ((l is null || l.Count == 0) && (r is null || r.Count == 0)))
                {
                    return KeepRight(left, right);
                }

                return new Side(true, MergeListItems(l, r, list, path));
            }

            case Shape.Map:
            {
                var l = left.Value as JsonObject;
                var r = right.Value as JsonObject;
                if (map!.Atomic || ((l is null || l.Count == 0) && (r is null || r.Count == 0)))
                {
                    return KeepRight(left, right);
                }

                var result = new JsonObject();
                foreach (var (name, value) in l ?? [])
                {
                    path.Add(PathElement.Field(name));
                    var rightSide = r is not null && r.TryGetPropertyValue(name, out var rightValue) ? new Side(true, rightValue) : new Side(false, null);
                    var merged = MergeValues(new Side(true, value), rightSide, map.Member(name).Type, path);
                    path.RemoveAt(path.Count - 1);
                    if (merged.Present)
                    {
                        result[name] = merged.Value;
                    }
                }

                foreach (var (name, value) in r ?? [])
                {
                    if (l is not null && l.ContainsKey(name))
                    {
                        continue;
                    }

                    path.Add(PathElement.Field(name));
                    var merged = MergeValues(new Side(false, null), new Side(true, value), map.Member(name).Type, path);
                    path.RemoveAt(path.Count - 1);
                    if (merged.Present)
                    {
                        result[name] = merged.Value;
                    }
                }

                return new Side(true, result);
            }

            default:
                return KeepRight(left, right);
        }
    }

    private static Side KeepRight(Side left, Side right) =>
        right.Present ? new Side(true, right.Value?.DeepClone()) : left.Present ? new Side(true, left.Value?.DeepClone()) : default;

    private static JsonArray MergeListItems(JsonArray? left, JsonArray? right, ListSchema list, List<PathElement> path)
    {
        var leftItems = new Dictionary<PathElement, JsonNode?>();
        var leftOrder = new List<PathElement>();
        for (var i = 0; i < (left?.Count ?? 0); i++)
        {
            var item = left![i];
            var pe = ItemElement(list, item, path, i);
            if (leftItems.TryAdd(pe, item))
            {
                leftOrder.Add(pe);
            }
        }

        var result = new JsonArray();
        var seenRight = new HashSet<PathElement>();
        for (var i = 0; i < (right?.Count ?? 0); i++)
        {
            var item = right![i];
            var pe = ItemElement(list, item, path, i);
            if (!seenRight.Add(pe))
            {
                throw Error(path, $"duplicate entries for key {pe}");
            }

            path.Add(pe);
            var leftSide = leftItems.TryGetValue(pe, out var leftItem) ? new Side(true, leftItem) : new Side(false, null);
            var merged = MergeValues(leftSide, new Side(true, item), list.ElementType, path);
            path.RemoveAt(path.Count - 1);
            if (merged.Present)
            {
                result.Add(merged.Value);
            }
        }

        foreach (var pe in leftOrder)
        {
            if (seenRight.Contains(pe))
            {
                continue;
            }

            result.Add(leftItems[pe]?.DeepClone());
        }

        return result;
    }

    // ---- RemoveItems ----------------------------------------------------------------------------------------------

    /// <summary>
    /// A copy of <paramref name="value"/> without the fields, map entries and list items whose paths are members of
    /// <paramref name="toRemove"/>. As in structured-merge-diff, a map or list left without members becomes null.
    /// </summary>
    public static JsonNode? RemoveItems(JsonNode? value, FieldSet toRemove, SchemaNode schema) =>
        RemoveFrom(value, toRemove, schema, []);

    private static JsonNode? RemoveFrom(JsonNode? value, FieldSet toRemove, SchemaNode schema, List<PathElement> path)
    {
        var (shape, map, list) = Resolve(schema, value);
        switch (shape)
        {
            case Shape.List:
            {
                if (value is not JsonArray items || items.Count == 0 || list!.Type == ListType.Atomic)
                {
                    return null;
                }

                var kept = new JsonArray();
                for (var i = 0; i < items.Count; i++)
                {
                    var item = items[i];
                    var pe = ItemElement(list, item, path, i);
                    if (toRemove.HasMember(pe))
                    {
                        continue;
                    }

                    var below = toRemove.WithPrefix(pe);
                    path.Add(pe);
                    kept.Add(below.IsEmpty ? item?.DeepClone() : RemoveFrom(item, below, list.ElementType, path));
                    path.RemoveAt(path.Count - 1);
                }

                return kept.Count > 0 ? kept : null;
            }

            case Shape.Map:
            {
                if (value is not JsonObject obj || obj.Count == 0 || map!.Atomic)
                {
                    return null;
                }

                var kept = new JsonObject();
                foreach (var (name, member) in obj)
                {
                    var pe = PathElement.Field(name);
                    if (toRemove.HasMember(pe))
                    {
                        continue;
                    }

                    var below = toRemove.WithPrefix(pe);
                    path.Add(pe);
                    kept[name] = below.IsEmpty ? member?.DeepClone() : RemoveFrom(member, below, map.Member(name).Type, path);
                    path.RemoveAt(path.Count - 1);
                }

                return kept.Count > 0 ? kept : null;
            }

            default:
                return value?.DeepClone();
        }
    }

    /// <summary>
    /// Adds as members the named struct fields that only appear as prefixes (so that removing "spec.x.y" as the last
    /// owned child of struct field "spec.x" can remove "spec.x" too); map entries and list items are left alone.
    /// </summary>
    public static FieldSet EnsureNamedFieldsAreMembers(FieldSet set, SchemaNode schema)
    {
        var result = new FieldSet();
        foreach (var pe in set.Members)
        {
            result.InsertMember(pe);
        }

        var map = schema switch
        {
            MapSchema m => m,
            UntypedSchema u => u.AsMap,
            _ => null,
        };
        foreach (var (pe, child) in set.Children)
        {
            SchemaNode childType;
            if (pe.Kind == PathElementKind.Field)
            {
                if (map is null)
                {
                    childType = UntypedSchema.Deduced;
                }
                else
                {
                    var (type, declared) = map.Member(pe.FieldName!);
                    childType = type;
                    if (declared)
                    {
                        result.InsertMember(pe);
                    }
                }
            }
            else
            {
                childType = schema is ListSchema list ? list.ElementType : UntypedSchema.Deduced;
            }

            var ensured = EnsureNamedFieldsAreMembers(child, childType);
            if (!ensured.IsEmpty)
            {
                var target = result.Child(pe);
                foreach (var member in ensured.Members)
                {
                    target.InsertMember(member);
                }

                foreach (var (grandChild, grandChildSet) in ensured.Children)
                {
                    CopyInto(target.Child(grandChild), grandChildSet);
                }
            }
        }

        return result;
    }

    private static void CopyInto(FieldSet target, FieldSet source)
    {
        foreach (var member in source.Members)
        {
            target.InsertMember(member);
        }

        foreach (var (pe, child) in source.Children)
        {
            CopyInto(target.Child(pe), child);
        }
    }
}
