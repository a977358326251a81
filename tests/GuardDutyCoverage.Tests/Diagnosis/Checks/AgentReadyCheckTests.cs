using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;
using static GuardDutyCoverage.Tests.Diagnosis.Checks.CheckHarness;

namespace GuardDutyCoverage.Tests.Diagnosis.Checks;

public sealed class AgentReadyCheckTests
{
    [Fact]
    public void AvailableAgentIsTheHealthyNote()
    {
        var context = Run<AgentReadyCheck>(new SnapshotBuilder());
        Assert.Empty(context.Observations);
        var note = SingleNote(context, CheckTypes.AgentReady);
        Assert.Equal((ConditionStatus.True, "AgentAvailable"), (note.Status, note.Reason));
    }

    [Fact]
    public void MissingDaemonSetIsItsRowAndNotAGenericShortage()
    {
        var context = Run<AgentReadyCheck>(new SnapshotBuilder { DaemonSet = null, Pods = [] });
        Assert.Equal([ReasonCodes.AgentDaemonSetMissing], Reasons(context));
        Assert.All(context.Observations, o => Assert.Equal(FindingSource.Local, o.Source));
    }

    [Fact]
    public void ACrashLoopingPodIsExplainedBeforeTheDaemonSetIsCounted()
    {
        var builder = new SnapshotBuilder();
        builder.Pods[0] = SnapshotBuilder.WaitingPod("aws-guardduty-agent-a1", "CrashLoopBackOff", "back-off", restarts: 4, lastExit: 1);
        builder.DaemonSet!.Status.NumberAvailable = 2;
        var context = Run<AgentReadyCheck>(builder);
        Assert.Equal([ReasonCodes.AgentPodsCrashLooping], Reasons(context));
    }
}
