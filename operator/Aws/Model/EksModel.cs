using System.Text.Json.Serialization;

namespace GuardDutyCoverage.Aws.Model;

// EKS 2017-11-01 shapes used by the operator (tests/testdata/aws-models/eks-2017-11-01.service-2.json).
// EKS member names are already lowerCamel on the wire.

public sealed record DescribeClusterResponse
{
    [JsonPropertyName("cluster")]
    public EksCluster? Cluster { get; init; }
}

public sealed record EksCluster
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("arn")]
    public string? Arn { get; init; }

    [JsonPropertyName("createdAt")]
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Kubernetes minor version, for example "1.31".</summary>
    [JsonPropertyName("version")]
    public string? Version { get; init; }

    [JsonPropertyName("endpoint")]
    public string? Endpoint { get; init; }

    [JsonPropertyName("resourcesVpcConfig")]
    public VpcConfigResponse? ResourcesVpcConfig { get; init; }

    /// <summary>CREATING, ACTIVE, DELETING, FAILED, UPDATING or PENDING.</summary>
    [JsonPropertyName("status")]
    public string? Status { get; init; }

    [JsonPropertyName("platformVersion")]
    public string? PlatformVersion { get; init; }

    [JsonPropertyName("tags")]
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    [JsonPropertyName("health")]
    public ClusterHealth? Health { get; init; }

    /// <summary>Present only for local clusters on AWS Outposts, where EKS add-ons are not supported.</summary>
    [JsonPropertyName("outpostConfig")]
    public OutpostConfigResponse? OutpostConfig { get; init; }
}

public sealed record VpcConfigResponse
{
    [JsonPropertyName("subnetIds")]
    public IReadOnlyList<string>? SubnetIds { get; init; }

    [JsonPropertyName("securityGroupIds")]
    public IReadOnlyList<string>? SecurityGroupIds { get; init; }

    [JsonPropertyName("clusterSecurityGroupId")]
    public string? ClusterSecurityGroupId { get; init; }

    [JsonPropertyName("vpcId")]
    public string? VpcId { get; init; }

    [JsonPropertyName("endpointPublicAccess")]
    public bool? EndpointPublicAccess { get; init; }

    [JsonPropertyName("endpointPrivateAccess")]
    public bool? EndpointPrivateAccess { get; init; }
}

public sealed record OutpostConfigResponse
{
    [JsonPropertyName("outpostArns")]
    public IReadOnlyList<string>? OutpostArns { get; init; }

    [JsonPropertyName("controlPlaneInstanceType")]
    public string? ControlPlaneInstanceType { get; init; }
}

public sealed record ClusterHealth
{
    [JsonPropertyName("issues")]
    public IReadOnlyList<ClusterIssue>? Issues { get; init; }
}

public sealed record ClusterIssue
{
    [JsonPropertyName("code")]
    public string? Code { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    [JsonPropertyName("resourceIds")]
    public IReadOnlyList<string>? ResourceIds { get; init; }
}

public sealed record DescribeAddonResponse
{
    [JsonPropertyName("addon")]
    public EksAddon? Addon { get; init; }
}

public sealed record EksAddon
{
    [JsonPropertyName("addonName")]
    public string? AddonName { get; init; }

    [JsonPropertyName("clusterName")]
    public string? ClusterName { get; init; }

    /// <summary>CREATING, ACTIVE, CREATE_FAILED, UPDATING, DELETING, DELETE_FAILED, DEGRADED or UPDATE_FAILED.</summary>
    [JsonPropertyName("status")]
    public string? Status { get; init; }

    [JsonPropertyName("addonVersion")]
    public string? AddonVersion { get; init; }

    [JsonPropertyName("health")]
    public AddonHealth? Health { get; init; }

    [JsonPropertyName("addonArn")]
    public string? AddonArn { get; init; }

    [JsonPropertyName("createdAt")]
    public DateTimeOffset? CreatedAt { get; init; }

    [JsonPropertyName("modifiedAt")]
    public DateTimeOffset? ModifiedAt { get; init; }

    [JsonPropertyName("serviceAccountRoleArn")]
    public string? ServiceAccountRoleArn { get; init; }

    [JsonPropertyName("tags")]
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    [JsonPropertyName("publisher")]
    public string? Publisher { get; init; }

    [JsonPropertyName("owner")]
    public string? Owner { get; init; }

    /// <summary>A JSON document in a string, for example {"priorityClassName":"aws-guardduty-agent.priorityclass-high"}.</summary>
    [JsonPropertyName("configurationValues")]
    public string? ConfigurationValues { get; init; }

