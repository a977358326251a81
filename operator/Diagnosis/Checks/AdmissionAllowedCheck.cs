namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>
/// AdmissionAllowed: admission webhooks (static analysis and server-side dry-runs), Pod Security, quotas and
/// mutating policies let the add-on's objects and the agent's pods through.
/// </summary>
internal sealed class AdmissionAllowedCheck : ConditionCheck
{
    public override ConditionDefinition Condition { get; } = new(
        CheckTypes.AdmissionAllowed,
        HealthyReason: "NoBlockingWebhooks",
        Sources: [FindingSource.Local],
        WholeSource: false,
        ReadsCluster: true,
        Reads: "webhook configurations, server-side dry-runs",
        TrueReasons: "`NoBlockingWebhooks`",
        UnknownReasons: [ConditionReasons.NotObserved, "DryRunInconclusive"]);

    internal override void Run(DiagnosisContext context)
    {
        AdmissionChecks.Run(context);
        PolicyChecks.PodSecurity(context);
        PolicyChecks.Quotas(context);
        PolicyChecks.Mutations(context);
    }
}
