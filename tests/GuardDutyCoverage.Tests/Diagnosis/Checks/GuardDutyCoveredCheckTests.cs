using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;
using static GuardDutyCoverage.Tests.Diagnosis.Checks.CheckHarness;

namespace GuardDutyCoverage.Tests.Diagnosis.Checks;

public sealed class GuardDutyCoveredCheckTests
{
    [Fact]
    public void HealthyRecordIsTheVerdictOthersRead()
    {
        var context = Run<GuardDutyCoveredCheck>(new SnapshotBuilder());
        Assert.Empty(context.Observations);
        Assert.Equal(GuardDutyVerdicts.Healthy, context.GuardDuty?.CoverageStatus);
    }

    [Fact]
    public void NoRecordIsItsRow()
    {
        var context = Run<GuardDutyCoveredCheck>(new SnapshotBuilder { Coverage = null });
        Assert.Equal(GuardDutyVerdicts.NotFound, context.GuardDuty?.CoverageStatus);
        Assert.Contains(ReasonCodes.GuardDutyCoverageNotFound, Reasons(context));
    }

    [Fact]
    public void SwitchedOffIsNotCheckedAndFindsNothing()
    {
        var builder = new SnapshotBuilder();
        builder.Target = builder.Target with { GuardDutyCheck = false };
        var context = Run<GuardDutyCoveredCheck>(builder);
        Assert.Equal(GuardDutyVerdicts.NotChecked, context.GuardDuty?.CoverageStatus);
        Assert.Empty(context.Observations);
        var outcome = Assert.Single(builder.Diagnose().Checks, c => c.Type == CheckTypes.GuardDutyCovered);
        Assert.Equal((ConditionStatus.Unknown, "NotChecked"), (outcome.Status, outcome.Reason));
    }
}
