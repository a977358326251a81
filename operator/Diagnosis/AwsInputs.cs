namespace GuardDutyCoverage.Diagnosis;

// What the diagnosis reads of AWS, as its own input types: the members of the GuardDuty, EKS and EC2 answers the
// checks use, named as in the official models so that a reader finds them there. They carry no wire format (the Aws
// project's GuardDutyCoverage.Aws.Model does); the controller and the bundle reader map those answers to these
// (Controller/DiagnosisInputs.cs), so the diagnosis needs neither an AWS client nor its JSON.

public static class CoverageStatusValues
{
    public const string Healthy = "HEALTHY";
    public const string Unhealthy = "UNHEALTHY";
}

public static class ManagementTypeValues
{
    public const string AutoManaged = "AUTO_MANAGED";
    public const string Manual = "MANUAL";
    public const string Disabled = "DISABLED";
}

/// <summary>EC2 DescribeVpcAttribute for the two DNS attributes GuardDuty's VPC endpoint needs (null: not read).</summary>
public sealed record VpcDnsAttributes(string VpcId, bool? EnableDnsSupport, bool? EnableDnsHostnames);

/// <summary>One EC2 VPC endpoint, as DescribeVpcEndpoints reports it.</summary>
public sealed record VpcEndpointInfo(
    string VpcEndpointId,
    string VpcId,
    string ServiceName,
    string? VpcEndpointType,
    string? State,
    bool? PrivateDnsEnabled,
    string? OwnerId,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>EC2 DescribeVpcs: the VPC and the account that owns it (another account's for a shared VPC).</summary>
public sealed record VpcInfo(string VpcId, string? OwnerId);

public sealed record EksCluster
{
    public string? Name { get; init; }

    public string? Arn { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Kubernetes minor version, for example "1.31".</summary>
    public string? Version { get; init; }

    public string? Endpoint { get; init; }

    public VpcConfigResponse? ResourcesVpcConfig { get; init; }

    /// <summary>CREATING, ACTIVE, DELETING, FAILED, UPDATING or PENDING.</summary>
    public string? Status { get; init; }

    public string? PlatformVersion { get; init; }

    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    public ClusterHealth? Health { get; init; }

    /// <summary>Present only for local clusters on AWS Outposts, where EKS add-ons are not supported.</summary>
    public OutpostConfigResponse? OutpostConfig { get; init; }
}

public sealed record VpcConfigResponse
{
    public IReadOnlyList<string>? SubnetIds { get; init; }

    public IReadOnlyList<string>? SecurityGroupIds { get; init; }

    public string? ClusterSecurityGroupId { get; init; }

    public string? VpcId { get; init; }

    public bool? EndpointPublicAccess { get; init; }

    public bool? EndpointPrivateAccess { get; init; }
}

public sealed record OutpostConfigResponse
{
    public IReadOnlyList<string>? OutpostArns { get; init; }

    public string? ControlPlaneInstanceType { get; init; }
}

public sealed record ClusterHealth
{
    public IReadOnlyList<ClusterIssue>? Issues { get; init; }
}

public sealed record ClusterIssue
{
    public string? Code { get; init; }

    public string? Message { get; init; }

    public IReadOnlyList<string>? ResourceIds { get; init; }
}

public sealed record EksAddon
{
    public string? AddonName { get; init; }

    public string? ClusterName { get; init; }

    /// <summary>CREATING, ACTIVE, CREATE_FAILED, UPDATING, DELETING, DELETE_FAILED, DEGRADED or UPDATE_FAILED.</summary>
    public string? Status { get; init; }

    public string? AddonVersion { get; init; }

    public AddonHealth? Health { get; init; }

    public string? AddonArn { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? ModifiedAt { get; init; }

    public string? ServiceAccountRoleArn { get; init; }

    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    public string? Publisher { get; init; }

    public string? Owner { get; init; }

    /// <summary>A JSON document in a string, for example {"priorityClassName":"aws-guardduty-agent.priorityclass-high"}.</summary>
    public string? ConfigurationValues { get; init; }

    public IReadOnlyList<string>? PodIdentityAssociations { get; init; }
}

public sealed record AddonHealth
{
    public IReadOnlyList<AddonIssue>? Issues { get; init; }
}

public sealed record AddonIssue
{
    /// <summary>An AddonIssueCode, for example InsufficientNumberOfReplicas or AccessDenied.</summary>
    public string? Code { get; init; }

    public string? Message { get; init; }

    public IReadOnlyList<string>? ResourceIds { get; init; }
}

public sealed record AddonVersionInfo
{
    /// <summary>For example v1.11.0-eksbuild.4.</summary>
    public string? AddonVersion { get; init; }

    public IReadOnlyList<string>? Architecture { get; init; }

    public IReadOnlyList<string>? ComputeTypes { get; init; }

    public IReadOnlyList<Compatibility>? Compatibilities { get; init; }

    public bool? RequiresConfiguration { get; init; }

    public bool? RequiresIamPermissions { get; init; }
}

public sealed record Compatibility
{
    /// <summary>Kubernetes minor version, for example "1.31".</summary>
    public string? ClusterVersion { get; init; }

    public IReadOnlyList<string>? PlatformVersions { get; init; }

    public bool? DefaultVersion { get; init; }
}

public sealed record GetDetectorResponse
{
    public string? CreatedAt { get; init; }

    public string? FindingPublishingFrequency { get; init; }

    public string? ServiceRole { get; init; }

    /// <summary>ENABLED or DISABLED.</summary>
    public string? Status { get; init; }

    public string? UpdatedAt { get; init; }

    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    public IReadOnlyList<DetectorFeatureConfigurationResult>? Features { get; init; }
}

public sealed record DetectorFeatureConfigurationResult
{
    /// <summary>For example RUNTIME_MONITORING or EKS_RUNTIME_MONITORING.</summary>
    public string? Name { get; init; }

    /// <summary>ENABLED or DISABLED.</summary>
    public string? Status { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    public IReadOnlyList<DetectorAdditionalConfigurationResult>? AdditionalConfiguration { get; init; }
}

public sealed record DetectorAdditionalConfigurationResult
{
    /// <summary>For example EKS_ADDON_MANAGEMENT.</summary>
    public string? Name { get; init; }

    public string? Status { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }
}

public sealed record CoverageResource
{
    public string? ResourceId { get; init; }

    public string? DetectorId { get; init; }

    public string? AccountId { get; init; }

    public CoverageResourceDetails? ResourceDetails { get; init; }

    /// <summary>HEALTHY or UNHEALTHY.</summary>
    public string? CoverageStatus { get; init; }

    /// <summary>Why the resource is UNHEALTHY: "Issue type:Extra information".</summary>
    public string? Issue { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }
}

public sealed record CoverageResourceDetails
{
    public CoverageEksClusterDetails? EksClusterDetails { get; init; }

    public CoverageEcsClusterDetails? EcsClusterDetails { get; init; }

    public CoverageEc2InstanceDetails? Ec2InstanceDetails { get; init; }

    /// <summary>EKS, ECS or EC2.</summary>
    public string? ResourceType { get; init; }
}

public sealed record CoverageEksClusterDetails
{
    public string? ClusterName { get; init; }

    public long? CoveredNodes { get; init; }

    public long? CompatibleNodes { get; init; }

    public AddonDetails? AddonDetails { get; init; }

    /// <summary>AUTO_MANAGED, MANUAL or DISABLED.</summary>
    public string? ManagementType { get; init; }
}

public sealed record AddonDetails
{
    public string? AddonVersion { get; init; }

    public string? AddonStatus { get; init; }
}

public sealed record CoverageEcsClusterDetails
{
    public string? ClusterName { get; init; }

    public FargateDetails? FargateDetails { get; init; }

    public ContainerInstanceDetails? ContainerInstanceDetails { get; init; }
}

public sealed record FargateDetails
{
    public IReadOnlyList<string>? Issues { get; init; }

    public string? ManagementType { get; init; }
}

public sealed record ContainerInstanceDetails
{
    public long? CoveredContainerInstances { get; init; }

    public long? CompatibleContainerInstances { get; init; }
}

public sealed record CoverageEc2InstanceDetails
{
    public string? InstanceId { get; init; }

    public string? InstanceType { get; init; }

    public string? ClusterArn { get; init; }

    public AgentDetails? AgentDetails { get; init; }

    public string? ManagementType { get; init; }
}

public sealed record AgentDetails
{
    public string? Version { get; init; }
}
