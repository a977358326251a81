using System.Globalization;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis.Checks;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>
/// The diagnosis: snapshot in, report out. Pure and deterministic (time comes from <see cref="ClusterSnapshot.Now"/>),
/// so the reconciler and the offline <c>diagnose</c> share it.
/// </summary>
public static class DiagnosisEngine
{
    /// <summary>How each check's condition is derived: from its own rows seen by these sources, or from everything a source saw.</summary>
    private sealed record CheckDefinition(string Type, string HealthyReason, IReadOnlyList<FindingSource> Sources, bool WholeSource);

    private static readonly CheckDefinition[] Checks =
    [
        new(CheckTypes.AgentReady, "AgentAvailable", [FindingSource.Local], false),
        new(CheckTypes.PriorityClassReady, "PriorityClassPresent", [FindingSource.Local], false),
        new(CheckTypes.AddonManagerAuthorized, "AddonManagerAllowed", [FindingSource.Local], false),
        new(CheckTypes.AdmissionAllowed, "NoBlockingWebhooks", [FindingSource.Local], false),
        new(CheckTypes.AgentConfigurationValid, "ConfigurationAsDeployed", [FindingSource.Local], false),
        new(CheckTypes.GuardDutyCovered, "Healthy", [FindingSource.GuardDuty], true),
        new(CheckTypes.EksAddonHealthy, "AddonActive", [FindingSource.EksAddon], true),
        new(CheckTypes.NetworkReady, "VpcReady", [FindingSource.Ec2, FindingSource.GuardDuty, FindingSource.Local], false),
    ];

    /// <summary>Errors that are expected while GuardDuty or EKS are still installing the agent.</summary>
    private static readonly HashSet<string> ExpectedWhileInstalling =
    [
        ReasonCodes.AgentNamespaceMissing, ReasonCodes.AgentDaemonSetMissing, ReasonCodes.AgentPodsNotReady, ReasonCodes.PriorityClassMissing,
    ];

    public static DiagnosisReport Diagnose(ClusterSnapshot snapshot) => Diagnose(snapshot, new DiagnosisOptions());

    public static DiagnosisReport Diagnose(ClusterSnapshot snapshot, DiagnosisOptions options)
    {
        var context = new DiagnosisContext(snapshot);
        if (snapshot.KubernetesObserved)
        {
            NodeChecks.ExplainPodFailures(context);
            AgentChecks.Run(context);
            NodeChecks.Run(context);
            AccessChecks.RunPriorityClass(context);
            AccessChecks.RunAddonManager(context);
            AdmissionChecks.Run(context);
            PolicyChecks.Run(context);
        }
        else
        {
            foreach (var check in new[] { CheckTypes.AgentReady, CheckTypes.PriorityClassReady, CheckTypes.AddonManagerAuthorized, CheckTypes.AdmissionAllowed })
            {
                context.Note(check, ConditionStatus.Unknown, "NotObserved", "The cluster's objects were not read.");
            }
        }

        ConfigurationChecks.Run(context);
        var guardDuty = AwsChecks.GuardDuty(context, options.GuardDutyNotCheckedReason);
        AwsChecks.EksAddon(context);
        AwsChecks.Network(context);
        CoverageChecks.Run(context, guardDuty);

        var findings = Merge(context);
        var local = !snapshot.KubernetesObserved
            ? Verdicts.Unknown
            : findings.Any(f => f.Entry.Severity == Severity.Error && f.Sources.Contains(FindingSource.Local)) ? Verdicts.Unhealthy : Verdicts.Healthy;
        var guardDutyUnhealthy = guardDuty.CoverageStatus is GuardDutyVerdicts.Unhealthy or GuardDutyVerdicts.NotFound;
        // Any source's error counts: an add-on issue, a VPC problem or a version GuardDuty reports all cost coverage.
        var anyError = findings.Any(f => f.Entry.Severity == Severity.Error);
        var coverage = local == Verdicts.Unhealthy || guardDutyUnhealthy || anyError ? Verdicts.Unhealthy
            : local == Verdicts.Unknown || guardDuty.CoverageStatus == GuardDutyVerdicts.Unknown ? Verdicts.Unknown
            : Verdicts.Healthy;

        var crossCheck = CrossCheck(context, findings, local, guardDuty);
        var remediation = RemediationContext.For(context);
        var reportFindings = findings.Select(f => ToFinding(f, remediation)).ToList();
        var checks = Checks.Select(c => Outcome(c, context, findings, guardDuty)).ToList();
        var readiness = Readiness(context, findings, coverage, local, guardDuty, crossCheck);

        return new DiagnosisReport
        {
            Cluster = snapshot.Target.ClusterName,
            Region = context.Region,
            Coverage = coverage,
            Local = local,
            GuardDuty = guardDuty,
            CrossCheck = crossCheck,
            Agent = Agent(context),
            Nodes = context.NodeCounts is { } nodes ? new NodeSummary { Eligible = nodes.Eligible, WithAgent = nodes.WithAgent, NotCoverable = nodes.NotCoverable } : null,
            Findings = reportFindings,
            Checks = checks,
            Readiness = readiness,
            InputErrors = options.InputErrors,
            DiagnosedAt = snapshot.Now,
        };
    }

