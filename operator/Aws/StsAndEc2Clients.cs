using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using GuardDutyCoverage.Aws.Model;

namespace GuardDutyCoverage.Aws;

/// <summary>STS: who the operator is (the default account of a CR).</summary>
public interface IStsClient
{
    Task<CallerIdentity> GetCallerIdentityAsync(CancellationToken cancellationToken);
}

/// <summary>EC2 reads behind the GuardDuty VPC endpoint checks.</summary>
public interface IEc2Client
{
    /// <summary>DescribeVpcAttribute for enableDnsSupport and for enableDnsHostnames (two calls: one attribute per call).</summary>
    Task<VpcDnsAttributes> DescribeVpcDnsAttributesAsync(string vpcId, CancellationToken cancellationToken);

    /// <summary>DescribeVpcEndpoints filtered by service-name and vpc-id, all pages.</summary>
    Task<IReadOnlyList<VpcEndpointInfo>> DescribeVpcEndpointsAsync(string vpcId, string serviceName, CancellationToken cancellationToken);

    /// <summary>DescribeVpcs of one VPC: its owner account (a shared VPC is owned by another account).</summary>
    Task<VpcInfo> DescribeVpcAsync(string vpcId, CancellationToken cancellationToken);
}

/// <summary>Shared plumbing for the AWSSDK-based clients: credentials, endpoint, retries and error translation.</summary>
internal static class SdkClientSupport
{
    public static void Configure(ClientConfig config, AwsServiceEndpoint endpoint, AwsRetryPolicy retry)
    {
        config.ServiceURL = endpoint.BaseUri.ToString();
        config.AuthenticationRegion = endpoint.Region;
        config.MaxErrorRetry = Math.Max(0, retry.MaxAttempts - 1);
        config.Timeout = retry.AttemptTimeout;
    }

    public static async Task<T> CallAsync<T>(AwsService service, string operation, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (AmazonServiceException e) when (e.StatusCode != 0 || !string.IsNullOrEmpty(e.ErrorCode))
        {
            throw new AwsServiceException(
                service.Id, operation, string.IsNullOrEmpty(e.ErrorCode) ? ((int)e.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) : e.ErrorCode,
                e.Message, e.StatusCode == 0 ? null : e.StatusCode, e.RequestId, e);
        }
        catch (AmazonClientException e)
        {
            throw new AwsServiceException(service.Id, operation, AwsServiceException.LocalCodes.NetworkError, e.Message, null, null, e);
        }
        catch (HttpRequestException e)
        {
            throw new AwsServiceException(service.Id, operation, AwsServiceException.LocalCodes.NetworkError, e.Message, null, null, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AwsServiceException(service.Id, operation, AwsServiceException.LocalCodes.Timeout, e.Message, null, null, e);
        }
    }
}

/// <summary>
/// An AWSSDK client created on first use: resolving credentials can be slow (web identity, container credentials,
/// instance metadata) and must not happen at construction; concurrent first calls create it once.
/// </summary>
internal sealed class LazySdkClient<TClient>(AwsCredentialsSource credentials, Func<AWSCredentials, TClient> create) : IDisposable
    where TClient : class, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TClient? _client;

    public async Task<TClient> GetAsync(CancellationToken cancellationToken)
    {
        if (_client is { } ready)
        {
            return ready;
        }

        var provider = await credentials.GetProviderAsync(cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _client ??= create(provider);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _client?.Dispose();
        _gate.Dispose();
    }
}

/// <summary>STS GetCallerIdentity through AWSSDK.SecurityToken.</summary>
public sealed class StsClient(AwsServiceEndpoint endpoint, AwsCredentialsSource credentials, AwsRetryPolicy retry) : IStsClient, IDisposable
{
    private readonly LazySdkClient<AmazonSecurityTokenServiceClient> _client = new(credentials, provider =>
    {
        var config = new AmazonSecurityTokenServiceConfig();
        SdkClientSupport.Configure(config, endpoint, retry);
        return new AmazonSecurityTokenServiceClient(provider, config);
    });

