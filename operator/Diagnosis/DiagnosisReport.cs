using System.Text.Json.Serialization;
using GuardDutyCoverage.Api;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>Verdict values of <see cref="DiagnosisReport.Coverage"/> and <see cref="DiagnosisReport.Local"/>.</summary>
public static class Verdicts
{
    public const string Healthy = "Healthy";
    public const string Unhealthy = "Unhealthy";
    public const string Unknown = "Unknown";
}

/// <summary>Values of <see cref="GuardDutyVerdict.CoverageStatus"/> besides GuardDuty's own HEALTHY and UNHEALTHY.</summary>
public static class GuardDutyVerdicts
{
    public const string Healthy = "HEALTHY";
    public const string Unhealthy = "UNHEALTHY";

    /// <summary>ListCoverage read fine and has no record for the cluster.</summary>
    public const string NotFound = "NotFound";

    /// <summary>GuardDuty could not be read (reason says why).</summary>
    public const string Unknown = "Unknown";

    /// <summary>The GuardDuty check is switched off (spec.checks.guardDuty) or, offline, the bundle has no coverage data.</summary>
    public const string NotChecked = "NotChecked";
}

/// <summary>How the local verdict and GuardDuty's compare (CATALOG.md, verdict rules).</summary>
public static class CrossCheckOutcomes
{
    public const string Agree = "Agree";
    public const string GuardDutyStale = "GuardDutyStale";
    public const string Predicted = "Predicted";
    public const string LocalBlindSpot = "LocalBlindSpot";
}

/// <summary>The result of one diagnosis: what the status and <c>diagnose</c> show.</summary>
public sealed record DiagnosisReport
{
    public required string Cluster { get; init; }

    public string? Region { get; init; }

    /// <summary>Healthy, Unhealthy or Unknown: local and GuardDuty combined.</summary>
    public required string Coverage { get; init; }

    /// <summary>Verdict of the checks inside the cluster.</summary>
    public required string Local { get; init; }

    public required GuardDutyVerdict GuardDuty { get; init; }

    /// <summary>Agree, GuardDutyStale, Predicted or LocalBlindSpot; null when one side has no verdict.</summary>
    public string? CrossCheck { get; init; }

    public AgentSummary? Agent { get; init; }

    /// <summary>How the cluster's nodes split (eligible, with a ready agent, never coverable); null when Nodes were not read.</summary>
    public NodeSummary? Nodes { get; init; }

    /// <summary>One per root cause, most severe first.</summary>
    public IReadOnlyList<DiagnosisFinding> Findings { get; init; } = [];

    /// <summary>One per check (<see cref="CheckTypes"/>): each becomes a status condition.</summary>
    public IReadOnlyList<CheckOutcome> Checks { get; init; } = [];

    public required Readiness Readiness { get; init; }

    /// <summary>Bundle files that could not be read (offline mode only).</summary>
    public IReadOnlyList<InputError> InputErrors { get; init; } = [];

    public required DateTimeOffset DiagnosedAt { get; init; }
}

public sealed record GuardDutyVerdict
{
    /// <summary>HEALTHY, UNHEALTHY, NotFound, Unknown or NotChecked.</summary>
    public required string CoverageStatus { get; init; }

    public string? Issue { get; init; }

    public string? ManagementType { get; init; }

    public string? AddonVersion { get; init; }

    public long? CoveredNodes { get; init; }

    public long? CompatibleNodes { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    public DateTimeOffset? CheckedAt { get; init; }

    public bool? Stale { get; init; }

    /// <summary>Why GuardDuty is Unknown, stale or not checked.</summary>
    public string? Reason { get; init; }
}

public sealed record AgentSummary
{
    public int? Desired { get; init; }

    public int? Available { get; init; }

    /// <summary>"available/desired".</summary>
    public string? Summary { get; init; }

    public string? Version { get; init; }

    public string? Image { get; init; }
}

public sealed record NodeSummary
{
    /// <summary>Linux nodes that can run the agent (not Fargate, hybrid, Windows, unsupported architecture) and are Ready.</summary>
    public int Eligible { get; init; }

    /// <summary>Eligible nodes with a running, Ready agent pod.</summary>
    public int WithAgent { get; init; }

    /// <summary>Nodes that can never run the agent.</summary>
    public int NotCoverable { get; init; }
}

public sealed record DiagnosisFinding
{
    public required string Reason { get; init; }

    /// <summary>Error, Warning or Info.</summary>
    public required string Severity { get; init; }

    /// <summary>Local, GuardDuty, EksAddon, Ec2: every source that saw the cause, in that order.</summary>
    public required IReadOnlyList<string> Sources { get; init; }

    public required string Message { get; init; }

    public IReadOnlyList<string> Remediation { get; init; } = [];

