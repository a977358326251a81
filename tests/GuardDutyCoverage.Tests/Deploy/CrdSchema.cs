using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>
/// Validates an object against a CRD's structural OpenAPI v3 schema the way kube-apiserver does for the keywords the
/// GuardDutyCoverage CRD uses (type, properties, required, enum, pattern, min/maxLength, minimum/maximum, items), with
/// unknown fields rejected as `kubectl apply` (strict field validation) rejects them.
/// </summary>
public static class CrdSchema
{
    /// <summary>The generated CRD in <c>crds/</c>.</summary>
    public static JsonObject CheckedInCrd() => Assert.Single(YamlJson.ParseAll(File.ReadAllText(RepoPaths.Crd))).AsObject();

    /// <summary>The openAPIV3Schema of the generated CRD in <c>crds/</c>.</summary>
    public static JsonNode CheckedInSchema() => OpenApiSchema(CheckedInCrd());

    public static JsonNode OpenApiSchema(JsonNode crd) => crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!;

    public static IReadOnlyList<string> Validate(JsonNode schema, JsonNode? value)
    {
        var errors = new List<string>();
        Validate(schema, value, "", errors, isRoot: true);
        return errors;
    }

    private static void Validate(JsonNode schema, JsonNode? value, string path, List<string> errors, bool isRoot = false)
    {
        if (value is null)
        {
            errors.Add($"{Display(path)}: null is not allowed");
            return;
        }

        var type = schema["type"]?.GetValue<string>();
        var kind = value.GetValueKind();
        var typeOk = type switch
        {
            "object" => kind == JsonValueKind.Object,
            "array" => kind == JsonValueKind.Array,
            "string" => kind == JsonValueKind.String,
            "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
            "integer" => kind == JsonValueKind.Number && value.AsValue().TryGetValue<long>(out _),
            "number" => kind == JsonValueKind.Number,
            null => true,
            _ => throw new NotSupportedException($"schema type {type}"),
        };
        if (!typeOk)
        {
            errors.Add($"{Display(path)}: expected {type}, got {kind}");
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            errors.Add($"{Display(path)}: {value.ToJsonString()} is not one of {allowed.ToJsonString()}");
        }

        switch (value)
        {
            case JsonObject obj:
                var properties = schema["properties"] as JsonObject;
                foreach (var required in Manifests.Strings(schema["required"]))
                {
                    if (!obj.ContainsKey(required))
                    {
                        errors.Add($"{Display(path)}: required field {required} is missing");
                    }
                }

                foreach (var (name, child) in obj)
                {
                    // metadata is validated by the API server's own rules, not by the CRD schema.
                    if (isRoot && name == "metadata")
                    {
                        continue;
                    }

                    if (properties?[name] is { } childSchema)
                    {
                        Validate(childSchema, child, $"{path}.{name}", errors);
                    }
                    else if (properties is not null && schema["x-kubernetes-preserve-unknown-fields"] is null)
                    {
                        errors.Add($"{Display(path)}: unknown field \"{name}\"");
                    }
                }

                break;
            case JsonArray array:
                if (schema["maxItems"] is { } maxItems && array.Count > maxItems.GetValue<long>())
                {
                    errors.Add($"{Display(path)}: more than {maxItems} items");
                }

                for (var i = 0; i < array.Count; i++)
                {
                    Validate(schema["items"]!, array[i], $"{path}[{i}]", errors);
                }

                break;
            default:
                if (kind == JsonValueKind.String)
                {
                    var text = value.GetValue<string>();
                    if (schema["pattern"] is { } pattern && !Regex.IsMatch(text, pattern.GetValue<string>(), RegexOptions.CultureInvariant))
                    {
                        errors.Add($"{Display(path)}: \"{text}\" does not match {pattern.GetValue<string>()}");
                    }

                    if (schema["maxLength"] is { } max && text.Length > max.GetValue<long>())
                    {
                        errors.Add($"{Display(path)}: longer than {max}");
                    }

                    if (schema["minLength"] is { } min && text.Length < min.GetValue<long>())
                    {
                        errors.Add($"{Display(path)}: shorter than {min}");
                    }
                }
                else if (kind == JsonValueKind.Number)
                {
                    var number = Number(value.AsValue());
                    if (schema["minimum"] is { } minimum && number < minimum.GetValue<long>())
                    {
                        errors.Add($"{Display(path)}: below the minimum {minimum}");
                    }

                    if (schema["maximum"] is { } maximum && number > maximum.GetValue<long>())
                    {
                        errors.Add($"{Display(path)}: above the maximum {maximum}");
                    }
                }

                break;
        }
    }

    private static double Number(JsonValue value) =>
        value.TryGetValue<long>(out var integer) ? integer
        : value.TryGetValue<double>(out var real) ? real
        : value.GetValue<JsonElement>().GetDouble();

    private static string Display(string path) => path.Length == 0 ? "<root>" : path[1..];
}
