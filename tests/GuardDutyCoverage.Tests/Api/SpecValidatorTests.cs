using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;

namespace GuardDutyCoverage.Tests.Api;

public sealed class SpecValidatorTests
{
    private static readonly OperatorOptions Options = new();

    [Fact]
    public void DefaultsAreValid()
    {
        var result = SpecValidator.Validate(new GuardDutyCoverageSpec { ClusterName = "prod-1" }, Options);
        Assert.True(result.IsValid, string.Join("; ", result.Problems));
        Assert.Equal(TimeSpan.FromMinutes(5), result.Interval);
    }

    [Fact]
    public void IntervalBeyondTheMaximumSaysWhatToChange()
    {
        var result = SpecValidator.Validate(new GuardDutyCoverageSpec { ClusterName = "c", Interval = "9999h" }, Options);
        Assert.Contains(result.Problems, p => p.StartsWith("spec.interval", StringComparison.Ordinal) && p.Contains("maximum"));
    }

    [Fact]
    public void UnwatchedAgentNamespaceNamesTheFlag()
    {
        var spec = new GuardDutyCoverageSpec { ClusterName = "c", Agent = new AgentSpec { Namespace = "security" } };
        var problem = Assert.Single(SpecValidator.Validate(spec, Options).Problems);
        Assert.Contains("--agent-namespaces", problem);
        Assert.Contains("\"security\"", problem);
    }

    [Fact]
    public void ApplyNeedsTheRemediationSwitch()
    {
        var spec = new GuardDutyCoverageSpec { ClusterName = "c", Remediation = new RemediationSpec { Mode = RemediationMode.Apply } };
        Assert.Contains("--remediation", Assert.Single(SpecValidator.Validate(spec, Options).Problems));
        Assert.True(SpecValidator.Validate(spec, Options with { RemediationEnabled = true }).IsValid);
    }

    [Fact]
    public void EndpointsMustBeAbsoluteUrls()
    {
        var spec = new GuardDutyCoverageSpec { ClusterName = "c", Endpoints = new EndpointsSpec { Eks = "http://" } };
        Assert.Contains("spec.endpoints.eks", Assert.Single(SpecValidator.Validate(spec, Options).Problems));
    }
}
