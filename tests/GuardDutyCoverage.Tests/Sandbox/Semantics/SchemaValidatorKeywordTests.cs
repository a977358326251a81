using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Semantics;

namespace GuardDutyCoverage.Tests.Sandbox.Semantics;

/// <summary>Each structural-schema keyword: pruning, defaulting and validation with kube-apiserver's causes.</summary>
public sealed class SchemaValidatorKeywordTests
{
    private readonly StructuralSchemaValidator validator = new();

    /// <summary>Validates <c>{"spec": {"x": value}}</c> against <c>spec.x</c> having <paramref name="fieldSchema"/>.</summary>
    private List<string> ErrorsFor(string fieldSchema, string value)
    {
        var resource = Golden.CustomResource(JsonNode.Parse(
            """{"type":"object","properties":{"spec":{"type":"object","properties":{"x":""" + fieldSchema + "}}}}")!.AsObject());
        var obj = JsonNode.Parse("""{"apiVersion":"example.com/v1","kind":"Thing","metadata":{"name":"t"},"spec":{"x":""" + value + "}}")!.AsObject();
        return validator.DefaultAndValidate(obj, resource).Select(e => $"{e.Reason} {e.Field}: {e.Message}").ToList();
    }

    private (JsonObject Object, IReadOnlyList<FieldError> Errors) Run(string schema, string obj, bool namespaced = false)
    {
        var resource = Golden.CustomResource(JsonNode.Parse(schema)!.AsObject()) with { Namespaced = namespaced };
        var value = JsonNode.Parse(obj)!.AsObject();
        return (value, validator.DefaultAndValidate(value, resource));
    }

    [Theory]
    [InlineData("""{"type":"string"}""", "1", "FieldValueTypeInvalid spec.x: Invalid value: \"integer\": spec.x in body must be of type string: \"integer\"")]
    [InlineData("""{"type":"integer"}""", "1.5", "FieldValueTypeInvalid spec.x: Invalid value: \"number\": spec.x in body must be of type integer: \"number\"")]
    [InlineData("""{"type":"integer"}""", "true", "FieldValueTypeInvalid spec.x: Invalid value: \"boolean\": spec.x in body must be of type integer: \"boolean\"")]
    [InlineData("""{"type":"boolean"}""", "\"true\"", "FieldValueTypeInvalid spec.x: Invalid value: \"string\": spec.x in body must be of type boolean: \"string\"")]
    [InlineData("""{"type":"object"}""", "[]", "FieldValueTypeInvalid spec.x: Invalid value: \"array\": spec.x in body must be of type object: \"array\"")]
    [InlineData("""{"type":"array"}""", "{}", "FieldValueTypeInvalid spec.x: Invalid value: \"object\": spec.x in body must be of type array: \"object\"")]
    [InlineData("""{"type":"number"}""", "\"1\"", "FieldValueTypeInvalid spec.x: Invalid value: \"string\": spec.x in body must be of type number: \"string\"")]
    [InlineData("""{"x-kubernetes-int-or-string":true}""", "true", "FieldValueTypeInvalid spec.x: Invalid value: \"boolean\": spec.x in body must be of type integer,string: \"boolean\"")]
    public void TypeMismatches(string schema, string value, string expected) => Assert.Equal([expected], ErrorsFor(schema, value));

    [Theory]
    [InlineData("""{"type":"integer"}""", "2.0")]
    [InlineData("""{"type":"number"}""", "2")]
    [InlineData("""{"type":"number"}""", "2.5")]
    [InlineData("""{"x-kubernetes-int-or-string":true}""", "8080")]
    [InlineData("""{"x-kubernetes-int-or-string":true}""", "\"http\"")]
    [InlineData("""{"type":"string","nullable":true}""", "null")]
    [InlineData("""{"type":"integer","format":"int32"}""", "9999999999")]
    [InlineData("""{"type":"string","format":"int64"}""", "\"not a number\"")]
    public void AcceptedValues(string schema, string value) => Assert.Empty(ErrorsFor(schema, value));

