namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>
/// NetworkReady: the VPC lets the agent reach GuardDuty (DNS attributes, the guardduty-data endpoint, VPC endpoint
/// provisioning, the VPC's owner) and no NetworkPolicy blocks the agent's egress.
/// </summary>
internal sealed class NetworkReadyCheck : ConditionCheck
{
    public override ConditionDefinition Condition { get; } = new(
        CheckTypes.NetworkReady,
        HealthyReason: "VpcReady",
        Sources: [FindingSource.Ec2, FindingSource.GuardDuty, FindingSource.Local],
        WholeSource: false,
        ReadsCluster: false,
        Reads: "EC2 VPC attributes and endpoints, GuardDuty's VPC issues, NetworkPolicies of the agent namespace",
        TrueReasons: "`VpcReady`",
        UnknownReasons: [ConditionReasons.NotObserved, ConditionReasons.ReadFailed, AwsAccessReasons.AwsCredentialsMissing, AwsAccessReasons.AwsAccessDenied]);

    internal override void Run(DiagnosisContext context)
    {
        if (context.Snapshot.KubernetesObserved)
        {
            PolicyChecks.NetworkPolicies(context);
        }

        AwsChecks.Network(context);
        CoverageChecks.VpcOwner(context);
    }
}
