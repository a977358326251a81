using System.Net;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Tests.Aws;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// What GuardDuty says, beside what the cluster shows: the cross-check outcomes of the catalog's verdict rules, and
/// what happens when GuardDuty cannot be read. The operator's clock is fake: a test moves to the next GuardDuty poll
/// by advancing it, never by waiting.
/// </summary>
public sealed class CrossCheckTests
{
    private const string CrashLoopIssue =
        "Addon Status Unhealthy: EKS Addon issue - InsufficientNumberOfReplicas: The add-on is unhealthy because one or more pods have waiting containers CrashLoopBackOff: Error";

    private static FakeTimeProvider Clock() => new(DateTimeOffset.UtcNow);

    private static void CrashLoopOnePod(OperatorUnderTest it)
    {
        var pod = it.Sandbox.Cluster.Get("v1", "Pod", "amazon-guardduty", "aws-guardduty-agent-p2")!;
        pod["status"] = System.Text.Json.Nodes.JsonNode.Parse("""
            {"phase":"Running","conditions":[{"type":"Ready","status":"False"}],
             "containerStatuses":[{"name":"aws-guardduty-agent","ready":false,"restartCount":9,"image":"x","imageID":"",
               "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off"}},"lastState":{"terminated":{"exitCode":1,"reason":"Error"}}}]}
            """);
        it.Sandbox.Cluster.Upsert(pod);
        var ds = it.Sandbox.Cluster.Get("apps/v1", "DaemonSet", "amazon-guardduty", "aws-guardduty-agent")!;
        ds["status"]!["numberAvailable"] = 2;
        ds["status"]!["numberReady"] = 2;
        it.Sandbox.Cluster.Upsert(ds);
    }

    [Fact]
    public async Task LocalFailureGuardDutyDoesNotReportYetIsPredicted()
    {
        await using var it = await OperatorUnderTest.StartAsync(time: Clock());
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);

