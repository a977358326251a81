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

    /// <summary>The EKS cluster tag GuardDuty's automated agent configuration reads: <c>false</c> excludes the cluster.</summary>
    private const string ManagedTag = "GuardDutyManaged";

    internal override void Run(DiagnosisContext context)
    {
        AwsChecks.EksAddon(context);
        FrozenByExclusionTag(context);
    }

    /// <summary>
    /// FM-14: excluding a cluster after GuardDuty deployed the add-on leaves the add-on in place, and GuardDuty no
    /// longer updates it. Declaring <c>spec.expectedManagementType: MANUAL</c> says someone else does.
    /// </summary>
    private static void FrozenByExclusionTag(DiagnosisContext context)
    {
        if (!context.Target.EksAddonCheck
            || context.Addon is not { } addon
            || string.Equals(addon.Status, "DELETING", StringComparison.OrdinalIgnoreCase)
            || context.EksCluster?.Tags?.GetValueOrDefault(ManagedTag) is not { } value
            || !string.Equals(value.Trim(), "false", StringComparison.OrdinalIgnoreCase)
            || string.Equals(context.Target.ExpectedManagementType, "MANUAL", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        context.Add(ReasonCodes.AgentFrozenByExclusionTag, FindingSource.EksAddon,
            $"EKS cluster {context.Target.ClusterName} is tagged {ManagedTag}={value} (excluded from GuardDuty's automated agent configuration) but add-on {Catalog.AddonName} {addon.AddonVersion} is installed: GuardDuty will neither update nor remove it.");
    }
}
