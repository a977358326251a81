namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>
/// GuardDutyCovered: what GuardDuty ListCoverage (and GetDetector) say, and whether HEALTHY holds up: the detector's
/// features, covered against compatible nodes, the record's age, EC2 agents on the cluster's nodes.
/// </summary>
internal sealed class GuardDutyCoveredCheck : ConditionCheck
{
    public override ConditionDefinition Condition { get; } = new(
        CheckTypes.GuardDutyCovered,
        HealthyReason: "Healthy",
        Sources: [FindingSource.GuardDuty],
        WholeSource: true,
        ReadsCluster: false,
        Reads: "`ListCoverage`, `GetDetector`",
        TrueReasons: "`Healthy`",
        UnknownReasons: ["NotChecked", "GuardDutyUnknown", AwsAccessReasons.AwsCredentialsMissing, AwsAccessReasons.AwsAccessDenied],
        CodesPreamble: "every cause GuardDuty reports, whatever its own check: ",
        CodesSuffix: ", ...");

    internal override void Run(DiagnosisContext context)
    {
        var verdict = AwsChecks.GuardDuty(context, context.Options.GuardDutyNotCheckedReason);
        context.GuardDuty = verdict;
        if (context.Target.GuardDutyCheck)
        {
            CoverageChecks.Detector(context);
            CoverageChecks.NodesCovered(context, verdict);
            CoverageChecks.Stale(context, verdict);
            CoverageChecks.DuplicateAgents(context);
        }
    }
}
