using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Semantics;

namespace GuardDutyCoverage.Tests.Sandbox.Semantics;

/// <summary>The project's own CRD (crds/coverage.guardduty.io_guarddutycoverages.yaml) through the validator.</summary>
public sealed class CoverageCrdValidationTests
{
    private readonly StructuralSchemaValidator validator = new();

    private static JsonObject Coverage(string spec) => JsonNode.Parse($$"""
        {"apiVersion":"coverage.guardduty.io/v1alpha1","kind":"GuardDutyCoverage","metadata":{"name":"prod-eks-1"},"spec":{{spec}}}
        """)!.AsObject();

    [Fact]
    public void ClusterNameAloneIsDefaultedThroughNestedObjects()
    {
        var cr = Coverage("""{"clusterName":"prod-eks-1"}""");

        var errors = validator.DefaultAndValidate(cr, Golden.GuardDutyCoverage);

        Assert.Empty(errors);
        Golden.AssertJsonEqual(JsonNode.Parse("""
            {
              "clusterName": "prod-eks-1",
              "agent": {
                "daemonSetName": "aws-guardduty-agent",
                "namespace": "amazon-guardduty",
                "priorityClassName": "aws-guardduty-agent.priorityclass"
              },
              "checks": { "admissionDryRun": true, "eksAddon": true, "guardDuty": true },
              "interval": "5m",
              "remediation": { "mode": "Report" }
            }
            """), cr["spec"]);
    }

    [Fact]
    public void DefaultsFillOnlyWhatIsMissing()
    {
        var cr = Coverage("""{"clusterName":"c","agent":{"namespace":"security"},"checks":{"guardDuty":false},"interval":"10m"}""");

        Assert.Empty(validator.DefaultAndValidate(cr, Golden.GuardDutyCoverage));

        Assert.Equal("security", cr["spec"]!["agent"]!["namespace"]!.GetValue<string>());
        Assert.Equal("aws-guardduty-agent", cr["spec"]!["agent"]!["daemonSetName"]!.GetValue<string>());
        Assert.False(cr["spec"]!["checks"]!["guardDuty"]!.GetValue<bool>());
        Assert.True(cr["spec"]!["checks"]!["eksAddon"]!.GetValue<bool>());
        Assert.Equal("10m", cr["spec"]!["interval"]!.GetValue<string>());
        Assert.Null(cr["spec"]!["notify"]);
    }

    [Fact]
    public void IntervalAndAccountIdPatternsAreEnforced()
    {
        var cr = Coverage("""{"clusterName":"c","interval":"30s","accountId":"123"}""");

        var errors = validator.DefaultAndValidate(cr, Golden.GuardDutyCoverage);

        Assert.Equal(
            [
                new FieldError("FieldValueInvalid", "spec.accountId", """Invalid value: "123": spec.accountId in body should match '^\d{12}$'"""),
                new FieldError("FieldValueInvalid", "spec.interval", """Invalid value: "30s": spec.interval in body should match '^(0*[1-9][0-9]*h([0-9]+m)?([0-9]+s)?|(0+h)?0*[1-9][0-9]*m([0-9]+s)?|(0+h)?(0+m)?0*([6-9][0-9]|[1-9][0-9]{2,})s)$'"""),
            ],
            errors);
        var status = ApiStatus.Invalid("GuardDutyCoverage", "coverage.guardduty.io", "prod-eks-1", errors);
        Assert.StartsWith("GuardDutyCoverage.coverage.guardduty.io \"prod-eks-1\" is invalid: [spec.accountId: Invalid value: \"123\"", status["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("1m")]
    [InlineData("60s")]
    [InlineData("90s")]
    [InlineData("1h30m")]
    [InlineData("2h")]
    public void IntervalsOfAtLeastAMinuteAreAccepted(string interval) =>
        Assert.Empty(validator.DefaultAndValidate(Coverage($$"""{"clusterName":"c","interval":"{{interval}}"}"""), Golden.GuardDutyCoverage));

    [Fact]
    public void MissingSpecAndUnknownFields()
    {
        var cr = JsonNode.Parse("""{"apiVersion":"coverage.guardduty.io/v1alpha1","kind":"GuardDutyCoverage","metadata":{"name":"x","colour":"red"},"extra":1}""")!.AsObject();

        var pruned = validator.PruneUnknownFields(cr, Golden.GuardDutyCoverage);
        var errors = validator.DefaultAndValidate(cr, Golden.GuardDutyCoverage);

        Assert.Equal(["extra", "metadata.colour"], pruned);
        Assert.Equal([new FieldError("FieldValueRequired", "spec", "Required value")], errors);
        Assert.False(cr.ContainsKey("extra"));
        Assert.False(cr["metadata"]!.AsObject().ContainsKey("colour"));
    }

    [Fact]
    public void EnumsListTheSupportedValues()
    {
        var cr = Coverage("""{"clusterName":"c","expectedManagementType":"AUTO","remediation":{"mode":"Fix"}}""");

        var errors = validator.DefaultAndValidate(cr, Golden.GuardDutyCoverage);

        Assert.Equal(
            [
                new FieldError("FieldValueNotSupported", "spec.expectedManagementType", "Unsupported value: \"AUTO\": supported values: \"AUTO_MANAGED\", \"MANUAL\""),
                new FieldError("FieldValueNotSupported", "spec.remediation.mode", "Unsupported value: \"Fix\": supported values: \"Report\", \"Apply\""),
            ],
            errors);
    }

    [Fact]
    public void StatusConditionsAreAMapListKeyedByType()
    {
        var cr = Coverage("""{"clusterName":"c"}""");
        cr["status"] = JsonNode.Parse("""
            {"conditions":[
              {"type":"Ready","status":"True","reason":"Ok","lastTransitionTime":"2026-11-26T12:00:00Z"},
              {"type":"Ready","status":"False","reason":"No","lastTransitionTime":"not a time"}
            ]}
            """);

        var errors = validator.DefaultAndValidate(cr, Golden.GuardDutyCoverage);

        Assert.Equal(
            [
                new FieldError("FieldValueTypeInvalid", "status.conditions[1].lastTransitionTime", "Invalid value: \"not a time\": status.conditions[1].lastTransitionTime in body must be of type date-time: \"not a time\""),
                new FieldError("FieldValueDuplicate", "status.conditions[1]", "Duplicate value: map[string]interface {}{\"type\":\"Ready\"}"),
            ],
            errors);
    }
}
