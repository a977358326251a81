using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Controller;
using ReasonCodes = GuardDutyCoverage.Diagnosis.ReasonCodes;
using GuardDutyCoverage.Tests.Aws;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// The catalog v2 causes that AWS reports (the add-on, the detector, the coverage record, EC2 coverage rows, the VPC),
/// end to end: the healthy cluster with Nodes, broken through the fake AWS, the operator's next poll (a fake clock moves
/// to it) names the cause in the status, the fake AWS is fixed, and the next poll clears it.
/// </summary>
public sealed class CatalogV2AwsScenarioTests
{
    private const string Region = OperatorUnderTest.Region;
    private const string Cluster = OperatorUnderTest.ClusterName;
    private const string Detector = LocalAws.DetectorId;
    private const string OtherAccount = "444455556666";

    /// <summary>One poll interval of the CR (spec.interval defaults to 5m) and a bit.</summary>
    private static readonly TimeSpan NextPoll = TimeSpan.FromMinutes(6);

    /// <param name="Ready">Ready while broken: False for an Error, True for a Warning or an Info.</param>
    public sealed record Scenario(string Reason, string Severity, string Source, string Ready, string Message, Action<OperatorUnderTest, FakeTimeProvider> Break, Action<OperatorUnderTest, FakeTimeProvider> Fix)
    {
        public override string ToString() => Reason;
    }

    public static TheoryData<Scenario> Scenarios => new()
    {
        new(ReasonCodes.AddonStuckInProgress, "Error", "EksAddon", ConditionStatus.False, "has been UPDATING since",
            (it, clock) =>
            {
                it.Aws.PutAddon(Region, Addon("UPDATING", clock.GetUtcNow()));
                // Under the 20-minute threshold the update is progress; past it, the add-on is stuck.
                clock.Advance(TimeSpan.FromMinutes(21));
            },
            (it, clock) => it.Aws.PutAddon(Region, Addon("ACTIVE", clock.GetUtcNow()))),
        new(ReasonCodes.GuardDutyFeatureMisconfigured, "Error", "GuardDuty", ConditionStatus.False, "RUNTIME_MONITORING is DISABLED",
            (it, _) => it.Aws.AddDetector(Region, Detector, Detector_("DISABLED")),
            (it, _) => it.Aws.AddDetector(Region, Detector, Detector_("ENABLED"))),
        new(ReasonCodes.CoverageHealthyButNodesUncovered, "Error", "GuardDuty", ConditionStatus.False, "GuardDuty reports HEALTHY but covers 2 of 3 compatible nodes",
            (it, clock) => it.Aws.PutCoverage(Region, it.Aws.EksCoverage(Detector, Cluster, CoverageStatusValues.Healthy, covered: 2, compatible: 3, updatedAt: clock.GetUtcNow())),
            (it, clock) => it.Aws.PutCoverage(Region, it.Aws.EksCoverage(Detector, Cluster, CoverageStatusValues.Healthy, covered: 3, compatible: 3, updatedAt: clock.GetUtcNow()))),
        new(ReasonCodes.GuardDutyCoverageStale, "Warning", "GuardDuty", ConditionStatus.True, "3 nodes joined",
            (it, clock) =>
            {
                // GuardDuty last updated the record just before the nodes joined, and not in the two hours since.
                it.Aws.PutCoverage(Region, it.Aws.EksCoverage(Detector, Cluster, CoverageStatusValues.Healthy, updatedAt: clock.GetUtcNow() - TimeSpan.FromMinutes(10)));
                clock.Advance(TimeSpan.FromHours(2));
            },
            (it, clock) => it.Aws.PutCoverage(Region, it.Aws.EksCoverage(Detector, Cluster, CoverageStatusValues.Healthy, updatedAt: clock.GetUtcNow()))),
        new(ReasonCodes.DuplicateAgentOnNode, "Warning", "GuardDuty", ConditionStatus.True, "ip-10-0-1-11.ec2.internal (i-0a1b2c3d4e5f60011, EC2 agent 1.6.0, MANUAL)",
            (it, _) => it.Aws.PutCoverage(Region, Ec2Row("i-0a1b2c3d4e5f60011")),
            (it, _) => it.Aws.RemoveCoverage(Region, Detector, "i-0a1b2c3d4e5f60011")),
        new(ReasonCodes.VpcOwnedByAnotherAccount, "Info", "Ec2", ConditionStatus.True, $"is owned by account {OtherAccount}, not {LocalAws.AccountId}",
            (it, _) => it.Aws.PutVpcOwner(Region, OperatorUnderTest.VpcId, OtherAccount),
            (it, _) => it.Aws.PutVpcOwner(Region, OperatorUnderTest.VpcId, LocalAws.AccountId)),
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task BreakThenFixThroughTheFakeAws(Scenario scenario)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var it = await OperatorUnderTest.StartAsync(CatalogV2ScenarioTests.HealthyClusterWithNodes, time: clock);
        it.ApplyCoverage();
        var healthy = await it.WaitForStatusAsync(
            s => s.Conditions.Find(ConditionTypes.Ready)?.Status == ConditionStatus.True && s.GuardDuty?.CoverageStatus == "HEALTHY" && s.Nodes?.Eligible == 3,
            what: "Ready=True with GuardDuty HEALTHY and 3 eligible nodes");
        Assert.Empty(healthy.Findings ?? []);

        scenario.Break(it, clock);
        clock.Advance(NextPoll);
        var broken = await WaitSettledAsync(
            it,
            clock,
            s => s.Findings?.Any(f => f.Reason == scenario.Reason) == true && s.Conditions.Find(ConditionTypes.Ready)?.Status == scenario.Ready,
            $"{scenario.Reason} with Ready={scenario.Ready}");
        var finding = broken.Findings!.Single(f => f.Reason == scenario.Reason);
        Assert.Equal(scenario.Severity, finding.Severity);
        Assert.Contains(scenario.Source, finding.Sources);
        Assert.Contains(scenario.Message, finding.Message, StringComparison.Ordinal);
        Assert.NotEmpty(finding.Remediation);
        Assert.Equal(scenario.Ready, broken.Conditions.Find(ConditionTypes.Ready)!.Status);

        scenario.Fix(it, clock);
        clock.Advance(NextPoll);
        var healed = await WaitSettledAsync(
            it,
            clock,
            s => s.Conditions.Find(ConditionTypes.Ready)?.Status == ConditionStatus.True && s.Findings?.All(f => f.Reason != scenario.Reason) != false,
            $"Ready=True without {scenario.Reason}");
        Assert.DoesNotContain(healed.Findings ?? [], f => f.Reason == scenario.Reason);
    }

