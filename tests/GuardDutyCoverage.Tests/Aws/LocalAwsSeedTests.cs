using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Sandbox.Aws;

namespace GuardDutyCoverage.Tests.Aws;

/// <summary>The seed file of <c>guardduty-sandbox serve --aws-seed</c>: what it puts into the local endpoints, and its errors.</summary>
public sealed class LocalAwsSeedTests
{
    private static readonly ServiceModel GuardDutyModel = ServiceModel.Load(RepoPaths.TestData("aws-models", LocalAwsServer.GuardDutyModelFile));
    private static readonly ServiceModel EksModel = ServiceModel.Load(RepoPaths.TestData("aws-models", LocalAwsServer.EksModelFile));

    private static LocalAwsSeed Parse(string yaml) => LocalAwsSeed.Parse(yaml, GuardDutyModel, EksModel);

    [Fact]
    public async Task TheDemoSeedIsServedToTheOperatorsClients()
    {
        var seed = Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "scenarios", "demo-aws.yaml")));
        Assert.Equal("us-east-1", seed.Region);
        await using var aws = await LocalAws.StartAsync();
        aws.State.RemoveDetector(LocalAws.DetectorId);
        seed.ApplyTo(aws.State);

        var guardDuty = aws.GuardDuty();
        Assert.Equal([LocalAws.DetectorId], await guardDuty.ListAllDetectorsAsync(default));
        var listed = await guardDuty.ListAllCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest(), null, default);
        Assert.Equal(["dev-eks-2", "prod-eks-1"], listed.Select(r => r.ResourceId!).Order());
        var coverage = listed.Single(r => r.ResourceId == "prod-eks-1");
        Assert.Equal(("prod-eks-1", "HEALTHY", "111122223333"), (coverage.ResourceId, coverage.CoverageStatus, coverage.AccountId));
        Assert.Equal("v1.17.1-eksbuild.2", coverage.ResourceDetails!.EksClusterDetails!.AddonDetails!.AddonVersion);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), coverage.UpdatedAt);

        var eks = aws.Eks();
        Assert.Equal("1.31", (await eks.DescribeClusterAsync("prod-eks-1", default)).Value!.Version);
        var addon = (await eks.DescribeAddonAsync("prod-eks-1", "aws-guardduty-agent", default)).Value!;
        Assert.Equal(("ACTIVE", "v1.17.1-eksbuild.2"), (addon.Status, addon.AddonVersion));
        Assert.StartsWith("arn:aws:eks:us-east-1:111122223333:addon/prod-eks-1/aws-guardduty-agent/", addon.AddonArn);
        var versions = Assert.Single(await eks.DescribeAllAddonVersionsAsync(new DescribeAddonVersionsRequest { AddonName = "aws-guardduty-agent", KubernetesVersion = "1.31" }, default));
        Assert.Equal(2, versions.AddonVersions!.Count);
    }

    [Fact]
    public async Task ASeedDescribesBrokenCoverageToo()
    {
        var seed = Parse("""
            region: eu-west-1
            detectors:
            - {detectorId: a1, runtimeMonitoring: ENABLED, eksAddonManagement: DISABLED}
            - {detectorId: b2, status: DISABLED, runtimeMonitoring: ABSENT}
            coverage:
            - clusterName: prod-eks-1
              detectorId: a1
              coverageStatus: UNHEALTHY
              issue: "Addon Status Unhealthy: EKS Addon issue - InsufficientNumberOfReplicas: The add-on is unhealthy because it doesn't have the desired number of replicas."
              managementType: MANUAL
              coveredNodes: 1
            clusters:
            - name: prod-eks-1
              addons:
              - status: DEGRADED
                issues: [{code: InsufficientNumberOfReplicas, message: not enough replicas}]
            """);
        Assert.Equal("eu-west-1", seed.Region);
        await using var aws = await LocalAws.StartAsync();
        seed.ApplyTo(aws.State);
        var guardDuty = aws.GuardDuty();
        var detector = await guardDuty.GetDetectorAsync("a1", default);
        Assert.Equal("DISABLED", detector.Features!.Single(f => f.Name == "RUNTIME_MONITORING").AdditionalConfiguration!.Single(c => c.Name == "EKS_ADDON_MANAGEMENT").Status);
        Assert.Equal("DISABLED", (await guardDuty.GetDetectorAsync("b2", default)).Status);
        var coverage = Assert.Single(await guardDuty.ListAllCoverageAsync("a1", new ListCoverageRequest(), null, default));
        Assert.Equal(("UNHEALTHY", "MANUAL", 1L), (coverage.CoverageStatus, coverage.ResourceDetails!.EksClusterDetails!.ManagementType, coverage.ResourceDetails.EksClusterDetails.CoveredNodes));
        Assert.StartsWith("Addon Status Unhealthy", coverage.Issue);
        var addon = (await aws.Eks().DescribeAddonAsync("prod-eks-1", "aws-guardduty-agent", default)).Value!;
        Assert.Equal("InsufficientNumberOfReplicas", Assert.Single(addon.Health!.Issues!).Code);
        Assert.StartsWith("arn:aws:eks:eu-west-1:", addon.AddonArn);
    }

    [Theory]
    [InlineData("detectors: [{detectorId: a1, colour: blue}]", "detectors[0].colour: unknown member (expected one of detectorId, status, runtimeMonitoring, eksAddonManagement)")]
    [InlineData("detectors: [{status: ENABLED}]", "detectors[0].detectorId: required")]
    [InlineData("detectors: [{detectorId: a1, status: PAUSED}]", "detectors[0]:")]
    [InlineData("coverage: [{clusterName: c, coverageStatus: GREEN}]", "coverage[0].detectorId: required when the seed has 0 detectors")]
    [InlineData("detectors: [{detectorId: a1}]\ncoverage: [{clusterName: c, coverageStatus: GREEN}]", "coverage[0]:")]
    [InlineData("clusters: [{name: c, status: RUNNING}]", "clusters[0]:")]
    [InlineData("clusters: [{name: c, addons: [{status: FINE}]}]", "clusters[0].addons[0]:")]
    [InlineData("detectors: [{detectorId: a1}]\ncoverage: [{clusterName: c, updatedAt: yesterday}]", "coverage[0].updatedAt: \"yesterday\" is not a time")]
    [InlineData("detectors: {detectorId: a1}", "detectors: must be a list")]
    [InlineData("- just a list", "the AWS seed must be one YAML or JSON object")]
    public void BadSeedsAreRefusedNamingTheMember(string yaml, string message)
    {
        var error = Assert.Throws<FormatException>(() => Parse(yaml));
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }
}
