using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;

namespace GuardDutyCoverage.Tests.Diagnosis.Checks;

/// <summary>The one list of conditions: each defined once, each unit finding only the rows of its own condition.</summary>
public sealed class ConditionChecksTests
{
    [Fact]
    public void TheListDefinesEveryConditionOnceInTheStatusOrder()
    {
        var types = ConditionChecks.All.Select(c => c.Condition.Type).ToList();
        Assert.Equal(types.Distinct(StringComparer.Ordinal), types);
        Assert.Equal(CheckTypes.All, types);
        // The order is the status contract (the conditions' order in .status.conditions) and the run order.
        Assert.Equal(
            [CheckTypes.AgentReady, CheckTypes.PriorityClassReady, CheckTypes.AddonManagerAuthorized, CheckTypes.AdmissionAllowed,
             CheckTypes.AgentConfigurationValid, CheckTypes.GuardDutyCovered, CheckTypes.EksAddonHealthy, CheckTypes.NetworkReady],
            types);
        Assert.All(ConditionChecks.All, c => Assert.EndsWith("Check", c.GetType().Name, StringComparison.Ordinal));
        Assert.All(ConditionChecks.All, c => Assert.Equal(c.Condition.Type + "Check", c.GetType().Name));
    }

    [Fact]
    public void EachUnitLivesInItsOwnFileWithItsOwnTests()
    {
        foreach (var check in ConditionChecks.All)
        {
            var name = check.GetType().Name;
            Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "operator", "Diagnosis", "Checks", name + ".cs")), $"operator/Diagnosis/Checks/{name}.cs");
            Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "tests", "GuardDutyCoverage.Tests", "Diagnosis", "Checks", name + "Tests.cs")), $"tests/.../Diagnosis/Checks/{name}Tests.cs");
        }
    }

    [Fact]
    public void UnobservedClusterMakesEveryClusterReadingConditionNotObservedOnce()
    {
        var report = new SnapshotBuilder { KubernetesObserved = false }.Diagnose();
        foreach (var condition in ConditionChecks.All.Select(c => c.Condition).Where(c => c.ReadsCluster))
        {
            var outcome = Assert.Single(report.Checks, c => c.Type == condition.Type);
            Assert.Equal((ConditionStatus.Unknown, ConditionReasons.NotObserved, ConditionReasons.ClusterNotReadMessage), (outcome.Status, outcome.Reason, outcome.Message));
        }

        // The conditions that also read AWS still decide from AWS alone.
        Assert.All(ConditionChecks.All.Select(c => c.Condition).Where(c => !c.ReadsCluster),
            c => Assert.Equal(ConditionStatus.True, Assert.Single(report.Checks, o => o.Type == c.Type).Status));
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (reason, source) in CatalogRowTests.Cases.Keys)
        {
            data.Add(reason, source.ToString());
        }

        return data;
    }

    /// <summary>
    /// Every catalog case, unit by unit: the row is found by the unit of its own condition, or (GuardDuty and EKS
    /// reporting anything) by the unit of the condition that reflects that whole source, and by no other unit.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void OnlyTheUnitOfTheRowsConditionFindsIt(string reason, string source)
    {
        var builder = new SnapshotBuilder();
        CatalogRowTests.Cases[(reason, Enum.Parse<FindingSource>(source))](builder);
        var snapshot = builder.Build();
        var entry = Catalog.Get(reason);

        var finders = new List<string>();
        var context = new DiagnosisContext(snapshot);
        foreach (var check in ConditionChecks.All)
        {
            var before = context.Observations.Count;
            check.Run(context);
            if (context.Observations.Skip(before).Any(o => o.Reason == reason && o.Source.ToString() == source))
            {
                finders.Add(check.Condition.Type);
            }
        }

        var owner = ConditionChecks.All.Select(c => c.Condition)
            .Where(c => c.Type == entry.Check || (c.WholeSource && c.Sources.Contains(Enum.Parse<FindingSource>(source))))
            .Select(c => c.Type)
            .ToList();
        Assert.NotEmpty(finders);
        Assert.All(finders, f => Assert.Contains(f, owner));
    }
}
