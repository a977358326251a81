using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Tests.Deploy;
using Xunit.Abstractions;

namespace GuardDutyCoverage.Tests.Fuzz;

/// <summary>
/// GuardDutyCoverage specs with every field at and past its schema bounds, of the wrong type, or hostile: what the CRD
/// schema accepts, the operator reads and validates without throwing, and every problem names its field; what exceeds
/// a bound is rejected by the schema, naming the field.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class SpecFuzzTests(ITestOutputHelper output)
{
    public const int Inputs = 4_000;

    private static readonly JsonNode Schema = CrdSchema.CheckedInSchema();

    private static readonly JsonObject SpecSchema = Schema["properties"]!["spec"]!.AsObject();

    private static readonly OperatorOptions Options = new();

    /// <summary>Every string field of the spec with its schema (path relative to spec).</summary>
    private static readonly (string[] Path, JsonObject Schema)[] Fields = [.. StringFields(SpecSchema, [])];

    private static IEnumerable<(string[] Path, JsonObject Schema)> StringFields(JsonObject schema, string[] path)
    {
        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (name, child) in properties)
            {
                foreach (var field in StringFields(child!.AsObject(), [.. path, name]))
                {
                    yield return field;
                }
            }
        }
        else if (schema["type"]?.GetValue<string>() is "string" or "boolean")
        {
            yield return (path, schema);
        }
    }

    private static readonly string[] Valid =
    [
        "prod-eks-1", "us-east-1", "111122223333", "12abc34d567e8fa901bc2d34e56789f0", "amazon-guardduty", "1.8.1", "5m", "1h30m",
        "https://guardduty-fips.us-east-1.amazonaws.com", "url", "AUTO_MANAGED", "Apply", "Report",
    ];

    private sealed record SpecCase(JsonObject Spec, string Note)
    {
        public override string ToString() => $"{Note}: {FuzzRunner.Describe(Spec.ToJsonString())}";
    }

    private static Gen<SpecCase> Specs() => Gen.Choose(0, int.MaxValue).Select(seed =>
    {
        var random = new Random(seed);
        var spec = new JsonObject { ["clusterName"] = "prod-eks-1" };
        var notes = new List<string>();
        foreach (var (path, schema) in Fields.Where(_ => random.Next(3) == 0))
        {
            var max = (int?)schema["maxLength"]?.GetValue<long>();
            JsonNode? value = random.Next(9) switch
            {
                0 when max is { } m => new string('a', m),
                1 when max is { } m => new string('a', m + 1),
                2 when max is { } m => new string('1', m + random.Next(1, 5000)),
                3 => JsonValue.Create(random.Next()),
                4 => null,
                5 => new JsonArray("x"),
                6 => JsonValue.Create(Mutations.RandomText(random, random.Next(0, 400))),
                7 => schema["enum"] is JsonArray choices ? choices[random.Next(choices.Count)]!.DeepClone() : JsonValue.Create(Valid[random.Next(Valid.Length)]),
                _ => JsonValue.Create(Mutations.MutateText(Valid[random.Next(Valid.Length)], random)),
            };
            Set(spec, path, value);
            notes.Add(string.Join('.', path));
        }

        if (random.Next(10) == 0)
        {
            spec[Mutations.RandomText(random, 8)] = "unknown field";
        }

        return new SpecCase(spec, string.Join(",", notes));
    });

    private static void Set(JsonObject spec, string[] path, JsonNode? value)
    {
        var node = spec;
        foreach (var part in path[..^1])
        {
            if (node[part] is not JsonObject child)
            {
                child = new JsonObject();
                node[part] = child;
            }

            node = child;
        }

        node[path[^1]] = value;
    }

    private static string? Check(SpecCase input)
    {
        var document = new JsonObject
        {
            ["apiVersion"] = V1Alpha1GuardDutyCoverage.ApiVersionValue,
            ["kind"] = V1Alpha1GuardDutyCoverage.KindName,
            ["metadata"] = new JsonObject { ["name"] = "fuzz" },
            ["spec"] = input.Spec.DeepClone(),
        };
        var errors = CrdSchema.Validate(Schema, document);

        // Whatever exceeds a bound must be rejected, naming the field.
        foreach (var (path, schema) in Fields)
        {
            if (schema["maxLength"]?.GetValue<long>() is { } max && Get(input.Spec, path) is JsonValue v && v.TryGetValue<string>(out var text) && text.Length > max)
            {
                var field = "spec." + string.Join('.', path);
                if (!errors.Any(e => e.Contains(field, StringComparison.Ordinal) && e.Contains("longer than", StringComparison.Ordinal)))
                {
                    return $"{field} has {text.Length} characters (max {max}) but the schema accepted it";
                }
            }
        }

        if (errors.Count > 0)
        {
            return errors.All(e => e.Contains("spec", StringComparison.Ordinal)) ? null : "a schema error names no field: " + string.Join("; ", errors);
        }

        // Accepted by the schema: the operator must read it and judge it without throwing.
        var coverage = document.Deserialize(ApiJsonContext.Default.V1Alpha1GuardDutyCoverage)!;
        var result = SpecValidator.Validate(coverage.Spec, Options);
        if (result.Problems.Any(p => !p.StartsWith("spec.", StringComparison.Ordinal)))
        {
            return "a problem does not name its field: " + string.Join("; ", result.Problems);
        }

        if (!result.IsValid)
        {
            var status = StatusComposer.InvalidSpec(result.Problems, null, 1, DateTimeOffset.UnixEpoch, result.Reason);
            var statusErrors = CrdSchema.Validate(Schema["properties"]!["status"]!, JsonSerializer.SerializeToNode(status, ApiJsonContext.Default.GuardDutyCoverageStatus));
            if (statusErrors.Count > 0)
            {
                return "the Stalled status would be rejected: " + string.Join("; ", statusErrors);
            }
        }

        return null;
    }

    private static JsonNode? Get(JsonObject spec, string[] path)
    {
        JsonNode? node = spec;
        foreach (var part in path)
        {
            node = node is JsonObject obj ? obj[part] : null;
        }

        return node;
    }

    [Fact]
    public async Task SpecsAtAndPastTheirBoundsAreRejectedOrJudgedNeverCrash()
    {
        Assert.True(Fields.Length >= 15, $"only {Fields.Length} spec fields found");
        var outcome = await FuzzRunner.RunAsync("CR specs", Specs(), Inputs * FuzzRunner.Scale, Check, c => c.ToString());
        output.WriteLine(outcome.ToString());
        FuzzRunner.AssertClean(outcome, Inputs);
    }

    [Fact]
    public void EveryStringAndListInTheCrdHasABound()
    {
        var unbounded = new List<string>();
        void Walk(JsonNode schema, string path, bool root)
        {
            var type = schema["type"]?.GetValue<string>();
            // apiVersion and kind at the root are checked by the API server itself (the served group/version and kind).
            if (type == "string" && schema["enum"] is null && schema["maxLength"] is null && !(root && path is ".apiVersion" or ".kind"))
            {
                unbounded.Add(path + " (string without maxLength)");
            }

            if (type == "array" && schema["maxItems"] is null)
            {
                unbounded.Add(path + " (array without maxItems)");
            }

            if (schema["properties"] is JsonObject properties)
            {
                foreach (var (name, child) in properties)
                {
                    Walk(child!, $"{path}.{name}", root && path.Length == 0);
                }
            }

            if (schema["items"] is { } items)
            {
                Walk(items, path + "[]", false);
            }
        }

        var generated = CrdSchema.OpenApiSchema(JsonNode.Parse(CrdGenerator.Generate().ToJsonString())!);
        Walk(generated, "", true);
        Assert.True(unbounded.Count == 0, "unbounded: " + string.Join(", ", unbounded));

        // The checked-in CRD is the generated one, so the API server enforces these bounds.
        Assert.True(JsonNode.DeepEquals(generated, CrdSchema.CheckedInSchema()), "crds/ is stale: make manifests");
    }
}
