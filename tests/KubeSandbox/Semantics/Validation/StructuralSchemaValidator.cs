using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace KubeSandbox.Semantics;

/// <summary>
/// Custom resources through their CRD version's structural schema, as kube-apiserver v1.24 handles them: unknown
/// fields pruned (not under <c>x-kubernetes-preserve-unknown-fields</c>; apiVersion, kind and metadata of the root and
/// of embedded resources are never pruned, metadata keeps only ObjectMeta's members), defaults applied (nested ones
/// inside defaulted objects too), then validated: ObjectMeta, the OpenAPI value validations with kube-openapi's
/// semantics and messages, and <c>x-kubernetes-list-type</c> uniqueness. Thread-safe; compiled patterns are cached.
/// </summary>
/// <remarks>
/// kube-apiserver reports the errors of sibling properties in Go map order, which varies between requests. This
/// validator is deterministic: metadata errors first, then schema errors in property-name order with type errors
/// (FieldValueTypeInvalid) after the others, then duplicate list items.
/// </remarks>
public sealed class StructuralSchemaValidator : ISchemaValidator
{
    private static readonly FrozenSet<string> MetaFields = FrozenSet.Create(StringComparer.Ordinal, "apiVersion", "kind", "metadata");

    private static readonly FrozenSet<string> ObjectMetaFields = FrozenSet.Create(
        StringComparer.Ordinal,
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
        "managedFields", "clusterName");

    private readonly ConcurrentDictionary<string, Regex> patterns = new(StringComparer.Ordinal);