    /// <summary>A root cause with every sighting of it.</summary>
    private sealed record MergedFinding(CatalogEntry Entry, IReadOnlyList<FindingSource> Sources, IReadOnlyList<Observation> Observations)
    {
        public string Reason => Entry.Reason;
    }

    /// <summary>Pod causes more specific than "not enough replicas" (the generic InsufficientNumberOfReplicas text).</summary>
    private static readonly HashSet<string> SpecificPodCauses =
    [
        ReasonCodes.AgentPodsUnschedulable, ReasonCodes.AgentPodsCrashLooping, ReasonCodes.AgentImagePullFailed,
    ];

    private static List<MergedFinding> Merge(DiagnosisContext context)
    {
        var order = Catalog.Entries.Select((e, i) => (e.Reason, i)).ToDictionary(x => x.Reason, x => x.i, StringComparer.Ordinal);
        var merged = context.Observations
            .GroupBy(o => o.Reason, StringComparer.Ordinal)
            .Select(g => new MergedFinding(Catalog.Get(g.Key), g.Select(o => o.Source).Distinct().Order().ToList(), g.ToList()))
            .ToList();

        // GuardDuty or EKS saying only "not the desired number of replicas" while the cluster shows why (a pod that
        // cannot be scheduled, crash-loops or cannot pull) is the same root cause seen from afar: one finding with
        // every source, not a second, vaguer one.
        var generic = merged.FirstOrDefault(f => f.Reason == ReasonCodes.AgentPodsNotReady && !f.Sources.Contains(FindingSource.Local));
        var specific = merged.Where(f => SpecificPodCauses.Contains(f.Reason) && f.Sources.Contains(FindingSource.Local)).ToList();
        if (generic is not null && specific.Count > 0)
        {
            merged.Remove(generic);
            foreach (var finding in specific)
            {
                merged[merged.IndexOf(finding)] = finding with
                {
                    Sources = finding.Sources.Concat(generic.Sources).Distinct().Order().ToList(),
                    Observations = [.. finding.Observations, .. generic.Observations.Where(o => !finding.Sources.Contains(o.Source))],
                };
            }
        }

        return merged
            .OrderBy(f => f.Entry.Severity)
            .ThenBy(f => f.Sources.Contains(FindingSource.Local) ? 0 : 1)
            .ThenBy(f => order[f.Reason])
            .ToList();
    }

    private static DiagnosisFinding ToFinding(MergedFinding finding, RemediationContext remediation)
    {
        var details = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var observation in finding.Observations)
        {
            foreach (var (key, value) in observation.Details ?? new Dictionary<string, string>())
            {
                details.TryAdd(key, value);
            }
        }