    [Fact]
    public void NullOfANonNullableFieldWithoutDefaultIsDropped()
    {
        var (obj, errors) = Run(
            """{"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string","default":"d"}}}}}""",
            """{"metadata":{"name":"t"},"spec":{"a":null,"b":null}}""");

        Assert.Empty(errors);
        Golden.AssertJsonEqual(JsonNode.Parse("""{"b":"d"}"""), obj["spec"]);
    }

    [Fact]
    public void NullArrayItemsAreTypeErrors() =>
        Assert.Equal(
            ["FieldValueTypeInvalid spec.x[1]: Invalid value: \"null\": spec.x[1] in body must be of type string: \"null\""],
            ErrorsFor("""{"type":"array","items":{"type":"string"}}""", """["a",null]"""));

    [Theory]
    [InlineData("""{"type":"integer","minimum":1}""", "0", "FieldValueInvalid spec.x: Invalid value: 0: spec.x in body should be greater than or equal to 1")]
    [InlineData("""{"type":"integer","minimum":1,"exclusiveMinimum":true}""", "1", "FieldValueInvalid spec.x: Invalid value: 1: spec.x in body should be greater than 1")]
    [InlineData("""{"type":"integer","maximum":10,"exclusiveMaximum":true}""", "10", "FieldValueInvalid spec.x: Invalid value: 10: spec.x in body should be less than 10")]
    [InlineData("""{"type":"number","maximum":1.5}""", "2", "FieldValueInvalid spec.x: Invalid value: 2: spec.x in body should be less than or equal to 1.5")]
    [InlineData("""{"type":"number","maximum":1000000}""", "2000000.5", "FieldValueInvalid spec.x: Invalid value: 2.0000005e+06: spec.x in body should be less than or equal to 1e+06")]
    [InlineData("""{"type":"integer","multipleOf":5}""", "7", "FieldValueInvalid spec.x: Invalid value: 7: spec.x in body should be a multiple of 5")]
    [InlineData("""{"type":"string","minLength":3}""", "\"ab\"", "FieldValueInvalid spec.x: Invalid value: \"ab\": spec.x in body should be at least 3 chars long")]
    [InlineData("""{"type":"string","maxLength":3}""", "\"abcd\"", "FieldValueTooLong spec.x: Too long: may not be longer than 3")]
    [InlineData("""{"type":"array","minItems":2}""", "[1]", "FieldValueInvalid spec.x: Invalid value: 1: spec.x in body should have at least 2 items")]
    [InlineData("""{"type":"array","maxItems":1}""", "[1,2]", "FieldValueTooMany spec.x: Too many: 2: must have at most 1 items")]
    [InlineData("""{"type":"object","maxProperties":1,"additionalProperties":{"type":"string"}}""", """{"a":"1","b":"2"}""", "FieldValueTooMany spec.x: Too many: 2: must have at most 1 items")]
    [InlineData("""{"type":"string","enum":["a","b"]}""", "\"c\"", "FieldValueNotSupported spec.x: Unsupported value: \"c\": supported values: \"a\", \"b\"")]
    [InlineData("""{"type":"integer","enum":[1,2]}""", "3", "FieldValueNotSupported spec.x: Unsupported value: 3: supported values: \"1\", \"2\"")]
    [InlineData("""{"type":"string","format":"date-time"}""", "\"2026-13-01T00:00:00Z\"", "FieldValueTypeInvalid spec.x: Invalid value: \"2026-13-01T00:00:00Z\": spec.x in body must be of type date-time: \"2026-13-01T00:00:00Z\"")]
    [InlineData("""{"type":"string","format":"uuid"}""", "\"nope\"", "FieldValueTypeInvalid spec.x: Invalid value: \"nope\": spec.x in body must be of type uuid: \"nope\"")]
    [InlineData("""{"type":"string","format":"byte"}""", "\"!!\"", "FieldValueTypeInvalid spec.x: Invalid value: \"!!\": spec.x in body must be of type byte: \"!!\"")]
    [InlineData("""{"type":"string","format":"ipv4"}""", "\"10.0.0.256\"", "FieldValueTypeInvalid spec.x: Invalid value: \"10.0.0.256\": spec.x in body must be of type ipv4: \"10.0.0.256\"")]
    public void ValueValidations(string schema, string value, string expected) => Assert.Equal([expected], ErrorsFor(schema, value));

