using System.Diagnostics;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Sandbox.Aws;
using GuardDutyCoverage.Tests.Aws;
using GuardDutyCoverage.Tests.Deploy;

namespace GuardDutyCoverage.Tests.Docs;

/// <summary>A test that needs the AWS CLI and moto (EC2 comes from moto, GuardDuty and EKS from the local endpoints).</summary>
public sealed class AwsCliAndMotoFactAttribute : FactAttribute
{
    public AwsCliAndMotoFactAttribute()
    {
        if ((PythonTools.WhyNoAwsCli ?? PythonTools.WhyNoMoto) is { } why)
        {
            Skip = why;
        }
    }
}

/// <summary>
/// The AWS collection commands of docs/cli.md, run as written by bash with the real AWS CLI: GuardDuty and EKS answer
/// from the local endpoints (tests/Sandbox/Aws), EC2 from moto; every file they write must be recognised by content.
/// </summary>
public sealed class AwsBundleRecipeTests(MotoServer moto) : IClassFixture<MotoServer>
{
    private const string Cluster = "prod-eks-1";

    private static CodeBlock Block(string marker) =>
        DocPage.Load("cli.md").Blocks.Single(b => b.Language == "sh" && b.Body.Contains(marker, StringComparison.Ordinal));

    [AwsCliAndMotoFact]
    public async Task TheAwsCommandsCollectEveryAnswerTheDiagnosisReads()
    {
        await using var local = await LocalAws.StartAsync();
        var vpcId = (string)moto.Seed["vpcId"]!;
        local.State.PutCoverage(LocalAwsState.EksCoverage(LocalAws.DetectorId, LocalAws.AccountId, Cluster, "HEALTHY"));
        local.State.PutCoverage(new JsonObject
        {
            ["resourceId"] = "i-0a1b2c3d4e5f60011",
            ["detectorId"] = LocalAws.DetectorId,
            ["accountId"] = LocalAws.AccountId,
            ["coverageStatus"] = "HEALTHY",
            ["updatedAt"] = LocalAwsState.Epoch(DateTimeOffset.UtcNow),
            ["resourceDetails"] = new JsonObject
            {
                ["resourceType"] = "EC2",
                ["ec2InstanceDetails"] = new JsonObject { ["instanceId"] = "i-0a1b2c3d4e5f60011", ["managementType"] = "MANUAL", ["agentDetails"] = new JsonObject { ["version"] = "1.6.0" } },
            },
        });
        local.State.PutCluster(LocalAwsState.Cluster(Cluster, vpcId: vpcId));
        local.State.PutAddon(LocalAwsState.GuardDutyAddon(Cluster));
        local.State.AddAddonInfo(LocalAwsState.AddonInfo("aws-guardduty-agent", "security-monitoring", ("v1.11.0-eksbuild.4", ["1.31"])));

        using var scratch = new TempDirectory();
        var script = "B=guardduty-bundle\nmkdir -p \"$B\"\n" + Block("aws guardduty list-coverage").Body;
        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script]) { WorkingDirectory = scratch.Path, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in local.Server.Environment(LocalAws.Region))
        {
            start.Environment[name] = value;
        }

        start.Environment["AWS_ENDPOINT_URL_EC2"] = moto.Endpoint.ToString().TrimEnd('/');
        start.Environment["AWS_CONFIG_FILE"] = Path.Combine(scratch.Path, "no-config");
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(scratch.Path, "no-credentials");
        start.Environment["AWS_PAGER"] = "";
        using (var process = Process.Start(start)!)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"the AWS collection commands failed ({process.ExitCode}):\n{await stderr}\n{await stdout}");
        }

        var bundle = Path.Combine(scratch.Path, "guardduty-bundle");
        Assert.Equal(
            ["describe-addon-versions.json", "describe-addon.json", "describe-cluster.json", "describe-vpcs.json", "get-detector.json", "list-coverage-ec2.json", "list-coverage.json", "vpc-dns-hostnames.json", "vpc-dns-support.json", "vpc-endpoints.json"],
            Directory.EnumerateFiles(bundle).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var contents = await BundleLoader.LoadAsync(bundle, CancellationToken.None);
        Assert.Empty(contents.Errors);
        Assert.Equal(0, contents.DocumentsIgnored);
        Assert.Equal(Cluster, Assert.Single(contents.CoverageResources, r => r.Resource.ResourceDetails?.EksClusterDetails is not null).Resource.ResourceId);
        Assert.Equal("i-0a1b2c3d4e5f60011", Assert.Single(contents.CoverageResources, r => r.Resource.ResourceDetails?.Ec2InstanceDetails is not null).Resource.ResourceDetails!.Ec2InstanceDetails!.InstanceId);
        Assert.Single(contents.Detectors);
        Assert.Equal(vpcId, Assert.Single(contents.Clusters).Cluster.ResourcesVpcConfig!.VpcId);
        Assert.Single(contents.Addons);
        Assert.NotEmpty(contents.AddonVersions);
        Assert.Equal(2, contents.VpcAttributes.Count);
        Assert.True(contents.VpcEndpointsListed);
        var vpc = Assert.Single(contents.Vpcs).Vpc;
        Assert.Equal(vpcId, vpc.VpcId);
        Assert.False(string.IsNullOrEmpty(vpc.OwnerId));
    }
}
