namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>PriorityClassReady: the agent's PriorityClass exists.</summary>
internal sealed class PriorityClassReadyCheck : ConditionCheck
{
    public override ConditionDefinition Condition { get; } = new(
        CheckTypes.PriorityClassReady,
        HealthyReason: "PriorityClassPresent",
        Sources: [FindingSource.Local],
        WholeSource: false,
        ReadsCluster: true,
        Reads: "the agent's PriorityClass",
        TrueReasons: "`PriorityClassPresent`",
        UnknownReasons: [ConditionReasons.NotObserved]);

    internal override void Run(DiagnosisContext context) => AccessChecks.RunPriorityClass(context);
}
