using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

/// <summary>
/// The merge structure of a custom resource from its CRD version's <c>openAPIV3Schema</c>: objects with
/// properties are structs, <c>additionalProperties</c> make maps, <c>x-kubernetes-preserve-unknown-fields</c> makes
/// unknown members deduced, arrays are atomic unless <c>x-kubernetes-list-type</c> says <c>set</c> or <c>map</c>
/// (keyed by <c>x-kubernetes-list-map-keys</c>), <c>x-kubernetes-map-type: atomic</c> makes atomic maps.
/// The root (and embedded resources) always carry apiVersion, kind and a typed ObjectMeta.
/// </summary>
internal static class CrdStructure
{
    public static MapSchema FromOpenApi(JsonObject openApiV3Schema)
    {
        var root = Convert(openApiV3Schema, embeddedResource: true);
        return root as MapSchema ?? new MapSchema(EmbeddedFields([]), null, atomic: false);
    }

    private static SchemaNode Convert(JsonNode? node, bool embeddedResource = false)
    {
        if (node is not JsonObject schema)
        {
            return UntypedSchema.Deduced;
        }

        var preserveUnknown = Flag(schema, "x-kubernetes-preserve-unknown-fields");
        embeddedResource |= Flag(schema, "x-kubernetes-embedded-resource");
        if (Flag(schema, "x-kubernetes-int-or-string"))
        {
            return new ScalarSchema(null);
        }

        var type = (schema["type"] as JsonValue)?.GetValue<string>();
        if (type is null && (schema["properties"] is JsonObject || embeddedResource))
        {
            type = "object";
        }

        switch (type)
        {
            case "object":
            {
                var fields = new List<FieldSchema>();
                if (schema["properties"] is JsonObject properties)
                {
                    foreach (var (name, property) in properties)
                    {
                        fields.Add(new FieldSchema(name, Convert(property)));
                    }
                }

                if (embeddedResource)
                {
                    fields = EmbeddedFields(fields);
                }

                SchemaNode? elementType = schema["additionalProperties"] switch
                {
                    JsonObject additional => Convert(additional),
                    JsonValue value when value.TryGetValue<bool>(out var allowed) && allowed => UntypedSchema.Deduced,
                    _ => null,
                };
                if (elementType is null && preserveUnknown)
                {
                    elementType = UntypedSchema.Deduced;
                }

                var atomic = (schema["x-kubernetes-map-type"] as JsonValue)?.GetValue<string>() == "atomic";
                return new MapSchema(fields, elementType, atomic);
            }

            case "array":
            {
                var items = schema["items"] as JsonObject;
                var element = Convert(items);
                var listType = (schema["x-kubernetes-list-type"] as JsonValue)?.GetValue<string>();
                switch (listType)
                {
                    case "set":
                        return new ListSchema(element, ListType.Set);
                    case "map":
                        var keys = (schema["x-kubernetes-list-map-keys"] as JsonArray)?.Select(k => k!.GetValue<string>()).ToList() ?? [];
                        var defaults = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
                        foreach (var key in keys)
                        {
                            if (items?["properties"]?[key]?["default"] is { } defaultValue)
                            {
                                defaults[key] = defaultValue.DeepClone();
                            }
                        }

                        return new ListSchema(element, ListType.Map, keys, defaults);
                    default:
                        return new ListSchema(element, ListType.Atomic);
                }
            }

            case "string" or "integer" or "number" or "boolean":
                return new ScalarSchema(null);
            default:
                return UntypedSchema.Deduced;
        }
    }

    private static List<FieldSchema> EmbeddedFields(List<FieldSchema> fields)
    {
        var scalar = new ScalarSchema(null);
        var result = fields.Where(f => f.Name is not ("apiVersion" or "kind" or "metadata")).ToList();
        result.Add(new FieldSchema("apiVersion", scalar));
        result.Add(new FieldSchema("kind", scalar));
        result.Add(new FieldSchema("metadata", BuiltinSchemas.ObjectMeta));
        return result;
    }

    private static bool Flag(JsonObject schema, string name) =>
        schema[name] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;
}

/// <summary>
/// Resolves the merge structure of a <see cref="ResourceInfo"/>. Converted CRD schemas are cached per schema object
/// (the server builds a new <see cref="ResourceInfo"/> when a CRD changes); safe for concurrent use.
/// </summary>
internal sealed class StructureCatalog
{
    private readonly ConditionalWeakTable<JsonObject, MapSchema> crdStructures = new();

    public MapSchema For(ResourceInfo resource) => resource.OpenApiV3Schema is { } schema
        ? crdStructures.GetValue(schema, CrdStructure.FromOpenApi)
        : BuiltinSchemas.For(resource.Group, resource.Kind);

    /// <summary>The object before it is created: the Go zero value of a built-in kind, an empty object for custom resources.</summary>
    public JsonObject ZeroObject(ResourceInfo resource) =>
        resource.IsCustomResource ? new JsonObject() : SchemaZero.Struct(For(resource));

    /// <summary>
    /// The fields a request to <paramref name="subresource"/> cannot change (the strategy's reset fields): status on
    /// the main resource of kinds with a status subresource, spec on the status subresource.
    /// </summary>
    public static FieldSet ResetFields(ResourceInfo resource, string? subresource)
    {
        var set = new FieldSet();
        if (subresource is null)
        {
            if (resource.HasStatusSubresource)
            {
                set.InsertMember(PathElement.Field("status"));
            }
        }
        else if (subresource == "status")
        {
            set.InsertMember(PathElement.Field("spec"));
        }

        return set;
    }
}