        CrashLoopOnePod(it);
        var status = await it.WaitForFindingAsync(ReasonCodes.AgentPodsCrashLooping);
        Assert.Equal("Predicted", status.CrossCheck);
        Assert.Equal("HEALTHY", status.GuardDuty?.CoverageStatus);
        Assert.Equal(["Local"], status.Findings!.Single(f => f.Reason == ReasonCodes.AgentPodsCrashLooping).Sources);
    }

    [Fact]
    public async Task SameCauseSeenByBothIsOneFindingWithBothSourcesAndAgree()
    {
        var clock = Clock();
        await using var it = await OperatorUnderTest.StartAsync(time: clock);
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);

        CrashLoopOnePod(it);
        await it.WaitForFindingAsync(ReasonCodes.AgentPodsCrashLooping);
        it.Aws.PutCoverage(OperatorUnderTest.Region, it.Aws.EksCoverage(LocalAws.DetectorId, OperatorUnderTest.ClusterName, CoverageStatusValues.Unhealthy, CrashLoopIssue, updatedAt: clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMinutes(6));

        var status = await it.WaitForStatusAsync(s => s.CrossCheck == "Agree" && s.GuardDuty?.CoverageStatus == "UNHEALTHY", what: "Agree with GuardDuty UNHEALTHY");
        var finding = Assert.Single(status.Findings!, f => f.Reason == ReasonCodes.AgentPodsCrashLooping);
        Assert.Equal(["Local", "GuardDuty"], finding.Sources);
        Assert.Equal(CrashLoopIssue, status.GuardDuty!.Issue);
        Assert.Equal("Unhealthy", status.Coverage);
    }

    [Fact]
    public async Task ACauseOnlyGuardDutyCanSeeIsALocalBlindSpot()
    {
        await using var it = await OperatorUnderTest.StartAsync(
            time: Clock(),
            seedAws: aws => aws.PutCoverage(OperatorUnderTest.Region, aws.EksCoverage(
                LocalAws.DetectorId,
                OperatorUnderTest.ClusterName,
                CoverageStatusValues.Unhealthy,
                $"VPC Endpoint Creation Failed: VPC endpoint creation not supported for shared VPC {OperatorUnderTest.VpcId}")));
        it.ApplyCoverage();
        var status = await it.WaitForFindingAsync(ReasonCodes.VpcEndpointSharedVpcUnsupported);

        Assert.Equal("LocalBlindSpot", status.CrossCheck);
        Assert.Equal("Healthy", status.Local);
        Assert.Equal("Unhealthy", status.Coverage);
        Assert.Equal(ConditionStatus.False, status.Conditions.Find(ConditionTypes.Ready)!.Status);
        Assert.Contains("GuardDuty", status.Findings!.Single(f => f.Reason == ReasonCodes.VpcEndpointSharedVpcUnsupported).Sources);
    }

    [Fact]
    public async Task GuardDutyStillReportingAFixedCauseIsStaleAndReconciling()
    {
        var clock = Clock();
        await using var it = await OperatorUnderTest.StartAsync(
            time: clock,
            seedAws: aws => aws.PutCoverage(OperatorUnderTest.Region, aws.EksCoverage(
                LocalAws.DetectorId, OperatorUnderTest.ClusterName, CoverageStatusValues.Unhealthy, CrashLoopIssue, updatedAt: clock.GetUtcNow().AddHours(-1))));
        it.ApplyCoverage();

        var status = await it.WaitForStatusAsync(s => s.CrossCheck == "GuardDutyStale", what: "GuardDutyStale");
        Assert.Equal("Healthy", status.Local);
        Assert.Equal(ConditionStatus.True, status.Conditions.Find(ConditionTypes.Reconciling)?.Status);
        Assert.Null(status.Conditions.Find(ConditionTypes.Stalled));

        // GuardDuty catches up: the next poll sees HEALTHY and the CR becomes Ready.
        it.Aws.PutCoverage(OperatorUnderTest.Region, it.Aws.EksCoverage(LocalAws.DetectorId, OperatorUnderTest.ClusterName, CoverageStatusValues.Healthy, updatedAt: clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMinutes(6));
        var ready = await it.WaitForReadyAsync(ConditionStatus.True);
        Assert.Equal("Agree", ready.CrossCheck);
        Assert.Null(ready.Conditions.Find(ConditionTypes.Reconciling));
    }

    [Fact]
    public async Task GuardDutyUnreadableKeepsLastValuesMarkedStaleAndLocalChecksKeepWorking()
    {
        var clock = Clock();
        await using var it = await OperatorUnderTest.StartAsync(time: clock);
        it.ApplyCoverage();
        var healthy = await it.WaitForReadyAsync(ConditionStatus.True);

        it.Aws.Fail("ListCoverage", FakeAws.ServiceError("GuardDuty", "ListCoverage", "AccessDeniedException", "User is not authorized to perform: guardduty:ListCoverage", HttpStatusCode.Forbidden), times: 100);
        clock.Advance(TimeSpan.FromMinutes(6));
        var stale = await it.WaitForStatusAsync(s => s.GuardDuty?.Stale == true, what: "GuardDuty marked stale");
        Assert.Equal("HEALTHY", stale.GuardDuty!.CoverageStatus);
        Assert.Equal(healthy.GuardDuty!.CheckedAt, stale.GuardDuty.CheckedAt);
        Assert.Contains("AWS denied guardduty:ListCoverage", stale.GuardDuty.Reason);

        // Local checks still run on watch events while GuardDuty cannot be read.
        CrashLoopOnePod(it);
        var broken = await it.WaitForFindingAsync(ReasonCodes.AgentPodsCrashLooping);
        Assert.True(broken.GuardDuty!.Stale);
    }

    [Fact]
    public async Task NoCredentialsAtAllMakesGuardDutyUnknownWithTheReason()
    {
        await using var it = await OperatorUnderTest.StartAsync(
            time: Clock(),
            seedAws: aws => aws.Fail("ListCoverage", new GuardDutyCoverage.Aws.AwsConfigurationException(
                GuardDutyCoverage.Aws.AwsFailures.CredentialsMissingMessage, new Amazon.Runtime.AmazonClientException("Exception 1 of 4: ..."), AwsFailureKind.CredentialsMissing), times: 100));
        it.ApplyCoverage();
        var status = await it.WaitForStatusAsync(s => s.GuardDuty?.CoverageStatus == "Unknown", what: "GuardDuty Unknown");
        Assert.Contains("credentials", status.GuardDuty!.Reason);
        Assert.Equal("Healthy", status.Local);
        Assert.Equal("Unknown", status.Coverage);
        var ready = status.Conditions.Find(ConditionTypes.Ready)!;
        Assert.Equal(ConditionStatus.Unknown, ready.Status);
        Assert.Equal(AwsAccessReasons.AwsCredentialsMissing, ready.Reason);
        Assert.Equal(GuardDutyCoverage.Aws.AwsFailures.CredentialsMissingMessage, ready.Message);
        Assert.Equal(AwsAccessReasons.AwsCredentialsMissing, status.Conditions.Find(CheckTypes.GuardDutyCovered)!.Reason);
        Assert.All(status.Conditions!, c => Assert.DoesNotContain("Exception 1 of", c.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClusterMissingFromListCoverageIsNotFound()
    {
        await using var it = await OperatorUnderTest.StartAsync(time: Clock());
        it.ApplyCoverage(clusterName: "not-enrolled");
        var status = await it.WaitForFindingAsync(ReasonCodes.GuardDutyCoverageNotFound);
        Assert.Equal("NotFound", status.GuardDuty?.CoverageStatus);
    }

    [Fact]
    public async Task DeclaredManagementTypeDifferentFromGuardDutysIsAMismatch()
    {
        await using var it = await OperatorUnderTest.StartAsync(time: Clock());
        it.ApplyCoverage(spec: s => s["expectedManagementType"] = "MANUAL");
        var status = await it.WaitForFindingAsync(ReasonCodes.ManagementTypeMismatch);
        Assert.Contains("AUTO_MANAGED", status.Findings!.Single(f => f.Reason == ReasonCodes.ManagementTypeMismatch).Message);
    }

    [Fact]
    public async Task OneListCoveragePassPerIntervalWhateverTheNumberOfCoverages()
    {
        var clock = Clock();
        await using var it = await OperatorUnderTest.StartAsync(time: clock);
        for (var i = 0; i < 5; i++)
        {
            it.ApplyCoverage(name: $"view-{i}");
        }

        for (var i = 0; i < 5; i++)
        {
            await it.WaitForReadyAsync(ConditionStatus.True, name: $"view-{i}");
        }

        var first = it.Aws.Calls("ListCoverage");
        clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        await it.WaitForStatusAsync(_ => it.Aws.Calls("ListCoverage") > first, name: "view-0", what: "a second ListCoverage pass");
        Assert.Equal(first + 1, it.Aws.Calls("ListCoverage"));
    }
}
