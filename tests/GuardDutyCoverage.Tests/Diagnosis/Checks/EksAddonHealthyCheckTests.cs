using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;
using static GuardDutyCoverage.Tests.Diagnosis.Checks.CheckHarness;

namespace GuardDutyCoverage.Tests.Diagnosis.Checks;

public sealed class EksAddonHealthyCheckTests
{
    [Fact]
    public void ActiveAddonIsTheHealthyNote()
    {
        var context = Run<EksAddonHealthyCheck>(new SnapshotBuilder());
        Assert.Empty(context.Observations);
        Assert.Equal("AddonActive", SingleNote(context, CheckTypes.EksAddonHealthy).Reason);
    }

    [Fact]
    public void AnAddonIssueIsClassifiedBySourceEksAddon()
    {
        var context = Run<EksAddonHealthyCheck>(new SnapshotBuilder().AddonIssue("InternalFailure", "Something went wrong."));
        var observation = Assert.Single(context.Observations);
        Assert.Equal((ReasonCodes.AddonIssueOther, FindingSource.EksAddon), (observation.Reason, observation.Source));
    }

    [Fact]
    public void SwitchedOffIsDisabled()
    {
        var builder = new SnapshotBuilder();
        builder.Target = builder.Target with { EksAddonCheck = false };
        var note = SingleNote(Run<EksAddonHealthyCheck>(builder), CheckTypes.EksAddonHealthy);
        Assert.Equal((ConditionStatus.Unknown, "Disabled"), (note.Status, note.Reason));
    }
}
