using System.Text.RegularExpressions;
using GuardDutyCoverage.Api;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>The offline snapshot source: a support bundle directory (<c>diagnose --bundle DIR</c>).</summary>
public sealed class BundleSnapshotSource(string directory) : ISnapshotSource
{
    private static readonly Regex ArnRegion = new(@"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d+):", RegexOptions.CultureInvariant);
    private static readonly Regex ServiceRegion = new(@"^com\.amazonaws\.([a-z]{2}(?:-[a-z]+)+-\d+)\.", RegexOptions.CultureInvariant);

    public string Directory { get; } = directory;

    public async Task<SnapshotLoadResult> LoadAsync(SnapshotRequest request, CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return SnapshotLoadResult.Failed($"bundle directory {Directory} does not exist");
        }

        var contents = await BundleLoader.LoadAsync(Directory, cancellationToken).ConfigureAwait(false);
        return Build(contents, request);
    }

    /// <summary>Picks the cluster and turns what the bundle holds into a snapshot.</summary>
    public static SnapshotLoadResult Build(BundleContents contents, SnapshotRequest request)
    {
        var errors = contents.Errors.ToList();
        if (!contents.HasKubernetesObjects && !contents.HasAwsData)
        {
            return SnapshotLoadResult.Failed(
                contents.FilesRead == 0 && errors.Count == 0
                    ? "nothing to diagnose: the bundle has no *.yaml, *.yml or *.json file"
                    : "nothing to diagnose: the bundle has no Kubernetes object of the agent's kinds and no AWS output",
                errors);
        }

        var clusterName = ClusterName(contents, request.ClusterName, out var nameError);
        if (clusterName is null)
        {
            return SnapshotLoadResult.Failed(nameError!, errors);
        }

        var declared = contents.Coverages.Where(c => c.Spec.ClusterName == clusterName).ToList();
        var spec = declared.Count == 1 ? declared[0].Spec : null;
        var cluster = contents.Clusters.Where(c => c.Cluster.Name == clusterName).Select(c => c.Cluster).FirstOrDefault()
            ?? (contents.Clusters.Count == 1 && contents.Clusters[0].Cluster.Name is null ? contents.Clusters[0].Cluster : null);
        var addon = contents.Addons.Where(a => a.Addon.AddonName == Catalog.AddonName && (a.Addon.ClusterName is null || a.Addon.ClusterName == clusterName)).OrderByDescending(a => a.CapturedAt).FirstOrDefault();
        var region = request.Region ?? spec?.Region ?? RegionOf(cluster?.Arn) ?? RegionOf(addon.Addon?.AddonArn)
            ?? contents.VpcEndpoints.Select(e => ServiceRegion.Match(e.Endpoint.ServiceName)).Where(m => m.Success).Select(m => m.Groups[1].Value).FirstOrDefault();

        var target = spec is null
            ? new DiagnosisTarget { ClusterName = clusterName, Region = region }
            : DiagnosisTarget.FromSpec(spec, region) with { Region = region };
        string? notChecked = null;
        if (!contents.CoverageListed && target.GuardDutyCheck)
        {
            target = target with { GuardDutyCheck = false };
            notChecked = "The bundle has no GuardDuty coverage data (aws guardduty list-coverage).";
        }

        var daemonSet = contents.DaemonSets.FirstOrDefault(d => d.Metadata?.NamespaceProperty == target.AgentNamespace && d.Metadata?.Name == target.DaemonSetName);
        var priorityClassName = contents.PriorityClasses.Any(p => p.Metadata?.Name == target.PriorityClassName)
            ? target.PriorityClassName
            : daemonSet?.Spec?.Template?.Spec?.PriorityClassName ?? target.PriorityClassName;
        var vpcId = cluster?.ResourcesVpcConfig?.VpcId;

        var snapshot = new ClusterSnapshot
        {
            Target = target,
            Now = request.Now,
            KubernetesObserved = contents.HasKubernetesObjects,
            UnobservedKinds = SnapshotKinds.All.Where(k => !contents.KindsSeen.Contains(k)).ToHashSet(StringComparer.Ordinal),
            ServerVersion = contents.ServerVersion,
            AgentNamespace = contents.Namespaces.FirstOrDefault(n => n.Metadata?.Name == target.AgentNamespace),
            AgentDaemonSet = daemonSet,
            AgentPods = contents.Pods.Where(p => p.Metadata?.NamespaceProperty == target.AgentNamespace).ToList(),
            PriorityClass = contents.PriorityClasses.FirstOrDefault(p => p.Metadata?.Name == priorityClassName),
            ClusterRoleBindings = contents.ClusterRoleBindings,
            ValidatingWebhooks = contents.ValidatingWebhooks,
            MutatingWebhooks = contents.MutatingWebhooks,
            AccessReviews = AccessReviews(contents, target),
            Nodes = contents.KindsSeen.Contains("Node") ? contents.Nodes : null,
            Events = contents.KindsSeen.Contains("Event") ? contents.Events : null,
            ResourceQuotas = contents.KindsSeen.Contains("ResourceQuota") ? contents.ResourceQuotas.Where(q => q.Metadata?.NamespaceProperty == target.AgentNamespace).ToList() : null,
            LimitRanges = contents.KindsSeen.Contains("LimitRange") ? contents.LimitRanges.Where(l => l.Metadata?.NamespaceProperty == target.AgentNamespace).ToList() : null,
            NetworkPolicies = contents.KindsSeen.Contains("NetworkPolicy") ? contents.NetworkPolicies.Where(p => p.Metadata?.NamespaceProperty == target.AgentNamespace).ToList() : null,
            Aws = Aws(contents, clusterName, region, cluster, addon, vpcId),
        };
        return new SnapshotLoadResult(snapshot, new DiagnosisOptions { InputErrors = errors, GuardDutyNotCheckedReason = notChecked }, null);
    }

    private static string? ClusterName(BundleContents contents, string? requested, out string? error)
    {
        error = null;
        if (!string.IsNullOrWhiteSpace(requested))
        {
            return requested;
        }

        var declared = contents.Coverages.Select(c => c.Spec.ClusterName).Distinct(StringComparer.Ordinal).ToList();
        if (declared.Count == 1)
        {
            return declared[0];
        }

        var covered = contents.CoverageResources.Select(r => r.Resource.ResourceDetails?.EksClusterDetails?.ClusterName)
            .OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (covered.Count == 1)
        {
            return covered[0];
        }

        if (covered.Count > 1)
        {
            error = $"--cluster-name is required: the bundle's coverage data lists {covered.Count} clusters ({string.Join(", ", covered)})";
            return null;
        }

        var eks = contents.Clusters.Select(c => c.Cluster.Name).Concat(contents.Addons.Select(a => a.Addon.ClusterName))
            .OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (eks.Count == 1)
        {
            return eks[0];
        }

        error = eks.Count > 1
            ? $"--cluster-name is required: the bundle's EKS data names {eks.Count} clusters ({string.Join(", ", eks.Order(StringComparer.Ordinal))})"
            : "--cluster-name is required: the bundle does not name the cluster (no GuardDuty coverage data, GuardDutyCoverage or EKS describe output)";
        return null;
    }

    private static List<AccessReviewResult>? AccessReviews(BundleContents contents, DiagnosisTarget target)
    {
        var results = new List<AccessReviewResult>();
        foreach (var probe in LiveProbes.AccessReviews(target))
        {
            var review = contents.AccessReviews.LastOrDefault(r =>
                r.Spec?.User == probe.User && r.Status is not null && r.Spec.ResourceAttributes is { } a &&
                a.Verb == probe.Verb && (a.Group ?? "") == probe.Group && a.Resource == probe.Resource &&
                (a.NamespaceProperty ?? null) == probe.Namespace && (a.Name is null || a.Name == probe.Name));
            if (review is not null)
            {
                // A denial that comes with an evaluation error says nothing certain about the permission.
                var evaluationError = !review.Status.Allowed && !string.IsNullOrEmpty(review.Status.EvaluationError) ? review.Status.EvaluationError : null;
                results.Add(new AccessReviewResult(probe, review.Status.Allowed, review.Status.Reason, evaluationError));
            }
        }

        return results.Count == 0 ? null : results;
    }

    private static AwsSnapshot? Aws(BundleContents contents, string clusterName, string? region, EksCluster? cluster, (EksAddon Addon, DateTimeOffset CapturedAt) addon, string? vpcId)
    {
        if (!contents.HasAwsData)
        {
            return null;
        }

        AwsObservation<CoverageResource>? coverage = null;
        if (contents.CoverageListed)
        {
            var match = contents.CoverageResources
                .Where(r => r.Resource.ResourceDetails?.EksClusterDetails?.ClusterName == clusterName)
                .OrderByDescending(r => r.Resource.UpdatedAt)
                .FirstOrDefault();
            coverage = match.Resource is not null
                ? AwsObservation<CoverageResource>.Success(match.Resource, match.CapturedAt)
                : AwsObservation<CoverageResource>.Success(null, contents.CoverageCapturedAt ?? DateTimeOffset.UnixEpoch);
        }

        var detector = contents.Detectors.OrderByDescending(d => d.CapturedAt).FirstOrDefault();
        var clusterCapture = contents.Clusters.FirstOrDefault(c => ReferenceEquals(c.Cluster, cluster));
        var versions = contents.AddonVersions;
        var attributes = contents.VpcAttributes.Where(a => vpcId is null || a.Attributes.VpcId == vpcId).ToList();
        var attributeVpc = attributes.Select(a => a.Attributes.VpcId).Distinct(StringComparer.Ordinal).ToList();
        AwsObservation<VpcDnsAttributes>? dns = null;
        if (attributeVpc.Count == 1)
        {
            dns = AwsObservation<VpcDnsAttributes>.Success(
                new VpcDnsAttributes(attributeVpc[0],
                    attributes.Select(a => a.Attributes.EnableDnsSupport).LastOrDefault(v => v is not null),
                    attributes.Select(a => a.Attributes.EnableDnsHostnames).LastOrDefault(v => v is not null)),
                attributes.Max(a => a.CapturedAt));
        }

        AwsObservation<IReadOnlyList<VpcEndpointInfo>>? endpoints = null;
        if (contents.VpcEndpointsListed)
        {
            var inVpc = contents.VpcEndpoints.Select(e => e.Endpoint).Where(e => vpcId is null || e.VpcId == vpcId).ToList();
            endpoints = AwsObservation<IReadOnlyList<VpcEndpointInfo>>.Success(inVpc, contents.VpcEndpointsCapturedAt ?? DateTimeOffset.UnixEpoch);
        }

        // ListCoverage rows of EC2 instances (the EC2 agent) when the bundle's list-coverage holds any.
        var ec2Rows = contents.CoverageResources.Where(r => r.Resource.ResourceDetails?.Ec2InstanceDetails is not null).ToList();
        var vpc = contents.Vpcs.Where(v => vpcId is null || v.Vpc.VpcId == vpcId).OrderByDescending(v => v.CapturedAt).FirstOrDefault();

        return new AwsSnapshot
        {
            Region = region,
            AccountId = contents.CoverageResources.Select(r => r.Resource.AccountId).FirstOrDefault(a => a is not null) ?? AccountOf(cluster?.Arn),
            DetectorId = contents.CoverageResources.Select(r => r.Resource.DetectorId).FirstOrDefault(a => a is not null),
            Coverage = coverage,
            Detector = detector.Detector is null ? null : AwsObservation<GetDetectorResponse>.Success(detector.Detector, detector.CapturedAt),
            Addon = addon.Addon is null ? null : AwsObservation<EksAddon>.Success(addon.Addon, addon.CapturedAt),
            Cluster = cluster is null ? null : AwsObservation<EksCluster>.Success(cluster, clusterCapture.CapturedAt),
            AddonVersions = versions.Count == 0 ? null : AwsObservation<IReadOnlyList<AddonVersionInfo>>.Success(versions.Select(v => v.Version).ToList(), versions.Max(v => v.CapturedAt)),
            VpcDns = dns,
            GuardDutyDataEndpoints = endpoints,
            Ec2Coverage = ec2Rows.Count == 0 ? null : AwsObservation<IReadOnlyList<CoverageResource>>.Success(ec2Rows.Select(r => r.Resource).ToList(), ec2Rows.Max(r => r.CapturedAt)),
            Vpc = vpc.Vpc is null ? null : AwsObservation<VpcInfo>.Success(vpc.Vpc, vpc.CapturedAt),
        };
    }

    private static string? AccountOf(string? arn)
    {
        var parts = arn?.Split(':');
        return parts is { Length: > 4 } && parts[4].Length > 0 ? parts[4] : null;
    }

    private static string? RegionOf(string? arn)
    {
        var match = arn is null ? null : ArnRegion.Match(arn);
        return match is { Success: true } ? match.Groups[1].Value : null;
    }
}
