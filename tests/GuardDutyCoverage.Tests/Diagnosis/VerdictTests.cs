using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Tests.Diagnosis;

/// <summary>Verdict, cross-check and readiness rules of CATALOG.md.</summary>
public sealed class VerdictTests
{
    private const string NotReadyIssue = "Addon Status Unhealthy: EKS Addon issue - InsufficientNumberOfReplicas: The add-on is unhealthy because it doesn't have the desired number of replicas.";

    [Fact]
    public void HealthyEverywhereAgreesAndIsReady()
    {
        var report = new SnapshotBuilder().Diagnose();
        Assert.Equal(Verdicts.Healthy, report.Local);
        Assert.Equal(GuardDutyVerdicts.Healthy, report.GuardDuty.CoverageStatus);
        Assert.Equal(CrossCheckOutcomes.Agree, report.CrossCheck);
        Assert.Equal(ConditionStatus.True, report.Readiness.Ready);
        Assert.False(report.Readiness.Reconciling);
        Assert.False(report.Readiness.Stalled);
        Assert.Equal("3/3", report.Agent!.Summary);
        Assert.Equal("v1.17.1", report.Agent.Version);
        Assert.Equal(3, report.GuardDuty.CoveredNodes);
        Assert.Equal(CheckTypes.All, report.Checks.Select(c => c.Type));
    }