    /// <summary>
    /// Waits for <paramref name="settled"/> while time passes, as it would on a real clock. A fake clock moves only
    /// when told, and a single jump can land while the operator is between timers: a watch re-opening (its client-side
    /// timeout runs on the same clock; after a jump of hours the view is briefly unconfirmed and Ready is Unknown,
    /// ClusterViewStale, honestly), or an AWS retry or poll armed just after the jump. So while the status says
    /// ClusterViewStale the clock moves a second (WatchConfirmAfter), and when nothing settles for a while it moves a
    /// further poll interval. Every scenario here stays broken (or fixed) as time passes, so this cannot make a wrong
    /// status pass; the bound on steps keeps a status that never settles a failure.
    /// </summary>
    private static async Task<GuardDutyCoverageStatus> WaitSettledAsync(OperatorUnderTest it, FakeTimeProvider clock, Func<GuardDutyCoverageStatus, bool> settled, string what, int maxPollAdvances = 10)
    {
        var pollAdvances = 0;
        for (var step = 0; step < 60; step++)
        {
            GuardDutyCoverageStatus status;
            try
            {
                status = await it.WaitForStatusAsync(
                    s => settled(s) || s.Conditions.Find(ConditionTypes.Ready)?.Reason == ReasonCodes.ClusterViewStale,
                    timeout: TimeSpan.FromSeconds(5),
                    what: what + " (or ClusterViewStale)");
            }
            catch (TimeoutException) when (pollAdvances < maxPollAdvances)
            {
                pollAdvances++;
                clock.Advance(NextPoll);
                continue;
            }

            if (settled(status))
            {
                return status;
            }

            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }

        return await it.WaitForStatusAsync(settled, what: what);
    }

    [Fact]
    public async Task TheStuckThresholdIsTheOperatorsFlag()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var it = await OperatorUnderTest.StartAsync(
            CatalogV2ScenarioTests.HealthyClusterWithNodes,
            options: OperatorUnderTest.IntegrationDefaults with { AddonStuckAfter = TimeSpan.FromMinutes(45) },
            time: clock);
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);

        // UPDATING for 27 minutes: stuck under the default 20 minutes, still progress under --addon-stuck-after=45m.
        it.Aws.PutAddon(Region, Addon("UPDATING", clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMinutes(21) + NextPoll);
        // At most two more poll intervals (39 minutes in all) stay under the 45-minute threshold.
        var progressing = await WaitSettledAsync(it, clock, s => s.Conditions.Find(ConditionTypes.Reconciling)?.Status == ConditionStatus.True, "Reconciling while the add-on updates", maxPollAdvances: 2);
        Assert.DoesNotContain(progressing.Findings ?? [], f => f.Reason == ReasonCodes.AddonStuckInProgress);

        clock.Advance(TimeSpan.FromMinutes(20));
        var stuck = await WaitSettledAsync(it, clock, s => s.Findings?.Any(f => f.Reason == ReasonCodes.AddonStuckInProgress) == true, "AddonStuckInProgress past 45 minutes");
        Assert.Contains("longer than the 45 min threshold", stuck.Findings!.Single(f => f.Reason == ReasonCodes.AddonStuckInProgress).Message, StringComparison.Ordinal);
    }

    private static EksAddon Addon(string status, DateTimeOffset modifiedAt) => new()
    {
        AddonName = "aws-guardduty-agent",
        ClusterName = Cluster,
        Status = status,
        AddonVersion = "v1.17.1-eksbuild.2",
        ModifiedAt = modifiedAt,
        CreatedAt = modifiedAt - TimeSpan.FromDays(30),
        Health = new AddonHealth { Issues = [] },
    };

    private static GetDetectorResponse Detector_(string runtimeMonitoring) => new()
    {
        Status = "ENABLED",
        Features =
        [
            new DetectorFeatureConfigurationResult
            {
                Name = "RUNTIME_MONITORING",
                Status = runtimeMonitoring,
                AdditionalConfiguration = [new DetectorAdditionalConfigurationResult { Name = "EKS_ADDON_MANAGEMENT", Status = "ENABLED" }],
            },
        ],
    };

    private static CoverageResource Ec2Row(string instanceId) => new()
    {
        ResourceId = instanceId,
        DetectorId = Detector,
        AccountId = LocalAws.AccountId,
        CoverageStatus = CoverageStatusValues.Healthy,
        UpdatedAt = DateTimeOffset.UtcNow,
        ResourceDetails = new CoverageResourceDetails
        {
            ResourceType = ResourceTypeValues.Ec2,
            Ec2InstanceDetails = new CoverageEc2InstanceDetails { InstanceId = instanceId, InstanceType = "m6i.large", AgentDetails = new AgentDetails { Version = "1.6.0" }, ManagementType = "MANUAL" },
        },
    };
}
