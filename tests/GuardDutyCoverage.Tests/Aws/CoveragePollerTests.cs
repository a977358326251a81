using System.Net;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Aws;

public sealed class CoveragePollerTests
{
    private const string Region = "us-east-1";
    private const string Detector = LocalAws.DetectorId;
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static (FakeAws Aws, FakeTimeProvider Clock, CoveragePoller Poller) Create(string? defaultRegion = Region)
    {
        var aws = new FakeAws();
        aws.AddDetector(Region, Detector, new GetDetectorResponse
        {
            Status = "ENABLED",
            Features = [new DetectorFeatureConfigurationResult { Name = "RUNTIME_MONITORING", Status = "ENABLED" }],
        });
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));
        var env = new Dictionary<string, string?> { ["AWS_REGION"] = defaultRegion };
        var poller = new CoveragePoller(aws, new AwsRegionResolver(n => env.GetValueOrDefault(n), null), clock, new CoveragePollerOptions { Jitter = () => 0 });
        return (aws, clock, poller);
    }

    private static CoverageInterest Interest(string name, string cluster, TimeSpan? interval = null, string? detector = null, bool addon = true) =>
        new(name, cluster, null, null, detector, AwsEndpointOverrides.None, interval ?? TimeSpan.FromMinutes(5), GuardDuty: true, EksAddon: addon);

    private static List<string> Drain(CoveragePoller poller)
    {
        var keys = new List<string>();
        while (poller.Changes.TryRead(out var key))
        {
            keys.Add(key);
        }

        return keys;
    }

    [Fact]
    public async Task ManyCrsInOneAccountAndRegionShareOneListCoveragePassPerInterval()
    {
        var (aws, clock, poller) = Create();
        for (var i = 0; i < 40; i++)
        {
            aws.PutCoverage(Region, aws.EksCoverage(Detector, $"c-{i}", i % 4 == 0 ? "UNHEALTHY" : "HEALTHY"));
            poller.Register(Interest($"cr-{i}", $"c-{i}", TimeSpan.FromMinutes(5 + (i % 3)), detector: i % 2 == 0 ? Detector : null, addon: false));
        }

        await poller.PollDueAsync(default);
        Assert.Equal(1, aws.Calls("ListCoverage"));
        Assert.Equal(1, aws.Calls("ListDetectors"));
        Assert.Equal(1, poller.CoveragePasses(Region, Detector));
        Assert.Equal(40, Drain(poller).Distinct().Count());

        clock.Advance(TimeSpan.FromMinutes(4));
        await poller.PollDueAsync(default);
        Assert.Equal(1, aws.Calls("ListCoverage"));

        clock.Advance(TimeSpan.FromMinutes(1));
        var next = await poller.PollDueAsync(default);
        Assert.Equal(2, aws.Calls("ListCoverage"));
        Assert.InRange(next!.Value, clock.GetUtcNow() + TimeSpan.FromSeconds(1), clock.GetUtcNow() + TimeSpan.FromMinutes(5));

        for (var minute = 0; minute < 60; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await poller.PollDueAsync(default);
        }

        Assert.Equal(14, aws.Calls("ListCoverage"));
        var snapshot = poller.Snapshot("cr-4")!;
        Assert.Equal("UNHEALTHY", snapshot.Coverage!.Value!.CoverageStatus);
        Assert.Equal(Detector, snapshot.DetectorId);
        Assert.Equal(LocalAws.AccountId, snapshot.AccountId);
        Assert.Equal("ENABLED", snapshot.Detector!.Value!.Features![0].Status);
    }

    [Fact]
    public async Task TheShortestIntervalOfTheInterestedCrsWinsAndJitterOnlyDelays()
    {
        var aws = new FakeAws();
        aws.AddDetector(Region, Detector);
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));
        var poller = new CoveragePoller(aws, new AwsRegionResolver(_ => Region, null), clock, new CoveragePollerOptions { Jitter = () => 0.5, JitterFraction = 0.1 });
        poller.Register(Interest("slow", "a", TimeSpan.FromMinutes(10), addon: false));
        poller.Register(Interest("fast", "b", TimeSpan.FromMinutes(2), addon: false));
        poller.Register(Interest("too-fast", "c", TimeSpan.FromSeconds(5), addon: false));
        var next = await poller.PollDueAsync(default);
        // 5s is raised to the 1m minimum; jitter adds 5% of it.
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(3), next);
        poller.Unregister("too-fast");
        clock.Advance(TimeSpan.FromSeconds(63));
        await poller.PollDueAsync(default);
        Assert.Equal(2, aws.Calls("ListCoverage"));

        // Now "fast" (2m, plus 5% jitter) sets the pace: not before 63s + 126s.
        clock.Advance(TimeSpan.FromSeconds(125));
        await poller.PollDueAsync(default);
        Assert.Equal(2, aws.Calls("ListCoverage"));
        clock.Advance(TimeSpan.FromSeconds(1));
        await poller.PollDueAsync(default);
        Assert.Equal(3, aws.Calls("ListCoverage"));
    }

    [Fact]
    public async Task AFailedPassKeepsTheLastValueMarkedStaleWithTheReason()
    {
        var (aws, clock, poller) = Create();
        aws.PutCoverage(Region, aws.EksCoverage(Detector, "prod-1", "HEALTHY"));
        poller.Register(Interest("prod", "prod-1", detector: Detector, addon: false));
        await poller.PollDueAsync(default);
        var first = poller.Snapshot("prod")!.Coverage!;
        Assert.True(first.Found);
        Assert.False(first.Stale);

        aws.Fail("ListCoverage", FakeAws.ServiceError("GuardDuty", "ListCoverage", "AccessDeniedException", "User x is not authorized", HttpStatusCode.Forbidden));
        clock.Advance(TimeSpan.FromMinutes(5));
        await poller.PollDueAsync(default);
        var stale = poller.Snapshot("prod")!.Coverage!;
        Assert.True(stale.Stale);
        Assert.Equal("HEALTHY", stale.Value!.CoverageStatus);
        Assert.Equal(first.CheckedAt, stale.CheckedAt);
        // A denial is one sentence with the action and the fix (AWS's own text names no role here).
        Assert.Equal("AWS denied guardduty:ListCoverage to the operator's IAM role: allow guardduty:ListCoverage in that role's policy (the full policy is in docs/aws-access.md).", stale.Error);
        Assert.Equal(AwsFailureKind.AccessDenied, stale.FailureKind);

        aws.PutCoverage(Region, aws.EksCoverage(Detector, "prod-1", "UNHEALTHY", issue: "EKS Runtime Monitoring enablement resource provisioning in progress"));
        clock.Advance(TimeSpan.FromMinutes(5));
        await poller.PollDueAsync(default);
        var fresh = poller.Snapshot("prod")!.Coverage!;
        Assert.False(fresh.Stale);
        Assert.Null(fresh.Error);
        Assert.Equal("UNHEALTHY", fresh.Value!.CoverageStatus);
        Assert.Equal(clock.GetUtcNow(), fresh.CheckedAt);
    }

    [Fact]
    public async Task AClusterGuardDutyDoesNotListIsFoundFalseNotAnError()
    {
        var (aws, _, poller) = Create();
        poller.Register(Interest("new", "not-yet-listed", detector: Detector, addon: false) with { AccountId = LocalAws.AccountId });
        await poller.PollDueAsync(default);
        Assert.Equal(0, aws.Calls("GetCallerIdentity"));
        Assert.Equal(0, aws.Calls("ListDetectors"));
        var coverage = poller.Snapshot("new")!.Coverage!;
        Assert.True(coverage.Succeeded);
        Assert.False(coverage.Found);
        Assert.Null(coverage.Error);
    }

    [Fact]
    public async Task NoRegionNoDetectorAndNoCredentialsBecomeObservationsWithTheError()
    {
        var (aws, _, poller) = Create(defaultRegion: null);
        poller.Register(Interest("somewhere", "prod-1"));
        await poller.PollDueAsync(default);
        var snapshot = poller.Snapshot("somewhere")!;
        Assert.Contains("no AWS Region", snapshot.Coverage!.Error);
        Assert.Contains("no AWS Region", snapshot.Addon!.Error);
        Assert.Equal(0, aws.Calls("ListCoverage"));

        var (aws2, _, poller2) = Create();
        poller2.Register(Interest("elsewhere", "prod-1", addon: false) with { Region = "eu-west-1" });
        await poller2.PollDueAsync(default);
        Assert.Equal("GuardDuty is not enabled in eu-west-1: ListDetectors returned no detector", poller2.Snapshot("elsewhere")!.Coverage!.Error);
        Assert.Equal(0, aws2.Calls("ListCoverage"));

        var (aws3, _, poller3) = Create();
        var noCredentials = new AwsConfigurationException("no AWS credentials (looked in environment variables, ...): none");
        foreach (var operation in new[] { "GetCallerIdentity", "ListDetectors", "DescribeCluster", "DescribeAddon" })
        {
            aws3.Fail(operation, noCredentials);
        }

        poller3.Register(Interest("offline", "prod-1"));
        await poller3.PollDueAsync(default);
        var offline = poller3.Snapshot("offline")!;
        Assert.StartsWith("no AWS credentials", offline.Coverage!.Error);
        Assert.StartsWith("no AWS credentials", offline.Addon!.Error);
        Assert.StartsWith("no AWS credentials", offline.Cluster!.Error);
        Assert.Null(offline.AccountId);
    }

    [Fact]
    public async Task ClusterAddonAndVpcReadsFollowTheChecksAndTheClustersVpc()
    {
        var (aws, clock, poller) = Create();
        aws.PutCluster(Region, new EksCluster { Name = "prod-1", Version = "1.31", ResourcesVpcConfig = new VpcConfigResponse { VpcId = "vpc-1" } });
        aws.PutAddon(Region, new EksAddon { ClusterName = "prod-1", AddonName = "aws-guardduty-agent", Status = "DEGRADED", AddonVersion = "v1.10.0-eksbuild.2" });
        aws.PutAddonInfo(Region, new AddonInfo
        {
            AddonName = "aws-guardduty-agent",
            AddonVersions =
            [
                new AddonVersionInfo { AddonVersion = "v1.11.0-eksbuild.4", Compatibilities = [new Compatibility { ClusterVersion = "1.31" }] },
                new AddonVersionInfo { AddonVersion = "v1.5.0-eksbuild.1", Compatibilities = [new Compatibility { ClusterVersion = "1.26" }] },
            ],
        });
        aws.PutVpc(Region, new VpcDnsAttributes("vpc-1", true, false));
        aws.PutVpcEndpoint(Region, new VpcEndpointInfo("vpce-1", "vpc-1", "com.amazonaws.us-east-1.guardduty-data", "Interface", "available", true, LocalAws.AccountId,
            new Dictionary<string, string> { ["GuardDutyManaged"] = "true" }));
        poller.Register(Interest("a", "prod-1", TimeSpan.FromMinutes(5), detector: Detector));
        poller.Register(Interest("b", "prod-1", TimeSpan.FromMinutes(3), detector: Detector, addon: false));
        await poller.PollDueAsync(default);

        var snapshot = poller.Snapshot("a")!;
        Assert.Equal("DEGRADED", snapshot.Addon!.Value!.Status);
        Assert.Equal(["v1.11.0-eksbuild.4"], snapshot.AddonVersions!.Value!.Select(v => v.AddonVersion));
        Assert.False(snapshot.VpcDns!.Value!.EnableDnsHostnames);
        Assert.Equal("vpce-1", Assert.Single(snapshot.GuardDutyDataEndpoints!.Value!).VpcEndpointId);
        Assert.Null(poller.Snapshot("b")!.Addon);
        Assert.Equal(1, aws.Calls("DescribeCluster"));
        Assert.Equal(1, aws.Calls("DescribeAddon"));
        Assert.Equal(1, aws.Calls("DescribeVpcEndpoints"));

        aws.RemoveAddon(Region, "prod-1", "aws-guardduty-agent");
        clock.Advance(TimeSpan.FromMinutes(3));
        await poller.PollDueAsync(default);
        Assert.Equal(2, aws.Calls("DescribeCluster"));
        var removed = poller.Snapshot("a")!.Addon!;
        Assert.True(removed.Succeeded);
        Assert.False(removed.Found);

        poller.Unregister("a");
        poller.Unregister("b");
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(await poller.PollDueAsync(default));
        Assert.Null(poller.Snapshot("a"));
        Assert.Equal(2, aws.Calls("DescribeCluster"));
    }

    [Fact]
    public async Task RunAsyncPollsOnTheClockAndTellsWhichCrsHaveNewData()
    {
        var (aws, clock, poller) = Create();
        aws.PutCoverage(Region, aws.EksCoverage(Detector, "prod-1", "HEALTHY"));
        using var stop = new CancellationTokenSource();
        var run = poller.RunAsync(stop.Token);
        poller.Register(Interest("prod", "prod-1", TimeSpan.FromMinutes(2), detector: Detector, addon: false));
        Assert.Equal("prod", await poller.Changes.ReadAsync().AsTask().WaitAsync(Generous));
        Assert.Equal(1, aws.Calls("ListCoverage"));

        aws.PutCoverage(Region, aws.EksCoverage(Detector, "prod-1", "UNHEALTHY"));
        while (aws.Calls("ListCoverage") < 2)
        {
            clock.Advance(TimeSpan.FromMinutes(2));
            Assert.Equal("prod", await poller.Changes.ReadAsync().AsTask().WaitAsync(Generous));
        }

        Assert.Equal("UNHEALTHY", poller.Snapshot("prod")!.Coverage!.Value!.CoverageStatus);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Generous));
        Assert.Equal(2, aws.Calls("ListCoverage"));
    }

    private static CoverageResource Ec2Row(string instanceId, string version = "1.6.0") => new()
    {
        ResourceId = instanceId,
        DetectorId = Detector,
        AccountId = LocalAws.AccountId,
        CoverageStatus = "HEALTHY",
        ResourceDetails = new CoverageResourceDetails
        {
            ResourceType = ResourceTypeValues.Ec2,
            Ec2InstanceDetails = new CoverageEc2InstanceDetails { InstanceId = instanceId, AgentDetails = new AgentDetails { Version = version }, ManagementType = "MANUAL" },
        },
    };

    [Fact]
    public async Task Ec2RowsAreReadForTheNodesInstancesOnlyAndAgainWhenTheNodesChange()
    {
        var (aws, clock, poller) = Create();
        aws.PutCoverage(Region, aws.EksCoverage(Detector, "prod-1", "HEALTHY"));
        aws.PutCoverage(Region, Ec2Row("i-0000000000000000a"));
        aws.PutCoverage(Region, Ec2Row("i-0000000000000000b"));
        aws.PutCoverage(Region, Ec2Row("i-00000000000000other"));
        var instances = Enumerable.Range(0, 120).Select(i => $"i-1{i:x16}").Append("i-0000000000000000a").Order(StringComparer.Ordinal).ToList();
        poller.Register(Interest("a", "prod-1", detector: Detector, addon: false) with { NodeInstanceIds = instances });
        await poller.PollDueAsync(default);

        var rows = poller.Snapshot("a")!.Ec2Coverage!;
        Assert.True(rows.Succeeded);
        Assert.Equal(["i-0000000000000000a"], rows.Value!.Select(r => r.ResourceDetails!.Ec2InstanceDetails!.InstanceId));
        // 121 instance IDs: three filtered requests of at most 50 IDs, besides the EKS pass.
        Assert.Equal(4, aws.Calls("ListCoverage"));

        // A node joins (its instance has the EC2 agent): its rows are read at once, not at the next interval.
        clock.Advance(TimeSpan.FromMinutes(1));
        poller.Register(Interest("a", "prod-1", detector: Detector, addon: false) with { NodeInstanceIds = [.. instances, "i-0000000000000000b"] });
        await poller.PollDueAsync(default);
        Assert.Equal(["i-0000000000000000a", "i-0000000000000000b"], poller.Snapshot("a")!.Ec2Coverage!.Value!.Select(r => r.ResourceId).Order(StringComparer.Ordinal));
        Assert.Equal(7, aws.Calls("ListCoverage"));

        // The same nodes again: nothing is read before the interval.
        poller.Register(Interest("a", "prod-1", detector: Detector, addon: false) with { NodeInstanceIds = [.. instances, "i-0000000000000000b"] });
        await poller.PollDueAsync(default);
        Assert.Equal(7, aws.Calls("ListCoverage"));

        // Without instance IDs (no Nodes read) there are no EC2 rows, not an empty list that would look like "none".
        poller.Register(Interest("b", "prod-1", detector: Detector, addon: false));
        Assert.Null(poller.Snapshot("b")!.Ec2Coverage);
    }

    [Fact]
    public async Task TheVpcOwnerComesFromDescribeVpcsAndAFailureKeepsTheLastAnswer()
    {
        var (aws, clock, poller) = Create();
        aws.PutCluster(Region, new EksCluster { Name = "prod-1", Version = "1.31", ResourcesVpcConfig = new VpcConfigResponse { VpcId = "vpc-shared" } });
        aws.PutVpcOwner(Region, "vpc-shared", "444455556666");
        poller.Register(Interest("a", "prod-1", detector: Detector, addon: false));
        await poller.PollDueAsync(default);
        var vpc = poller.Snapshot("a")!.Vpc!;
        Assert.Equal(new VpcInfo("vpc-shared", "444455556666"), vpc.Value);
        Assert.Equal(1, aws.Calls("DescribeVpcs"));

        aws.Fail("DescribeVpcs", FakeAws.ServiceError("EC2", "DescribeVpcs", "UnauthorizedOperation", "You are not authorized to perform this operation.", HttpStatusCode.Forbidden));
        clock.Advance(TimeSpan.FromMinutes(5));
        await poller.PollDueAsync(default);
        var stale = poller.Snapshot("a")!.Vpc!;
        Assert.True(stale.Stale);
        Assert.Equal("444455556666", stale.Value!.OwnerId);
        Assert.Contains("DescribeVpcs", stale.Error, StringComparison.Ordinal);
        Assert.Equal(AwsFailureKind.AccessDenied, stale.FailureKind);
    }
}

