using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Tests.Diagnosis;

public sealed class ConditionSetTests
{
    private static readonly RootConditionSet Set = new("Root", "A", "B");

    [Theory]
    [InlineData("True", "True", "True")]
    [InlineData("True", "Unknown", "Unknown")]
    [InlineData("Unknown", "Unknown", "Unknown")]
    [InlineData("False", "Unknown", "False")]
    [InlineData("Unknown", "False", "False")]
    [InlineData("True", "False", "False")]
    public void FalseOutweighsUnknownWhichOutweighsTrue(string a, string b, string root) =>
        Assert.Equal(root, Set.Derive(new Dictionary<string, string> { ["A"] = a, ["B"] = b }));

    [Fact]
    public void ADependentNobodySetIsUnknownNeverHealthy()
    {
        Assert.Equal(ConditionStatus.Unknown, Set.Derive(new Dictionary<string, string> { ["A"] = ConditionStatus.True }));
        Assert.Equal(ConditionStatus.False, Set.Derive(new Dictionary<string, string> { ["B"] = ConditionStatus.False }));
    }

    [Fact]
    public void AnUnexpectedStatusValueIsUnknown() =>
        Assert.Equal(ConditionStatus.Unknown, Set.Derive(new Dictionary<string, string> { ["A"] = "True", ["B"] = "Maybe" }));

    [Fact]
    public void ANameThatIsNoDependentIsAnError()
    {
        var error = Assert.Throws<ArgumentException>(() => Set.Derive(new Dictionary<string, string> { ["A"] = "True", ["B"] = "True", ["C"] = "False" }));
        Assert.Contains("Root has no dependent C", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DependentsMustBeDistinctAndPresent()
    {
        Assert.Throws<ArgumentException>(() => new RootConditionSet("Root"));
        Assert.Throws<ArgumentException>(() => new RootConditionSet("Root", "A", "A"));
    }

    [Fact]
    public void ReadyFollowsTheSetInTheEngine()
    {
        // Healthy, unhealthy, undecided (cluster not read) and in progress (a roll-out): the four ways Ready goes.
        Assert.Equal(ConditionStatus.True, new SnapshotBuilder().Diagnose().Readiness.Ready);
        Assert.Equal(ConditionStatus.False, new SnapshotBuilder { PriorityClass = null }.Diagnose().Readiness.Ready);
        var unknown = new SnapshotBuilder { KubernetesObserved = false }.Diagnose();
        Assert.Equal((Verdicts.Unknown, ConditionStatus.Unknown, "CoverageUnknown"), (unknown.Coverage, unknown.Readiness.Ready, unknown.Readiness.Reason));
        var rolling = new SnapshotBuilder { KubernetesObserved = false };
        rolling.Addon = rolling.Addon! with { Status = "UPDATING" };
        var progress = rolling.Diagnose();
        Assert.Equal((Verdicts.Unknown, ConditionStatus.False, true), (progress.Coverage, progress.Readiness.Ready, progress.Readiness.Reconciling));
    }
}
