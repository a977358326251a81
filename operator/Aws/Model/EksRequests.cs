using System.Text.Json.Serialization;

namespace GuardDutyCoverage.Aws.Model;

/// <summary>EKS DescribeAddonVersions: every member is a query parameter; lists are repeated keys.</summary>
public sealed record DescribeAddonVersionsRequest
{
    public const string GuardDutyAgentAddonName = "aws-guardduty-agent";

    public string? KubernetesVersion { get; init; }

    /// <summary>1 to 100.</summary>
    public int? MaxResults { get; init; }

    public string? NextToken { get; init; }

    public string? AddonName { get; init; }

    public IReadOnlyList<string>? Types { get; init; }

    public IReadOnlyList<string>? Publishers { get; init; }

    public IReadOnlyList<string>? Owners { get; init; }
}

/// <summary>EKS AddonPodIdentityAssociations (UpdateAddon).</summary>
public sealed record AddonPodIdentityAssociation
{
    [JsonPropertyName("serviceAccount")]
    public required string ServiceAccount { get; init; }

    [JsonPropertyName("roleArn")]
    public required string RoleArn { get; init; }
}