    [Fact]
    public void GenericReplicaIssuesFromAfarJoinTheSpecificLocalCause()
    {
        var builder = new SnapshotBuilder()
            .GuardDutyIssue(NotReadyIssue)
            .AddonIssue("InsufficientNumberOfReplicas", "The add-on is unhealthy because it doesn't have the desired number of replicas.");
        builder.Pods[1] = SnapshotBuilder.WaitingPod("aws-guardduty-agent-b2", "CrashLoopBackOff", restarts: 5, lastExit: 1);
        builder.Pods[2] = SnapshotBuilder.PendingPod("aws-guardduty-agent-c3", "0/3 nodes are available: 3 Insufficient cpu.");
        builder.DaemonSet!.Status.NumberAvailable = 1;

        var report = builder.Diagnose();

        Assert.DoesNotContain(report.Findings, f => f.Reason == ReasonCodes.AgentPodsNotReady);
        foreach (var reason in new[] { ReasonCodes.AgentPodsCrashLooping, ReasonCodes.AgentPodsUnschedulable })
        {
            Assert.Equal(["Local", "GuardDuty", "EksAddon"], report.Findings.Single(f => f.Reason == reason).Sources);
        }

        Assert.Equal(CrossCheckOutcomes.Agree, report.CrossCheck);
        Assert.DoesNotContain("..", report.Findings.Single(f => f.Reason == ReasonCodes.AgentPodsUnschedulable).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BothUnhealthyWithTheSameCauseAgree()
    {
        var builder = new SnapshotBuilder().GuardDutyIssue(NotReadyIssue);
        builder.Pods[0] = SnapshotBuilder.WaitingPod("aws-guardduty-agent-a1", "ContainerCreating");
        builder.DaemonSet!.Status.NumberAvailable = 2;
        var report = builder.Diagnose();
        Assert.Equal(CrossCheckOutcomes.Agree, report.CrossCheck);
        Assert.Equal(Verdicts.Unhealthy, report.Coverage);
        Assert.True(report.Readiness.Stalled);
        Assert.Equal(ReasonCodes.AgentPodsNotReady, report.Readiness.Reason);
    }

    [Fact]
    public void LocalCauseGuardDutyDoesNotReportYetIsPredicted()
    {
        var builder = new SnapshotBuilder { PriorityClass = null };
        var report = builder.Diagnose();
        Assert.Equal(GuardDutyVerdicts.Healthy, report.GuardDuty.CoverageStatus);
        Assert.Equal(CrossCheckOutcomes.Predicted, report.CrossCheck);
        Assert.Equal(Verdicts.Unhealthy, report.Coverage);
    }

    [Fact]
    public void DifferentLocallyVisibleCausesArePredicted()
    {
        var builder = new SnapshotBuilder { PriorityClass = null }.GuardDutyIssue(NotReadyIssue);
        Assert.Equal(CrossCheckOutcomes.Predicted, builder.Diagnose().CrossCheck);
    }

    [Fact]
    public void CauseNoLocalCheckCanSeeIsALocalBlindSpot()
    {
        var builder = new SnapshotBuilder().GuardDutyIssue("VPC Endpoint Creation Failed: VPC endpoint creation not supported for shared VPC vpc-0a1b2c3d4e5f60718");
        var report = builder.Diagnose();
        Assert.Equal(Verdicts.Healthy, report.Local);
        Assert.Equal(CrossCheckOutcomes.LocalBlindSpot, report.CrossCheck);
        Assert.Equal(Verdicts.Unhealthy, report.Coverage);
        var network = Assert.Single(report.Checks, c => c.Type == CheckTypes.NetworkReady);
        Assert.Equal(ConditionStatus.False, network.Status);
        Assert.Equal(ReasonCodes.VpcEndpointSharedVpcUnsupported, network.Reason);
        var finding = Assert.Single(report.Findings);
        Assert.Contains("vpc-0a1b2c3d4e5f60718", finding.Message);
    }

    [Fact]
    public void GuardDutyReportingAFixedCauseFromBeforeTheFixIsStale()
    {
        var fixedAt = SnapshotBuilder.Now.AddMinutes(-5);
        var builder = new SnapshotBuilder { Memory = new DiagnosisMemory(fixedAt) }.GuardDutyIssue(NotReadyIssue, updatedAt: fixedAt.AddMinutes(-20));
        var report = builder.Diagnose();
        Assert.Equal(Verdicts.Healthy, report.Local);
        Assert.Equal(CrossCheckOutcomes.GuardDutyStale, report.CrossCheck);
        Assert.Equal(ConditionStatus.False, report.Readiness.Ready);
        Assert.Equal(CrossCheckOutcomes.GuardDutyStale, report.Readiness.Reason);
        Assert.True(report.Readiness.Reconciling);
        Assert.False(report.Readiness.Stalled);
    }

    [Fact]
    public void GuardDutyReportUpdatedAfterTheFixIsNotStale()
    {
        var fixedAt = SnapshotBuilder.Now.AddMinutes(-30);
        var builder = new SnapshotBuilder { Memory = new DiagnosisMemory(fixedAt) }.GuardDutyIssue(NotReadyIssue, updatedAt: fixedAt.AddMinutes(10));
        var report = builder.Diagnose();
        Assert.Equal(CrossCheckOutcomes.LocalBlindSpot, report.CrossCheck);
        Assert.True(report.Readiness.Stalled);
    }

    [Fact]
    public void WithoutMemoryTheNewestPodReadyTransitionDatesTheFix()
    {
        // The pods turned Ready at 16:01; GuardDuty's record is from 15:00.
        var builder = new SnapshotBuilder().GuardDutyIssue(NotReadyIssue, updatedAt: new DateTimeOffset(2026, 11, 26, 15, 0, 0, TimeSpan.Zero));
        builder.DaemonSet!.Metadata.ManagedFields = [];
        Assert.Equal(CrossCheckOutcomes.GuardDutyStale, builder.Diagnose().CrossCheck);
    }

    [Fact]
    public void UnreadableGuardDutyIsUnknownWithTheReasonAndLocalResultsStillCount()
    {
        var builder = new SnapshotBuilder
        {
            PriorityClass = null,
            CoverageObservation = AwsObservation<CoverageResource>.Failure("GuardDuty ListCoverage: AccessDeniedException: not authorized to perform guardduty:ListCoverage"),
        };
        var report = builder.Diagnose();
        Assert.Equal(GuardDutyVerdicts.Unknown, report.GuardDuty.CoverageStatus);
        Assert.Contains("AccessDeniedException", report.GuardDuty.Reason);
        Assert.Null(report.CrossCheck);
        Assert.Equal(Verdicts.Unhealthy, report.Coverage);
        var check = Assert.Single(report.Checks, c => c.Type == CheckTypes.GuardDutyCovered);
        Assert.Equal(ConditionStatus.Unknown, check.Status);
    }

    [Fact]
    public void UnreadableGuardDutyWithAHealthyClusterIsUnknown()
    {
        var builder = new SnapshotBuilder { CoverageObservation = AwsObservation<CoverageResource>.Failure("no credentials") };
        var report = builder.Diagnose();
        Assert.Equal(Verdicts.Unknown, report.Coverage);
        Assert.Equal(ConditionStatus.Unknown, report.Readiness.Ready);
        Assert.False(report.Readiness.Stalled);
    }

    [Fact]
    public void AFailedRefreshKeepsTheLastValueMarkedStale()
    {
        var builder = new SnapshotBuilder();
        builder.CoverageObservation = AwsObservation<CoverageResource>.Success(SnapshotBuilder.HealthyCoverage(), SnapshotBuilder.Now.AddMinutes(-10)).WithFailure("ThrottlingException");
        var report = builder.Diagnose();
        Assert.Equal(GuardDutyVerdicts.Healthy, report.GuardDuty.CoverageStatus);
        Assert.True(report.GuardDuty.Stale);
        Assert.Contains("ThrottlingException", report.GuardDuty.Reason);
        Assert.Equal(SnapshotBuilder.Now.AddMinutes(-10), report.GuardDuty.CheckedAt);
    }

    [Fact]
    public void GuardDutySwitchedOffLeavesReadinessToTheCluster()
    {
        var builder = new SnapshotBuilder { Target = new DiagnosisTarget { ClusterName = SnapshotBuilder.Cluster, Region = SnapshotBuilder.Region, GuardDutyCheck = false } };
        builder.GuardDutyIssue(NotReadyIssue);
        var report = builder.Diagnose();
        Assert.Equal(GuardDutyVerdicts.NotChecked, report.GuardDuty.CoverageStatus);
        Assert.Empty(report.Findings);
        Assert.Equal(Verdicts.Healthy, report.Coverage);
        Assert.Equal(ConditionStatus.True, report.Readiness.Ready);
    }

    [Fact]
    public void ProvisioningInProgressIsReconcilingNotStalled()
    {
        var builder = new SnapshotBuilder { Namespace = null, DaemonSet = null, Pods = [] }
            .GuardDutyIssue("EKS Runtime Monitoring enablement resource provisioning in progress");
        var report = builder.Diagnose();
        Assert.Equal(ConditionStatus.False, report.Readiness.Ready);
        Assert.True(report.Readiness.Reconciling);
        Assert.False(report.Readiness.Stalled);
        var provisioning = Assert.Single(report.Findings, f => f.Reason == ReasonCodes.EnablementProvisioningInProgress);
        Assert.Equal("Info", provisioning.Severity);
        var check = Assert.Single(report.Checks, c => c.Type == CheckTypes.GuardDutyCovered);
        Assert.Equal(ReasonCodes.EnablementProvisioningInProgress, check.Reason);
    }

    [Fact]
    public void ProvisioningDoesNotExcuseACrashLoop()
    {
        var builder = new SnapshotBuilder().GuardDutyIssue("EKS Runtime Monitoring enablement resource provisioning in progress");
        builder.Pods[0] = SnapshotBuilder.WaitingPod("aws-guardduty-agent-a1", "CrashLoopBackOff", restarts: 3, lastExit: 2);
        builder.DaemonSet!.Status.NumberAvailable = 2;
        var report = builder.Diagnose();
        Assert.True(report.Readiness.Stalled);
        Assert.False(report.Readiness.Reconciling);
    }

    [Fact]
    public void DaemonSetRolloutIsReconcilingWithoutAFailure()
    {
        var builder = new SnapshotBuilder();
        builder.DaemonSet!.Metadata.Generation = 4;
        builder.DaemonSet.Status.ObservedGeneration = 4;
        builder.DaemonSet.Status.UpdatedNumberScheduled = 1;
        builder.DaemonSet.Status.NumberAvailable = 2;
        builder.Pods[2] = SnapshotBuilder.WaitingPod("aws-guardduty-agent-c3", "ContainerCreating");
        var report = builder.Diagnose();
        Assert.Empty(report.Findings);
        Assert.Equal(Verdicts.Healthy, report.Local);
        Assert.Equal(ConditionStatus.False, report.Readiness.Ready);
        Assert.Equal("RolloutInProgress", report.Readiness.Reason);
        Assert.True(report.Readiness.Reconciling);
        Assert.False(report.Readiness.Stalled);
        var agent = Assert.Single(report.Checks, c => c.Type == CheckTypes.AgentReady);
        Assert.Equal(ConditionStatus.False, agent.Status);
        Assert.Equal("RolloutInProgress", agent.Reason);
    }

    [Fact]
    public void WarningsDoNotMakeTheClusterUnhealthy()
    {
        var builder = new SnapshotBuilder();
        builder.DaemonSet!.Spec.Template.Spec.Containers[0].Image = "registry.example.com/aws-guardduty-agent:v1.17.1";
        var report = builder.Diagnose();
        Assert.Equal("Warning", Assert.Single(report.Findings).Severity);
        Assert.Equal(Verdicts.Healthy, report.Local);
        Assert.Equal(ConditionStatus.True, report.Readiness.Ready);
        var check = Assert.Single(report.Checks, c => c.Type == CheckTypes.AgentConfigurationValid);
        Assert.Equal(ConditionStatus.True, check.Status);
        Assert.Equal(ReasonCodes.AgentImageRegistryUnexpected, check.Reason);
    }

    [Fact]
    public void AwsOnlySnapshotHasAnUnknownLocalVerdict()
    {
        var builder = new SnapshotBuilder { KubernetesObserved = false, Namespace = null, DaemonSet = null, Pods = [], PriorityClass = null, Bindings = [], AccessReviews = null, DaemonSetDryRun = null, NamespaceDryRun = null };
        var report = builder.Diagnose();
        Assert.Equal(Verdicts.Unknown, report.Local);
        Assert.Empty(report.Findings);
        Assert.Null(report.CrossCheck);
        Assert.Equal(Verdicts.Unknown, report.Coverage);
        Assert.Equal(ConditionStatus.Unknown, Assert.Single(report.Checks, c => c.Type == CheckTypes.AgentReady).Status);
    }

    [Fact]
    public void ProbesAreDataForTheController()
    {
        var target = new DiagnosisTarget { ClusterName = "c", AgentNamespace = "gd", DaemonSetName = "agent", PriorityClassName = "pc" };
        var reviews = LiveProbes.AccessReviews(target);
        Assert.Equal(["patch priorityclasses.scheduling.k8s.io \"pc\"", "patch namespaces \"gd\"", "patch daemonsets.apps \"agent\" in namespace gd"], reviews.Select(r => r.Describe()));
        Assert.All(reviews, r => Assert.Equal("eks:addon-manager", r.User));
        Assert.Equal(2, LiveProbes.DryRuns(target).Count);
        Assert.Empty(LiveProbes.DryRuns(target with { AdmissionDryRun = false }));
    }

    [Fact]
    public void ReportMapsOntoTheStatusTypes()
    {
        var builder = new SnapshotBuilder { PriorityClass = null };
        var report = builder.Diagnose();
        var finding = Assert.Single(report.ToStatusFindings());
        Assert.Equal(ReasonCodes.PriorityClassMissing, finding.Reason);
        Assert.Equal(["Local"], finding.Sources);
        Assert.Equal("3/3", report.ToAgentStatus()!.Summary);
        Assert.Equal("HEALTHY", report.ToGuardDutyStatus().CoverageStatus);
    }
}
