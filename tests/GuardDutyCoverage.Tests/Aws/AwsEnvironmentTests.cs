using GuardDutyCoverage.Aws;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GuardDutyCoverage.Tests.Aws;

/// <summary>Endpoints per partition and FIPS, region resolution order, and instance-metadata region lookup.</summary>
public sealed class AwsEnvironmentTests
{
    [Theory]
    [InlineData("GuardDuty", "us-east-1", false, "https://guardduty.us-east-1.amazonaws.com/")]
    [InlineData("GuardDuty", "cn-north-1", false, "https://guardduty.cn-north-1.amazonaws.com.cn/")]
    [InlineData("GuardDuty", "us-east-1", true, "https://guardduty-fips.us-east-1.amazonaws.com/")]
    [InlineData("GuardDuty", "us-gov-west-1", true, "https://guardduty.us-gov-west-1.amazonaws.com/")]
    [InlineData("EKS", "eu-west-1", false, "https://eks.eu-west-1.amazonaws.com/")]
    [InlineData("EKS", "us-east-1", true, "https://fips.eks.us-east-1.amazonaws.com/")]
    [InlineData("EKS", "us-gov-east-1", true, "https://eks.us-gov-east-1.amazonaws.com/")]
    [InlineData("EKS", "us-iso-east-1", true, "https://eks-fips.us-iso-east-1.c2s.ic.gov/")]
    [InlineData("EKS", "us-isob-east-1", false, "https://eks.us-isob-east-1.sc2s.sgov.gov/")]
    [InlineData("STS", "eusc-de-east-1", false, "https://sts.eusc-de-east-1.amazonaws.eu/")]
    [InlineData("EC2", "cn-northwest-1", false, "https://ec2.cn-northwest-1.amazonaws.com.cn/")]
    public void StandardEndpointsFollowThePartition(string service, string region, bool fips, string expected)
    {
        var svc = new[] { AwsService.GuardDuty, AwsService.Eks, AwsService.Sts, AwsService.Ec2 }.Single(s => s.Id == service);
        Assert.Equal(expected, AwsEndpoints.Resolve(svc, region, fips).ToString());
    }

    [Fact]
    public void OverridesWinAndBadInputIsAClearError()
    {
        var overrides = new AwsEndpointOverrides(GuardDuty: new Uri("https://vpce-1.guardduty.us-east-1.vpce.amazonaws.com"));
        Assert.Equal("vpce-1.guardduty.us-east-1.vpce.amazonaws.com", AwsEndpoints.Resolve(AwsService.GuardDuty, "us-east-1", false, overrides).Host);
        Assert.Equal("eks.us-east-1.amazonaws.com", AwsEndpoints.Resolve(AwsService.Eks, "us-east-1", false, overrides).Host);
        Assert.Contains("not an AWS Region", Assert.Throws<AwsConfigurationException>(() => AwsEndpoints.Resolve(AwsService.Eks, "evil.com/x", false)).Message);
        Assert.Contains("not an absolute http(s) URL", Assert.Throws<AwsConfigurationException>(() => AwsEndpointOverrides.ParseEndpoint("ftp://x", "--endpoint-url")).Message);
        Assert.Contains("must not have a query", Assert.Throws<AwsConfigurationException>(() => AwsEndpointOverrides.ParseEndpoint("http://x/?a=b", "--endpoint-url")).Message);
    }

    [Fact]
    public async Task RegionComesFromExplicitThenEnvironmentThenInstanceMetadata()
    {
        var env = new Dictionary<string, string?> { ["AWS_REGION"] = "eu-west-1", ["AWS_DEFAULT_REGION"] = "eu-central-1" };
        var resolver = new AwsRegionResolver(name => env.GetValueOrDefault(name), null);
        Assert.Equal("ap-south-1", await resolver.ResolveAsync("ap-south-1", default));
        Assert.Equal("eu-west-1", await resolver.ResolveAsync(null, default));
        env.Remove("AWS_REGION");
        Assert.Equal("eu-central-1", await resolver.ResolveAsync("", default));
        env.Remove("AWS_DEFAULT_REGION");
        var none = await Assert.ThrowsAsync<AwsConfigurationException>(() => resolver.ResolveAsync(null, default));
        Assert.Contains("--region", none.Message);
        Assert.Contains("AWS_REGION or AWS_DEFAULT_REGION", none.Message);
        Assert.Contains("instance metadata", none.Message);
        env["AWS_REGION"] = "not a region";
        Assert.Contains("from AWS_REGION", (await Assert.ThrowsAsync<AwsConfigurationException>(() => resolver.ResolveAsync(null, default))).Message);
    }

    [Fact]
    public async Task InstanceMetadataRegionUsesImdsV2()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        var tokenRequests = 0;
        app.MapPut("/latest/api/token", (HttpContext context) =>
        {
            Interlocked.Increment(ref tokenRequests);
            return context.Request.Headers["X-aws-ec2-metadata-token-ttl-seconds"] == "21600" ? Results.Text("tok") : Results.StatusCode(400);
        });
        app.MapGet("/latest/meta-data/placement/region", (HttpContext context) =>
            context.Request.Headers["X-aws-ec2-metadata-token"] == "tok" ? Results.Text("sa-east-1") : Results.StatusCode(401));
        await app.StartAsync();
        using var http = new HttpClient();
        var endpoint = app.Urls.First();
        // The protocol is under test, not the 1 s budget: a loaded machine may take longer to serve a first request
        // (this failed once in 7 soak runs at load 30 with the default).
        var imds = ImdsRegionSource.FromEnvironment(http, name => name == "AWS_EC2_METADATA_SERVICE_ENDPOINT" ? endpoint : null, TimeSpan.FromSeconds(30))!;
        var resolver = new AwsRegionResolver(_ => null, imds);
        Assert.Equal("sa-east-1", await resolver.ResolveAsync(null, default));
        Assert.Equal(1, tokenRequests);
        Assert.Null(ImdsRegionSource.FromEnvironment(http, name => name == "AWS_EC2_METADATA_DISABLED" ? "true" : null));
        await app.StopAsync();
        var gone = new ImdsRegionSource(http, new Uri(endpoint));
        Assert.Null(await gone.GetRegionAsync(default));
    }

    [Fact]
    public async Task TheDefaultCredentialChainReadsEnvironmentCredentialsWithTheirSessionToken()
    {
        // The SDK's chain reads process-wide variables; this is the only test that sets them, and it restores them.
        // Instance metadata is switched off so nothing here can reach beyond loopback.
        var names = new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_EC2_METADATA_DISABLED" };
        var saved = names.ToDictionary(n => n, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "ASIAENVTEST");
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "env/secret");
            Environment.SetEnvironmentVariable("AWS_SESSION_TOKEN", "env-token");
            Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
            using var source = AwsCredentialsSource.DefaultChain();
            var values = await source.GetAsync(default);
            Assert.Equal(new AwsCredentialValues("ASIAENVTEST", "env/secret", "env-token"), values);
            Assert.DoesNotContain("env/secret", values.ToString());
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
