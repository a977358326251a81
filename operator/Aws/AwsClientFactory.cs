using System.Collections.Concurrent;

namespace GuardDutyCoverage.Aws;

/// <summary>The four clients for one region and one set of endpoints.</summary>
public interface IAwsClients
{
    string Region { get; }

    IGuardDutyClient GuardDuty { get; }

    IEksClient Eks { get; }

    IStsClient Sts { get; }

    IEc2Client Ec2 { get; }
}

/// <summary>Makes (and keeps) clients per region and endpoints; the poller and the CLI get theirs here.</summary>
public interface IAwsClientFactory
{
    IAwsClients For(string region, AwsEndpointOverrides endpoints);
}

public sealed record AwsClientOptions
{
    public AwsRetryPolicy Retry { get; init; } = new();

    /// <summary>Use the FIPS endpoints where no override is given.</summary>
    public bool UseFips { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>The real clients: rest-json GuardDuty/EKS over one shared HttpClient, AWSSDK STS and EC2.</summary>
public sealed class AwsClientFactory(HttpClient http, AwsCredentialsSource credentials, AwsClientOptions options) : IAwsClientFactory, IDisposable
{
    private readonly ConcurrentDictionary<(string Region, AwsEndpointOverrides Endpoints), Clients> _clients = new();

    public IAwsClients For(string region, AwsEndpointOverrides endpoints) =>
        _clients.GetOrAdd((region, endpoints), key => Create(key.Region, key.Endpoints));

    /// <summary>An EventBridge client (notifications, opt-in) for a Region, on the same HTTP client and credentials.</summary>
    public IEventBridgeClient EventBridge(string region, Uri? endpoint = null) =>
        new EventBridgeClient(new AwsRestJsonClient(
            http,
            new AwsServiceEndpoint(AwsService.Events, region, endpoint ?? AwsEndpoints.Resolve(AwsService.Events, region, options.UseFips)),
            credentials,
            options.Retry,
            options.Time));

    public void Dispose()
    {
        foreach (var clients in _clients.Values)
        {
            clients.Dispose();
        }

        _clients.Clear();
    }

    private Clients Create(string region, AwsEndpointOverrides endpoints)
    {
        AwsServiceEndpoint Endpoint(AwsService service) =>
            new(service, region, AwsEndpoints.Resolve(service, region, options.UseFips, endpoints));

        return new Clients(
            region,
            new GuardDutyClient(new AwsRestJsonClient(http, Endpoint(AwsService.GuardDuty), credentials, options.Retry, options.Time)),
            new EksClient(new AwsRestJsonClient(http, Endpoint(AwsService.Eks), credentials, options.Retry, options.Time)),
            new StsClient(Endpoint(AwsService.Sts), credentials, options.Retry),
            new Ec2Client(Endpoint(AwsService.Ec2), credentials, options.Retry));
    }

    private sealed record Clients(string Region, IGuardDutyClient GuardDuty, IEksClient Eks, StsClient StsImpl, Ec2Client Ec2Impl) : IAwsClients, IDisposable
    {
        public IStsClient Sts => StsImpl;

        public IEc2Client Ec2 => Ec2Impl;

        public void Dispose()
        {
            StsImpl.Dispose();
            Ec2Impl.Dispose();
        }
    }
}
