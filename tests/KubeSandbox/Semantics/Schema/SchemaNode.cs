using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

/// <summary>
/// The structure of a kind as structured merge and strategic merge patch see it: which maps are structs (named
/// fields) or granular maps, which lists are atomic, sets or maps keyed by some fields. Immutable, shareable.
/// </summary>
internal abstract class SchemaNode;

/// <summary>A leaf value. <see cref="Zero"/> is what Go serializes for the zero value of a non-omitempty field.</summary>
internal sealed class ScalarSchema(JsonNode? zero, bool isQuantity = false) : SchemaNode
{
    public JsonNode? Zero { get; } = zero;

    /// <summary>A resource.Quantity: Go writes it back in canonical form (<see cref="Semantics.Quantity"/>).</summary>
    public bool IsQuantity { get; } = isQuantity;
}

/// <summary>
/// A JSON object: a struct when <see cref="Fields"/> name its members, a map when <see cref="ElementType"/> types
/// every member. Undeclared members of a struct use <see cref="UndeclaredFieldType"/> (for parts of built-in kinds
/// this table does not spell out) and are then treated like declared fields.
/// </summary>
internal sealed class MapSchema : SchemaNode
{
    public MapSchema(IEnumerable<FieldSchema> fields, SchemaNode? elementType, bool atomic, SchemaNode? undeclaredFieldType = null)
    {
        Fields = fields.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);
        ElementType = elementType;
        Atomic = atomic;
        UndeclaredFieldType = undeclaredFieldType;
    }

    public IReadOnlyDictionary<string, FieldSchema> Fields { get; }

    public SchemaNode? ElementType { get; }

    public SchemaNode? UndeclaredFieldType { get; }

    /// <summary><c>x-kubernetes-map-type: atomic</c> / <c>+structType=atomic</c>: owned and replaced as a whole.</summary>
    public bool Atomic { get; }

    public bool IsStruct => ElementType is null;

    /// <summary>The type of member <paramref name="name"/> and whether it counts as a named struct field.</summary>
    public (SchemaNode Type, bool Declared) Member(string name)
    {
        if (Fields.TryGetValue(name, out var field))
        {
            return (field.Type, true);
        }

        if (ElementType is not null)
        {
            return (ElementType, false);
        }

        if (UndeclaredFieldType is not null)
        {
            return (UndeclaredFieldType, true);
        }

        return (UntypedSchema.Deduced, false);
    }
}

internal enum ListType
{
    Atomic,
    Set,
    Map,
}

/// <summary>A JSON array: atomic (replaced as a whole), a set of scalars, or a map keyed by <see cref="Keys"/>.</summary>
internal sealed class ListSchema(SchemaNode elementType, ListType type, IReadOnlyList<string>? keys = null, IReadOnlyDictionary<string, JsonNode>? keyDefaults = null) : SchemaNode
{
    public SchemaNode ElementType { get; } = elementType;

    public ListType Type { get; } = type;

    public IReadOnlyList<string> Keys { get; } = keys ?? [];

    /// <summary>Defaults of key fields an item may omit (for example a container port's protocol, TCP).</summary>
    public IReadOnlyDictionary<string, JsonNode> KeyDefaults { get; } = (keyDefaults ?? new Dictionary<string, JsonNode>()).ToFrozenDictionary(StringComparer.Ordinal);
}

/// <summary>
/// A value without a declared type; its JSON decides. <see cref="Deduced"/> is structured-merge-diff's deduced type
/// (objects are granular maps, arrays atomic). <see cref="StructLike"/> treats objects as structs whose members are
/// all fields, which is what every unlisted part of a built-in Kubernetes type is.
/// </summary>
internal sealed class UntypedSchema : SchemaNode
{
    private UntypedSchema(bool structLike) => IsStructLike = structLike;

    public static UntypedSchema Deduced { get; } = new(structLike: false);

    public static UntypedSchema StructLike { get; } = new(structLike: true);

    public bool IsStructLike { get; }

    public static MapSchema DeducedMap { get; } = new([], Deduced, atomic: false);

    public static MapSchema StructLikeMap { get; } = new([], null, atomic: false, StructLike);

    public static ListSchema AtomicList { get; } = new(Deduced, ListType.Atomic);

    public MapSchema AsMap => IsStructLike ? StructLikeMap : DeducedMap;
}

internal enum Presence
{
    /// <summary>Omitted when zero (omitempty): absent from the zero value of the parent.</summary>
    OmitEmpty,

    /// <summary>Always serialized (no omitempty, or a non-pointer struct): present in the zero value of the parent.</summary>
    Always,

    /// <summary>A pointer with omitempty: omitted only when null, so a zero value that was set is kept.</summary>
    Pointer,

    /// <summary>A pointer without omitempty: always serialized, as null when unset.</summary>
    NullablePointer,
}

/// <summary>A named field of a struct, with its strategic-merge-patch metadata.</summary>
internal sealed record FieldSchema(string Name, SchemaNode Type, Presence Presence = Presence.OmitEmpty, string? PatchStrategy = null, string? PatchMergeKey = null)
{
    /// <summary>The strategy that decides merging (<c>merge</c> or <c>replace</c>), without <c>retainKeys</c>.</summary>
    public string? MergeStrategy => PatchStrategy?.Split(',').FirstOrDefault(s => s is "merge" or "replace");
}

/// <summary>Zero values of schema types: what a freshly created typed object holds before a request fills it in.</summary>
internal static class SchemaZero
{
    public static JsonNode? Of(SchemaNode type) => type switch
    {
        ScalarSchema scalar => scalar.Zero?.DeepClone(),
        MapSchema { IsStruct: true } map => Struct(map),
        _ => null,
    };

    public static JsonObject Struct(MapSchema map)
    {
        var result = new JsonObject();
        foreach (var field in map.Fields.Values)
        {
            if (field.Presence == Presence.Always)
            {
                result[field.Name] = Of(field.Type);
            }
            else if (field.Presence == Presence.NullablePointer)
            {
                result[field.Name] = null;
            }
        }

        return result;
    }
}