    [Theory]
    [InlineData("""{"type":"string","maxLength":3}""", "\"héé\"")]
    [InlineData("""{"type":"string","maxLength":1}""", "\"🙂\"")]
    [InlineData("""{"type":"string","format":"date-time"}""", "\"2026-11-26T16:52:06.123+01:00\"")]
    [InlineData("""{"type":"string","format":"uuid"}""", "\"0A88D1AC-3A1D-4AA1-9639-32886F36C064\"")]
    [InlineData("""{"type":"string","format":"byte"}""", "\"aGVsbG8=\"")]
    [InlineData("""{"type":"string","format":"cidr"}""", "\"10.0.0.0/8\"")]
    [InlineData("""{"type":"string","format":"hostname"}""", "\"api.example.com\"")]
    [InlineData("""{"type":"integer","multipleOf":5}""", "15")]
    [InlineData("""{"type":"number","multipleOf":0.5}""", "1.5")]
    public void LengthsCountCharactersAndFormatsAccept(string schema, string value) => Assert.Empty(ErrorsFor(schema, value));

    [Fact]
    public void StringChecksStopAtTheFirstFailure() =>
        Assert.Equal(
            ["FieldValueTooLong spec.x: Too long: may not be longer than 2"],
            ErrorsFor("""{"type":"string","maxLength":2,"pattern":"^[0-9]+$"}""", "\"abc\""));

    [Theory]
    [InlineData(@"^\d+$", "\"١٢\"")]
    [InlineData("^a$", "\"a\\n\"")]
    [InlineData(@"^[[:alpha:]]+$", "\"ab1\"")]
    [InlineData(@"^\w+$", "\"é\"")]
    public void PatternsHaveGoSemantics(string pattern, string value)
    {
        var errors = ErrorsFor("""{"type":"string","pattern":""" + JsonValue.Create(pattern).ToJsonString() + "}", value);
        Assert.Single(errors);
        Assert.Contains($"should match '{pattern}'", errors[0]);
    }

    [Theory]
    [InlineData(@"^(?P<word>[a-z]+)\z", "\"abc\"")]
    [InlineData(@"(?i)^ABC$", "\"abc\"")]
    [InlineData(@"^\x{41}\pL$", "\"Aé\"")]
    [InlineData(@"^\Q.*\E$", "\".*\"")]
    public void Re2OnlySyntaxIsUnderstood(string pattern, string value) =>
        Assert.Empty(ErrorsFor("""{"type":"string","pattern":""" + JsonValue.Create(pattern).ToJsonString() + "}", value));

    [Fact]
    public void PatternsThatAreNotRe2AreRejectedClearly()
    {
        var e = Assert.Throws<ArgumentException>(() => ErrorsFor("""{"type":"string","pattern":"^(?=a)"}""", "\"a\""));
        Assert.Contains("RE2", e.Message);
    }

    [Fact]
    public void RequiredFieldsAreReportedAfterTheOtherErrorsOfTheirObject()
    {
        var (_, errors) = Run(
            """{"type":"object","properties":{"spec":{"type":"object","required":["b","c"],"properties":{"a":{"type":"integer","minimum":5},"b":{"type":"string"},"c":{"type":"string"}}}}}""",
            """{"metadata":{"name":"t"},"spec":{"a":1,"c":"x"}}""");

        Assert.Equal(
            [
                new FieldError("FieldValueInvalid", "spec.a", "Invalid value: 1: spec.a in body should be greater than or equal to 5"),
                new FieldError("FieldValueRequired", "spec.b", "Required value"),
            ],
            errors);
    }