    public async Task<CallerIdentity> GetCallerIdentityAsync(CancellationToken cancellationToken)
    {
        var client = await _client.GetAsync(cancellationToken).ConfigureAwait(false);
        var response = await SdkClientSupport.CallAsync(
            AwsService.Sts, "GetCallerIdentity",
            () => client.GetCallerIdentityAsync(new GetCallerIdentityRequest(), cancellationToken), cancellationToken).ConfigureAwait(false);
        return new CallerIdentity(response.Account, response.Arn, response.UserId);
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>EC2 DescribeVpcAttribute and DescribeVpcEndpoints through AWSSDK.EC2.</summary>
public sealed class Ec2Client(AwsServiceEndpoint endpoint, AwsCredentialsSource credentials, AwsRetryPolicy retry) : IEc2Client, IDisposable
{
    private readonly LazySdkClient<AmazonEC2Client> _client = new(credentials, provider =>
    {
        var config = new AmazonEC2Config();
        SdkClientSupport.Configure(config, endpoint, retry);
        return new AmazonEC2Client(provider, config);
    });

    public async Task<VpcDnsAttributes> DescribeVpcDnsAttributesAsync(string vpcId, CancellationToken cancellationToken)
    {
        RequestValidation.NotEmpty("DescribeVpcAttribute", "vpcId", vpcId);
        var client = await _client.GetAsync(cancellationToken).ConfigureAwait(false);
        var support = await SdkClientSupport.CallAsync(
            AwsService.Ec2, "DescribeVpcAttribute",
            () => client.DescribeVpcAttributeAsync(new DescribeVpcAttributeRequest { VpcId = vpcId, Attribute = VpcAttributeName.EnableDnsSupport }, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var hostnames = await SdkClientSupport.CallAsync(
            AwsService.Ec2, "DescribeVpcAttribute",
            () => client.DescribeVpcAttributeAsync(new DescribeVpcAttributeRequest { VpcId = vpcId, Attribute = VpcAttributeName.EnableDnsHostnames }, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return new VpcDnsAttributes(vpcId, support.EnableDnsSupport, hostnames.EnableDnsHostnames);
    }

    public async Task<IReadOnlyList<VpcEndpointInfo>> DescribeVpcEndpointsAsync(string vpcId, string serviceName, CancellationToken cancellationToken)
    {
        RequestValidation.NotEmpty("DescribeVpcEndpoints", "vpcId", vpcId);
        RequestValidation.NotEmpty("DescribeVpcEndpoints", "serviceName", serviceName);
        var client = await _client.GetAsync(cancellationToken).ConfigureAwait(false);
        var guard = new PageTokenGuard(AwsService.Ec2.Id, "DescribeVpcEndpoints");
        var all = new List<VpcEndpointInfo>();
        string? token = null;
        do
        {
            var request = new DescribeVpcEndpointsRequest
            {
                Filters =
                [
                    new Filter("service-name", [serviceName]),
                    new Filter("vpc-id", [vpcId]),
                ],
                NextToken = token,
            };
            var page = await SdkClientSupport.CallAsync(
                AwsService.Ec2, "DescribeVpcEndpoints", () => client.DescribeVpcEndpointsAsync(request, cancellationToken), cancellationToken)
                .ConfigureAwait(false);
            foreach (var e in page.VpcEndpoints ?? [])
            {
                all.Add(new VpcEndpointInfo(
                    e.VpcEndpointId,
                    e.VpcId,
                    e.ServiceName,
                    e.VpcEndpointType?.Value,
                    e.State?.Value,
                    e.PrivateDnsEnabled,
                    e.OwnerId,
                    (e.Tags ?? []).GroupBy(t => t.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal)));
            }

            token = guard.Next(page.NextToken);
        }
        while (token is not null);
        return all;
    }

    public async Task<VpcInfo> DescribeVpcAsync(string vpcId, CancellationToken cancellationToken)
    {
        RequestValidation.NotEmpty("DescribeVpcs", "vpcId", vpcId);
        var client = await _client.GetAsync(cancellationToken).ConfigureAwait(false);
        var response = await SdkClientSupport.CallAsync(
            AwsService.Ec2, "DescribeVpcs",
            () => client.DescribeVpcsAsync(new DescribeVpcsRequest { VpcIds = [vpcId] }, cancellationToken),
            cancellationToken).ConfigureAwait(false);

        // EC2 answers an unknown ID with InvalidVpcID.NotFound; an empty answer is a VPC this caller cannot see.
        var vpc = (response.Vpcs ?? []).FirstOrDefault(v => v.VpcId == vpcId)
            ?? throw new AwsServiceException(AwsService.Ec2.Id, "DescribeVpcs", "InvalidVpcID.NotFound", $"DescribeVpcs did not return {vpcId}", null, response.ResponseMetadata?.RequestId);
        return new VpcInfo(vpc.VpcId, vpc.OwnerId);
    }

    public void Dispose() => _client.Dispose();
}