    /// <summary>
    /// Prunes, defaults and validates in one go (<see cref="PruneAndDefault"/>, then <see cref="Validate"/>): the
    /// causes in the order described above, empty when valid.
    /// </summary>
    /// <exception cref="ArgumentException">The resource is not a custom resource, or its schema has a pattern that is not RE2.</exception>
    public IReadOnlyList<FieldError> DefaultAndValidate(JsonObject obj, ResourceInfo resource)
    {
        PruneAndDefault(obj, resource);
        return Validate(obj, resource);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The resource is not a custom resource.</exception>
    public IReadOnlyList<string> PruneAndDefault(JsonObject obj, ResourceInfo resource)
    {
        var unknown = PruneUnknownFields(obj, resource);
        var schema = SchemaOf(resource);
        ApplyDefaults(obj, schema);
        DropNonNullableNulls(obj, schema);
        return unknown;
    }

    /// <summary>
    /// Removes the fields the schema does not know, in place, and returns their paths sorted (<c>spec.foo</c>,
    /// <c>spec.items[0].bar</c>, <c>metadata.foo</c>): what a request with <c>fieldValidation=Strict</c> is refused for.
    /// </summary>
    public IReadOnlyList<string> PruneUnknownFields(JsonObject obj, ResourceInfo resource)
    {
        var unknown = new List<string>();
        Prune(obj, SchemaOf(resource), embeddedResource: true, "", unknown);
        unknown.Sort(StringComparer.Ordinal);
        return unknown;
    }

    /// <inheritdoc />
    public IReadOnlyList<FieldError> Validate(JsonObject obj, ResourceInfo resource)
    {
        var schema = SchemaOf(resource);
        var errors = ObjectMetaValidation.Validate(obj["metadata"] as JsonObject, resource.Namespaced);

        var schemaErrors = new List<FieldError>();
        ValidateValue(obj, schema, "", schemaErrors);
        errors.AddRange(schemaErrors.Where(e => e.Reason != "FieldValueTypeInvalid"));
        errors.AddRange(schemaErrors.Where(e => e.Reason == "FieldValueTypeInvalid"));

        ValidateListTypes(obj, schema, "", errors);
        return errors;
    }

    private static JsonObject SchemaOf(ResourceInfo resource) =>
        resource.OpenApiV3Schema ?? throw new ArgumentException($"{resource.Resource}.{resource.Group} is not a custom resource: it has no schema", nameof(resource));

    // ---- pruning --------------------------------------------------------------------------------------------------

    private static void Prune(JsonNode? value, JsonObject? schema, bool embeddedResource, string path, List<string> unknown)
    {
        if (schema is not null && Flag(schema, "x-kubernetes-preserve-unknown-fields"))
        {
            SkipPrune(value, schema, embeddedResource || Flag(schema, "x-kubernetes-embedded-resource"), path, unknown);
            return;
        }

        embeddedResource |= schema is not null && Flag(schema, "x-kubernetes-embedded-resource");
        switch (value)
        {
            case JsonObject obj:
                foreach (var (key, member) in obj.ToList())
                {
                    var memberPath = Join(path, key);
                    if (embeddedResource && MetaFields.Contains(key))
                    {
                        if (key == "metadata" && member is JsonObject metadata)
                        {
                            PruneObjectMeta(metadata, memberPath, unknown);
                        }

                        continue;
                    }

                    if (schema?["properties"]?[key] is JsonObject property)
                    {
                        Prune(member, property, embeddedResource: false, memberPath, unknown);
                    }
                    else if (schema?["additionalProperties"] is JsonObject additional)
                    {
                        Prune(member, additional, embeddedResource: false, memberPath, unknown);
                    }
                    else if (schema?["additionalProperties"] is JsonValue allowed && allowed.TryGetValue<bool>(out var allows) && allows)
                    {
                        continue;
                    }
                    else
                    {
                        unknown.Add(memberPath);
                        obj.Remove(key);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Prune(array[i], schema?["items"] as JsonObject, embeddedResource: false, $"{path}[{i}]", unknown);
                }

                break;
        }
    }

    private static void SkipPrune(JsonNode? value, JsonObject schema, bool embeddedResource, string path, List<string> unknown)
    {
        switch (value)
        {
            case JsonObject obj:
                foreach (var (key, member) in obj.ToList())
                {
                    var memberPath = Join(path, key);
                    if (embeddedResource && MetaFields.Contains(key))
                    {
                        if (key == "metadata" && member is JsonObject metadata)
                        {
                            PruneObjectMeta(metadata, memberPath, unknown);
                        }

                        continue;
                    }

                    if (schema["properties"]?[key] is JsonObject property)
                    {
                        Prune(member, property, embeddedResource: false, memberPath, unknown);
                    }
                    else if (schema["additionalProperties"] is JsonObject additional)
                    {
                        Prune(member, additional, embeddedResource: false, memberPath, unknown);
                    }
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                for (var i = 0; i < array.Count; i++)
                {
                    SkipPrune(array[i], items, embeddedResource: false, $"{path}[{i}]", unknown);
                }

                break;
        }
    }

    /// <summary>ObjectMeta round trip: members ObjectMeta does not have are dropped.</summary>
    private static void PruneObjectMeta(JsonObject metadata, string path, List<string> unknown)
    {
        foreach (var key in metadata.Select(p => p.Key).ToList())
        {
            if (!ObjectMetaFields.Contains(key))
            {
                unknown.Add(Join(path, key));
                metadata.Remove(key);
            }
        }
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    private static bool Flag(JsonObject schema, string name) =>
        schema[name] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;

    // ---- defaulting -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Structural defaulting: a property's default applies when the property is absent (or null and not nullable),
    /// and defaulting continues inside every value, defaulted ones included.
    /// </summary>
    private static void ApplyDefaults(JsonNode? value, JsonObject? schema)
    {
        if (schema is null)
        {
            return;
        }

        switch (value)
        {
            case JsonObject obj:
                if (schema["properties"] is JsonObject properties)
                {
                    foreach (var (name, property) in properties)
                    {
                        if (property?["default"] is not { } defaultValue)
                        {
                            continue;
                        }

                        if (!obj.TryGetPropertyValue(name, out var current) || IsNonNullableNull(current, property as JsonObject))
                        {
                            obj[name] = defaultValue.DeepClone();
                        }
                    }
                }

                foreach (var (name, member) in obj.ToList())
                {
                    if (schema["properties"]?[name] is JsonObject property)
                    {
                        ApplyDefaults(member, property);
                    }
                    else if (schema["additionalProperties"] is JsonObject additional)
                    {
                        if (IsNonNullableNull(member, additional))
                        {
                            obj[name] = additional["default"]!.DeepClone();
                        }

                        ApplyDefaults(member, additional);
                    }
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                for (var i = 0; i < array.Count; i++)
                {
                    var item = array[i];
                    if (IsNonNullableNull(item, items))
                    {
                        array[i] = items["default"]!.DeepClone();
                    }

                    ApplyDefaults(item, items);
                }

                break;
        }
    }

    private static bool IsNonNullableNull(JsonNode? value, JsonObject? schema) =>
        value is null && schema is not null && !Flag(schema, "nullable") && schema["default"] is not null;

    /// <summary>Nulls of non-nullable properties without a default are dropped: they would only fail validation.</summary>
    private static void DropNonNullableNulls(JsonNode? value, JsonObject? schema)
    {
        if (schema is null)
        {
            return;
        }

        switch (value)
        {
            case JsonObject obj:
                foreach (var (name, member) in obj.ToList())
                {
                    if (schema["properties"]?[name] is not JsonObject property)
                    {
                        continue;
                    }

                    if (member is null && property["default"] is null && !Flag(property, "nullable"))
                    {
                        obj.Remove(name);
                    }

                    DropNonNullableNulls(member, property);
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                foreach (var item in array)
                {
                    DropNonNullableNulls(item, items);
                }

                break;
        }
    }

    // ---- value validation (kube-openapi) --------------------------------------------------------------------------

    /// <summary>How the apiextensions apiserver converts a kube-openapi error into a field error.</summary>
    private enum Code
    {
        /// <summary>A type or format mismatch: FieldValueTypeInvalid.</summary>
        InvalidType,

        /// <summary>Any other kube-openapi Validation error: FieldValueInvalid with the value.</summary>
        Invalid,

        /// <summary>Not a kube-openapi Validation error (allOf/anyOf/oneOf/not): reported on the nil path.</summary>
        Plain,
    }

    private void ValidateValue(JsonNode? data, JsonObject schema, string path, List<FieldError> errors)
    {
        var types = TypesOf(schema);
        var nullable = Flag(schema, "nullable");
        if (data is null)
        {
            if (types.Count > 0 && !types.Contains("null") && !nullable)
            {
                Add(errors, Code.InvalidType, path, JsonValue.Create("null"), $"{path} in body must be of type {string.Join(",", types)}: \"null\"");
            }

            ValidateEnum(data, schema, path, errors);
            return;
        }

        var kind = JsonValues.KindOf(data);
        if (types.Count > 0)
        {
            var dataType = JsonTypeName(kind);
            var floatInt = kind == JsonKind.Float && types.Contains("integer") && IsJsonInteger(JsonValues.AsDouble(data));
            var intFloat = kind == JsonKind.Integer && types.Contains("number");
            if (!(types.Contains(dataType) || floatInt || intFloat))
            {
                Add(errors, Code.InvalidType, path, JsonValue.Create(dataType), $"{path} in body must be of type {string.Join(",", types)}: {GoFormat.Quote(dataType)}");
            }
        }

        ValidateSchemaProps(data, schema, path, errors);

        if (kind == JsonKind.String)
        {
            var text = JsonValues.AsString(data);
            ValidateString(text, data, schema, path, errors);
            var format = (schema["format"] as JsonValue)?.GetValue<string>();
            if (StringFormats.Supported(format) is { } normalized && !StringFormats.IsValid(normalized, text))
            {
                Add(errors, Code.InvalidType, path, data, $"{path} in body must be of type {format}: {GoFormat.Quote(text)}");
            }
        }

        if (kind is JsonKind.Integer or JsonKind.Float)
        {
            ValidateNumber(data, kind, schema, path, errors);
        }

        if (data is JsonArray array)
        {
            ValidateArray(array, schema, path, errors);
        }

        ValidateEnum(data, schema, path, errors);

        if (data is JsonObject obj)
        {
            ValidateObject(obj, schema, path, errors);
        }
    }

    private static List<string> TypesOf(JsonObject schema)
    {
        if (Flag(schema, "x-kubernetes-int-or-string"))
        {
            return ["integer", "string"];
        }

        return schema["type"] is JsonValue type && type.TryGetValue<string>(out var name) && name.Length > 0 ? [name] : [];
    }

    private static string JsonTypeName(JsonKind kind) => kind switch
    {
        JsonKind.String => "string",
        JsonKind.Boolean => "boolean",
        JsonKind.Integer => "integer",
        JsonKind.Float => "number",
        JsonKind.Array => "array",
        JsonKind.Object => "object",
        _ => "null",
    };

    /// <summary>swag.IsFloat64AJSONInteger: integral and within ±2^53.</summary>
    private static bool IsJsonInteger(double value) =>
        !double.IsNaN(value) && !double.IsInfinity(value) && value >= -9007199254740991d && value <= 9007199254740991d && Math.Floor(value) == value;

    private void ValidateString(string text, JsonNode data, JsonObject schema, string path, List<FieldError> errors)
    {
        // kube-openapi stops at the first failing string check.
        var length = text.EnumerateRunes().Count();
        if (Long(schema, "maxLength") is { } maxLength && length > maxLength)
        {
            errors.Add(FieldErrors.TooLong(FieldOf(path), $"may not be longer than {maxLength}"));
            return;
        }

        if (Long(schema, "minLength") is { } minLength && length < minLength)
        {
            Add(errors, Code.Invalid, path, data, $"{path} in body should be at least {minLength} chars long");
            return;
        }

        if (schema["pattern"] is JsonValue p && p.TryGetValue<string>(out var pattern) && !patterns.GetOrAdd(pattern, Re2Pattern.Compile).IsMatch(text))
        {
            Add(errors, Code.Invalid, path, data, $"{path} in body should match '{pattern}'");
        }
    }

    private static void ValidateNumber(JsonNode data, JsonKind kind, JsonObject schema, string path, List<FieldError> errors)
    {
        if (Number(schema, "multipleOf") is { } factor)
        {
            var integral = kind == JsonKind.Integer && IsInt64(factor);
            var ok = integral
                ? JsonValues.AsInt64(data) % (long)factor == 0
                : IsJsonInteger(factor < 1 ? 1 / factor * JsonValues.AsDouble(data) : JsonValues.AsDouble(data) / factor);
            if (!ok)
            {
                AddNumeric(errors, path, Operand(data, integral), $"{path} in body should be a multiple of {Limit(factor, integral)}");
            }
        }

        if (Number(schema, "minimum") is { } minimum)
        {
            var exclusive = Flag(schema, "exclusiveMinimum");
            var integral = kind == JsonKind.Integer && IsInt64(minimum);
            var below = integral
                ? (exclusive ? JsonValues.AsInt64(data) <= (long)minimum : JsonValues.AsInt64(data) < (long)minimum)
                : (exclusive ? JsonValues.AsDouble(data) <= minimum : JsonValues.AsDouble(data) < minimum);
            if (below)
            {
                var relation = exclusive ? "greater than" : "greater than or equal to";
                AddNumeric(errors, path, Operand(data, integral), $"{path} in body should be {relation} {Limit(minimum, integral)}");
            }
        }

        if (Number(schema, "maximum") is { } maximum)
        {
            var exclusive = Flag(schema, "exclusiveMaximum");
            var integral = kind == JsonKind.Integer && IsInt64(maximum);
            var above = integral
                ? (exclusive ? JsonValues.AsInt64(data) >= (long)maximum : JsonValues.AsInt64(data) > (long)maximum)
                : (exclusive ? JsonValues.AsDouble(data) >= maximum : JsonValues.AsDouble(data) > maximum);
            if (above)
            {
                var relation = exclusive ? "less than" : "less than or equal to";
                AddNumeric(errors, path, Operand(data, integral), $"{path} in body should be {relation} {Limit(maximum, integral)}");
            }
        }
    }

    /// <summary>The value as kube-openapi reports it: an int64 when it compared integers, else a float64 (1e+06).</summary>
    private static string Operand(JsonNode data, bool integral) =>
        integral ? JsonValues.AsInt64(data).ToString(CultureInfo.InvariantCulture) : GoFormat.Float(JsonValues.AsDouble(data));

    private static void AddNumeric(List<FieldError> errors, string path, string operand, string message) =>
        errors.Add(new FieldError("FieldValueInvalid", FieldOf(path), $"Invalid value: {operand}: {message}"));

    private static bool IsInt64(double value) => Math.Floor(value) == value && value >= long.MinValue && value <= long.MaxValue;

    private static string Limit(double value, bool integral) =>
        integral ? ((long)value).ToString(CultureInfo.InvariantCulture) : GoFormat.Float(value);

    private void ValidateArray(JsonArray array, JsonObject schema, string path, List<FieldError> errors)
    {
        if (schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                ValidateValue(array[i], items, $"{path}[{i}]", errors);
            }
        }

        if (Long(schema, "minItems") is { } minItems && array.Count < minItems)
        {
            Add(errors, Code.Invalid, path, JsonValue.Create((long)array.Count), $"{path} in body should have at least {minItems} items");
        }

        if (Long(schema, "maxItems") is { } maxItems && array.Count > maxItems)
        {
            errors.Add(FieldErrors.TooMany(FieldOf(path), array.Count, maxItems));
        }

        if (Flag(schema, "uniqueItems"))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            if (array.Any(item => !seen.Add(JsonValues.Canonical(item))))
            {
                Add(errors, Code.Invalid, path, null, $"{path} in body shouldn't contain duplicates");
            }
        }
    }

    private static void ValidateEnum(JsonNode? data, JsonObject schema, string path, List<FieldError> errors)
    {
        if (schema["enum"] is not JsonArray values || values.Count == 0)
        {
            return;
        }

        if (data is not null && values.Any(v => v is not null && JsonTypeFamily(v) == JsonTypeFamily(data) && JsonValues.DeepEquals(v, data)))
        {
            return;
        }

        var supported = values.Select(v => v is JsonValue s && s.TryGetValue<string>(out var text) ? text : JsonValues.Canonical(v));
        errors.Add(FieldErrors.NotSupported(FieldOf(path), data, supported));
    }

    private static int JsonTypeFamily(JsonNode node) => JsonValues.KindOf(node) switch
    {
        JsonKind.Integer or JsonKind.Float => 0,
        var other => (int)other + 1,
    };

    private void ValidateObject(JsonObject obj, JsonObject schema, string path, List<FieldError> errors)
    {
        if (Long(schema, "minProperties") is { } minProperties && obj.Count < minProperties)
        {
            Add(errors, Code.Invalid, path, JsonValue.Create((long)obj.Count), $"{path} in body should have at least {minProperties} properties");
            return;
        }

        if (Long(schema, "maxProperties") is { } maxProperties && obj.Count > maxProperties)
        {
            errors.Add(FieldErrors.TooMany(FieldOf(path), obj.Count, maxProperties));
            return;
        }

        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"];
        if (additional is JsonValue allowed && allowed.TryGetValue<bool>(out var allows) && !allows)
        {
            foreach (var key in obj.Select(p => p.Key).Order(JsonValues.Utf8Ordinal))
            {
                if (properties?.ContainsKey(key) != true)
                {
                    Add(errors, Code.Invalid, path, JsonValue.Create(key), $"{path}.{key} in body is a forbidden property");
                }
            }
        }
        else if (additional is JsonObject additionalSchema)
        {
            foreach (var (key, value) in obj.OrderBy(p => p.Key, JsonValues.Utf8Ordinal))
            {
                if (properties?.ContainsKey(key) != true)
                {
                    ValidateValue(value, additionalSchema, path + "." + key, errors);
                }
            }
        }

        if (properties is not null)
        {
            foreach (var (name, property) in properties.OrderBy(p => p.Key, JsonValues.Utf8Ordinal))
            {
                if (property is JsonObject propertySchema && obj.TryGetPropertyValue(name, out var value))
                {
                    ValidateValue(value, propertySchema, path.Length == 0 ? name : path + "." + name, errors);
                }
            }
        }

        if (schema["required"] is JsonArray required)
        {
            foreach (var name in required.Select(r => r?.GetValue<string>()).OfType<string>())
            {
                if (!obj.ContainsKey(name))
                {
                    errors.Add(FieldErrors.Required(FieldOf(path + "." + name), ""));
                }
            }
        }
    }

    /// <summary>allOf, anyOf, oneOf and not: reported, as kube-apiserver does, on the nil path with the quoted property path.</summary>
    private void ValidateSchemaProps(JsonNode data, JsonObject schema, string path, List<FieldError> errors)
    {
        if (schema["anyOf"] is JsonArray anyOf && anyOf.Count > 0)
        {
            List<FieldError>? best = null;
            var succeeded = false;
            foreach (var alternative in anyOf.OfType<JsonObject>())
            {
                var result = new List<FieldError>();
                ValidateValue(data, alternative, path, result);
                if (result.Count == 0)
                {
                    succeeded = true;
                    best = null;
                    break;
                }

                if (best is null || result.Count < best.Count)
                {
                    best = result;
                }
            }

            if (!succeeded)
            {
                Add(errors, Code.Plain, path, null, $"{GoFormat.Quote(path)} must validate at least one schema (anyOf)");
                errors.AddRange(best ?? []);
            }
        }

        if (schema["oneOf"] is JsonArray oneOf && oneOf.Count > 0)
        {
            var valid = 0;
            List<FieldError>? best = null;
            foreach (var alternative in oneOf.OfType<JsonObject>())
            {
                var result = new List<FieldError>();
                ValidateValue(data, alternative, path, result);
                if (result.Count == 0)
                {
                    valid++;
                }
                else if (best is null || result.Count < best.Count)
                {
                    best = result;
                }
            }

            if (valid == 0)
            {
                Add(errors, Code.Plain, path, null, $"{GoFormat.Quote(path)} must validate one and only one schema (oneOf). Found none valid");
                errors.AddRange(best ?? []);
            }
            else if (valid > 1)
            {
                Add(errors, Code.Plain, path, null, $"{GoFormat.Quote(path)} must validate one and only one schema (oneOf). Found {valid} valid alternatives");
            }
        }

        if (schema["allOf"] is JsonArray allOf && allOf.Count > 0)
        {
            var allValid = true;
            foreach (var part in allOf.OfType<JsonObject>())
            {
                var result = new List<FieldError>();
                ValidateValue(data, part, path, result);
                allValid &= result.Count == 0;
                errors.AddRange(result);
            }

            if (!allValid)
            {
                Add(errors, Code.Plain, path, null, $"{GoFormat.Quote(path)} must validate all the schemas (allOf)");
            }
        }

        if (schema["not"] is JsonObject not)
        {
            var result = new List<FieldError>();
            ValidateValue(data, not, path, result);
            if (result.Count == 0)
            {
                Add(errors, Code.Plain, path, null, $"{GoFormat.Quote(path)} must not validate the schema (not)");
            }
        }
    }

    /// <summary>Converts a kube-openapi error the way the apiextensions apiserver does.</summary>
    private static void Add(List<FieldError> errors, Code code, string path, JsonNode? value, string message)
    {
        switch (code)
        {
            case Code.InvalidType:
                errors.Add(FieldErrors.TypeInvalid(FieldOf(path), value ?? JsonValue.Create(""), message));
                break;
            case Code.Plain:
                errors.Add(FieldErrors.Invalid("<nil>", JsonValue.Create(""), message));
                break;
            default:
                errors.Add(FieldErrors.Invalid(FieldOf(path), value ?? JsonValue.Create(""), message));
                break;
        }
    }

    /// <summary>The field of a kube-openapi error path: the leading dot dropped; the root is the nil path.</summary>
    private static string FieldOf(string path)
    {
        var trimmed = path.StartsWith('.') ? path[1..] : path;
        return trimmed.Length == 0 ? "<nil>" : trimmed;
    }

    private static long? Long(JsonObject schema, string name) =>
        schema[name] is JsonValue value && JsonValues.KindOf(value) is JsonKind.Integer or JsonKind.Float ? (long)JsonValues.AsDouble(value) : null;

    private static double? Number(JsonObject schema, string name) =>
        schema[name] is JsonValue value && JsonValues.KindOf(value) is JsonKind.Integer or JsonKind.Float ? JsonValues.AsDouble(value) : null;

    // ---- x-kubernetes-list-type -----------------------------------------------------------------------------------

    private static void ValidateListTypes(JsonNode? value, JsonObject? schema, string path, List<FieldError> errors)
    {
        if (schema is null)
        {
            return;
        }

        switch (value)
        {
            case JsonObject obj:
                foreach (var (key, member) in obj.OrderBy(p => p.Key, JsonValues.Utf8Ordinal))
                {
                    var memberSchema = schema["properties"]?[key] as JsonObject ?? schema["additionalProperties"] as JsonObject;
                    ValidateListTypes(member, memberSchema, Join(path, key), errors);
                }

                break;
            case JsonArray array:
                var listType = (schema["x-kubernetes-list-type"] as JsonValue)?.GetValue<string>();
                if (listType == "set")
                {
                    ValidateSet(array, path, errors);
                }
                else if (listType == "map")
                {
                    ValidateMapList(array, schema, path, errors);
                }

                if (schema["items"] is JsonObject items)
                {
                    for (var i = 0; i < array.Count; i++)
                    {
                        ValidateListTypes(array[i], items, $"{path}[{i}]", errors);
                    }
                }

                break;
        }
    }

    private static void ValidateSet(JsonArray array, string path, List<FieldError> errors)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var key = JsonValues.KindOf(array[i]) + ":" + JsonValues.Canonical(array[i]);
            seen[key] = seen.GetValueOrDefault(key) + 1;
            if (seen[key] == 2)
            {
                errors.Add(FieldErrors.Duplicate($"{path}[{i}]", array[i]));
            }
        }
    }

    private static void ValidateMapList(JsonArray array, JsonObject schema, string path, List<FieldError> errors)
    {
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not (null or JsonObject))
            {
                errors.Add(FieldErrors.Invalid($"{path}[{i}]", array[i], "must be an object for an array of list-type map"));
                return;
            }
        }

        var keys = (schema["x-kubernetes-list-map-keys"] as JsonArray)?.Select(k => k!.GetValue<string>()).ToList() ?? [];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var keyValues = new JsonObject();
            foreach (var key in keys)
            {
                if (array[i] is JsonObject item && item.TryGetPropertyValue(key, out var keyValue))
                {
                    keyValues[key] = keyValue?.DeepClone();
                }
                else if (schema["items"]?["properties"]?[key]?["default"] is { } defaultValue)
                {
                    keyValues[key] = defaultValue.DeepClone();
                }
            }

            var signature = JsonValues.Canonical(keyValues) + "/" + string.Join(",", keys.Select(k => keyValues.ContainsKey(k) ? "1" : "0"));
            seen[signature] = seen.GetValueOrDefault(signature) + 1;
            if (seen[signature] == 2)
            {
                errors.Add(FieldErrors.Duplicate($"{path}[{i}]", keyValues));
            }
        }
    }
}