    [Fact]
    public void MapsFromAdditionalPropertiesArePrunedDefaultedAndValidatedPerValue()
    {
        var (obj, errors) = Run(
            """
            {"type":"object","properties":{"spec":{"type":"object","properties":{"limits":{"type":"object","additionalProperties":
              {"type":"object","properties":{"max":{"type":"integer","maximum":3},"unit":{"type":"string","default":"pods"}}}}}}}}
            """,
            """{"metadata":{"name":"t"},"spec":{"limits":{"b":{"max":9,"junk":1},"a":{"max":1}}}}""");

        Golden.AssertJsonEqual(JsonNode.Parse("""{"b":{"max":9,"unit":"pods"},"a":{"max":1,"unit":"pods"}}"""), obj["spec"]!["limits"]);
        Assert.Equal([new FieldError("FieldValueInvalid", "spec.limits.b.max", "Invalid value: 9: spec.limits.b.max in body should be less than or equal to 3")], errors);
    }

    [Fact]
    public void PreserveUnknownFieldsKeepsUnknownMembersButStillPrunesUnderKnownProperties()
    {
        var (obj, errors) = Run(
            """
            {"type":"object","properties":{"spec":{"type":"object","x-kubernetes-preserve-unknown-fields":true,
              "properties":{"known":{"type":"object","properties":{"a":{"type":"string"}}}}}}}
            """,
            """{"metadata":{"name":"t"},"spec":{"free":{"anything":[1,{"x":2}]},"known":{"a":"1","b":"2"}}}""");

        Assert.Empty(errors);
        Golden.AssertJsonEqual(JsonNode.Parse("""{"free":{"anything":[1,{"x":2}]},"known":{"a":"1"}}"""), obj["spec"]);
    }

