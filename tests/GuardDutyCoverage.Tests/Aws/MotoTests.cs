using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Aws;
using Xunit.Abstractions;

namespace GuardDutyCoverage.Tests.Aws;

/// <summary>A moto server on a free loopback port, started once for the class and stopped (by its process id) after it.</summary>
public sealed class MotoServer : IAsyncLifetime
{
    private Process? _process;

    public Uri Endpoint { get; private set; } = null!;

    public JsonNode Seed { get; private set; } = null!;

    public TimeSpan StartupTime { get; private set; }

    public async Task InitializeAsync()
    {
        if (PythonTools.WhyNoMoto is not null)
        {
            return;
        }

        var started = Stopwatch.StartNew();
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}");
            probe.Stop();
        }

        var start = new ProcessStartInfo("python3")
        {
            ArgumentList = { "-m", "moto.server", "-H", "127.0.0.1", "-p", Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Ready when its HTTP API answers; polled, with a generous deadline.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            Assert.False(_process.HasExited, "moto.server exited at start");
            try
            {
                using var response = await http.GetAsync(new Uri(Endpoint, "/moto-api/"), deadline.Token);
                if (response.IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
        }

        StartupTime = started.Elapsed;
        Seed = JsonNode.Parse(await PythonTools.RunAsync(PythonTools.Script("moto_seed.py"), "", null, Endpoint.ToString(), "us-east-1"))!;
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(30));
        }

        _process?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The clients against moto, a real implementation of ListDetectors, GetDetector, STS, EKS DescribeCluster and EC2.</summary>
public sealed class MotoTests(MotoServer moto, ITestOutputHelper output) : IClassFixture<MotoServer>, IDisposable
{
    private readonly HttpClient _http = new();
    private readonly AwsCredentialsSource _credentials = AwsCredentialsSource.Static(new AwsCredentialValues("testing", "testing", "session-token"));
    private AwsClientFactory? _factory;

    private AwsClientFactory Factory => _factory ??= new AwsClientFactory(_http, _credentials, new AwsClientOptions { Retry = LocalAws.FastRetry() });

    private IAwsClients Clients => Factory.For("us-east-1", AwsEndpointOverrides.All(moto.Endpoint));

    public void Dispose()
    {
        _factory?.Dispose();
        _credentials.Dispose();
        _http.Dispose();
    }

    [MotoFact]
    public async Task DetectorsAreDiscoveredAndReadWithTheirFeatures()
    {
        output.WriteLine($"moto ready after {moto.StartupTime.TotalMilliseconds:0} ms");
        var detectorId = (string)moto.Seed["detectorId"]!;
        var detectors = await Clients.GuardDuty.ListAllDetectorsAsync(default);
        Assert.Equal([detectorId], detectors);
        Assert.Equal(detectorId, await DetectorDiscovery.ResolveAsync(Clients.GuardDuty, null, "us-east-1", default));
        var detector = await Clients.GuardDuty.GetDetectorAsync(detectorId, default);
        Assert.Equal("ENABLED", detector.Status);
        var runtime = Assert.Single(detector.Features!, f => f.Name == "RUNTIME_MONITORING");
        Assert.Equal("ENABLED", runtime.Status);
        Assert.Equal("EKS_ADDON_MANAGEMENT", Assert.Single(runtime.AdditionalConfiguration!).Name);
        Assert.False(string.IsNullOrEmpty(detector.CreatedAt));
    }

    [MotoFact]
    public async Task NoDetectorInARegionIsGuardDutyNotEnabled()
    {
        var clients = Factory.For("eu-north-1", AwsEndpointOverrides.All(moto.Endpoint));
        var error = await Assert.ThrowsAsync<GuardDutyNotEnabledException>(() => DetectorDiscovery.ResolveAsync(clients.GuardDuty, null, "eu-north-1", default));
        Assert.Equal("GuardDuty is not enabled in eu-north-1: ListDetectors returned no detector", error.Message);
    }

    [MotoFact]
    public async Task CallerIdentityComesFromStsThroughAwssdk()
    {
        var identity = await Clients.Sts.GetCallerIdentityAsync(default);
        Assert.Matches(@"^\d{12}$", identity.Account);
        Assert.StartsWith("arn:aws:", identity.Arn);
    }

    [MotoFact]
    public async Task ClustersAreDescribedAndAMissingOneIsNotFound()
    {
        var cluster = await Clients.Eks.DescribeClusterAsync("prod-1", default);
        Assert.True(cluster.Found);
        Assert.Equal("1.31", cluster.Value!.Version);
        Assert.Equal("ACTIVE", cluster.Value.Status);
        Assert.Single(cluster.Value.ResourcesVpcConfig!.SubnetIds!);
        Assert.NotNull(cluster.Value.CreatedAt);
        var missing = await Clients.Eks.DescribeClusterAsync("nope", default);
        Assert.False(missing.Found);
        Assert.False(string.IsNullOrEmpty(missing.NotFoundReason));
    }

    [MotoFact]
    public async Task VpcDnsAttributesAndGuardDutyEndpointsComeFromEc2ThroughAwssdk()
    {
        var vpcId = (string)moto.Seed["vpcId"]!;
        var dns = await Clients.Ec2.DescribeVpcDnsAttributesAsync(vpcId, default);
        Assert.Equal(new GuardDutyCoverage.Aws.Model.VpcDnsAttributes(vpcId, true, false), dns);
        var endpoints = await Clients.Ec2.DescribeVpcEndpointsAsync(vpcId, "com.amazonaws.us-east-1.guardduty-data", default);
        var endpoint = Assert.Single(endpoints);
        Assert.Equal((string)moto.Seed["vpcEndpointId"]!, endpoint.VpcEndpointId);
        Assert.Equal("true", endpoint.Tags["GuardDutyManaged"]);
        Assert.Equal("Interface", endpoint.VpcEndpointType, ignoreCase: true);
        Assert.True(endpoint.PrivateDnsEnabled);
        var error = await Assert.ThrowsAsync<AwsServiceException>(() => Clients.Ec2.DescribeVpcDnsAttributesAsync("vpc-00000000", default));
        Assert.Equal("EC2", error.Service);
        Assert.Equal("DescribeVpcAttribute", error.Operation);
        Assert.Contains("InvalidVpcID.NotFound", error.Message);
    }

    [MotoFact]
    public async Task TheVpcOwnerComesFromDescribeVpcsThroughAwssdk()
    {
        var vpcId = (string)moto.Seed["vpcId"]!;
        var vpc = await Clients.Ec2.DescribeVpcAsync(vpcId, default);
        Assert.Equal(vpcId, vpc.VpcId);
        // moto's VPCs belong to the caller's account: a VPC of one's own is not VpcOwnedByAnotherAccount.
        Assert.Equal((await Clients.Sts.GetCallerIdentityAsync(default)).Account, vpc.OwnerId);
        var error = await Assert.ThrowsAsync<AwsServiceException>(() => Clients.Ec2.DescribeVpcAsync("vpc-00000000", default));
        Assert.Equal("DescribeVpcs", error.Operation);
        Assert.Contains("InvalidVpcID.NotFound", error.Message);
    }
}
