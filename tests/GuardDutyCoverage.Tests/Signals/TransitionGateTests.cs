using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Tests.Signals;

/// <summary>Which status changes are news: roll-outs are progress, a new unhealthy state needs confirmation.</summary>
public sealed class TransitionGateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    private static GuardDutyCoverageStatus Status(string ready, string reason, bool reconciling = false, params Finding[] findings)
    {
        var conditions = new List<Condition> { new() { Type = ConditionTypes.Ready, Status = ready, Reason = reason, LastTransitionTime = T0, Message = reason + " message" } };
        if (reconciling)
        {
            conditions.Add(new Condition { Type = ConditionTypes.Reconciling, Status = ConditionStatus.True, Reason = reason, LastTransitionTime = T0 });
        }

        return new GuardDutyCoverageStatus { Conditions = conditions, Findings = findings, Coverage = ready == ConditionStatus.True ? "Healthy" : "Unhealthy" };
    }

    private static Finding Finding(string reason, string severity = "Error", params string[] sources) =>
        new() { Reason = reason, Severity = severity, Sources = sources.Length == 0 ? ["Local"] : sources, Message = reason + " seen" };

    private static GuardDutyCoverageStatus Healthy => Status(ConditionStatus.True, "CoverageHealthy");

    private static GuardDutyCoverageStatus Unhealthy(string reason = ReasonCodes.PriorityClassMissing, params string[] sources) =>
        Status(ConditionStatus.False, reason, false, Finding(reason, "Error", sources));

    [Fact]
    public void ARolloutIsProgressAnnouncedOnceAndNeverWithFindings()
    {
        var gate = new TransitionGate(Window);
        Assert.False(gate.Decide("c", Healthy, Healthy, T0).Ready);

        var rolling = Status(ConditionStatus.False, "RolloutInProgress", reconciling: true);
        var during = gate.Decide("c", Healthy, rolling, T0.AddSeconds(1));
        Assert.True(during.Ready);
        Assert.Equal(new AnnouncedReady(ConditionStatus.True, "CoverageHealthy", false), during.Announced);
        Assert.Empty(during.NewFindings);
        Assert.Null(during.RecheckAfter);
        Assert.False(gate.Decide("c", rolling, rolling, T0.AddSeconds(2)).Ready);

        // Installing with the errors expected meanwhile (Reconciling): still no finding Warning.
        var installing = Status(ConditionStatus.False, ReasonCodes.AgentPodsNotReady, reconciling: true, Finding(ReasonCodes.AgentPodsNotReady));
        Assert.Empty(gate.Decide("c", rolling, installing, T0.AddSeconds(3)).NewFindings);

        var done = gate.Decide("c", installing, Healthy, T0.AddSeconds(4));
        Assert.True(done.Ready);
        Assert.Empty(done.NewFindings);
    }

    [Fact]
    public void ANewUnhealthyStateIsAnnouncedOnlyAfterTheConfirmationWindow()
    {
        var gate = new TransitionGate(Window);
        gate.Decide("c", Healthy, Healthy, T0);

        var first = gate.Decide("c", Healthy, Unhealthy(), T0);
        Assert.False(first.Ready);
        Assert.Empty(first.NewFindings);
        Assert.Equal(Window, first.RecheckAfter);

        var later = gate.Decide("c", Unhealthy(), Unhealthy(), T0.AddSeconds(20));
        Assert.False(later.Ready);
        Assert.Equal(TimeSpan.FromSeconds(10), later.RecheckAfter);

        var confirmed = gate.Decide("c", Unhealthy(), Unhealthy(), T0.AddSeconds(30));
        Assert.True(confirmed.Ready);
        Assert.Null(confirmed.RecheckAfter);
        Assert.Equal(ReasonCodes.PriorityClassMissing, Assert.Single(confirmed.NewFindings).Reason);

        // Announced once.
        var again = gate.Decide("c", Unhealthy(), Unhealthy(), T0.AddSeconds(90));
        Assert.False(again.Ready);
        Assert.Empty(again.NewFindings);

        // Recovery after an announced failure is news.
        Assert.True(gate.Decide("c", Unhealthy(), Healthy, T0.AddSeconds(100)).Ready);
    }

    [Fact]
    public void AStateThatPassesWithinTheWindowIsNeverAnnouncedNorIsItsRecovery()
    {
        var gate = new TransitionGate(Window);
        gate.Decide("c", Healthy, Healthy, T0);
        Assert.False(gate.Decide("c", Healthy, Unhealthy(ReasonCodes.AgentPodsNotReady), T0.AddSeconds(1)).Ready);
        var back = gate.Decide("c", Unhealthy(ReasonCodes.AgentPodsNotReady), Healthy, T0.AddSeconds(12));
        Assert.False(back.Ready);
        Assert.Empty(back.NewFindings);

        // The window starts again for the next blip.
        var next = gate.Decide("c", Healthy, Unhealthy(ReasonCodes.AgentPodsNotReady), T0.AddSeconds(40));
        Assert.False(next.Ready);
        Assert.Equal(Window, next.RecheckAfter);
    }

    [Theory]
    [InlineData(ReasonCodes.AgentPodsCrashLooping)]
    [InlineData(ReasonCodes.AdmissionWebhookDenied)]
    [InlineData(StatusComposer.InvalidSpecReason)]
    public void CausesThatCannotPassByThemselvesAreAnnouncedAtOnce(string reason)
    {
        var gate = new TransitionGate(Window);
        gate.Decide("c", Healthy, Healthy, T0);
        var decision = gate.Decide("c", Healthy, Unhealthy(reason), T0);
        Assert.True(decision.Ready);
        Assert.Null(decision.RecheckAfter);
    }

    [Fact]
    public void ACauseGuardDutyAlreadyReportsIsAnnouncedAtOnce()
    {
        var gate = new TransitionGate(Window);
        gate.Decide("c", Healthy, Healthy, T0);
        Assert.True(gate.Decide("c", Healthy, Unhealthy(ReasonCodes.AgentPodsNotReady, "Local", "GuardDuty"), T0).Ready);
        Assert.True(TransitionGate.IsTerminal(ReasonCodes.AgentPodsNotReady, [Finding(ReasonCodes.AgentPodsNotReady, "Error", "GuardDuty")]));
        Assert.False(TransitionGate.IsTerminal(ReasonCodes.AgentPodsNotReady, [Finding(ReasonCodes.AgentPodsNotReady)]));
    }

    [Fact]
    public void ARestartedOperatorDoesNotAnnounceTheStatusItFinds()
    {
        var gate = new TransitionGate(Window);
        var decision = gate.Decide("c", Unhealthy(), Unhealthy(), T0);
        Assert.False(decision.Ready);
        Assert.Empty(decision.NewFindings);
        Assert.Null(decision.RecheckAfter);
    }

    [Fact]
    public void ZeroWindowAnnouncesAtOnceAndForgetStartsOver()
    {
        var gate = new TransitionGate(TimeSpan.Zero);
        gate.Decide("c", Healthy, Healthy, T0);
        Assert.True(gate.Decide("c", Healthy, Unhealthy(), T0).Ready);
        gate.Forget("c");
        Assert.True(gate.Decide("c", null, Healthy, T0).Ready);
    }
}
