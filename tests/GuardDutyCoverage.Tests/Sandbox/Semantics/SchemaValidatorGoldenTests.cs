using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Semantics;

namespace GuardDutyCoverage.Tests.Sandbox.Semantics;

/// <summary>The Invalid responses of k8s-golden 12-15 and 29, byte for byte (Status body, causes and their order).</summary>
public sealed class SchemaValidatorGoldenTests
{
    private readonly StructuralSchemaValidator validator = new();

    [Theory]
    [InlineData("12")]
    [InlineData("13")]
    [InlineData("14")]
    [InlineData("15")]
    public void InvalidCreateReproducesTheRecordedStatus(string exchange)
    {
        var body = Golden.RequestBody(exchange);

        var errors = validator.DefaultAndValidate(body, Golden.Widget);

        var status = ApiStatus.Invalid("Widget", "example.com", body["metadata"]!["name"]!.GetValue<string>(), errors);
        Golden.AssertJsonEqual(Golden.ResponseBody(exchange), status);
    }

    [Fact]
    public void InvalidMergePatchReproducesTheRecordedStatus()
    {
        // 29 patches w1 as it was after 27.
        var live = Golden.ResponseBody("27");
        var patched = Golden.MergePatch(live, Golden.RequestBody("29"));

        var errors = validator.DefaultAndValidate(patched, Golden.Widget);

        Golden.AssertJsonEqual(Golden.ResponseBody("29"), ApiStatus.Invalid("Widget", "example.com", "w1", errors));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("19")]
    public void ValidCreateHasNoErrorsAndIsUnchanged(string exchange)
    {
        var body = Golden.RequestBody(exchange);
        var original = body.DeepClone();

        var errors = validator.DefaultAndValidate(body, Golden.Widget);

        Assert.Empty(errors);
        Golden.AssertJsonEqual(original, body);
    }

    [Theory]
    [InlineData("20")]
    [InlineData("25")]
    [InlineData("26")]
    [InlineData("27")]
    public void RecordedObjectsAreValid(string exchange)
    {
        var body = Golden.ResponseBody(exchange);

        Assert.Empty(validator.DefaultAndValidate(body, Golden.Widget));
        Golden.AssertJsonEqual(Golden.ResponseBody(exchange), body);
    }

    [Fact]
    public void SingleCauseMessageHasNoBracketsAndDuplicatesAreMergedInTheMessageOnly()
    {
        FieldError[] causes =
        [
            new("FieldValueRequired", "spec.size", "Required value"),
            new("FieldValueRequired", "spec.size", "Required value"),
        ];

        var status = ApiStatus.Invalid("Widget", "example.com", "x", causes);

        Assert.Equal("Widget.example.com \"x\" is invalid: spec.size: Required value", status["message"]!.GetValue<string>());
        Assert.Equal(2, status["details"]!["causes"]!.AsArray().Count);
    }

    [Fact]
    public void CoreGroupKindsAreNotQualified()
    {
        var status = ApiStatus.Invalid("Namespace", "", "Bad", [new("FieldValueInvalid", "metadata.name", "Invalid value: \"Bad\": x")]);

        Assert.Equal("Namespace \"Bad\" is invalid: metadata.name: Invalid value: \"Bad\": x", status["message"]!.GetValue<string>());
        Assert.Equal("", status["details"]!["group"]!.GetValue<string>());
    }

    [Fact]
    public void BuiltInResourcesAreRefusedClearly()
    {
        var e = Assert.Throws<ArgumentException>(() => validator.DefaultAndValidate(new JsonObject(), Golden.DaemonSet));
        Assert.Contains("not a custom resource", e.Message);
    }
}
