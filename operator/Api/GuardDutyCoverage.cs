using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Api;

/// <summary>
/// Declares that an EKS cluster must be covered by GuardDuty Runtime Monitoring, and reports why it is or is not.
/// The CRD in <c>crds/</c> is generated from these types (<see cref="CrdGenerator"/>): attributes here are the schema.
/// </summary>
[Description("GuardDutyCoverage declares GuardDuty EKS Runtime Monitoring coverage for one cluster and reports why it is or is not healthy.")]
public sealed class V1Alpha1GuardDutyCoverage : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "coverage.guardduty.io";
    public const string Version = "v1alpha1";
    public const string KindName = "GuardDutyCoverage";
    public const string ListKindName = "GuardDutyCoverageList";
    public const string Plural = "guarddutycoverages";
    public const string Singular = "guarddutycoverage";
    public const string ShortName = "gdc";
    public const string ApiVersionValue = Group + "/" + Version;

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = ApiVersionValue;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KindName;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    [Required]
    public GuardDutyCoverageSpec Spec { get; set; } = new() { ClusterName = "" };

    [JsonPropertyName("status")]
    public GuardDutyCoverageStatus? Status { get; set; }
}

public sealed class V1Alpha1GuardDutyCoverageList
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = V1Alpha1GuardDutyCoverage.ApiVersionValue;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = V1Alpha1GuardDutyCoverage.ListKindName;

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<V1Alpha1GuardDutyCoverage> Items { get; set; } = [];
}

[Description("What coverage is declared and how it is checked.")]
public sealed record GuardDutyCoverageSpec
{
    [Description("EKS cluster name as GuardDuty knows it.")]
    [RegularExpression(@"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")]
    [StringLength(SchemaLimits.ClusterName)]
    public required string ClusterName { get; init; }

    [Description("AWS Region of the cluster. Default: AWS_REGION of the operator, else instance metadata.")]
    [RegularExpression(@"^[a-z]{2}(-[a-z]+)+-[0-9]+$")]
    [StringLength(SchemaLimits.Region)]
    public string? Region { get; init; }

    [Description("AWS account that owns the cluster. Default: the caller identity (STS).")]
    [RegularExpression(@"^\d{12}$")]
    [StringLength(SchemaLimits.AccountId)]
    public string? AccountId { get; init; }

    [Description("GuardDuty detector ID. Default: the Region's detector (ListDetectors).")]
    [RegularExpression(@"^[a-z0-9]{1,300}$")]
    [StringLength(SchemaLimits.DetectorId)]
    public string? DetectorId { get; init; }

    [Description("How the agent is expected to be managed. A different managementType reported by GuardDuty is a ManagementTypeMismatch finding.")]
    public ManagementType? ExpectedManagementType { get; init; }

    [Description("Where the GuardDuty security agent lives in the cluster.")]
    public AgentSpec Agent { get; set; } = new();

    [Description("Which checks run.")]
    public ChecksSpec Checks { get; set; } = new();

    [Description("What the operator may fix on its own.")]
    public RemediationSpec Remediation { get; set; } = new();

    [Description("GuardDuty re-check interval as a duration of hours, minutes and seconds (for example 5m, 1h30m, 90s); at least 1m. Local checks run on every change in the cluster.")]
    [RegularExpression(Durations.AtLeastOneMinutePattern)]
    [StringLength(SchemaLimits.Interval)]
    public string Interval { get; set; } = "5m";

    [Description("Endpoint overrides for GuardDuty, EKS and EC2: the service's own HTTPS endpoints in an AWS partition (FIPS, dual-stack, its interface VPC endpoints); anything else only when the operator allows it (--allowed-aws-endpoints), else the resource is Stalled with EndpointNotAllowed.")]
    public EndpointsSpec? Endpoints { get; init; }

    [Description("Optional notification of coverage changes.")]
    public NotifySpec? Notify { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<ManagementType>))]
public enum ManagementType
{
    [JsonStringEnumMemberName("AUTO_MANAGED")] AutoManaged,
    [JsonStringEnumMemberName("MANUAL")] Manual,
}

public sealed record AgentSpec
{
    [Description("Namespace of the agent.")]
    [RegularExpression(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    [StringLength(63)]
    public string Namespace { get; set; } = "amazon-guardduty";

    [Description("Name of the agent DaemonSet.")]
    [StringLength(253)]
    public string DaemonSetName { get; set; } = "aws-guardduty-agent";

    [Description("PriorityClass the agent pods use.")]
    [StringLength(253)]
    public string PriorityClassName { get; set; } = "aws-guardduty-agent.priorityclass";

    [Description("Lowest acceptable agent version, for example 1.8.1. Empty: no minimum.")]
    [RegularExpression(@"^$|^v?[0-9]+\.[0-9]+\.[0-9]+([-.+].*)?$")]
    [StringLength(SchemaLimits.Version)]
    public string MinimumVersion { get; set; } = "";
}

public sealed record ChecksSpec
{
    [Description("Cross-check with GuardDuty ListCoverage.")]
    public bool GuardDuty { get; set; } = true;

    [Description("Read the aws-guardduty-agent add-on's health with EKS DescribeAddon.")]
    public bool EksAddon { get; set; } = true;

    [Description("Probe admission webhooks with server-side dry-run updates of the agent DaemonSet and namespace.")]
    public bool AdmissionDryRun { get; set; } = true;
}

public sealed record RemediationSpec
{
    [Description("Report only lists the fixes; Apply also applies the safe ones from the catalog (needs the operator's remediation RBAC).")]
    public RemediationMode Mode { get; set; } = RemediationMode.Report;
}

[JsonConverter(typeof(JsonStringEnumConverter<RemediationMode>))]
public enum RemediationMode
{
    Report,
    Apply,
}

public sealed record EndpointsSpec
{
    [Description("GuardDuty endpoint URL, for example https://guardduty-fips.us-east-1.amazonaws.com.")]
    [RegularExpression(@"^https?://.+")]
    [StringLength(SchemaLimits.EndpointUrl)]
    public string? GuardDuty { get; init; }

    [Description("EKS endpoint URL.")]
    [RegularExpression(@"^https?://.+")]
    [StringLength(SchemaLimits.EndpointUrl)]
    public string? Eks { get; init; }

    [Description("EC2 endpoint URL.")]
    [RegularExpression(@"^https?://.+")]
    [StringLength(SchemaLimits.EndpointUrl)]
    public string? Ec2 { get; init; }
}

public sealed record NotifySpec
{
    [Description("Secret in the operator's namespace holding the webhook URL to notify on coverage changes.")]
    public SecretKeyRef? WebhookSecretRef { get; init; }

    [Description("EventBridge event bus (name or ARN) to put coverage changes on, in GuardDuty's event schema (opt-in: the operator's role needs events:PutEvents on that bus).")]
    [StringLength(1600, MinimumLength = 1)]
    [RegularExpression(@"^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus/)?[\.\-_A-Za-z0-9]+$")]
    public string? EventBusName { get; init; }
}

public sealed record SecretKeyRef
{
    [StringLength(253)]
    public required string Name { get; init; }

    [Description("Key of the Secret's data holding the URL.")]
    [RegularExpression(@"^[-._a-zA-Z0-9]+$")]
    [StringLength(SchemaLimits.SecretKey)]
    public string Key { get; set; } = "url";
}
