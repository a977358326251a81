namespace GuardDutyCoverage.Aws.Model;

/// <summary>
/// Enum values the official models declare for request members, validated before a request is sent.
/// A test checks each list against tests/testdata/aws-models so they cannot drift from the model.
/// </summary>
public static class ModelEnums
{
    /// <summary>GuardDuty CoverageFilterCriterionKey (CLUSTER_NAME is deprecated in favour of EKS_CLUSTER_NAME).</summary>
    public static readonly IReadOnlyList<string> CoverageFilterCriterionKey =
    [
        "ACCOUNT_ID", "RESOURCE_TYPE", "COVERAGE_STATUS", "ADDON_VERSION", "CLUSTER_NAME", "ECS_CLUSTER_NAME",
        "MANAGEMENT_TYPE", "EKS_CLUSTER_NAME", "AGENT_VERSION", "INSTANCE_ID", "CLUSTER_ARN",
    ];

    /// <summary>GuardDuty CoverageSortKey.</summary>
    public static readonly IReadOnlyList<string> CoverageSortKey =
    [
        "ACCOUNT_ID", "COVERAGE_STATUS", "ISSUE", "ADDON_VERSION", "UPDATED_AT", "CLUSTER_NAME", "EKS_CLUSTER_NAME",
        "ECS_CLUSTER_NAME", "INSTANCE_ID",
    ];

    /// <summary>GuardDuty OrderBy.</summary>
    public static readonly IReadOnlyList<string> OrderBy = ["ASC", "DESC"];

    /// <summary>GuardDuty CoverageStatisticsType.</summary>
    public static readonly IReadOnlyList<string> CoverageStatisticsType = ["COUNT_BY_RESOURCE_TYPE", "COUNT_BY_COVERAGE_STATUS"];

    /// <summary>EKS ResolveConflicts.</summary>
    public static readonly IReadOnlyList<string> ResolveConflicts = ["OVERWRITE", "NONE", "PRESERVE"];

    public static bool Contains(IReadOnlyList<string> values, string? value) => value is not null && values.Contains(value, StringComparer.Ordinal);
}

public static class CoverageStatisticsTypeValues
{
    public const string CountByResourceType = "COUNT_BY_RESOURCE_TYPE";
    public const string CountByCoverageStatus = "COUNT_BY_COVERAGE_STATUS";
}

public static class ResolveConflictsValues
{
    public const string Overwrite = "OVERWRITE";
    public const string None = "NONE";
    public const string Preserve = "PRESERVE";
}
