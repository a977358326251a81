namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>AddonManagerAuthorized: the <c>eks:addon-cluster-admin</c> binding and what <c>eks:addon-manager</c> may do.</summary>
internal sealed class AddonManagerAuthorizedCheck : ConditionCheck
{
    public override ConditionDefinition Condition { get; } = new(
        CheckTypes.AddonManagerAuthorized,
        HealthyReason: "AddonManagerAllowed",
        Sources: [FindingSource.Local],
        WholeSource: false,
        ReadsCluster: true,
        Reads: "ClusterRoleBindings, SubjectAccessReviews for `eks:addon-manager`",
        TrueReasons: "`AddonManagerAllowed`",
        UnknownReasons: [ConditionReasons.NotObserved]);

    internal override void Run(DiagnosisContext context) => AccessChecks.RunAddonManager(context);
}
