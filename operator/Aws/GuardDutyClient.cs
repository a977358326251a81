using System.Text.Json;
using GuardDutyCoverage.Aws.Model;

namespace GuardDutyCoverage.Aws;

/// <summary>The GuardDuty operations the operator uses (one page each; see <see cref="GuardDutyPaging"/> for all pages).</summary>
public interface IGuardDutyClient
{
    Task<ListDetectorsResponse> ListDetectorsAsync(int? maxResults, string? nextToken, CancellationToken cancellationToken);

    Task<GetDetectorResponse> GetDetectorAsync(string detectorId, CancellationToken cancellationToken);

    Task<ListCoverageResponse> ListCoverageAsync(string detectorId, ListCoverageRequest request, CancellationToken cancellationToken);

    Task<GetCoverageStatisticsResponse> GetCoverageStatisticsAsync(string detectorId, GetCoverageStatisticsRequest request, CancellationToken cancellationToken);
}

/// <summary>GuardDuty 2017-11-28 over rest-json, per tests/testdata/aws-models/guardduty-2017-11-28.service-2.json.</summary>
public sealed class GuardDutyClient(AwsRestJsonClient transport) : IGuardDutyClient
{
    public Task<ListDetectorsResponse> ListDetectorsAsync(int? maxResults, string? nextToken, CancellationToken cancellationToken)
    {
        RequestValidation.Range("ListDetectors", "maxResults", maxResults, 1, 50);
        var query = new List<KeyValuePair<string, string>>();
        RequestValidation.AddQuery(query, "maxResults", maxResults);
        RequestValidation.AddQuery(query, "nextToken", nextToken);
        return transport.SendAsync("ListDetectors", HttpMethod.Get, "/detector", query, null, AwsJsonContext.Default.ListDetectorsResponse, cancellationToken);
    }

    public Task<GetDetectorResponse> GetDetectorAsync(string detectorId, CancellationToken cancellationToken)
    {
        RequestValidation.DetectorId("GetDetector", detectorId);
        return transport.SendAsync(
            "GetDetector", HttpMethod.Get, "/detector/" + AwsRestJsonClient.PathSegment(detectorId), [], null,
            AwsJsonContext.Default.GetDetectorResponse, cancellationToken);
    }

    public Task<ListCoverageResponse> ListCoverageAsync(string detectorId, ListCoverageRequest request, CancellationToken cancellationToken)
    {
        RequestValidation.DetectorId("ListCoverage", detectorId);
        RequestValidation.Range("ListCoverage", "maxResults", request.MaxResults, 1, 50);
        RequestValidation.FilterCriteria("ListCoverage", request.FilterCriteria);
        if (request.SortCriteria is { } sort)
        {
            RequestValidation.Enum("ListCoverage", "sortCriteria.attributeName", sort.AttributeName, ModelEnums.CoverageSortKey);
            RequestValidation.Enum("ListCoverage", "sortCriteria.orderBy", sort.OrderBy, ModelEnums.OrderBy);
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(request, AwsJsonContext.Default.ListCoverageRequest);
        return transport.SendAsync(
            "ListCoverage", HttpMethod.Post, $"/detector/{AwsRestJsonClient.PathSegment(detectorId)}/coverage", [], body,
            AwsJsonContext.Default.ListCoverageResponse, cancellationToken);
    }

    public Task<GetCoverageStatisticsResponse> GetCoverageStatisticsAsync(string detectorId, GetCoverageStatisticsRequest request, CancellationToken cancellationToken)
    {
        RequestValidation.DetectorId("GetCoverageStatistics", detectorId);
        RequestValidation.FilterCriteria("GetCoverageStatistics", request.FilterCriteria);
        if (request.StatisticsType is null)
        {
            throw RequestValidation.Invalid("GetCoverageStatistics", "statisticsType is required");
        }

        foreach (var type in request.StatisticsType)
        {
            RequestValidation.Enum("GetCoverageStatistics", "statisticsType", type, ModelEnums.CoverageStatisticsType);
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(request, AwsJsonContext.Default.GetCoverageStatisticsRequest);
        return transport.SendAsync(
            "GetCoverageStatistics", HttpMethod.Post, $"/detector/{AwsRestJsonClient.PathSegment(detectorId)}/coverage/statistics", [], body,
            AwsJsonContext.Default.GetCoverageStatisticsResponse, cancellationToken);
    }
}

/// <summary>Client-side checks of request members against the model's constraints, so bad input never leaves.</summary>
internal static class RequestValidation
{
    public static AwsConfigurationException Invalid(string operation, string message) => new($"{operation}: invalid request: {message}");

    public static void Range(string operation, string member, int? value, int min, int max)
    {
        if (value is { } v && (v < min || v > max))
        {
            throw Invalid(operation, $"{member} must be between {min} and {max}, not {v}");
        }
    }

    public static void Enum(string operation, string member, string? value, IReadOnlyList<string> allowed)
    {
        if (value is not null && !ModelEnums.Contains(allowed, value))
        {
            throw Invalid(operation, $"{member} \"{value}\" is not one of {string.Join(", ", allowed)}");
        }
    }

    public static void DetectorId(string operation, string detectorId)
    {
        if (string.IsNullOrEmpty(detectorId) || detectorId.Length > 300)
        {
            throw Invalid(operation, "detectorId must be 1 to 300 characters");
        }
    }

    public static void ClusterName(string operation, string clusterName)
    {
        if (string.IsNullOrEmpty(clusterName) || clusterName.Length > 100 || !char.IsAsciiLetterOrDigit(clusterName[0])
            || !clusterName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw Invalid(operation, $"cluster name \"{clusterName}\" must be 1 to 100 letters, digits, '-' or '_', starting with a letter or digit");
        }
    }

    public static void NotEmpty(string operation, string member, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw Invalid(operation, $"{member} is required");
        }
    }

    public static void FilterCriteria(string operation, CoverageFilterCriteria? criteria)
    {
        if (criteria?.FilterCriterion is not { } list)
        {
            return;
        }

        if (list.Count > 50)
        {
            throw Invalid(operation, $"filterCriteria.filterCriterion has {list.Count} items; at most 50 are allowed");
        }

        foreach (var criterion in list)
        {
            Enum(operation, "filterCriteria.filterCriterion.criterionKey", criterion.CriterionKey, ModelEnums.CoverageFilterCriterionKey);
        }
    }

    public static void AddQuery(List<KeyValuePair<string, string>> query, string name, string? value)
    {
        if (value is not null)
        {
            query.Add(new(name, value));
        }
    }

    public static void AddQuery(List<KeyValuePair<string, string>> query, string name, int? value)
    {
        if (value is { } v)
        {
            query.Add(new(name, v.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    public static void AddQuery(List<KeyValuePair<string, string>> query, string name, IReadOnlyList<string>? values)
    {
        foreach (var value in values ?? [])
        {
            query.Add(new(name, value));
        }
    }
}