    [JsonPropertyName("podIdentityAssociations")]
    public IReadOnlyList<string>? PodIdentityAssociations { get; init; }
}

public sealed record AddonHealth
{
    [JsonPropertyName("issues")]
    public IReadOnlyList<AddonIssue>? Issues { get; init; }
}

public sealed record AddonIssue
{
    /// <summary>An AddonIssueCode, for example InsufficientNumberOfReplicas or AccessDenied.</summary>
    [JsonPropertyName("code")]
    public string? Code { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    [JsonPropertyName("resourceIds")]
    public IReadOnlyList<string>? ResourceIds { get; init; }
}

public sealed record DescribeAddonVersionsResponse
{
    [JsonPropertyName("addons")]
    public IReadOnlyList<AddonInfo> Addons { get; init; } = [];

    [JsonPropertyName("nextToken")]
    public string? NextToken { get; init; }
}

public sealed record AddonInfo
{
    [JsonPropertyName("addonName")]
    public string? AddonName { get; init; }

    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [JsonPropertyName("addonVersions")]
    public IReadOnlyList<AddonVersionInfo>? AddonVersions { get; init; }

    [JsonPropertyName("publisher")]
    public string? Publisher { get; init; }

    [JsonPropertyName("owner")]
    public string? Owner { get; init; }

    [JsonPropertyName("defaultNamespace")]
    public string? DefaultNamespace { get; init; }
}

public sealed record AddonVersionInfo
{
    /// <summary>For example v1.11.0-eksbuild.4.</summary>
    [JsonPropertyName("addonVersion")]
    public string? AddonVersion { get; init; }

    [JsonPropertyName("architecture")]
    public IReadOnlyList<string>? Architecture { get; init; }

    [JsonPropertyName("computeTypes")]
    public IReadOnlyList<string>? ComputeTypes { get; init; }

    [JsonPropertyName("compatibilities")]
    public IReadOnlyList<Compatibility>? Compatibilities { get; init; }

    [JsonPropertyName("requiresConfiguration")]
    public bool? RequiresConfiguration { get; init; }

    [JsonPropertyName("requiresIamPermissions")]
    public bool? RequiresIamPermissions { get; init; }
}

public sealed record Compatibility
{
    /// <summary>Kubernetes minor version, for example "1.31".</summary>
    [JsonPropertyName("clusterVersion")]
    public string? ClusterVersion { get; init; }

    [JsonPropertyName("platformVersions")]
    public IReadOnlyList<string>? PlatformVersions { get; init; }

    [JsonPropertyName("defaultVersion")]
    public bool? DefaultVersion { get; init; }
}

public sealed record UpdateAddonRequest
{
    [JsonPropertyName("addonVersion")]
    public string? AddonVersion { get; init; }

    [JsonPropertyName("serviceAccountRoleArn")]
    public string? ServiceAccountRoleArn { get; init; }

    /// <summary>OVERWRITE, NONE or PRESERVE.</summary>
    [JsonPropertyName("resolveConflicts")]
    public string? ResolveConflicts { get; init; }

    /// <summary>Idempotency token; a new GUID per logical request when not set.</summary>
    [JsonPropertyName("clientRequestToken")]
    public string? ClientRequestToken { get; init; }

    [JsonPropertyName("configurationValues")]
    public string? ConfigurationValues { get; init; }

    [JsonPropertyName("podIdentityAssociations")]
    public IReadOnlyList<AddonPodIdentityAssociation>? PodIdentityAssociations { get; init; }
}

public sealed record UpdateAddonResponse
{
    [JsonPropertyName("update")]
    public EksUpdate? Update { get; init; }
}

public sealed record EksUpdate
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>InProgress, Failed, Cancelled or Successful.</summary>
    [JsonPropertyName("status")]
    public string? Status { get; init; }

    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [JsonPropertyName("params")]
    public IReadOnlyList<UpdateParam>? Params { get; init; }

    [JsonPropertyName("createdAt")]
    public DateTimeOffset? CreatedAt { get; init; }

    [JsonPropertyName("errors")]
    public IReadOnlyList<ErrorDetail>? Errors { get; init; }
}

public sealed record UpdateParam
{
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [JsonPropertyName("value")]
    public string? Value { get; init; }
}

public sealed record ErrorDetail
{
    [JsonPropertyName("errorCode")]
    public string? ErrorCode { get; init; }

    [JsonPropertyName("errorMessage")]
    public string? ErrorMessage { get; init; }

    [JsonPropertyName("resourceIds")]
    public IReadOnlyList<string>? ResourceIds { get; init; }
}
