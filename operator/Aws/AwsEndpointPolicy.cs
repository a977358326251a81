using System.Text.RegularExpressions;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Aws;

/// <summary>
/// Which endpoint URLs a GuardDutyCoverage may choose in <c>spec.endpoints</c>. The operator signs every AWS request
/// with its own credentials (session token included), so an endpoint is where those credentials go: whoever may
/// write a GuardDutyCoverage must not be able to send them anywhere else than to AWS.
/// <para>
/// Allowed by default: HTTPS on the default port to the service's own host names in an AWS partition: the regional
/// and FIPS endpoints (<c>guardduty.us-east-1.amazonaws.com</c>, <c>guardduty-fips…</c>, <c>fips.eks…</c>), the
/// dual-stack ones (<c>….api.aws</c>) and interface VPC endpoints of that service
/// (<c>vpce-0abc-1def.guardduty.us-east-1.vpce.amazonaws.com</c>). Deliberately not every <c>*.amazonaws.com</c>
/// name: API Gateway (<c>*.execute-api.…amazonaws.com</c>), S3 buckets, AppSync or customer PrivateLink services
/// (<c>vpce-….vpce-svc-….vpce.amazonaws.com</c>) are AWS host names whose requests reach code or logs of any AWS
/// customer, who would then receive the operator's signed requests and session token.
/// </para>
/// Anything else needs an entry in the operator's <c>--allowed-aws-endpoints</c> (Helm value <c>aws.allowedEndpoints</c>).
/// </summary>
public static partial class AwsEndpointPolicy
{
    public const string Flag = "--allowed-aws-endpoints";
    public const string HelmValue = "aws.allowedEndpoints";

    // The DNS suffixes of the AWS partitions (botocore partitions.json), dual-stack ones included.
    private const string Suffix = @"(amazonaws\.com|amazonaws\.com\.cn|api\.aws|api\.amazonwebservices\.com\.cn|c2s\.ic\.gov|sc2s\.sgov\.gov|amazonaws\.eu)";
    private const string Region = @"[a-z]{2,}(-[a-z]+)+-[0-9]+";

    [GeneratedRegex(@"^(?<fips>fips\.)?(?<service>[a-z0-9]+)(-fips)?(\.dualstack)?\." + Region + @"\." + Suffix + "$", RegexOptions.CultureInvariant)]
    private static partial Regex RegionalHost();

    [GeneratedRegex(@"^vpce-[0-9a-z]+(-[0-9a-z]+)*\.(?<service>[a-z0-9]+)(-fips)?\." + Region + @"\.vpce\." + Suffix + "$", RegexOptions.CultureInvariant)]
    private static partial Regex VpcEndpointHost();

    /// <summary>Whether the default policy allows <paramref name="endpoint"/> for <paramref name="service"/>.</summary>
    public static bool IsAwsEndpointOf(AwsService service, Uri endpoint)
    {
        if (!endpoint.IsAbsoluteUri || endpoint.Scheme != Uri.UriSchemeHttps || !endpoint.IsDefaultPort || endpoint.UserInfo.Length > 0)
        {
            return false;
        }

        var host = endpoint.IdnHost.TrimEnd('.').ToLowerInvariant();
        if (service == AwsService.Sts && host == "sts.amazonaws.com")
        {
            return true;
        }

        var match = RegionalHost().Match(host);
        if (!match.Success)
        {
            match = VpcEndpointHost().Match(host);
        }

        return match.Success && match.Groups["service"].Value == service.EndpointPrefix;
    }

    /// <summary>Whether a GuardDutyCoverage may send <paramref name="service"/>'s requests to <paramref name="endpoint"/>.</summary>
    public static bool Allows(AwsService service, Uri endpoint, OriginAllowList allowed) =>
        IsAwsEndpointOf(service, endpoint) || allowed.Allows(endpoint);
}
