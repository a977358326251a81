using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// Turns a diagnosis into the custom resource's status: the kstatus conditions (Ready, Reconciling/Stalled, one per
/// check) with stable transition times, and the observed facts. Pure, so "status unchanged" means "nothing to write".
/// </summary>
public static class StatusComposer
{
    public const string InvalidSpecReason = "InvalidSpec";

    /// <summary>Stalled: <c>spec.endpoints</c> names an endpoint the operator does not allow; nothing is sent there.</summary>
    public const string EndpointNotAllowedReason = "EndpointNotAllowed";

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
            Nodes = report.ToNodesStatus(),
            Findings = findings,
            Conditions = ConditionSet.Build(previous?.Conditions, desired, generation, now),
            Summary = StatusSummary.Compose(readiness.Reason, readiness.Message, findings),
        };
    }

    /// <summary>
    /// A spec the operator cannot act on: Ready False and Stalled with what to change. Everything observed before is
    /// kept (never blanked); the per-check conditions keep their older observedGeneration, which says they are old.
    /// </summary>
    public static GuardDutyCoverageStatus InvalidSpec(IReadOnlyList<string> problems, GuardDutyCoverageStatus? previous, long generation, DateTimeOffset now, string reason = InvalidSpecReason)
    {
        var message = string.Join("; ", problems);
        var checks = previous?.Conditions?
            .Where(c => c.Type is not (ConditionTypes.Ready or ConditionTypes.Reconciling or ConditionTypes.Stalled))
            .ToList() ?? [];
        var conditions = ConditionSet.Build(
            previous?.Conditions,
            [
                new(ConditionTypes.Ready, ConditionStatus.False, reason, message),
                new(ConditionTypes.Stalled, ConditionStatus.True, reason, message),
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

    /// <summary>
    /// The informers the diagnosis would read from are not current: nothing can be concluded. Ready is Unknown with
    /// <see cref="ReasonCodes.ClusterViewStale"/> and a message naming each informer, since when and why; the verdicts
    /// <c>coverage</c> and <c>local</c> become Unknown (never a Healthy nobody can see); everything observed before —
    /// agent counts, findings, GuardDuty's data, the per-check conditions — is kept as it was, dated by the message.
    /// </summary>
    public static GuardDutyCoverageStatus ClusterViewStale(IReadOnlyList<StaleInformer> stale, GuardDutyCoverageStatus? previous, long generation, DateTimeOffset now)
    {
        var oldest = stale.Min(s => s.Since);
        var message = "The operator's view of the cluster is stale: "
            + string.Join("; ", stale.Select(s => $"{s.Name} not current since {s.Since.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}" + (s.LastError is { Length: > 0 } error ? $" ({error})" : "")))
            + $". Coverage cannot be judged; the rest of this status is what was observed before {oldest.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}.";
        var checks = previous?.Conditions?
            .Where(c => c.Type is not (ConditionTypes.Ready or ConditionTypes.Reconciling or ConditionTypes.Stalled))
            .ToList() ?? [];
        var conditions = ConditionSet.Build(
            previous?.Conditions,
            [new(ConditionTypes.Ready, ConditionStatus.Unknown, ReasonCodes.ClusterViewStale, message)],
            generation,
            now);

        return (previous ?? new GuardDutyCoverageStatus()) with
        {
            ObservedGeneration = generation,
            Coverage = Verdicts.Unknown,
            Local = Verdicts.Unknown,
            Conditions = [.. conditions, .. checks],
        };
    }
}