    [Fact]
    public void EmbeddedResourcesKeepTheirTypeAndMetadata()
    {
        var (obj, errors) = Run(
            """
            {"type":"object","properties":{"spec":{"type":"object","properties":{"template":{"type":"object","x-kubernetes-embedded-resource":true,
              "properties":{"spec":{"type":"object","properties":{"a":{"type":"string"}}}}}}}}}
            """,
            """{"metadata":{"name":"t"},"spec":{"template":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","bogus":1},"spec":{"a":"x","b":"y"}}}}""");

        Assert.Empty(errors);
        Golden.AssertJsonEqual(JsonNode.Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"spec":{"a":"x"}}"""), obj["spec"]!["template"]);
    }

    [Fact]
    public void DefaultsApplyInsideArrayItemsAndReplaceNonNullableNulls()
    {
        var (obj, errors) = Run(
            """
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "ports":{"type":"array","items":{"type":"object","properties":{"port":{"type":"integer"},"protocol":{"type":"string","default":"TCP"}}}},
              "mode":{"type":"string","default":"auto"}}}}}
            """,
            """{"metadata":{"name":"t"},"spec":{"ports":[{"port":80},{"port":53,"protocol":"UDP"}],"mode":null}}""");

        Assert.Empty(errors);
        Golden.AssertJsonEqual(
            JsonNode.Parse("""{"ports":[{"port":80,"protocol":"TCP"},{"port":53,"protocol":"UDP"}],"mode":"auto"}"""),
            obj["spec"]);
    }

    [Fact]
    public void SetAndMapListsRejectDuplicates()
    {
        var (_, errors) = Run(
            """
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
              "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["port","protocol"],
                "items":{"type":"object","required":["port"],"properties":{"port":{"type":"integer"},"protocol":{"type":"string","default":"TCP"}}}}}}}}
            """,
            """{"metadata":{"name":"t"},"spec":{"tags":["a","b","a","a"],"ports":[{"port":80},{"port":80,"protocol":"TCP"},{"port":80,"protocol":"UDP"}]}}""");

        Assert.Equal(
            [
                new FieldError("FieldValueDuplicate", "spec.ports[1]", "Duplicate value: map[string]interface {}{\"port\":80, \"protocol\":\"TCP\"}"),
                new FieldError("FieldValueDuplicate", "spec.tags[2]", "Duplicate value: \"a\""),
            ],
            errors);
    }

    [Fact]
    public void AnyOfOneOfAndNotReportOnTheNilPath()
    {
        var errors = ErrorsFor("""{"type":"string","anyOf":[{"pattern":"^a"},{"pattern":"^b"}],"not":{"pattern":"^c"}}""", "\"cat\"");

        Assert.Equal(
            [
                "FieldValueInvalid <nil>: Invalid value: \"\": \"spec.x\" must validate at least one schema (anyOf)",
                "FieldValueInvalid spec.x: Invalid value: \"cat\": spec.x in body should match '^a'",
                "FieldValueInvalid <nil>: Invalid value: \"\": \"spec.x\" must not validate the schema (not)",
            ],
            ErrorsFor("""{"type":"string","anyOf":[{"pattern":"^a"},{"pattern":"^b"}],"not":{"pattern":"^c"}}""", "\"cat\""));
        Assert.Equal(errors, ErrorsFor("""{"type":"string","anyOf":[{"pattern":"^a"},{"pattern":"^b"}],"not":{"pattern":"^c"}}""", "\"cat\""));
        Assert.Equal(
            ["FieldValueInvalid <nil>: Invalid value: \"\": \"spec.x\" must validate one and only one schema (oneOf). Found 2 valid alternatives"],
            ErrorsFor("""{"type":"string","oneOf":[{"pattern":"^a"},{"pattern":"b$"}]}""", "\"ab\""));
    }

    [Theory]
    [InlineData("Bad_Name", """FieldValueInvalid metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')""")]
    [InlineData("", "FieldValueRequired metadata.name: Required value: name or generateName is required")]
    public void NamesAreDnsSubdomains(string name, string expected)
    {
        var (_, errors) = Run("""{"type":"object"}""", """{"metadata":{"name":""" + JsonValue.Create(name).ToJsonString() + "}}");
        Assert.Equal([expected], errors.Select(e => $"{e.Reason} {e.Field}: {e.Message}"));
    }

    [Fact]
    public void NamesLongerThan253AreRejected()
    {
        var (_, errors) = Run("""{"type":"object"}""", "{\"metadata\":{\"name\":\"" + new string('a', 254) + "\"}}");
        Assert.Equal("Invalid value: \"" + new string('a', 254) + "\": must be no more than 253 characters", Assert.Single(errors).Message);
    }

    [Fact]
    public void NamespaceMustMatchTheScope()
    {
        var (_, clusterScoped) = Run("""{"type":"object"}""", """{"metadata":{"name":"a","namespace":"default"}}""");
        var (_, namespaced) = Run("""{"type":"object"}""", """{"metadata":{"name":"a"}}""", namespaced: true);

        Assert.Equal([new FieldError("FieldValueForbidden", "metadata.namespace", "Forbidden: not allowed on this type")], clusterScoped);
        Assert.Equal([new FieldError("FieldValueRequired", "metadata.namespace", "Required value")], namespaced);
    }

    [Fact]
    public void LabelsAreValidated()
    {
        var (_, errors) = Run("""{"type":"object"}""", """{"metadata":{"name":"a","labels":{"ok":"fine","bad key":"x","k":"-v"}}}""");

        Assert.Equal(["metadata.labels", "metadata.labels"], errors.Select(e => e.Field));
        Assert.StartsWith("Invalid value: \"bad key\": name part must consist of alphanumeric characters", errors[0].Message);
        Assert.StartsWith("Invalid value: \"-v\": a valid label must be an empty string", errors[1].Message);
    }

    [Fact]
    public void ConcurrentValidationsShareTheCompiledPatternsSafely()
    {
        var results = Enumerable.Range(0, 64).AsParallel().Select(i =>
            ErrorsFor("""{"type":"string","pattern":"^v""" + (i % 4) + "$\"}", $"\"v{i % 2}\"")).ToList();

        for (var i = 0; i < results.Count; i++)
        {
            Assert.Equal(i % 4 == i % 2 ? 0 : 1, results[i].Count);
        }
    }
}
