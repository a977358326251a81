using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>
/// What AWS says about one cluster, as input to the diagnosis (in its own types, AwsInputs.cs; the controller and the
/// bundle reader map the AWS answers to them). A null member means that check is switched off or
/// does not apply (for example no VPC known yet); a member with <see cref="AwsObservation{T}.Error"/> means it was
/// attempted and failed.
/// </summary>
public sealed record AwsSnapshot
{
    public string? Region { get; init; }

    public string? AccountId { get; init; }

    public string? DetectorId { get; init; }

    /// <summary>The cluster's CoverageResource from GuardDuty ListCoverage (Found=false: not listed).</summary>
    public AwsObservation<CoverageResource>? Coverage { get; init; }

    /// <summary>GuardDuty GetDetector: Runtime Monitoring features and automated agent configuration.</summary>
    public AwsObservation<GetDetectorResponse>? Detector { get; init; }

    /// <summary>EKS DescribeAddon of aws-guardduty-agent (Found=false: add-on not installed).</summary>
    public AwsObservation<EksAddon>? Addon { get; init; }

    /// <summary>EKS DescribeCluster (version, VPC, outpostConfig).</summary>
    public AwsObservation<EksCluster>? Cluster { get; init; }

    /// <summary>EKS DescribeAddonVersions for aws-guardduty-agent and the cluster's Kubernetes version.</summary>
    public AwsObservation<IReadOnlyList<AddonVersionInfo>>? AddonVersions { get; init; }

    /// <summary>EC2 DescribeVpcAttribute (enableDnsSupport, enableDnsHostnames) of the cluster's VPC.</summary>
    public AwsObservation<VpcDnsAttributes>? VpcDns { get; init; }

    /// <summary>EC2 DescribeVpcEndpoints for com.amazonaws.&lt;region&gt;.guardduty-data in the cluster's VPC.</summary>
    public AwsObservation<IReadOnlyList<VpcEndpointInfo>>? GuardDutyDataEndpoints { get; init; }

    /// <summary>GuardDuty ListCoverage rows of RESOURCE_TYPE EC2 (instances with the EC2 agent); null when not read.</summary>
    public AwsObservation<IReadOnlyList<CoverageResource>>? Ec2Coverage { get; init; }

    /// <summary>EC2 DescribeVpcs of the cluster's VPC (its owner account); null when not read.</summary>
    public AwsObservation<VpcInfo>? Vpc { get; init; }
}
