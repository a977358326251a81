using GuardDutyCoverage.Util;
using In = GuardDutyCoverage.Diagnosis;
using Wire = GuardDutyCoverage.Aws.Model;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// Maps what the Aws project read (its wire models) to the diagnosis input types, member by member: the Diagnosis
/// project references no AWS code, so this is the one place where the two meet (the live controller, <c>diagnose</c>
/// on a live cluster, and the support-bundle reader all come through here). A JSON array may hold nulls
/// (<c>"features": [null]</c>, found by the bundle fuzzer): they carry nothing and are dropped, never dereferenced.
/// </summary>
public static class DiagnosisInputs
{
    public static In.AwsSnapshot ToDiagnosis(this Aws.AwsPollSnapshot polled) => new()
    {
        Region = polled.Region,
        AccountId = polled.AccountId,
        DetectorId = polled.DetectorId,
        Coverage = polled.Coverage?.Map(value => value.ToDiagnosis()),
        Detector = polled.Detector?.Map(value => value.ToDiagnosis()),
        Addon = polled.Addon?.Map(value => value.ToDiagnosis()),
        Cluster = polled.Cluster?.Map(value => value.ToDiagnosis()),
        AddonVersions = polled.AddonVersions?.Map(IReadOnlyList<In.AddonVersionInfo> (value) => value.Where(item => item is not null).Select(item => item.ToDiagnosis()).ToList()),
        VpcDns = polled.VpcDns?.Map(value => value.ToDiagnosis()),
        GuardDutyDataEndpoints = polled.GuardDutyDataEndpoints?.Map(IReadOnlyList<In.VpcEndpointInfo> (value) => value.Where(item => item is not null).Select(item => item.ToDiagnosis()).ToList()),
        Ec2Coverage = polled.Ec2Coverage?.Map(IReadOnlyList<In.CoverageResource> (value) => value.Where(item => item is not null).Select(item => item.ToDiagnosis()).ToList()),
        Vpc = polled.Vpc?.Map(value => value.ToDiagnosis()),
    };

    public static In.VpcDnsAttributes ToDiagnosis(this Wire.VpcDnsAttributes wire) =>
        new(wire.VpcId, wire.EnableDnsSupport, wire.EnableDnsHostnames);

    public static In.VpcEndpointInfo ToDiagnosis(this Wire.VpcEndpointInfo wire) =>
        new(wire.VpcEndpointId, wire.VpcId, wire.ServiceName, wire.VpcEndpointType, wire.State, wire.PrivateDnsEnabled, wire.OwnerId, wire.Tags);

    public static In.VpcInfo ToDiagnosis(this Wire.VpcInfo wire) => new(wire.VpcId, wire.OwnerId);

    public static In.EksCluster ToDiagnosis(this Wire.EksCluster wire) => new()
    {
        Name = wire.Name,
        Arn = wire.Arn,
        CreatedAt = wire.CreatedAt,
        Version = wire.Version,
        Endpoint = wire.Endpoint,
        ResourcesVpcConfig = wire.ResourcesVpcConfig?.ToDiagnosis(),
        Status = wire.Status,
        PlatformVersion = wire.PlatformVersion,
        Tags = wire.Tags,
        Health = wire.Health?.ToDiagnosis(),
        OutpostConfig = wire.OutpostConfig?.ToDiagnosis(),
    };

    public static In.VpcConfigResponse ToDiagnosis(this Wire.VpcConfigResponse wire) => new()
    {
        SubnetIds = wire.SubnetIds,
        SecurityGroupIds = wire.SecurityGroupIds,
        ClusterSecurityGroupId = wire.ClusterSecurityGroupId,
        VpcId = wire.VpcId,
        EndpointPublicAccess = wire.EndpointPublicAccess,
        EndpointPrivateAccess = wire.EndpointPrivateAccess,
    };

    public static In.OutpostConfigResponse ToDiagnosis(this Wire.OutpostConfigResponse wire) => new()
    {
        OutpostArns = wire.OutpostArns,
        ControlPlaneInstanceType = wire.ControlPlaneInstanceType,
    };

    public static In.ClusterHealth ToDiagnosis(this Wire.ClusterHealth wire) => new()
    {
        Issues = wire.Issues?.Where(item => item is not null).Select(item => item.ToDiagnosis()).ToList(),
    };

    public static In.ClusterIssue ToDiagnosis(this Wire.ClusterIssue wire) => new()
    {
        Code = wire.Code,
        Message = wire.Message,
        ResourceIds = wire.ResourceIds,
    };

    public static In.EksAddon ToDiagnosis(this Wire.EksAddon wire) => new()
    {
        AddonName = wire.AddonName,
        ClusterName = wire.ClusterName,
        Status = wire.Status,
        AddonVersion = wire.AddonVersion,
        Health = wire.Health?.ToDiagnosis(),
        AddonArn = wire.AddonArn,
        CreatedAt = wire.CreatedAt,
        ModifiedAt = wire.ModifiedAt,
        ServiceAccountRoleArn = wire.ServiceAccountRoleArn,
        Tags = wire.Tags,
        Publisher = wire.Publisher,
        Owner = wire.Owner,
        ConfigurationValues = wire.ConfigurationValues,
        PodIdentityAssociations = wire.PodIdentityAssociations,
    };

