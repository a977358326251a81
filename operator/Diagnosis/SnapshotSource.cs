namespace GuardDutyCoverage.Diagnosis;

/// <summary>What the <c>diagnose</c> command asks a snapshot source for.</summary>
/// <param name="ClusterName">--cluster-name, or null to let the source pick the only cluster it knows.</param>
/// <param name="Region">--region, or null for the source's own knowledge.</param>
/// <param name="Now">The diagnosis time.</param>
public sealed record SnapshotRequest(string? ClusterName, string? Region, DateTimeOffset Now);

/// <summary>A snapshot ready to diagnose, or why there is none.</summary>
/// <param name="Snapshot">Null when there is nothing to diagnose; <paramref name="UsageError"/> says why.</param>
/// <param name="Options">Input errors and other facts about the input the report must show.</param>
public sealed record SnapshotLoadResult(ClusterSnapshot? Snapshot, DiagnosisOptions Options, string? UsageError)
{
    public static SnapshotLoadResult Failed(string usageError, IReadOnlyList<InputError>? inputErrors = null) =>
        new(null, new DiagnosisOptions { InputErrors = inputErrors ?? [] }, usageError);
}

/// <summary>
/// Where <c>diagnose</c> gets its snapshot: a support bundle (<see cref="BundleSnapshotSource"/>) or a live cluster
/// (<c>--kubeconfig</c>/<c>--context</c>, the controller's reads), both diagnosed by the same engine.
/// </summary>
public interface ISnapshotSource
{
    Task<SnapshotLoadResult> LoadAsync(SnapshotRequest request, CancellationToken cancellationToken);
}
