using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;
using static GuardDutyCoverage.Tests.Diagnosis.Checks.CheckHarness;

namespace GuardDutyCoverage.Tests.Diagnosis.Checks;

public sealed class AgentConfigurationValidCheckTests
{
    [Fact]
    public void TheAddonsOwnDaemonSetIsTheHealthyNote()
    {
        var context = Run<AgentConfigurationValidCheck>(new SnapshotBuilder());
        Assert.Empty(context.Observations);
        Assert.Equal("ConfigurationAsDeployed", SingleNote(context, CheckTypes.AgentConfigurationValid).Reason);
    }

    [Fact]
    public void AnUnsupportedKubernetesVersionIsItsRow()
    {
        var builder = new SnapshotBuilder { ServerVersion = "v1.29.10-eks-7f9249a" };
        builder.EksCluster = builder.EksCluster! with { Version = "1.29" };
        var context = Run<AgentConfigurationValidCheck>(builder);
        Assert.Contains(ReasonCodes.AddonIncompatibleClusterVersion, Reasons(context));
    }

    [Fact]
    public void WithoutTheClusterItStillChecksTheAddonVersionFromAws()
    {
        // Not a cluster-reading condition: the add-on's version from EKS is enough to decide.
        Assert.False(Check<AgentConfigurationValidCheck>().Condition.ReadsCluster);
        var report = new SnapshotBuilder { KubernetesObserved = false }.Diagnose();
        var outcome = Assert.Single(report.Checks, c => c.Type == CheckTypes.AgentConfigurationValid);
        Assert.Equal(ConditionStatus.True, outcome.Status);
    }
}
