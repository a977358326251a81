using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;
using static GuardDutyCoverage.Tests.Diagnosis.Checks.CheckHarness;

namespace GuardDutyCoverage.Tests.Diagnosis.Checks;

public sealed class NetworkReadyCheckTests
{
    [Fact]
    public void ReadyVpcIsTheHealthyNote()
    {
        var context = Run<NetworkReadyCheck>(new SnapshotBuilder());
        Assert.Empty(context.Observations);
        Assert.Equal("VpcReady", SingleNote(context, CheckTypes.NetworkReady).Reason);
    }

    [Fact]
    public void DnsAttributesOffAreTheirRowSeenByEc2()
    {
        var builder = new SnapshotBuilder();
        builder.VpcDns = builder.VpcDns! with { EnableDnsHostnames = false };
        var context = Run<NetworkReadyCheck>(builder);
        var observation = Assert.Single(context.Observations);
        Assert.Equal((ReasonCodes.VpcDnsAttributesDisabled, FindingSource.Ec2), (observation.Reason, observation.Source));
    }

    [Fact]
    public void UnreadVpcIsNotObserved()
    {
        var note = SingleNote(Run<NetworkReadyCheck>(new SnapshotBuilder { VpcDns = null, Endpoints = null }), CheckTypes.NetworkReady);
        Assert.Equal((ConditionStatus.Unknown, ConditionReasons.NotObserved), (note.Status, note.Reason));
    }
}
