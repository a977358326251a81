namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>EksAddonHealthy: EKS reports the aws-guardduty-agent add-on healthy (DescribeAddon, DescribeCluster).</summary>
internal sealed class EksAddonHealthyCheck : ConditionCheck
{
    public override ConditionDefinition Condition { get; } = new(
        CheckTypes.EksAddonHealthy,
        HealthyReason: "AddonActive",
        Sources: [FindingSource.EksAddon],
        WholeSource: true,
        ReadsCluster: false,
        Reads: "`DescribeAddon`, `DescribeCluster`",
        TrueReasons: "`AddonActive`, `AddonNotInstalled` (the agent was deployed another way)",
        UnknownReasons: ["Disabled", ConditionReasons.NotObserved, ConditionReasons.ReadFailed, AwsAccessReasons.AwsCredentialsMissing, AwsAccessReasons.AwsAccessDenied, "AddonProgressing", "Stale"],
        CodesPreamble: "every cause EKS reports: ",
        CodesSuffix: ", ...");

    internal override void Run(DiagnosisContext context) => AwsChecks.EksAddon(context);
}
