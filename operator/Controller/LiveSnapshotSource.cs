using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using k8s;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// <c>diagnose --kubeconfig</c>: the operator's reconcile, once, without informers — direct reads, the same probes, one
/// AWS pass. The target comes from the cluster's GuardDutyCoverage when there is one, otherwise from the flags.
/// </summary>
public sealed class LiveSnapshotSource(
    KubernetesClientConfiguration configuration,
    IAwsClientFactory awsClients,
    AwsRegionResolver regions,
    AwsEndpointOverrides endpoints,
    TimeProvider time) : ISnapshotSource
{
    public async Task<SnapshotLoadResult> LoadAsync(SnapshotRequest request, CancellationToken cancellationToken)
    {
        using var kubernetes = new Kubernetes(configuration);
        var client = new KubeApiClient(kubernetes);
        try
        {
            await OperatorHost.PreflightAsync(client, configuration.Host, cancellationToken).ConfigureAwait(false);
        }
        catch (PreflightException e) when (e.Message.Contains("CRD", StringComparison.Ordinal))
        {
            // A cluster without the operator can still be diagnosed from flags.
        }
        catch (PreflightException e)
        {
            return SnapshotLoadResult.Failed(e.Message);
        }

        var coverages = await ListCoveragesAsync(client, cancellationToken).ConfigureAwait(false);
        var declared = request.ClusterName is null
            ? coverages.Count == 1 ? coverages[0] : null
            : coverages.FirstOrDefault(c => c.Spec.ClusterName == request.ClusterName);
        if (declared is null && request.ClusterName is null)
        {
            return SnapshotLoadResult.Failed(coverages.Count == 0
                ? "--cluster-name is required (the cluster has no GuardDutyCoverage to take it from)"
                : $"--cluster-name is required: the cluster declares {coverages.Count} GuardDutyCoverages ({string.Join(", ", coverages.Select(c => c.Spec.ClusterName))})");
        }

        var spec = declared?.Spec ?? new GuardDutyCoverageSpec { ClusterName = request.ClusterName! };
        if (request.Region is not null)
        {
            spec = spec with { Region = request.Region };
        }

        var target = DiagnosisTarget.FromSpec(spec, Environment.GetEnvironmentVariable("AWS_REGION"));
        var objects = await new DirectClusterReader(client).ReadAsync(target, cancellationToken).ConfigureAwait(false);
        var probes = await new ProbeRunner(client, time, NullLogger.Instance).RunOnceAsync(target, objects, cancellationToken).ConfigureAwait(false);
        var version = await new ServerVersionSource(client, time).GetAsync(cancellationToken).ConfigureAwait(false);

        AwsSnapshot? aws = null;
        if (spec.Checks.GuardDuty || spec.Checks.EksAddon)
        {
            var poller = new CoveragePoller(awsClients, regions, time);
            poller.Register(new CoverageInterest(
                "diagnose", spec.ClusterName, spec.Region, spec.AccountId, spec.DetectorId, endpoints, Durations.Minimum, spec.Checks.GuardDuty, spec.Checks.EksAddon,
                NodeInstances.Of(objects.Nodes)));
            await poller.PollDueAsync(cancellationToken).ConfigureAwait(false);
            aws = poller.Snapshot("diagnose")?.ToDiagnosis();
        }

        var snapshot = SnapshotBuilder.Build(target, objects, probes, aws, version, DiagnosisMemory.None, time.GetUtcNow());
        return new SnapshotLoadResult(snapshot, new DiagnosisOptions(), null);
    }

    private static async Task<IReadOnlyList<V1Alpha1GuardDutyCoverage>> ListCoveragesAsync(KubeApiClient client, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.ListAllAsync(CoverageResources.Coverages, null, null, cancellationToken).ConfigureAwait(false)).Items;
        }
        catch (KubeApiException e) when (e.IsNotFound || e.IsForbidden)
        {
            return [];
        }
    }
}
