namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>
/// AgentConfigurationValid: the DaemonSet is what the add-on deployed (field ownership, image registry, version,
/// Kubernetes compatibility) and no GitOps tool co-owns it. The version checks also run on AWS data alone.
/// </summary>
internal sealed class AgentConfigurationValidCheck : ConditionCheck
{
    public override ConditionDefinition Condition { get; } = new(
        CheckTypes.AgentConfigurationValid,
        HealthyReason: "ConfigurationAsDeployed",
        Sources: [FindingSource.Local],
        WholeSource: false,
        ReadsCluster: false,
        Reads: "the DaemonSet's managed fields and image, versions, `/version`, `DescribeAddonVersions`",
        TrueReasons: "`ConfigurationAsDeployed`",
        UnknownReasons: [ConditionReasons.NotObserved]);

    internal override void Run(DiagnosisContext context)
    {
        ConfigurationChecks.Run(context);
        if (context.Snapshot.KubernetesObserved)
        {
            PolicyChecks.GitOps(context);
        }
    }
}