    public static In.AddonHealth ToDiagnosis(this Wire.AddonHealth wire) => new()
    {
        Issues = wire.Issues?.Where(item => item is not null).Select(item => item.ToDiagnosis()).ToList(),
    };

    public static In.AddonIssue ToDiagnosis(this Wire.AddonIssue wire) => new()
    {
        Code = wire.Code,
        Message = wire.Message,
        ResourceIds = wire.ResourceIds,
    };

    public static In.AddonVersionInfo ToDiagnosis(this Wire.AddonVersionInfo wire) => new()
    {
        AddonVersion = wire.AddonVersion,
        Architecture = wire.Architecture,
        ComputeTypes = wire.ComputeTypes,
        Compatibilities = wire.Compatibilities?.Where(item => item is not null).Select(item => item.ToDiagnosis()).ToList(),
        RequiresConfiguration = wire.RequiresConfiguration,
        RequiresIamPermissions = wire.RequiresIamPermissions,
    };

    public static In.Compatibility ToDiagnosis(this Wire.Compatibility wire) => new()
    {
        ClusterVersion = wire.ClusterVersion,
        PlatformVersions = wire.PlatformVersions,
        DefaultVersion = wire.DefaultVersion,
    };

    public static In.GetDetectorResponse ToDiagnosis(this Wire.GetDetectorResponse wire) => new()
    {
        CreatedAt = wire.CreatedAt,
        FindingPublishingFrequency = wire.FindingPublishingFrequency,
        ServiceRole = wire.ServiceRole,
        Status = wire.Status,
        UpdatedAt = wire.UpdatedAt,
        Tags = wire.Tags,
        Features = wire.Features?.Where(item => item is not null).Select(item => item.ToDiagnosis()).ToList(),
    };

    public static In.DetectorFeatureConfigurationResult ToDiagnosis(this Wire.DetectorFeatureConfigurationResult wire) => new()
    {
        Name = wire.Name,
        Status = wire.Status,
        UpdatedAt = wire.UpdatedAt,
        AdditionalConfiguration = wire.AdditionalConfiguration?.Where(item => item is not null).Select(item => item.ToDiagnosis()).ToList(),
    };

    public static In.DetectorAdditionalConfigurationResult ToDiagnosis(this Wire.DetectorAdditionalConfigurationResult wire) => new()
    {
        Name = wire.Name,
        Status = wire.Status,
        UpdatedAt = wire.UpdatedAt,
    };

    public static In.CoverageResource ToDiagnosis(this Wire.CoverageResource wire) => new()
    {
        ResourceId = wire.ResourceId,
        DetectorId = wire.DetectorId,
        AccountId = wire.AccountId,
        ResourceDetails = wire.ResourceDetails?.ToDiagnosis(),
        CoverageStatus = wire.CoverageStatus,
        Issue = wire.Issue,
        UpdatedAt = wire.UpdatedAt,
    };

    public static In.CoverageResourceDetails ToDiagnosis(this Wire.CoverageResourceDetails wire) => new()
    {
        EksClusterDetails = wire.EksClusterDetails?.ToDiagnosis(),
        EcsClusterDetails = wire.EcsClusterDetails?.ToDiagnosis(),
        Ec2InstanceDetails = wire.Ec2InstanceDetails?.ToDiagnosis(),
        ResourceType = wire.ResourceType,
    };

    public static In.CoverageEksClusterDetails ToDiagnosis(this Wire.CoverageEksClusterDetails wire) => new()
    {
        ClusterName = wire.ClusterName,
        CoveredNodes = wire.CoveredNodes,
        CompatibleNodes = wire.CompatibleNodes,
        AddonDetails = wire.AddonDetails?.ToDiagnosis(),
        ManagementType = wire.ManagementType,
    };

    public static In.AddonDetails ToDiagnosis(this Wire.AddonDetails wire) => new()
    {
        AddonVersion = wire.AddonVersion,
        AddonStatus = wire.AddonStatus,
    };

    public static In.CoverageEcsClusterDetails ToDiagnosis(this Wire.CoverageEcsClusterDetails wire) => new()
    {
        ClusterName = wire.ClusterName,
        FargateDetails = wire.FargateDetails?.ToDiagnosis(),
        ContainerInstanceDetails = wire.ContainerInstanceDetails?.ToDiagnosis(),
    };

    public static In.FargateDetails ToDiagnosis(this Wire.FargateDetails wire) => new()
    {
        Issues = wire.Issues,
        ManagementType = wire.ManagementType,
    };

    public static In.ContainerInstanceDetails ToDiagnosis(this Wire.ContainerInstanceDetails wire) => new()
    {
        CoveredContainerInstances = wire.CoveredContainerInstances,
        CompatibleContainerInstances = wire.CompatibleContainerInstances,
    };

    public static In.CoverageEc2InstanceDetails ToDiagnosis(this Wire.CoverageEc2InstanceDetails wire) => new()
    {
        InstanceId = wire.InstanceId,
        InstanceType = wire.InstanceType,
        ClusterArn = wire.ClusterArn,
        AgentDetails = wire.AgentDetails?.ToDiagnosis(),
        ManagementType = wire.ManagementType,
    };

    public static In.AgentDetails ToDiagnosis(this Wire.AgentDetails wire) => new()
    {
        Version = wire.Version,
    };
}
