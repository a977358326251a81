using System.Text.Json.Serialization;

namespace GuardDutyCoverage.Aws.Model;

// GuardDuty 2017-11-28 shapes used by the operator, named and typed as in the official model
// (tests/testdata/aws-models/guardduty-2017-11-28.service-2.json). JSON names are the model's locationNames
// (camelCase). Enum-valued members stay strings: the service may add values, and an unknown value must not
// fail a whole response. The constants below list the values the model knows.

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

public static class ResourceTypeValues
{
    public const string Eks = "EKS";
    public const string Ecs = "ECS";
    public const string Ec2 = "EC2";
}

public sealed record ListDetectorsResponse
{
    [JsonPropertyName("detectorIds")]
    public IReadOnlyList<string> DetectorIds { get; init; } = [];

    [JsonPropertyName("nextToken")]
    public string? NextToken { get; init; }
}

public sealed record GetDetectorResponse
{
    [JsonPropertyName("createdAt")]
    public string? CreatedAt { get; init; }

    [JsonPropertyName("findingPublishingFrequency")]
    public string? FindingPublishingFrequency { get; init; }

    [JsonPropertyName("serviceRole")]
    public string? ServiceRole { get; init; }

    /// <summary>ENABLED or DISABLED.</summary>
    [JsonPropertyName("status")]
    public string? Status { get; init; }

    [JsonPropertyName("updatedAt")]
    public string? UpdatedAt { get; init; }

    [JsonPropertyName("tags")]
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    [JsonPropertyName("features")]
    public IReadOnlyList<DetectorFeatureConfigurationResult>? Features { get; init; }
}

public sealed record DetectorFeatureConfigurationResult
{
    /// <summary>For example RUNTIME_MONITORING or EKS_RUNTIME_MONITORING.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    /// <summary>ENABLED or DISABLED.</summary>
    [JsonPropertyName("status")]
    public string? Status { get; init; }

    [JsonPropertyName("updatedAt")]
    public DateTimeOffset? UpdatedAt { get; init; }

    [JsonPropertyName("additionalConfiguration")]
    public IReadOnlyList<DetectorAdditionalConfigurationResult>? AdditionalConfiguration { get; init; }
}

public sealed record DetectorAdditionalConfigurationResult
{
    /// <summary>For example EKS_ADDON_MANAGEMENT.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("status")]
    public string? Status { get; init; }

    [JsonPropertyName("updatedAt")]
    public DateTimeOffset? UpdatedAt { get; init; }
}

public sealed record ListCoverageRequest
{
    [JsonPropertyName("nextToken")]
    public string? NextToken { get; init; }

    /// <summary>1 to 50.</summary>
    [JsonPropertyName("maxResults")]
    public int? MaxResults { get; init; }

    [JsonPropertyName("filterCriteria")]
    public CoverageFilterCriteria? FilterCriteria { get; init; }

    [JsonPropertyName("sortCriteria")]
    public CoverageSortCriteria? SortCriteria { get; init; }
}

public sealed record ListCoverageResponse
{
    [JsonPropertyName("resources")]
    public IReadOnlyList<CoverageResource> Resources { get; init; } = [];

    [JsonPropertyName("nextToken")]
    public string? NextToken { get; init; }
}

public sealed record GetCoverageStatisticsRequest
{
    [JsonPropertyName("filterCriteria")]
    public CoverageFilterCriteria? FilterCriteria { get; init; }

    /// <summary>COUNT_BY_RESOURCE_TYPE and/or COUNT_BY_COVERAGE_STATUS.</summary>
    [JsonPropertyName("statisticsType")]
    public IReadOnlyList<string> StatisticsType { get; init; } = [];
}

public sealed record GetCoverageStatisticsResponse
{
    [JsonPropertyName("coverageStatistics")]
    public CoverageStatistics? CoverageStatistics { get; init; }
}

public sealed record CoverageStatistics
{
    [JsonPropertyName("countByResourceType")]
    public IReadOnlyDictionary<string, long>? CountByResourceType { get; init; }

    [JsonPropertyName("countByCoverageStatus")]
    public IReadOnlyDictionary<string, long>? CountByCoverageStatus { get; init; }
}

public sealed record CoverageFilterCriteria
{
    [JsonPropertyName("filterCriterion")]
    public IReadOnlyList<CoverageFilterCriterion>? FilterCriterion { get; init; }
}

public sealed record CoverageFilterCriterion
{
    /// <summary>A CoverageFilterCriterionKey, for example EKS_CLUSTER_NAME.</summary>
    [JsonPropertyName("criterionKey")]
    public string? CriterionKey { get; init; }

