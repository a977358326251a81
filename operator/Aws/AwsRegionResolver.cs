using System.Net.Http.Headers;

namespace GuardDutyCoverage.Aws;

/// <summary>
/// Finds the AWS Region: the explicit one (spec.region, --region), else AWS_REGION / AWS_DEFAULT_REGION, else EC2
/// instance metadata. None of them: a clear error naming all three.
/// </summary>
public sealed class AwsRegionResolver(Func<string, string?> environment, ImdsRegionSource? instanceMetadata)
{
    public static AwsRegionResolver FromProcess(HttpClient imdsHttp) =>
        new(Environment.GetEnvironmentVariable, ImdsRegionSource.FromEnvironment(imdsHttp, Environment.GetEnvironmentVariable));

    public async Task<string> ResolveAsync(string? explicitRegion, CancellationToken cancellationToken)
    {
        var region = Pick(explicitRegion, "the given region")
            ?? Pick(environment("AWS_REGION"), "AWS_REGION")
            ?? Pick(environment("AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION");
        if (region is null && instanceMetadata is not null)
        {
            region = Pick(await instanceMetadata.GetRegionAsync(cancellationToken).ConfigureAwait(false), "instance metadata");
        }

        return region ?? throw new AwsConfigurationException(
            "no AWS Region: set it explicitly (spec.region or --region), set AWS_REGION or AWS_DEFAULT_REGION, or run where EC2 instance metadata is reachable");
    }

    private static string? Pick(string? value, string source)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        return AwsEndpoints.IsValidRegion(value)
            ? value
            : throw new AwsConfigurationException($"\"{value}\" from {source} is not an AWS Region name (for example us-east-1)");
    }
}

/// <summary>
/// The Region from EC2 instance metadata (IMDSv2: a session token, then placement/region), one second per call (as the
/// SDKs: off EC2 the link-local address does not answer, and start-up must not wait long for it).
/// </summary>
public sealed class ImdsRegionSource(HttpClient http, Uri endpoint, TimeSpan? callTimeout = null)
{
    public static readonly Uri DefaultEndpoint = new("http://169.254.169.254");

    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromSeconds(1);

    private readonly TimeSpan _callTimeout = callTimeout ?? DefaultCallTimeout;

    /// <summary>Honours AWS_EC2_METADATA_DISABLED and AWS_EC2_METADATA_SERVICE_ENDPOINT like the SDKs; null when disabled.</summary>
    public static ImdsRegionSource? FromEnvironment(HttpClient http, Func<string, string?> environment, TimeSpan? callTimeout = null)
    {
        if (string.Equals(environment("AWS_EC2_METADATA_DISABLED"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var configured = environment("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        return new ImdsRegionSource(
            http,
            string.IsNullOrWhiteSpace(configured) ? DefaultEndpoint : AwsEndpointOverrides.ParseEndpoint(configured, "AWS_EC2_METADATA_SERVICE_ENDPOINT"),
            callTimeout);
    }

    /// <summary>The Region, or null when instance metadata does not answer.</summary>
    public async Task<string?> GetRegionAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_callTimeout * 2);
            using var tokenRequest = new HttpRequestMessage(HttpMethod.Put, new Uri(endpoint, "/latest/api/token"));
            tokenRequest.Headers.TryAddWithoutValidation("X-aws-ec2-metadata-token-ttl-seconds", "21600");
            using var tokenResponse = await http.SendAsync(tokenRequest, timeout.Token).ConfigureAwait(false);
            if (!tokenResponse.IsSuccessStatusCode)
            {
                return null;
            }

            var token = await tokenResponse.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            using var regionRequest = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint, "/latest/meta-data/placement/region"));
            regionRequest.Headers.TryAddWithoutValidation("X-aws-ec2-metadata-token", token);
            regionRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
            using var regionResponse = await http.SendAsync(regionRequest, timeout.Token).ConfigureAwait(false);
            return regionResponse.IsSuccessStatusCode
                ? (await regionResponse.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false)).Trim()
                : null;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
