using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

/// <summary>
/// Built-in objects the way kube-apiserver stores and returns them: decoded into the Go type and encoded again.
/// Omitempty fields with a zero value disappear (a PriorityClass's <c>globalDefault: false</c>, k8s-golden 39), pointer
/// fields keep any value that was set (a Lease's <c>leaseTransitions: 0</c>, 62), and fields Go always writes appear
/// with their zero value (a DaemonSet's status counters and its pod template's <c>creationTimestamp: null</c>, 40).
/// Members the type table does not describe are left as they are.
/// </summary>
public static class BuiltinObjects
{
    /// <summary>Normalizes <paramref name="obj"/> in place.</summary>
    /// <exception cref="ArgumentException">The resource is a custom resource (those are stored as sent).</exception>
    public static void Normalize(JsonObject obj, ResourceInfo resource)
    {
        if (resource.IsCustomResource)
        {
            throw new ArgumentException($"{resource.Resource}.{resource.Group} is a custom resource: it has no Go type", nameof(resource));
        }

        NormalizeStruct(obj, BuiltinSchemas.For(resource.Group, resource.Kind));
    }

    /// <summary>The zero value of a built-in kind (what Go serializes for a new, empty object of that type).</summary>
    public static JsonObject ZeroObject(ResourceInfo resource) =>
        resource.IsCustomResource ? [] : SchemaZero.Struct(BuiltinSchemas.For(resource.Group, resource.Kind));

    private static void NormalizeStruct(JsonObject obj, MapSchema schema)
    {
        foreach (var field in schema.Fields.Values)
        {
            if (obj.TryGetPropertyValue(field.Name, out var value))
            {
                Normalize(value, field.Type);
                if (CanonicalQuantity(value, field.Type) is { } canonical)
                {
                    obj[field.Name] = canonical;
                    value = obj[field.Name];
                }

                var omit = field.Presence switch
                {
                    Presence.OmitEmpty => IsEmpty(value, field.Type),
                    Presence.Pointer => value is null,
                    _ => false,
                };
                if (omit)
                {
                    obj.Remove(field.Name);
                }
            }
            else if (field.Presence == Presence.Always)
            {
                obj[field.Name] = SchemaZero.Of(field.Type);
            }
            else if (field.Presence == Presence.NullablePointer)
            {
                obj[field.Name] = null;
            }
        }
    }

    private static void Normalize(JsonNode? value, SchemaNode type)
    {
        switch (type)
        {
            case MapSchema { IsStruct: true } structType when value is JsonObject obj:
                NormalizeStruct(obj, structType);
                break;
            case MapSchema map when value is JsonObject obj:
                foreach (var (_, member) in obj)
                {
                    Normalize(member, map.ElementType!);
                }

                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (CanonicalQuantity(obj[key], map.ElementType!) is { } canonical)
                    {
                        obj[key] = canonical;
                    }
                }

                break;
            case ListSchema list when value is JsonArray array:
                foreach (var item in array)
                {
                    Normalize(item, list.ElementType);
                }

                break;
        }
    }

    /// <summary>A quantity in Go's canonical form when <paramref name="value"/> is one and not already canonical; else null.</summary>
    private static string? CanonicalQuantity(JsonNode? value, SchemaNode type)
    {
        if (type is not ScalarSchema { IsQuantity: true } || value is not JsonValue scalar)
        {
            return null;
        }

        var text = JsonValues.KindOf(scalar) == JsonKind.String ? JsonValues.AsString(scalar) : scalar.ToJsonString();
        var canonical = Quantity.Canonical(text);
        return JsonValues.KindOf(scalar) == JsonKind.String && canonical == text ? null : canonical;
    }

    /// <summary>Go's omitempty test: zero scalars, empty maps and slices; structs are never empty.</summary>
    private static bool IsEmpty(JsonNode? value, SchemaNode type) => value switch
    {
        null => true,
        JsonObject obj => obj.Count == 0 && type is not MapSchema { IsStruct: true },
        JsonArray array => array.Count == 0,
        _ => JsonValues.KindOf(value) switch
        {
            JsonKind.String => JsonValues.AsString(value).Length == 0,
            JsonKind.Boolean => !JsonValues.AsBoolean(value),
            JsonKind.Integer or JsonKind.Float => JsonValues.AsDouble(value) == 0,
            _ => false,
        },
    };
}
