using GuardDutyCoverage.Api;

namespace GuardDutyCoverage.Tests.Integration;

public sealed class CoverageLifecycleTests
{
    [Fact]
    public async Task HealthyClusterBecomesReadyWithEveryCheckTrue()
    {
        await using var it = await OperatorUnderTest.StartAsync();
        it.ApplyCoverage();
        var status = await it.WaitForReadyAsync(ConditionStatus.True);

        Assert.Equal("Healthy", status.Coverage);
        Assert.Equal("Healthy", status.Local);
        Assert.Equal("HEALTHY", status.GuardDuty?.CoverageStatus);
        Assert.Equal("Agree", status.CrossCheck);
        Assert.Equal("3/3", status.Agent?.Summary);
        Assert.Empty(status.Findings ?? []);
        Assert.All(status.Conditions!.Where(c => c.Type != ConditionTypes.Ready), c => Assert.NotEqual(ConditionStatus.False, c.Status));
        Assert.DoesNotContain(status.Conditions!, c => c.Type is ConditionTypes.Stalled or ConditionTypes.Reconciling);
    }
}
