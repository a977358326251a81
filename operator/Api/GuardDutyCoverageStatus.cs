using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace GuardDutyCoverage.Api;

/// <summary>kstatus-compliant observed state. Written only by the operator, through the status subresource.</summary>
public sealed record GuardDutyCoverageStatus
{
    [Description("The metadata.generation this status was computed for.")]
    public long? ObservedGeneration { get; init; }

    [Description("Healthy, Unhealthy or Unknown: both local and GuardDuty verdicts combined.")]
    [StringLength(SchemaLimits.Word)]
    public string? Coverage { get; init; }

    [Description("Verdict of the checks run inside the cluster: Healthy, Unhealthy or Unknown.")]
    [StringLength(SchemaLimits.Word)]
    public string? Local { get; init; }

    [Description("What GuardDuty reports for this cluster.")]
    public GuardDutyStatus? GuardDuty { get; init; }

    [Description("How the local verdict and GuardDuty's compare: Agree, GuardDutyStale, Predicted or LocalBlindSpot.")]
    [StringLength(SchemaLimits.Word)]
    public string? CrossCheck { get; init; }

    [Description("The agent DaemonSet as observed.")]
    public AgentStatus? Agent { get; init; }

    [Description("The cluster's nodes as the operator counts them: eligible for the agent, running a ready agent, never coverable.")]
    public NodesStatus? Nodes { get; init; }

    [Description("Root causes found, one per reason, each listing every source that saw it.")]
    [ListMapKeys("reason")]
    [MaxItems(SchemaLimits.Findings)]
    public IReadOnlyList<Finding>? Findings { get; init; }

    [Description("Ready (always), Reconciling and Stalled (only while true), and one condition per check.")]
    [ListMapKeys("type")]
    [MaxItems(SchemaLimits.Conditions)]
    public IReadOnlyList<Condition>? Conditions { get; init; }

    [Description("One line of at most 120 characters for kubectl get -o wide: the Ready reason, the top cause and how many more. The full text is in findings and conditions.")]
    [StringLength(120)]
    public string? Summary { get; init; }
}

public sealed record GuardDutyStatus
{
    [Description("HEALTHY or UNHEALTHY as reported by ListCoverage; NotFound when the cluster is not listed; Unknown when GuardDuty could not be read.")]
    [StringLength(SchemaLimits.Word)]
    public string? CoverageStatus { get; init; }

    [Description("GuardDuty's issue string, verbatim.")]
    [StringLength(SchemaLimits.Text)]
    public string? Issue { get; init; }

    [Description("AUTO_MANAGED, MANUAL or DISABLED.")]
    [StringLength(SchemaLimits.Word)]
    public string? ManagementType { get; init; }

    [StringLength(SchemaLimits.AddonVersion)]
    public string? AddonVersion { get; init; }

    public long? CoveredNodes { get; init; }

    public long? CompatibleNodes { get; init; }

    [Description("coveredNodes ÷ compatibleNodes × 100 (two decimals), the formula of coverage stats.")]
    [StringLength(SchemaLimits.Word)]
    public string? Percent { get; init; }

    [Description("When GuardDuty last updated this coverage record.")]
    public DateTimeOffset? UpdatedAt { get; init; }

    [Description("When the operator last read GuardDuty successfully.")]
    public DateTimeOffset? CheckedAt { get; init; }

    [Description("True when the last attempt to read GuardDuty failed and these values are from an earlier read.")]
    public bool? Stale { get; init; }

    [Description("Why GuardDuty could not be read (when Unknown or stale).")]
    [StringLength(SchemaLimits.Text)]
    public string? Reason { get; init; }
}

public sealed record AgentStatus
{
    public int? Desired { get; init; }

    public int? Available { get; init; }

    [Description("available/desired, for the Agents column.")]
    [StringLength(SchemaLimits.Word)]
    public string? Summary { get; init; }

    [StringLength(SchemaLimits.AddonVersion)]
    public string? Version { get; init; }

    [StringLength(SchemaLimits.Image)]
    public string? Image { get; init; }
}

public sealed record NodesStatus
{
    [Description("Linux nodes that can run the agent (not Fargate, hybrid, Windows or an unsupported architecture) and are Ready.")]
    public int? Eligible { get; init; }

    [Description("Eligible nodes with a running, Ready agent pod.")]
    public int? WithAgent { get; init; }

    [Description("Nodes that can never run the agent (Fargate, hybrid, Windows, unsupported architecture or instance type).")]
    public int? NotCoverable { get; init; }

    [Description("withAgent/eligible, for the Nodes column.")]
    [StringLength(SchemaLimits.Word)]
    public string? Summary { get; init; }

    [Description("withAgent ÷ eligible × 100 (two decimals), the formula of coverage stats.")]
    [StringLength(SchemaLimits.Word)]
    public string? Percent { get; init; }
}

public sealed record Finding
{
    [Description("Stable reason code from the root-cause catalog.")]
    [StringLength(SchemaLimits.Reason)]
    public required string Reason { get; init; }

    [Description("Error, Warning or Info.")]
    [StringLength(SchemaLimits.Word)]
    public required string Severity { get; init; }

    [Description("Local, GuardDuty, EksAddon, Ec2: every source that saw this cause.")]
    [MaxItems(SchemaLimits.Sources)]
    [ItemMaxLength(SchemaLimits.Word)]
    public IReadOnlyList<string> Sources { get; set; } = [];

    [StringLength(SchemaLimits.Text)]
    public string Message { get; set; } = "";

    [Description("Concrete steps to fix it.")]
    [MaxItems(SchemaLimits.Steps)]
    [ItemMaxLength(SchemaLimits.Text)]
    public IReadOnlyList<string> Remediation { get; set; } = [];
}

/// <summary>metav1.Condition.</summary>
public sealed record Condition
{
    [StringLength(316)]
    public required string Type { get; init; }

    [Description("True, False or Unknown.")]
    [StringLength(SchemaLimits.Word)]
    public required string Status { get; init; }

    public long? ObservedGeneration { get; init; }

    public required DateTimeOffset LastTransitionTime { get; init; }

    [StringLength(1024)]
    public required string Reason { get; init; }

    [StringLength(32768)]
    public string Message { get; set; } = "";
}

/// <summary>Marks a list as <c>x-kubernetes-list-type: map</c> keyed by the given JSON property names.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ListMapKeysAttribute(params string[] keys) : Attribute
{
    public IReadOnlyList<string> Keys { get; } = keys;
}
