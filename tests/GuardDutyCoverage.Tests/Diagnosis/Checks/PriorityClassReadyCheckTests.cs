using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;
using static GuardDutyCoverage.Tests.Diagnosis.Checks.CheckHarness;

namespace GuardDutyCoverage.Tests.Diagnosis.Checks;

public sealed class PriorityClassReadyCheckTests
{
    [Fact]
    public void PresentPriorityClassIsTheHealthyNoteWithItsPolicy()
    {
        var context = Run<PriorityClassReadyCheck>(new SnapshotBuilder());
        Assert.Empty(context.Observations);
        var note = SingleNote(context, CheckTypes.PriorityClassReady);
        Assert.Equal((ConditionStatus.True, "PriorityClassPresent"), (note.Status, note.Reason));
        Assert.Contains("preemptionPolicy", note.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingPriorityClassIsItsRow()
    {
        var context = Run<PriorityClassReadyCheck>(new SnapshotBuilder { PriorityClass = null });
        Assert.Equal([ReasonCodes.PriorityClassMissing], Reasons(context));
        Assert.Empty(context.Notes);
    }

    [Fact]
    public void UnobservedClusterIsNotObservedInTheReport()
    {
        var report = new SnapshotBuilder { KubernetesObserved = false, PriorityClass = null }.Diagnose();
        var outcome = Assert.Single(report.Checks, c => c.Type == CheckTypes.PriorityClassReady);
        Assert.Equal((ConditionStatus.Unknown, ConditionReasons.NotObserved), (outcome.Status, outcome.Reason));
        Assert.DoesNotContain(report.Findings, f => f.Reason == ReasonCodes.PriorityClassMissing);
    }
}
