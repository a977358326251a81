using System.Text.Json.Serialization;

namespace GuardDutyCoverage.Aws.Model;

/// <summary>Source-generated JSON contract for the GuardDuty and EKS wire shapes (rest-json).</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(AwsTimestampConverter)])]
[JsonSerializable(typeof(ListDetectorsResponse))]
[JsonSerializable(typeof(GetDetectorResponse))]
[JsonSerializable(typeof(ListCoverageRequest))]
[JsonSerializable(typeof(ListCoverageResponse))]
[JsonSerializable(typeof(GetCoverageStatisticsRequest))]
[JsonSerializable(typeof(GetCoverageStatisticsResponse))]
[JsonSerializable(typeof(DescribeClusterResponse))]
[JsonSerializable(typeof(DescribeAddonResponse))]
[JsonSerializable(typeof(DescribeAddonVersionsResponse))]
[JsonSerializable(typeof(UpdateAddonRequest))]
[JsonSerializable(typeof(UpdateAddonResponse))]
[JsonSerializable(typeof(PutEventsRequest))]
[JsonSerializable(typeof(PutEventsResponse))]
public sealed partial class AwsJsonContext : JsonSerializerContext;
