using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Tests.Api;

/// <summary><c>spec.endpoints</c> may only send the operator's signed requests to AWS, unless the operator allows more.</summary>
public sealed class EndpointPolicyTests
{
    [Theory]
    [InlineData("GuardDuty", "https://guardduty.us-east-1.amazonaws.com")]
    [InlineData("GuardDuty", "https://guardduty-fips.us-gov-west-1.amazonaws.com/")]
    [InlineData("GuardDuty", "https://guardduty.cn-north-1.amazonaws.com.cn")]
    [InlineData("GuardDuty", "https://guardduty.eu-west-1.api.aws")]
    [InlineData("GuardDuty", "https://vpce-0123456789abcdef0-abcdefgh.guardduty.us-east-1.vpce.amazonaws.com")]
    [InlineData("GuardDuty", "https://vpce-0123456789abcdef0-abcdefgh-us-east-1a.guardduty.us-east-1.vpce.amazonaws.com")]
    [InlineData("EKS", "https://fips.eks.us-east-1.amazonaws.com")]
    [InlineData("EKS", "https://eks.ap-southeast-2.amazonaws.com")]
    [InlineData("EKS", "https://EKS.US-EAST-1.AMAZONAWS.COM.")]
    [InlineData("EC2", "https://ec2-fips.us-east-1.amazonaws.com")]
    [InlineData("EC2", "https://ec2.us-east-1.api.aws")]
    [InlineData("STS", "https://sts.amazonaws.com")]
    public void TheServicesOwnHttpsEndpointsAreAllowedByDefault(string service, string url) =>
        Assert.True(AwsEndpointPolicy.Allows(Service(service), new Uri(url), OriginAllowList.Empty), url);

    [Theory]
    [InlineData("GuardDuty", "http://guardduty.us-east-1.amazonaws.com", "plain HTTP")]
    [InlineData("GuardDuty", "https://guardduty.us-east-1.amazonaws.com:8443", "another port")]
    [InlineData("GuardDuty", "https://eks.us-east-1.amazonaws.com", "another service's endpoint")]
    [InlineData("GuardDuty", "https://abcdef1234.execute-api.us-east-1.amazonaws.com", "API Gateway: any customer's code")]
    [InlineData("GuardDuty", "https://my-bucket.s3.us-east-1.amazonaws.com", "an S3 bucket")]
    [InlineData("GuardDuty", "https://vpce-0123-abcd.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com", "a customer PrivateLink service")]
    [InlineData("GuardDuty", "https://guardduty.us-east-1.amazonaws.com.evil.example", "a look-alike")]
    [InlineData("GuardDuty", "https://xguardduty.us-east-1.amazonaws.com", "another first label")]
    [InlineData("GuardDuty", "http://127.0.0.1:8080/gd", "loopback")]
    [InlineData("GuardDuty", "https://169.254.169.254", "instance metadata")]
    [InlineData("EKS", "https://kubernetes.default.svc", "an in-cluster service")]
    [InlineData("EC2", "https://user:pw@ec2.us-east-1.amazonaws.com", "user info")]
    public void EverythingElseIsRefusedByDefault(string service, string url, string what) =>
        Assert.False(AwsEndpointPolicy.Allows(Service(service), new Uri(url), OriginAllowList.Empty), what);

    [Fact]
    public void TheOperatorsAllowListAddsOrigins()
    {
        var allowed = OriginAllowList.Parse(" http://127.0.0.1 , https://*.corp.example:8443,http://[::1]:9000", "--allowed-aws-endpoints");
        Assert.Equal(["http://127.0.0.1", "https://*.corp.example:8443", "http://[::1]:9000"], allowed.Entries);
        Assert.True(allowed.Allows(new Uri("http://127.0.0.1:41234/gd")));
        Assert.False(allowed.Allows(new Uri("https://127.0.0.1:41234")));
        Assert.True(allowed.Allows(new Uri("https://guardduty.vpce.corp.example:8443")));
        Assert.False(allowed.Allows(new Uri("https://corp.example:8443")));
        Assert.False(allowed.Allows(new Uri("https://x.corp.example")));
        Assert.False(allowed.Allows(new Uri("https://x.corp.example.evil:8443")));
        Assert.True(allowed.Allows(new Uri("http://[0:0:0:0:0:0:0:1]:9000")));
        Assert.False(allowed.Allows(new Uri("http://[::1]:9001")));
    }

    [Theory]
    [InlineData("127.0.0.1", "must start with http:// or https://")]
    [InlineData("ftp://x.example", "must start with http:// or https://")]
    [InlineData("https://x.example/path", "origin only")]
    [InlineData("https://u@x.example", "origin only")]
    [InlineData("https://x.example:99999", "invalid port")]
    [InlineData("https://a.*.example", "invalid host")]
    [InlineData("https://", "origin only")]
    public void ABadAllowListEntryIsAClearError(string entry, string expected)
    {
        var error = Assert.Throws<FormatException>(() => OriginAllowList.Parse(entry, "--allowed-aws-endpoints"));
        Assert.Contains(expected, error.Message);
        Assert.StartsWith("--allowed-aws-endpoints", error.Message);
    }

    [Fact]
    public void ADisallowedEndpointIsEndpointNotAllowedNamingTheFieldAndTheFlag()
    {
        var spec = new GuardDutyCoverageSpec { ClusterName = "c", Endpoints = new EndpointsSpec { Ec2 = "http://10.0.0.1:8080" } };
        var result = SpecValidator.Validate(spec, new OperatorOptions());
        Assert.False(result.IsValid);
        Assert.Equal(StatusComposer.EndpointNotAllowedReason, result.Reason);
        var problem = Assert.Single(result.Problems);
        Assert.Contains("spec.endpoints.ec2 \"http://10.0.0.1:8080\"", problem);
        Assert.Contains("--allowed-aws-endpoints", problem);
        Assert.Contains("aws.allowedEndpoints", problem);

        var allowed = new OperatorOptions { AllowedAwsEndpoints = OriginAllowList.Parse("http://10.0.0.1:8080", "f") };
        Assert.True(SpecValidator.Validate(spec, allowed).IsValid);

        var status = StatusComposer.InvalidSpec(result.Problems, null, 3, DateTimeOffset.UnixEpoch, result.Reason);
        Assert.Equal(StatusComposer.EndpointNotAllowedReason, status.Conditions.Find(ConditionTypes.Stalled)!.Reason);
        Assert.Equal(StatusComposer.EndpointNotAllowedReason, status.Conditions.Find(ConditionTypes.Ready)!.Reason);
    }

    [Fact]
    public void OtherProblemsStayInvalidSpecAndAQueryIsRefused()
    {
        var spec = new GuardDutyCoverageSpec { ClusterName = "c", Endpoints = new EndpointsSpec { GuardDuty = "https://guardduty.us-east-1.amazonaws.com/?x=1" } };
        var result = SpecValidator.Validate(spec, new OperatorOptions());
        Assert.Equal(StatusComposer.InvalidSpecReason, result.Reason);
        Assert.Contains("query", Assert.Single(result.Problems));

        var allowed = new GuardDutyCoverageSpec { ClusterName = "c", Endpoints = new EndpointsSpec { GuardDuty = "https://guardduty-fips.us-east-1.amazonaws.com" } };
        Assert.True(SpecValidator.Validate(allowed, new OperatorOptions()).IsValid);
    }

    private static AwsService Service(string id) => id switch
    {
        "GuardDuty" => AwsService.GuardDuty,
        "EKS" => AwsService.Eks,
        "EC2" => AwsService.Ec2,
        _ => AwsService.Sts,
    };
}