    [JsonPropertyName("filterCondition")]
    public CoverageFilterCondition? FilterCondition { get; init; }
}

public sealed record CoverageFilterCondition
{
    [JsonPropertyName("equals")]
    public IReadOnlyList<string>? EqualsValues { get; init; }

    [JsonPropertyName("notEquals")]
    public IReadOnlyList<string>? NotEquals { get; init; }
}

public sealed record CoverageSortCriteria
{
    /// <summary>A CoverageSortKey, for example UPDATED_AT.</summary>
    [JsonPropertyName("attributeName")]
    public string? AttributeName { get; init; }

    /// <summary>ASC or DESC.</summary>
    [JsonPropertyName("orderBy")]
    public string? OrderBy { get; init; }
}

public sealed record CoverageResource
{
    [JsonPropertyName("resourceId")]
    public string? ResourceId { get; init; }

    [JsonPropertyName("detectorId")]
    public string? DetectorId { get; init; }

    [JsonPropertyName("accountId")]
    public string? AccountId { get; init; }

    [JsonPropertyName("resourceDetails")]
    public CoverageResourceDetails? ResourceDetails { get; init; }

    /// <summary>HEALTHY or UNHEALTHY.</summary>
    [JsonPropertyName("coverageStatus")]
    public string? CoverageStatus { get; init; }

    /// <summary>Why the resource is UNHEALTHY: "Issue type:Extra information".</summary>
    [JsonPropertyName("issue")]
    public string? Issue { get; init; }

    [JsonPropertyName("updatedAt")]
    public DateTimeOffset? UpdatedAt { get; init; }
}

public sealed record CoverageResourceDetails
{
    [JsonPropertyName("eksClusterDetails")]
    public CoverageEksClusterDetails? EksClusterDetails { get; init; }

    [JsonPropertyName("ecsClusterDetails")]
    public CoverageEcsClusterDetails? EcsClusterDetails { get; init; }

    [JsonPropertyName("ec2InstanceDetails")]
    public CoverageEc2InstanceDetails? Ec2InstanceDetails { get; init; }

    /// <summary>EKS, ECS or EC2.</summary>
    [JsonPropertyName("resourceType")]
    public string? ResourceType { get; init; }
}

public sealed record CoverageEksClusterDetails
{
    [JsonPropertyName("clusterName")]
    public string? ClusterName { get; init; }

    [JsonPropertyName("coveredNodes")]
    public long? CoveredNodes { get; init; }

    [JsonPropertyName("compatibleNodes")]
    public long? CompatibleNodes { get; init; }

    [JsonPropertyName("addonDetails")]
    public AddonDetails? AddonDetails { get; init; }

    /// <summary>AUTO_MANAGED, MANUAL or DISABLED.</summary>
    [JsonPropertyName("managementType")]
    public string? ManagementType { get; init; }
}

public sealed record AddonDetails
{
    [JsonPropertyName("addonVersion")]
    public string? AddonVersion { get; init; }

    [JsonPropertyName("addonStatus")]
    public string? AddonStatus { get; init; }
}

public sealed record CoverageEcsClusterDetails
{
    [JsonPropertyName("clusterName")]
    public string? ClusterName { get; init; }

    [JsonPropertyName("fargateDetails")]
    public FargateDetails? FargateDetails { get; init; }

    [JsonPropertyName("containerInstanceDetails")]
    public ContainerInstanceDetails? ContainerInstanceDetails { get; init; }
}

public sealed record FargateDetails
{
    [JsonPropertyName("issues")]
    public IReadOnlyList<string>? Issues { get; init; }

    [JsonPropertyName("managementType")]
    public string? ManagementType { get; init; }
}

public sealed record ContainerInstanceDetails
{
    [JsonPropertyName("coveredContainerInstances")]
    public long? CoveredContainerInstances { get; init; }

    [JsonPropertyName("compatibleContainerInstances")]
    public long? CompatibleContainerInstances { get; init; }
}

public sealed record CoverageEc2InstanceDetails
{
    [JsonPropertyName("instanceId")]
    public string? InstanceId { get; init; }

    [JsonPropertyName("instanceType")]
    public string? InstanceType { get; init; }

    [JsonPropertyName("clusterArn")]
    public string? ClusterArn { get; init; }

    [JsonPropertyName("agentDetails")]
    public AgentDetails? AgentDetails { get; init; }

    [JsonPropertyName("managementType")]
    public string? ManagementType { get; init; }
}

public sealed record AgentDetails
{
    [JsonPropertyName("version")]
    public string? Version { get; init; }
}
