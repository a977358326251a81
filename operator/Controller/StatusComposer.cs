using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// Turns a diagnosis into the custom resource's status: the kstatus conditions (Ready, Reconciling/Stalled, one per
/// check) with stable transition times, and the observed facts. Pure, so "status unchanged" means "nothing to write".
/// </summary>
public static class StatusComposer
{
    public const string InvalidSpecReason = "InvalidSpec";

    public static GuardDutyCoverageStatus FromReport(DiagnosisReport report, GuardDutyCoverageStatus? previous, long generation, DateTimeOffset now)
    {
        var readiness = report.Readiness;
        var desired = new List<DesiredCondition>
        {
            new(ConditionTypes.Ready, readiness.Ready, readiness.Reason, readiness.Message),
        };
        if (readiness.Reconciling)
        {
            desired.Add(new(ConditionTypes.Reconciling, ConditionStatus.True, readiness.Reason, readiness.Message));
        }
        else if (readiness.Stalled)
        {
            desired.Add(new(ConditionTypes.Stalled, ConditionStatus.True, readiness.Reason, readiness.Message));
        }

        desired.AddRange(report.Checks.Select(c => new DesiredCondition(c.Type, c.Status, c.Reason, c.Message)));

        var findings = report.ToStatusFindings();
        return new GuardDutyCoverageStatus
        {
            ObservedGeneration = generation,
            Coverage = report.Coverage,
            Local = report.Local,
            GuardDuty = report.ToGuardDutyStatus(),
            CrossCheck = report.CrossCheck,
            Agent = report.ToAgentStatus(),
            Findings = findings,
            Conditions = ConditionSet.Build(previous?.Conditions, desired, generation, now),
            Summary = StatusSummary.Compose(readiness.Reason, readiness.Message, findings),
        };
    }

    /// <summary>
    /// A spec the operator cannot act on: Ready False and Stalled with what to change. Everything observed before is
    /// kept (never blanked); the per-check conditions keep their older observedGeneration, which says they are old.
    /// </summary>
    public static GuardDutyCoverageStatus InvalidSpec(IReadOnlyList<string> problems, GuardDutyCoverageStatus? previous, long generation, DateTimeOffset now)
    {
        var message = string.Join("; ", problems);
        var checks = previous?.Conditions?
            .Where(c => c.Type is not (ConditionTypes.Ready or ConditionTypes.Reconciling or ConditionTypes.Stalled))
            .ToList() ?? [];
        var conditions = ConditionSet.Build(
            previous?.Conditions,
            [
                new(ConditionTypes.Ready, ConditionStatus.False, InvalidSpecReason, message),
                new(ConditionTypes.Stalled, ConditionStatus.True, InvalidSpecReason, message),
            ],
            generation,
            now);

        return (previous ?? new GuardDutyCoverageStatus()) with
        {
            ObservedGeneration = generation,
            Conditions = [.. conditions, .. checks],
            Summary = StatusSummary.Compose(InvalidSpecReason, problems.Count > 0 ? problems[0] : message, Math.Max(0, problems.Count - 1)),
        };
    }
}
