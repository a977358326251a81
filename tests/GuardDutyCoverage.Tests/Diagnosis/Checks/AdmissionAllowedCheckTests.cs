using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;
using k8s.Models;
using static GuardDutyCoverage.Tests.Diagnosis.Checks.CheckHarness;

namespace GuardDutyCoverage.Tests.Diagnosis.Checks;

public sealed class AdmissionAllowedCheckTests
{
    [Fact]
    public void PassingDryRunsAreTheHealthyNote()
    {
        var context = Run<AdmissionAllowedCheck>(new SnapshotBuilder());
        Assert.Empty(context.Observations);
        Assert.Equal("NoBlockingWebhooks", SingleNote(context, CheckTypes.AdmissionAllowed).Reason);
    }

    [Fact]
    public void DeniedDaemonSetDryRunIsTheDenialRow()
    {
        var builder = new SnapshotBuilder();
        builder.DaemonSetDryRun = DryRunResult.Rejected(builder.DaemonSetProbe, 400,
            "admission webhook \"validate.kyverno.svc-fail\" denied the request: policy DaemonSet/amazon-guardduty/aws-guardduty-agent for resource violation: disallow-host-path");
        var context = Run<AdmissionAllowedCheck>(builder);
        Assert.Equal([ReasonCodes.AdmissionWebhookDenied], Reasons(context));
    }

    [Fact]
    public void AQuotaThatRejectsAgentPodsIsFoundByThisUnit()
    {
        var builder = new SnapshotBuilder
        {
            ResourceQuotas = [new V1ResourceQuota
            {
                Metadata = new V1ObjectMeta { Name = "pods", NamespaceProperty = "amazon-guardduty" },
                Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["pods"] = new("0") } },
                Status = new V1ResourceQuotaStatus { Hard = new Dictionary<string, ResourceQuantity> { ["pods"] = new("0") }, Used = new Dictionary<string, ResourceQuantity> { ["pods"] = new("0") } },
            }],
        };
        builder.DaemonSet!.Status.CurrentNumberScheduled = 0;
        builder.Pods = [];
        var context = Run<AdmissionAllowedCheck>(builder, Check<AgentReadyCheck>());
        Assert.Contains(ReasonCodes.ResourceQuotaBlocksAgent, Reasons(context));
    }
}
