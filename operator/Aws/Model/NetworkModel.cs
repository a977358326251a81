namespace GuardDutyCoverage.Aws.Model;

/// <summary>STS GetCallerIdentity.</summary>
public sealed record CallerIdentity(string Account, string Arn, string UserId);

/// <summary>EC2 DescribeVpcAttribute for the two DNS attributes GuardDuty's VPC endpoint needs (null: not read).</summary>
public sealed record VpcDnsAttributes(string VpcId, bool? EnableDnsSupport, bool? EnableDnsHostnames);

/// <summary>One EC2 VPC endpoint, as DescribeVpcEndpoints reports it.</summary>
public sealed record VpcEndpointInfo(
    string VpcEndpointId,
    string VpcId,
    string ServiceName,
    string? VpcEndpointType,
    string? State,
    bool? PrivateDnsEnabled,
    string? OwnerId,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>EC2 DescribeVpcs: the VPC and the account that owns it (another account's for a shared VPC).</summary>
public sealed record VpcInfo(string VpcId, string? OwnerId);