    /// <summary>The check (condition type) the cause belongs to.</summary>
    public required string Check { get; init; }

    /// <summary>The safe automatic fix (<see cref="Diagnosis.AutoFix"/>), when the catalog has one.</summary>
    public string? AutoFix { get; init; }

    /// <summary>Template values the fix needs (for example the label an admission policy requires).</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }
}

/// <summary>One check's outcome: condition type, status True/False/Unknown, reason, message.</summary>
public sealed record CheckOutcome(string Type, string Status, string Reason, string Message);

/// <summary>The Ready condition and the kstatus companions. Reconciling and Stalled are never both true.</summary>
public sealed record Readiness
{
    /// <summary>True, False or Unknown.</summary>
    public required string Ready { get; init; }

    public required string Reason { get; init; }

    public required string Message { get; init; }

    /// <summary>Progressing toward Ready: GuardDuty provisioning, a DaemonSet or add-on roll-out, GuardDuty catching up.</summary>
    public bool Reconciling { get; init; }

    /// <summary>Not Ready and nothing in progress: a person has to act.</summary>
    public bool Stalled { get; init; }
}

public sealed record InputError(string File, string Message);

/// <summary>Maps a report onto the custom resource's status types (conditions stay with the reconciler: it owns transition times).</summary>
public static class ReportStatusMapping
{
    // Every string and list is fitted to the CRD's bounds (SchemaLimits): a status the API server would reject could
    // never be written, and the status would silently go stale.
    public static GuardDutyStatus ToGuardDutyStatus(this DiagnosisReport report) => new()
    {
        CoverageStatus = SchemaLimits.Fit(report.GuardDuty.CoverageStatus, SchemaLimits.Word),
        Issue = SchemaLimits.Fit(report.GuardDuty.Issue, SchemaLimits.Text),
        ManagementType = SchemaLimits.Fit(report.GuardDuty.ManagementType, SchemaLimits.Word),
        AddonVersion = SchemaLimits.Fit(report.GuardDuty.AddonVersion, SchemaLimits.AddonVersion),
        CoveredNodes = report.GuardDuty.CoveredNodes,
        CompatibleNodes = report.GuardDuty.CompatibleNodes,
        Percent = report.GuardDuty is { CoveredNodes: { } covered, CompatibleNodes: { } compatible } ? CoveragePercent.Format(covered, compatible) : null,
        UpdatedAt = report.GuardDuty.UpdatedAt,
        CheckedAt = report.GuardDuty.CheckedAt,
        Stale = report.GuardDuty.Stale,
        Reason = SchemaLimits.Fit(report.GuardDuty.Reason, SchemaLimits.Text),
    };

    public static AgentStatus? ToAgentStatus(this DiagnosisReport report) => report.Agent is null
        ? null
        : new AgentStatus
        {
            Desired = report.Agent.Desired,
            Available = report.Agent.Available,
            Summary = SchemaLimits.Fit(report.Agent.Summary, SchemaLimits.Word),
            Version = SchemaLimits.Fit(report.Agent.Version, SchemaLimits.AddonVersion),
            Image = SchemaLimits.Fit(report.Agent.Image, SchemaLimits.Image),
        };

    public static NodesStatus? ToNodesStatus(this DiagnosisReport report) => report.Nodes is null
        ? null
        : new NodesStatus
        {
            Eligible = report.Nodes.Eligible,
            WithAgent = report.Nodes.WithAgent,
            NotCoverable = report.Nodes.NotCoverable,
            Summary = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{report.Nodes.WithAgent}/{report.Nodes.Eligible}"),
            Percent = CoveragePercent.Format(report.Nodes.WithAgent, report.Nodes.Eligible),
        };

    public static IReadOnlyList<Finding> ToStatusFindings(this DiagnosisReport report) =>
        SchemaLimits.Fit(report.Findings, SchemaLimits.Findings).Select(f => new Finding
        {
            Reason = SchemaLimits.Fit(f.Reason, SchemaLimits.Reason)!,
            Severity = SchemaLimits.Fit(f.Severity, SchemaLimits.Word)!,
            Sources = SchemaLimits.Fit(f.Sources, SchemaLimits.Sources).Select(s => SchemaLimits.Fit(s, SchemaLimits.Word)!).ToList(),
            Message = SchemaLimits.Fit(f.Message, SchemaLimits.Text)!,
            Remediation = SchemaLimits.Fit(f.Remediation, SchemaLimits.Steps).Select(s => SchemaLimits.Fit(s, SchemaLimits.Text)!).ToList(),
        }).ToList();
}

/// <summary>Source-generated JSON of the report (<c>diagnose -o json</c>).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true,
    Converters = [typeof(Rfc3339TimeConverter)])]
[JsonSerializable(typeof(DiagnosisReport))]
public sealed partial class DiagnosisJsonContext : JsonSerializerContext;
