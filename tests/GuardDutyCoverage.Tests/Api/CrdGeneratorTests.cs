using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Tests.Api;

public sealed class CrdGeneratorTests
{
    private static JsonNode Schema => CrdGenerator.Generate()["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!;

    [Fact]
    public void CheckedInCrdIsUpToDate()
    {
        var generated = YamlJson.Serialize(CrdGenerator.Generate());
        var checkedIn = File.ReadAllText(RepoPaths.Crd);
        Assert.True(generated == checkedIn, $"{RepoPaths.Crd} is stale: run `make manifests` and commit the result.");
    }

    [Fact]
    public void CrdIsClusterScopedWithShortNameAndStatusSubresource()
    {
        var crd = CrdGenerator.Generate();
        Assert.Equal("guarddutycoverages.coverage.guardduty.io", crd["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("Cluster", crd["spec"]!["scope"]!.GetValue<string>());
        Assert.Equal("gdc", crd["spec"]!["names"]!["shortNames"]![0]!.GetValue<string>());
        var version = crd["spec"]!["versions"]![0]!;
        Assert.Equal("v1alpha1", version["name"]!.GetValue<string>());
        Assert.NotNull(version["subresources"]!["status"]);
    }

    [Fact]
    public void PrinterColumnsMatchTheDesign()
    {
        var columns = CrdGenerator.Generate()["spec"]!["versions"]![0]!["additionalPrinterColumns"]!.AsArray();
        var normal = columns.Where(c => c!["priority"] is null).Select(c => c!["name"]!.GetValue<string>());
        var wide = columns.Where(c => c!["priority"] is not null).Select(c => c!["name"]!.GetValue<string>());
        Assert.Equal(["Cluster", "Ready", "Reason", "Local", "GuardDuty", "Agents", "Age"], normal);
        Assert.Equal(["Message", "Last Check", "Nodes"], wide);
    }

    [Fact]
    public void SpecValidationComesFromTheTypes()
    {
        var spec = Schema["properties"]!["spec"]!;
        Assert.Equal(["clusterName"], spec["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        var p = spec["properties"]!;
        Assert.Equal(@"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$", p["clusterName"]!["pattern"]!.GetValue<string>());
        Assert.Equal(@"^\d{12}$", p["accountId"]!["pattern"]!.GetValue<string>());
        Assert.Equal("^[a-z0-9]{1,300}$", p["detectorId"]!["pattern"]!.GetValue<string>());
        Assert.Equal(["AUTO_MANAGED", "MANUAL"], p["expectedManagementType"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["Report", "Apply"], p["remediation"]!["properties"]!["mode"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("amazon-guardduty", p["agent"]!["properties"]!["namespace"]!["default"]!.GetValue<string>());
        Assert.Equal("aws-guardduty-agent", p["agent"]!["properties"]!["daemonSetName"]!["default"]!.GetValue<string>());
        Assert.Equal("aws-guardduty-agent.priorityclass", p["agent"]!["properties"]!["priorityClassName"]!["default"]!.GetValue<string>());
        Assert.True(p["checks"]!["properties"]!["admissionDryRun"]!["default"]!.GetValue<bool>());
        Assert.Equal("5m", p["interval"]!["default"]!.GetValue<string>());
        Assert.NotNull(p["agent"]!["default"]);
    }

    [Fact]
    public void ConditionsAreAListMapKeyedByType()
    {
        var conditions = Schema["properties"]!["status"]!["properties"]!["conditions"]!;
        Assert.Equal("map", conditions["x-kubernetes-list-type"]!.GetValue<string>());
        Assert.Equal("type", conditions["x-kubernetes-list-map-keys"]![0]!.GetValue<string>());
        Assert.Contains("type", conditions["items"]!["required"]!.AsArray().Select(n => n!.GetValue<string>()));
    }
}
