using GuardDutyCoverage.Api;

namespace GuardDutyCoverage.Tests.Api;

public sealed class ConditionSetTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static DesiredCondition Ready(string status, string reason = "R") => new(ConditionTypes.Ready, status, reason, "m");

    [Fact]
    public void ReadyIsRequired()
    {
        Assert.Throws<ArgumentException>(() => ConditionSet.Build(null, [new DesiredCondition("AgentReady", "True", "Ok", "")], 1, T0));
    }

    [Fact]
    public void ReconcilingAndStalledAppearOnlyWhileTrue()
    {
        var conditions = ConditionSet.Build(null, [Ready("False"), new(ConditionTypes.Reconciling, "False", "Done", ""), new(ConditionTypes.Stalled, "False", "Fine", "")], 1, T0);
        Assert.Equal([ConditionTypes.Ready], conditions.Select(c => c.Type));
    }

    [Fact]
    public void NeverBothReconcilingAndStalled()
    {
        var conditions = ConditionSet.Build(null, [Ready("False"), new(ConditionTypes.Reconciling, "True", "RollOut", ""), new(ConditionTypes.Stalled, "True", "InvalidSpec", "")], 1, T0);
        Assert.Equal([ConditionTypes.Ready, ConditionTypes.Stalled], conditions.Select(c => c.Type));
    }

    [Fact]
    public void TransitionTimeIsKeptWhileStatusIsUnchangedAndMovesWhenItChanges()
    {
        var first = ConditionSet.Build(null, [Ready("False", "A"), new("AgentReady", "False", "AgentPodsNotReady", "1/3")], 1, T0);
        var later = T0.AddMinutes(5);
        var second = ConditionSet.Build(first, [Ready("False", "B"), new("AgentReady", "True", "AgentsAvailable", "3/3")], 2, later);
        Assert.Equal(T0, second.Find(ConditionTypes.Ready)!.LastTransitionTime);
        Assert.Equal("B", second.Find(ConditionTypes.Ready)!.Reason);
        Assert.Equal(later, second.Find("AgentReady")!.LastTransitionTime);
        Assert.All(second, c => Assert.Equal(2, c.ObservedGeneration));
    }

    [Fact]
    public void EqualInputsGiveEqualListsSoNothingIsWritten()
    {
        var desired = new[] { new DesiredCondition("Zeta", "True", "Z", ""), Ready("True"), new DesiredCondition("Alpha", "True", "A", "") };
        var first = ConditionSet.Build(null, desired, 3, T0);
        var second = ConditionSet.Build(first, desired.Reverse(), 3, T0.AddHours(1));
        Assert.Equal(first, second);
        Assert.Equal([ConditionTypes.Ready, "Alpha", "Zeta"], second.Select(c => c.Type));
    }

    [Fact]
    public void TimesAreTruncatedToSecondsLikeTheApiServerStoresThem()
    {
        var conditions = ConditionSet.Build(null, [Ready("True")], 1, T0.AddMilliseconds(750));
        Assert.Equal(T0, conditions[0].LastTransitionTime);
    }
}