        var steps = remediation.With(details);
        return new DiagnosisFinding
        {
            Reason = finding.Reason,
            Severity = finding.Entry.Severity.ToString(),
            Sources = finding.Sources.Select(s => s.ToString()).ToList(),
            Message = Message(finding),
            Remediation = finding.Entry.Steps.Select(steps.Render).ToList(),
            Check = finding.Entry.Check,
            AutoFix = finding.Entry.AutoFix == AutoFix.None ? null : finding.Entry.AutoFix.ToString(),
            Details = details.Count == 0 ? null : details,
        };
    }

    /// <summary>Local specifics first, then what each other source says, verbatim.</summary>
    private static string Message(MergedFinding finding)
    {
        var parts = new List<string>();
        foreach (var source in finding.Sources)
        {
            var texts = finding.Observations.Where(o => o.Source == source).Select(o => o.Message).Distinct().ToList();
            var text = string.Join(" ", texts);
            parts.Add(source switch
            {
                FindingSource.Local => text,
                FindingSource.GuardDuty => "GuardDuty: " + text,
                FindingSource.EksAddon => texts.All(t => t.StartsWith("EKS", StringComparison.Ordinal)) ? text : "EKS: " + text,
                _ => texts.All(t => t.StartsWith("EC2", StringComparison.Ordinal)) ? text : "EC2: " + text,
            });
        }

        return string.Join(" | ", parts);
    }

    private static string? CrossCheck(DiagnosisContext context, List<MergedFinding> findings, string local, GuardDutyVerdict guardDuty)
    {
        if (local == Verdicts.Unknown || guardDuty.CoverageStatus is GuardDutyVerdicts.Unknown or GuardDutyVerdicts.NotChecked)
        {
            return null;
        }

        var guardDutyCauses = findings
            .Where(f => f.Sources.Contains(FindingSource.GuardDuty) && f.Reason != ReasonCodes.ManagementTypeMismatch)
            .ToList();
        var localCauses = findings.Where(f => f.Entry.Severity == Severity.Error && f.Sources.Contains(FindingSource.Local)).ToList();
        var guardDutyHealthy = guardDuty.CoverageStatus == GuardDutyVerdicts.Healthy;

        if (local == Verdicts.Healthy)
        {
            if (guardDutyHealthy)
            {
                return CrossCheckOutcomes.Agree;
            }

            var fixedAt = LocalFixTime(context);
            var allLocallyVisible = guardDutyCauses.Count > 0 && guardDutyCauses.All(f => f.Entry.LocallyDetectable);
            return allLocallyVisible && guardDuty.UpdatedAt is { } updated && fixedAt is { } fixTime && updated < fixTime
                ? CrossCheckOutcomes.GuardDutyStale
                : CrossCheckOutcomes.LocalBlindSpot;
        }

        if (guardDutyHealthy)
        {
            return CrossCheckOutcomes.Predicted;
        }

        if (guardDutyCauses.Any(f => f.Sources.Contains(FindingSource.Local) && f.Entry.Severity == Severity.Error))
        {
            return CrossCheckOutcomes.Agree;
        }

        return guardDutyCauses.Any(f => !f.Entry.LocallyDetectable) ? CrossCheckOutcomes.LocalBlindSpot : CrossCheckOutcomes.Predicted;
    }

    /// <summary>
    /// When the cluster last became healthy: the controller's memory, else the newest sign of a fix in the objects
    /// (agent pods turning Ready, writes to the DaemonSet, creation of the binding or PriorityClass).
    /// </summary>
    private static DateTimeOffset? LocalFixTime(DiagnosisContext context)
    {
        if (context.Snapshot.Memory.LocalHealthySince is { } remembered)
        {
            return remembered;
        }

        var times = new List<DateTimeOffset?>();
        times.AddRange(context.AgentPods.Select(p => KubeObjects.Time(KubeObjects.Condition(p, "Ready") is { Status: "True" } ready ? ready.LastTransitionTime : null)));
        times.AddRange((context.DaemonSet?.Metadata?.ManagedFields ?? []).Select(m => KubeObjects.Time(m.Time)));
        times.Add(KubeObjects.Time(context.Snapshot.PriorityClass?.Metadata?.CreationTimestamp));
        times.AddRange(context.Snapshot.ClusterRoleBindings
            .Where(b => b.Metadata?.Name == Catalog.AddonClusterAdminBinding)
            .Select(b => KubeObjects.Time(b.Metadata?.CreationTimestamp)));
        return times.Where(t => t is not null).Max();
    }

    private static CheckOutcome Outcome(CheckDefinition check, DiagnosisContext context, List<MergedFinding> findings, GuardDutyVerdict guardDuty)
    {
        var relevant = findings
            .Where(f => (check.WholeSource || f.Entry.Check == check.Type) && f.Sources.Any(check.Sources.Contains))
            .ToList();
        var notes = context.Notes.Where(n => n.Check == check.Type).ToList();

        if (check.Type == CheckTypes.GuardDutyCovered)
        {
            return GuardDutyOutcome(relevant, guardDuty, context.Snapshot.Aws?.Coverage);
        }

        var errors = relevant.Where(f => f.Entry.Severity == Severity.Error).ToList();
        if (errors.Count > 0)
        {
            return new CheckOutcome(check.Type, ConditionStatus.False, errors[0].Reason, Summarize(errors));
        }

        var blocking = notes.FirstOrDefault(n => n.Status == ConditionStatus.False) ?? notes.FirstOrDefault(n => n.Status == ConditionStatus.Unknown);
        if (blocking is not null)
        {
            return new CheckOutcome(check.Type, blocking.Status, blocking.Reason, blocking.Message);
        }

        // Info findings (nodes that can never be covered, a shared VPC) inform; they do not replace the check's healthy reason.
        var warnings = relevant.Where(f => f.Entry.Severity == Severity.Warning).ToList();
        if (warnings.Count > 0)
        {
            return new CheckOutcome(check.Type, ConditionStatus.True, warnings[0].Reason, Summarize(warnings));
        }

        var healthy = notes.FirstOrDefault(n => n.Status == ConditionStatus.True);
        return healthy is not null
            ? new CheckOutcome(check.Type, ConditionStatus.True, healthy.Reason, healthy.Message)
            : new CheckOutcome(check.Type, ConditionStatus.True, check.HealthyReason, "No problem found.");
    }

    private static CheckOutcome GuardDutyOutcome(List<MergedFinding> relevant, GuardDutyVerdict guardDuty, AwsObservation<CoverageResource>? read)
    {
        var type = CheckTypes.GuardDutyCovered;
        switch (guardDuty.CoverageStatus)
        {
            case GuardDutyVerdicts.Healthy:
                // HEALTHY is not the last word: too few covered nodes, or a detector that is misconfigured.
                if (relevant.FirstOrDefault(f => f.Entry.Severity == Severity.Error) is { } error)
                {
                    return new CheckOutcome(type, ConditionStatus.False, error.Reason, Summarize([error]));
                }

                var warning = relevant.FirstOrDefault(f => f.Entry.Severity != Severity.Error);
                return warning is null
                    ? new CheckOutcome(type, ConditionStatus.True, "Healthy", $"GuardDuty reports the cluster HEALTHY{Nodes(guardDuty)}.")
                    : new CheckOutcome(type, ConditionStatus.True, warning.Reason, Summarize([warning]));
            case GuardDutyVerdicts.Unhealthy or GuardDutyVerdicts.NotFound:
                var cause = relevant.FirstOrDefault(f => f.Reason != ReasonCodes.ManagementTypeMismatch) ?? relevant.FirstOrDefault();
                return new CheckOutcome(type, ConditionStatus.False, cause?.Reason ?? ReasonCodes.UnrecognizedIssue,
                    cause is null ? $"GuardDuty reports {guardDuty.CoverageStatus}." : Summarize([cause]));
            case GuardDutyVerdicts.NotChecked:
                return new CheckOutcome(type, ConditionStatus.Unknown, "NotChecked", guardDuty.Reason ?? "GuardDuty is not checked.");
            default:
                return read is { Succeeded: false } && AwsAccessReasons.For(read.FailureKind) is { } access
                    ? new CheckOutcome(type, ConditionStatus.Unknown, access, guardDuty.Reason ?? read.Error ?? "GuardDuty could not be read.")
                    : new CheckOutcome(type, ConditionStatus.Unknown, "GuardDutyUnknown", guardDuty.Reason ?? "GuardDuty could not be read.");
        }
    }

    private static string Nodes(GuardDutyVerdict guardDuty) =>
        guardDuty.CoveredNodes is { } covered && guardDuty.CompatibleNodes is { } compatible
            ? string.Create(CultureInfo.InvariantCulture, $" ({covered}/{compatible} compatible nodes covered)")
            : "";

    private static string Summarize(List<MergedFinding> findings)
    {
        var first = Message(findings[0]);
        return findings.Count == 1 ? first : string.Create(CultureInfo.InvariantCulture, $"{first} (and {findings.Count - 1} more: {string.Join(", ", findings.Skip(1).Select(f => f.Reason))})");
    }

    private static Readiness Readiness(DiagnosisContext context, List<MergedFinding> findings, string coverage, string local, GuardDutyVerdict guardDuty, string? crossCheck)
    {
        var errors = findings.Where(f => f.Entry.Severity == Severity.Error).ToList();
        var provisioning = findings.Any(f => f.Reason == ReasonCodes.EnablementProvisioningInProgress);
        var installing = provisioning || context.AddonProgressing;
        var progressing =
            (installing && errors.All(e => ExpectedWhileInstalling.Contains(e.Reason))) ||
            (context.RolloutInProgress && errors.Count == 0 && guardDuty.CoverageStatus != GuardDutyVerdicts.NotFound) ||
            (crossCheck == CrossCheckOutcomes.GuardDutyStale);

        if (coverage == Verdicts.Healthy && !context.RolloutInProgress && !context.AddonProgressing)
        {
            return new Readiness
            {
                Ready = ConditionStatus.True,
                Reason = "CoverageHealthy",
                Message = HealthyMessage(context, guardDuty),
            };
        }

        if (coverage == Verdicts.Unknown && !progressing && local != Verdicts.Unknown && AwsAccessReasons.First(context.Snapshot.Aws) is { } access)
        {
            // The operator's own AWS identity is the problem: say so, with the fix, instead of "cannot be decided".
            return new Readiness { Ready = ConditionStatus.Unknown, Reason = access.Reason, Message = access.Message };
        }

        if (coverage == Verdicts.Unknown && !progressing)
        {
            var why = local == Verdicts.Unknown ? "the cluster's objects were not read" : guardDuty.Reason ?? "GuardDuty could not be read";
            return new Readiness { Ready = ConditionStatus.Unknown, Reason = "CoverageUnknown", Message = $"Coverage cannot be decided: {why}." };
        }

        string reason;
        string message;
        if (crossCheck == CrossCheckOutcomes.GuardDutyStale)
        {
            reason = CrossCheckOutcomes.GuardDutyStale;
            message = $"The cluster looks healthy; GuardDuty still reports a cause from {AwsChecks.Rfc(guardDuty.UpdatedAt)}, before the fix: {guardDuty.Issue}";
        }
        else if ((findings.FirstOrDefault(f => f.Entry.Severity == Severity.Error) ?? findings.FirstOrDefault(f => f.Reason == ReasonCodes.EnablementProvisioningInProgress)) is { } top)
        {
            reason = top.Reason;
            message = Message(top);
            if (errors.Count > 1)
            {
                message += string.Create(CultureInfo.InvariantCulture, $" (and {errors.Count - 1} more: {string.Join(", ", errors.Skip(1).Select(e => e.Reason))})");
            }
        }
        else if (context.RolloutInProgress || context.AddonProgressing)
        {
            reason = "RolloutInProgress";
            message = context.Notes.FirstOrDefault(n => n.Reason is "RolloutInProgress" or "AddonProgressing")?.Message ?? "The agent is rolling out.";
        }
        else
        {
            reason = "CoverageUnhealthy";
            message = $"GuardDuty reports {guardDuty.CoverageStatus}.";
        }

        return new Readiness
        {
            Ready = ConditionStatus.False,
            Reason = reason,
            Message = message,
            Reconciling = progressing,
            Stalled = !progressing,
        };
    }

    private static string HealthyMessage(DiagnosisContext context, GuardDutyVerdict guardDuty)
    {
        var status = context.DaemonSet?.Status;
        var agents = status is null
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $"{status.NumberAvailable ?? 0}/{status.DesiredNumberScheduled} agent pods available");
        var gd = guardDuty.CoverageStatus == GuardDutyVerdicts.NotChecked ? "GuardDuty not checked" : $"GuardDuty {guardDuty.CoverageStatus}{Nodes(guardDuty)}";
        return string.Join("; ", new[] { agents, gd }.Where(s => s.Length > 0)) + ".";
    }

    private static AgentSummary? Agent(DiagnosisContext context)
    {
        var daemonSet = context.DaemonSet;
        if (daemonSet is null)
        {
            return null;
        }

        var desired = daemonSet.Status?.DesiredNumberScheduled ?? 0;
        var available = daemonSet.Status?.NumberAvailable ?? 0;
        return new AgentSummary
        {
            Desired = desired,
            Available = available,
            Summary = string.Create(CultureInfo.InvariantCulture, $"{available}/{desired}"),
            Version = context.AgentVersion()?.Text,
            Image = context.Image,
        };
    }
}

/// <summary>Inputs of a diagnosis that are not about the cluster.</summary>
public sealed record DiagnosisOptions
{
    /// <summary>Files of a support bundle that could not be read: reported, and the rest is still diagnosed.</summary>
    public IReadOnlyList<InputError> InputErrors { get; init; } = [];

    /// <summary>Why GuardDuty is not checked when it is absent on purpose (offline: "the bundle has no coverage data").</summary>
    public string? GuardDutyNotCheckedReason { get; init; }
}
