using System.Text.RegularExpressions;

namespace GuardDutyCoverage.Aws;

/// <summary>The services the operator talks to, with the names each one uses for signing and in hostnames.</summary>
public sealed record AwsService(string Id, string SigningName, string EndpointPrefix)
{
    public static readonly AwsService GuardDuty = new("GuardDuty", "guardduty", "guardduty");
    public static readonly AwsService Eks = new("EKS", "eks", "eks");
    public static readonly AwsService Sts = new("STS", "sts", "sts");
    public static readonly AwsService Ec2 = new("EC2", "ec2", "ec2");
    public static readonly AwsService Events = new("Events", "events", "events");
}

/// <summary>Endpoint URLs that replace the standard ones (VPC endpoints, FIPS, tests). Null: the standard endpoint.</summary>
public sealed record AwsEndpointOverrides(Uri? GuardDuty = null, Uri? Eks = null, Uri? Ec2 = null, Uri? Sts = null)
{
    /// <summary>EventBridge (notifications only): AWS_ENDPOINT_URL_EVENTS, else AWS_ENDPOINT_URL.</summary>
    public Uri? Events { get; init; }

    public static readonly AwsEndpointOverrides None = new();

    /// <summary>One URL for every service, as <c>--endpoint-url</c> of the AWS CLI.</summary>
    public static AwsEndpointOverrides All(Uri endpoint) => new(endpoint, endpoint, endpoint, endpoint);

    public Uri? For(AwsService service) => service.Id switch
    {
        "GuardDuty" => GuardDuty,
        "EKS" => Eks,
        "EC2" => Ec2,
        "STS" => Sts,
        "Events" => Events,
        _ => null,
    };

    /// <summary>
    /// The AWS SDKs' standard endpoint variables: <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c> per service, else
    /// <c>AWS_ENDPOINT_URL</c> for all (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
    /// </summary>
    public static AwsEndpointOverrides FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        Uri? Read(string service)
        {
            foreach (var name in new[] { "AWS_ENDPOINT_URL_" + service, "AWS_ENDPOINT_URL" })
            {
                var value = getVariable(name);
                if (!string.IsNullOrWhiteSpace(value))
                {
                    return ParseEndpoint(value.Trim(), name);
                }
            }

            return null;
        }

        return new AwsEndpointOverrides(Read("GUARDDUTY"), Read("EKS"), Read("EC2"), Read("STS")) { Events = Read("EVENTS") };
    }

    /// <summary>Per-service overrides of <paramref name="preferred"/> win over this one's.</summary>
    public AwsEndpointOverrides OverriddenBy(AwsEndpointOverrides preferred) =>
        new(preferred.GuardDuty ?? GuardDuty, preferred.Eks ?? Eks, preferred.Ec2 ?? Ec2, preferred.Sts ?? Sts);

    /// <summary>Parses an endpoint URL given by a user: absolute http(s), no query or fragment.</summary>
    public static Uri ParseEndpoint(string text, string what)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new AwsConfigurationException($"{what} \"{text}\" is not an absolute http(s) URL");
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw new AwsConfigurationException($"{what} \"{text}\" must not have a query, fragment or user info");
        }

        return uri;
    }
}

/// <summary>
/// Standard endpoints per partition, from botocore's partitions.json and the services' endpoint rule sets
/// (tests/testdata/aws-models/OPERATIONS.md §0): no dual-stack, optional FIPS.
/// </summary>
public static partial class AwsEndpoints
{
    [GeneratedRegex("^[a-z]{2,}(-[a-z]+)+-[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex RegionPattern();

    public static bool IsValidRegion(string region) => RegionPattern().IsMatch(region);

    /// <summary>The partition and DNS suffix of a region.</summary>
    public static (string Partition, string DnsSuffix) PartitionOf(string region)
    {
        if (region.StartsWith("cn-", StringComparison.Ordinal))
        {
            return ("aws-cn", "amazonaws.com.cn");
        }

        if (region.StartsWith("us-gov-", StringComparison.Ordinal))
        {
            return ("aws-us-gov", "amazonaws.com");
        }

        if (region.StartsWith("us-isob-", StringComparison.Ordinal))
        {
            return ("aws-iso-b", "sc2s.sgov.gov");
        }

        if (region.StartsWith("us-iso-", StringComparison.Ordinal))
        {
            return ("aws-iso", "c2s.ic.gov");
        }

        if (region.StartsWith("eusc-", StringComparison.Ordinal))
        {
            return ("aws-eusc", "amazonaws.eu");
        }

        return ("aws", "amazonaws.com");
    }

    /// <summary>The endpoint for a service in a region; the override wins when given.</summary>
    public static Uri Resolve(AwsService service, string region, bool useFips, AwsEndpointOverrides? overrides = null)
    {
        if (overrides?.For(service) is { } custom)
        {
            return custom;
        }

        if (!IsValidRegion(region))
        {
            throw new AwsConfigurationException($"\"{region}\" is not an AWS Region name (for example us-east-1)");
        }

        var (partition, suffix) = PartitionOf(region);
        var prefix = service.EndpointPrefix;
        string host;
        if (!useFips)
        {
            host = $"{prefix}.{region}.{suffix}";
        }
        else if (partition == "aws-us-gov" && (service == AwsService.GuardDuty || service == AwsService.Eks))
        {
            // In GovCloud the standard GuardDuty and EKS endpoints are already FIPS endpoints.
            host = $"{prefix}.{region}.{suffix}";
        }
        else if (partition == "aws" && service == AwsService.Eks)
        {
            host = $"fips.eks.{region}.{suffix}";
        }
        else
        {
            host = $"{prefix}-fips.{region}.{suffix}";
        }

        return new Uri($"https://{host}");
    }
}