/// <summary>The poller with the real clients against the local endpoints: requests counted where they arrive.</summary>
public sealed class CoveragePollerIntegrationTests
{
    [Fact]
    public async Task TwentyFiveCrsMakeOneListCoveragePassPerIntervalOnTheWire()
    {
        await using var local = await LocalAws.StartAsync();
        for (var i = 0; i < 25; i++)
        {
            local.State.PutCoverage(GuardDutyCoverage.Sandbox.Aws.LocalAwsState.EksCoverage(LocalAws.DetectorId, LocalAws.AccountId, $"c-{i}", i == 7 ? "UNHEALTHY" : "HEALTHY"));
            local.State.PutAddon(GuardDutyCoverage.Sandbox.Aws.LocalAwsState.GuardDutyAddon($"c-{i}"));
        }

        using var http = new HttpClient();
        using var credentials = AwsCredentialsSource.Static(LocalAws.TestCredentials);
        using var factory = new AwsClientFactory(http, credentials, new AwsClientOptions { Retry = LocalAws.FastRetry(attempts: 1) });
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var poller = new CoveragePoller(factory, new AwsRegionResolver(_ => null, null), clock, new CoveragePollerOptions { Jitter = () => 0 });
        var endpoints = AwsEndpointOverrides.All(local.Server.Endpoint);
        for (var i = 0; i < 25; i++)
        {
            poller.Register(new CoverageInterest($"cr-{i}", $"c-{i}", LocalAws.Region, LocalAws.AccountId, LocalAws.DetectorId, endpoints, TimeSpan.FromMinutes(5), GuardDuty: true, EksAddon: true));
        }

        await poller.PollDueAsync(default);
        Assert.Equal(1, local.State.CountRequests("ListCoverage"));
        Assert.Equal(25, local.State.CountRequests("DescribeAddon"));
        Assert.Equal(0, local.State.CountRequests("ListDetectors"));
        var snapshot = poller.Snapshot("cr-7")!;
        Assert.Equal("UNHEALTHY", snapshot.Coverage!.Value!.CoverageStatus);
        Assert.Equal("ACTIVE", snapshot.Addon!.Value!.Status);

        Assert.Equal("ENABLED", snapshot.Detector!.Value!.Status);
        Assert.Equal("ACTIVE", snapshot.Cluster!.Value!.Status); // installing the add-on made the cluster known
        Assert.Equal(1, local.State.CountRequests("GetDetector"));
        Assert.Equal(25, local.State.CountRequests("DescribeCluster"));

        clock.Advance(TimeSpan.FromMinutes(5));
        await poller.PollDueAsync(default);
        Assert.Equal(2, local.State.CountRequests("ListCoverage"));
        Assert.Equal(50, local.State.CountRequests("DescribeAddon"));
    }
}
