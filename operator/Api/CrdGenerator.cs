using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace GuardDutyCoverage.Api;

/// <summary>
/// Generates the GuardDutyCoverage CustomResourceDefinition from the source-generated JSON contract of the API types:
/// property names and types come from <see cref="ApiJsonContext"/>, validation from data annotations, defaults from
/// the C# property initializers. No hand-written schema to keep in sync.
/// </summary>
public static class CrdGenerator
{
    public static JsonObject Generate()
    {
        var context = ApiJsonContext.Default;
        var root = context.V1Alpha1GuardDutyCoverage;
        var schema = new JsonObject
        {
            ["description"] = TypeDescription(typeof(V1Alpha1GuardDutyCoverage)),
            ["type"] = "object",
            ["required"] = new JsonArray("spec"),
            ["properties"] = new JsonObject
            {
                ["apiVersion"] = new JsonObject
                {
                    ["description"] = "APIVersion defines the versioned schema of this representation of an object.",
                    ["type"] = "string",
                },
                ["kind"] = new JsonObject
                {
                    ["description"] = "Kind is a string value representing the REST resource this object represents.",
                    ["type"] = "string",
                },
                ["metadata"] = new JsonObject { ["type"] = "object" },
                ["spec"] = ObjectSchema(context.GetTypeInfo(typeof(GuardDutyCoverageSpec))!, typeof(GuardDutyCoverageSpec)),
                ["status"] = ObjectSchema(context.GetTypeInfo(typeof(GuardDutyCoverageStatus))!, typeof(GuardDutyCoverageStatus)),
            },
        };
        _ = root;

        return new JsonObject
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinition",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{V1Alpha1GuardDutyCoverage.Plural}.{V1Alpha1GuardDutyCoverage.Group}",
                ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = "guardduty-coverage-operator" },
            },
            ["spec"] = new JsonObject
            {
                ["group"] = V1Alpha1GuardDutyCoverage.Group,
                ["names"] = new JsonObject
                {
                    ["categories"] = new JsonArray("guardduty"),
                    ["kind"] = V1Alpha1GuardDutyCoverage.KindName,
                    ["listKind"] = V1Alpha1GuardDutyCoverage.ListKindName,
                    ["plural"] = V1Alpha1GuardDutyCoverage.Plural,
                    ["shortNames"] = new JsonArray(V1Alpha1GuardDutyCoverage.ShortName),
                    ["singular"] = V1Alpha1GuardDutyCoverage.Singular,
                },
                ["scope"] = "Cluster",
                ["versions"] = new JsonArray(new JsonObject
                {
                    ["additionalPrinterColumns"] = PrinterColumns(),
                    ["name"] = V1Alpha1GuardDutyCoverage.Version,
                    ["schema"] = new JsonObject { ["openAPIV3Schema"] = schema },
                    ["served"] = true,
                    ["storage"] = true,
                    ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
                }),
            },
        };
    }

    private static JsonArray PrinterColumns()
    {
        static JsonNode Column(string name, string type, string jsonPath, string description, int priority = 0)
        {
            var column = new JsonObject
            {
                ["description"] = description,
                ["jsonPath"] = jsonPath,
                ["name"] = name,
                ["type"] = type,
            };
            if (priority != 0)
            {
                column["priority"] = priority;
            }

            return column;
        }

        const string ready = ".status.conditions[?(@.type==\"Ready\")]";
        return
        [
            Column("Cluster", "string", ".spec.clusterName", "EKS cluster name"),
            Column("Ready", "string", ready + ".status", "Ready condition status"),
            Column("Reason", "string", ready + ".reason", "Ready condition reason"),
            Column("Local", "string", ".status.local", "Verdict of the in-cluster checks"),
            Column("GuardDuty", "string", ".status.guardDuty.coverageStatus", "Coverage status reported by GuardDuty"),
            Column("Agents", "string", ".status.agent.summary", "Available/desired agent pods"),
            Column("Age", "date", ".metadata.creationTimestamp", "Time since creation"),
            Column("Message", "string", ".status.summary", "Top cause in one line (full text: status.findings, diagnose)", priority: 1),
            Column("Last Check", "date", ".status.guardDuty.checkedAt", "Last successful GuardDuty check", priority: 1),
            Column("Nodes", "string", ".status.nodes.summary", "Eligible nodes with a ready agent / eligible nodes", priority: 1),
        ];
    }

    private static JsonObject ObjectSchema(JsonTypeInfo typeInfo, Type type)
    {
        var schema = new JsonObject();
        var description = TypeDescription(type);
        if (description is not null)
        {
            schema["description"] = description;
        }

        schema["type"] = "object";
        var defaults = TryCreateDefault(typeInfo);
        var properties = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        var required = new List<string>();
        foreach (var property in typeInfo.Properties)
        {
            var propertySchema = PropertySchema(property);
            if (defaults is not null && property.Get is not null)
            {
                var value = property.Get(defaults);
                var defaultNode = DefaultNode(value, property);
                if (defaultNode is not null)
                {
                    propertySchema["default"] = defaultNode;
                }
            }

            properties[property.Name] = propertySchema;
            if (property.IsRequired || Attribute<RequiredAttribute>(property) is not null)
            {
                required.Add(property.Name);
            }
        }

        schema["properties"] = new JsonObject(properties.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        if (required.Count > 0)
        {
            required.Sort(StringComparer.Ordinal);
            schema["required"] = new JsonArray(required.Select(r => (JsonNode?)r).ToArray());
        }

        return schema;
    }

    private static JsonObject PropertySchema(JsonPropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var schema = TypeSchema(type, property.Options);
        var description = Attribute<DescriptionAttribute>(property)?.Description;
        if (description is not null)
        {
            schema.Remove("description");
            schema.Insert(0, "description", description);
        }

        if (Attribute<RegularExpressionAttribute>(property) is { } pattern)
        {
            schema["pattern"] = pattern.Pattern;
        }

        if (Attribute<StringLengthAttribute>(property) is { } length)
        {
            if (length.MinimumLength > 0)
            {
                schema["minLength"] = length.MinimumLength;
            }

            schema["maxLength"] = length.MaximumLength;
        }

        if (Attribute<MaxItemsAttribute>(property) is { } maxItems && schema["type"]?.GetValue<string>() == "array")
        {
            schema["maxItems"] = maxItems.Length;
        }

        if (Attribute<ItemMaxLengthAttribute>(property) is { } itemLength && schema["items"] is JsonObject items)
        {
            items["maxLength"] = itemLength.Length;
        }

        if (Attribute<RangeAttribute>(property) is { } range)
        {
            schema["minimum"] = JsonValue.Create(Convert.ToInt64(range.Minimum, System.Globalization.CultureInfo.InvariantCulture));
            schema["maximum"] = JsonValue.Create(Convert.ToInt64(range.Maximum, System.Globalization.CultureInfo.InvariantCulture));
        }

        if (Attribute<ListMapKeysAttribute>(property) is { } listMap)
        {
            schema["x-kubernetes-list-type"] = "map";
            schema["x-kubernetes-list-map-keys"] = new JsonArray(listMap.Keys.Select(k => (JsonNode?)k).ToArray());
        }

        return schema;
    }

    private static JsonObject TypeSchema(Type type, JsonSerializerOptions options)
    {
        if (type == typeof(string))
        {
            return new JsonObject { ["type"] = "string" };
        }

        if (type == typeof(bool))
        {
            return new JsonObject { ["type"] = "boolean" };
        }

        if (type == typeof(int))
        {
            return new JsonObject { ["format"] = "int32", ["type"] = "integer" };
        }

        if (type == typeof(long))
        {
            return new JsonObject { ["format"] = "int64", ["type"] = "integer" };
        }

        if (type == typeof(DateTimeOffset))
        {
            return new JsonObject { ["format"] = "date-time", ["maxLength"] = 64, ["type"] = "string" };
        }

        var typeInfo = options.GetTypeInfo(type);
        if (type.IsEnum)
        {
            var values = new JsonArray();
            foreach (var raw in Enum.GetValuesAsUnderlyingType(type))
            {
                var value = Enum.ToObject(type, raw);
                values.Add(JsonSerializer.SerializeToNode(value, typeInfo));
            }

            return new JsonObject { ["enum"] = values, ["type"] = "string" };
        }

        return typeInfo.Kind switch
        {
            JsonTypeInfoKind.Object => ObjectSchema(typeInfo, type),
            JsonTypeInfoKind.Enumerable => new JsonObject
            {
                ["items"] = TypeSchema(typeInfo.ElementType!, options),
                ["type"] = "array",
            },
            _ => throw new NotSupportedException($"no CRD schema mapping for {type}"),
        };
    }

    /// <summary>
    /// The instance the C# initializers produce: <c>{}</c> deserialized with required-ness switched off
    /// (records with init-only properties have no creator the contract could call directly).
    /// </summary>
    private static object? TryCreateDefault(JsonTypeInfo typeInfo)
    {
        var options = new JsonSerializerOptions(typeInfo.Options)
        {
            TypeInfoResolver = typeInfo.Options.TypeInfoResolver!.WithAddedModifier(static info =>
            {
                foreach (var property in info.Properties)
                {
                    property.IsRequired = false;
                }
            }),
        };
        return JsonSerializer.Deserialize("{}", options.GetTypeInfo(typeInfo.Type));
    }

    /// <summary>
    /// Defaults come from the C# initializers: scalars become their value; objects become <c>{}</c>, so the API server
    /// defaults their fields even when the whole object is omitted (structural defaulting applies nested defaults).
    /// </summary>
    private static JsonNode? DefaultNode(object? value, JsonPropertyInfo property)
    {
        if (value is null || property.IsRequired)
        {
            return null;
        }

        var node = JsonSerializer.SerializeToNode(value, property.Options.GetTypeInfo(property.PropertyType));
        return node switch
        {
            JsonObject => new JsonObject(),
            JsonArray => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0 => null,
            _ => node,
        };
    }

    private static T? Attribute<T>(JsonPropertyInfo property)
        where T : Attribute =>
        property.AttributeProvider?.GetCustomAttributes(typeof(T), inherit: true).OfType<T>().FirstOrDefault();

    private static string? TypeDescription(Type type) =>
        type.GetCustomAttributes(typeof(DescriptionAttribute), inherit: false).OfType<DescriptionAttribute>().FirstOrDefault()?.Description;
}
