using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using k8s.Models;

namespace GuardDutyCoverage.Runtime;

public sealed record LeaderElectionOptions
{
    public required string LeaseName { get; init; }

    public required string LeaseNamespace { get; init; }

    /// <summary>Unique per process (pod name + random suffix), as it appears in the Lease's holderIdentity.</summary>
    public required string Identity { get; init; }

    /// <summary>How long non-leaders wait after the last observed change before taking over.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps retrying a failed renewal before it gives up leadership.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Interval between attempts to acquire or renew.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>On graceful shutdown, hand the lease back so a successor need not wait for it to expire.</summary>
    public bool ReleaseOnCancel { get; init; } = true;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(LeaseName);
        ArgumentException.ThrowIfNullOrEmpty(LeaseNamespace);
        ArgumentException.ThrowIfNullOrEmpty(Identity);
        if (LeaseDuration <= RenewDeadline)
        {
            throw new ArgumentException("the lease duration must be greater than the renew deadline");
        }

        if (RenewDeadline <= TimeSpan.FromTicks((long)(LeaderElector.JitterFactor * RetryPeriod.Ticks)))
        {
            throw new ArgumentException($"the renew deadline must be greater than retry period × {LeaderElector.JitterFactor}");
        }

        if (RetryPeriod <= TimeSpan.Zero)
        {
            throw new ArgumentException("the retry period must be positive");
        }
    }
}

/// <summary>Reads and writes the one Lease used for leader election.</summary>
public interface ILeaseStore
{
    Task<V1Lease?> GetAsync(CancellationToken cancellationToken);

    /// <summary>Creates the Lease; <see cref="KubeApiException"/> 409 AlreadyExists when someone was faster.</summary>
    Task<V1Lease> CreateAsync(V1Lease lease, CancellationToken cancellationToken);

    /// <summary>Replaces the Lease conditionally on its metadata.resourceVersion; 409 Conflict when stale.</summary>
    Task<V1Lease> UpdateAsync(V1Lease lease, CancellationToken cancellationToken);
}

/// <summary>The Lease in the API server (coordination.k8s.io/v1).</summary>
public sealed class KubeLeaseStore(KubeApiClient client, string namespaceName, string name) : ILeaseStore
{
    public Task<V1Lease?> GetAsync(CancellationToken cancellationToken) =>
        client.GetAsync(KubeResources.Leases, name, namespaceName, cancellationToken);

    public Task<V1Lease> CreateAsync(V1Lease lease, CancellationToken cancellationToken) =>
        client.CreateAsync(KubeResources.Leases, lease, null, cancellationToken);

    public Task<V1Lease> UpdateAsync(V1Lease lease, CancellationToken cancellationToken) =>
        client.UpdateAsync(KubeResources.Leases, lease, null, cancellationToken);
}

public enum LeaderElectionResult
{
    /// <summary>Cancelled by the caller (graceful shutdown); the lease was released if configured.</summary>
    Stopped,

    /// <summary>Renewal failed past the renew deadline, or another identity took the lease: the process must exit.</summary>
    Lost,
}

/// <summary>
/// client-go's leader election on a Lease: acquire when the lease is free or its holder has not renewed for a lease
/// duration (measured on the local clock from when this process last saw the record change, so clock skew between
/// nodes does not matter); renew every retry period with optimistic concurrency (a 409 just means "re-read next
/// time"); give up leadership when renewals keep failing for the renew deadline.
/// </summary>
public sealed class LeaderElector : IDisposable
{
    internal const double JitterFactor = 1.2;

    private readonly ILeaseStore store;
    private readonly TimeProvider time;
    private readonly RuntimeMetrics? metrics;
    private readonly ILogger logger;
    private readonly Random random;
    private readonly Lock gate = new();
    private readonly TaskCompletionSource leading = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource leadershipEnded = new();
    private V1Lease? observedLease;
    private V1LeaseSpec? observedRecord;
    private DateTimeOffset observedTime;
    private bool isLeader;

    public LeaderElector(ILeaseStore store, LeaderElectionOptions options, TimeProvider? timeProvider = null, RuntimeMetrics? metrics = null, ILogger? logger = null, Random? random = null)
    {
        options.Validate();
        this.store = store;
        Options = options;
        time = timeProvider ?? TimeProvider.System;
        this.metrics = metrics;
        this.logger = logger ?? NullLogger.Instance;
        this.random = random ?? new Random();
        metrics?.LeaderElectionMasterStatus.Set(0, options.LeaseName);
    }

    public LeaderElector(KubeApiClient client, LeaderElectionOptions options, TimeProvider? timeProvider = null, RuntimeMetrics? metrics = null, ILogger? logger = null)
        : this(new KubeLeaseStore(client, options.LeaseNamespace, options.LeaseName), options, timeProvider, metrics, logger)
    {
    }

    public LeaderElectionOptions Options { get; }

    public bool IsLeader
    {
        get
        {
            lock (gate)
            {
                return isLeader;
            }
        }
    }

    /// <summary>The holder this process last saw in the Lease (itself when leading).</summary>
    public string? ObservedLeader
    {
        get
        {
            lock (gate)
            {
                return observedRecord?.HolderIdentity;
            }
        }
    }

    /// <summary>Completes when this process becomes the leader.</summary>
    public Task WaitForLeadershipAsync(CancellationToken cancellationToken) => leading.Task.WaitAsync(cancellationToken);

    /// <summary>Cancelled when leadership ends (lost or released): work that needs leadership runs under it.</summary>
    public CancellationToken LeadershipEnded => leadershipEnded.Token;

    /// <summary>Acquires, then renews until cancelled (released when configured) or lost. Runs once per instance.</summary>
    public async Task<LeaderElectionResult> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!await AcquireAsync(cancellationToken).ConfigureAwait(false))
            {
                return LeaderElectionResult.Stopped;
            }

            var result = await RenewLoopAsync(cancellationToken).ConfigureAwait(false);
            if (result == LeaderElectionResult.Stopped && Options.ReleaseOnCancel)
            {
                await ReleaseAsync().ConfigureAwait(false);
            }

            return result;
        }
        finally
        {
            SetLeader(false);
            await leadershipEnded.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One attempt to acquire or renew (client-go's tryAcquireOrRenew). True when this process holds the lease
    /// afterwards. Failures (conflicts, API errors) are logged and reported as false.
    /// </summary>
    public async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var now = MicroTime.Truncate(time.GetUtcNow());
        var duration = (int)Math.Ceiling(Options.LeaseDuration.TotalSeconds);
        try
        {
            var lease = await store.GetAsync(cancellationToken).ConfigureAwait(false);
            if (lease is null)
            {
                var created = await store.CreateAsync(
                    new V1Lease
                    {
                        ApiVersion = KubeResources.Leases.ApiVersion,
                        Kind = KubeResources.Leases.Kind,
                        Metadata = new V1ObjectMeta { Name = Options.LeaseName, NamespaceProperty = Options.LeaseNamespace },
                        Spec = new V1LeaseSpec
                        {
                            HolderIdentity = Options.Identity,
                            LeaseDurationSeconds = duration,
                            AcquireTime = now,
                            RenewTime = now,
                            LeaseTransitions = 0,
                        },
                    },
                    cancellationToken).ConfigureAwait(false);
                Observe(created, time.GetUtcNow());
                return true;
            }

            var record = lease.Spec ?? new V1LeaseSpec();
            lock (gate)
            {
                observedLease = lease;
                if (!SameRecord(observedRecord, record))
                {
                    if (observedRecord?.HolderIdentity != record.HolderIdentity)
                    {
                        logger.LogInformation("Lease {Namespace}/{Name}: leader is now \"{Holder}\"", Options.LeaseNamespace, Options.LeaseName, record.HolderIdentity);
                    }

                    observedRecord = record;
                    observedTime = time.GetUtcNow();
                }
            }

            var holder = record.HolderIdentity ?? "";
            var heldByMe = holder == Options.Identity;
            var recordDuration = TimeSpan.FromSeconds(record.LeaseDurationSeconds ?? duration);
            if (holder.Length > 0 && !heldByMe && observedTime + recordDuration > time.GetUtcNow())
            {
                return false;
            }

            var updated = new V1Lease
            {
                ApiVersion = lease.ApiVersion ?? KubeResources.Leases.ApiVersion,
                Kind = lease.Kind ?? KubeResources.Leases.Kind,
                Metadata = lease.Metadata,
                Spec = new V1LeaseSpec
                {
                    HolderIdentity = Options.Identity,
                    LeaseDurationSeconds = duration,
                    AcquireTime = heldByMe ? record.AcquireTime ?? now : now,
                    RenewTime = now,
                    LeaseTransitions = heldByMe ? record.LeaseTransitions ?? 0 : (record.LeaseTransitions ?? 0) + 1,
                    Strategy = record.Strategy,
                    PreferredHolder = record.PreferredHolder,
                },
            };
            var stored = await store.UpdateAsync(updated, cancellationToken).ConfigureAwait(false);
            Observe(stored, time.GetUtcNow());
            return true;
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            logger.LogDebug("Lease {Namespace}/{Name}: {Message}; re-reading", Options.LeaseNamespace, Options.LeaseName, e.Message);
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            logger.LogWarning("Lease {Namespace}/{Name}: acquire or renew failed: {Message}", Options.LeaseNamespace, Options.LeaseName, e.Message);
            return false;
        }
    }

    /// <summary>Hands the lease back (empty holder, 1 s duration) if this process holds it.</summary>
    public async Task<bool> ReleaseAsync(CancellationToken cancellationToken = default)
    {
        V1Lease? lease;
        V1LeaseSpec? record;
        lock (gate)
        {
            lease = observedLease;
            record = observedRecord;
        }

        if (lease is null || record?.HolderIdentity != Options.Identity)
        {
            return false;
        }

        var now = MicroTime.Truncate(time.GetUtcNow());
        using var timeout = new CancellationTokenSource(Options.RenewDeadline, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var released = await store.UpdateAsync(
                new V1Lease
                {
                    ApiVersion = lease.ApiVersion ?? KubeResources.Leases.ApiVersion,
                    Kind = lease.Kind ?? KubeResources.Leases.Kind,
                    Metadata = lease.Metadata,
                    Spec = new V1LeaseSpec
                    {
                        HolderIdentity = "",
                        LeaseDurationSeconds = 1,
                        AcquireTime = now,
                        RenewTime = now,
                        LeaseTransitions = record.LeaseTransitions ?? 0,
                    },
                },
                linked.Token).ConfigureAwait(false);
            Observe(released, time.GetUtcNow());
            logger.LogInformation("Lease {Namespace}/{Name}: released by {Identity}", Options.LeaseNamespace, Options.LeaseName, Options.Identity);
            return true;
        }
        catch (Exception e) when (e is KubeApiException or HttpRequestException or OperationCanceledException or IOException)
        {
            logger.LogWarning("Lease {Namespace}/{Name}: release failed: {Message}", Options.LeaseNamespace, Options.LeaseName, e.Message);
            return false;
        }
    }

    private async Task<bool> AcquireAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Lease {Namespace}/{Name}: {Identity} is trying to acquire leadership", Options.LeaseNamespace, Options.LeaseName, Options.Identity);
        while (!cancellationToken.IsCancellationRequested)
        {
            bool acquired;
            using (var attempt = new CancellationTokenSource(Options.RenewDeadline, time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attempt.Token))
            {
                try
                {
                    acquired = await TryAcquireOrRenewAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    acquired = false;
                }
            }

            if (acquired)
            {
                SetLeader(true);
                logger.LogInformation("Lease {Namespace}/{Name}: {Identity} acquired leadership", Options.LeaseNamespace, Options.LeaseName, Options.Identity);
                return true;
            }

            if (!await DelayAsync(NextAttemptDelay(), cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return false;
    }

    private async Task<LeaderElectionResult> RenewLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!await DelayAsync(Options.RetryPeriod, cancellationToken).ConfigureAwait(false))
            {
                return LeaderElectionResult.Stopped;
            }

            // Keep trying every retry period until the renew deadline; past it another candidate may already lead.
            var deadline = time.GetUtcNow() + Options.RenewDeadline;
            using var round = new CancellationTokenSource(Options.RenewDeadline, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, round.Token);
            var renewed = false;
            while (!renewed)
            {
                try
                {
                    renewed = await TryAcquireOrRenewAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    renewed = false;
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    return LeaderElectionResult.Stopped;
                }

                if (renewed || time.GetUtcNow() >= deadline)
                {
                    break;
                }

                if (!await DelayAsync(Options.RetryPeriod, linked.Token).ConfigureAwait(false))
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        return LeaderElectionResult.Stopped;
                    }

                    break;
                }
            }

            if (!renewed)
            {
                logger.LogError("Lease {Namespace}/{Name}: {Identity} failed to renew within {Deadline}; leadership lost", Options.LeaseNamespace, Options.LeaseName, Options.Identity, Options.RenewDeadline);
                return LeaderElectionResult.Lost;
            }
        }
    }

    public void Dispose() => leadershipEnded.Dispose();

    private void Observe(V1Lease lease, DateTimeOffset now)
    {
        lock (gate)
        {
            observedLease = lease;
            observedRecord = lease.Spec;
            observedTime = now;
        }
    }

    private void SetLeader(bool value)
    {
        lock (gate)
        {
            isLeader = value;
        }

        metrics?.LeaderElectionMasterStatus.Set(value ? 1 : 0, Options.LeaseName);
        if (value)
        {
            leading.TrySetResult();
        }
    }

    private static bool SameRecord(V1LeaseSpec? a, V1LeaseSpec? b) =>
        a is not null && b is not null &&
        a.HolderIdentity == b.HolderIdentity &&
        a.LeaseDurationSeconds == b.LeaseDurationSeconds &&
        a.LeaseTransitions == b.LeaseTransitions &&
        a.AcquireTime == b.AcquireTime &&
        a.RenewTime == b.RenewTime;

    /// <summary>
    /// The retry period (jittered), or less when the lease another holder has, as observed, expires sooner: a standby
    /// then tries right when it may take over instead of up to a retry period later (a failover within the lease
    /// duration plus the time to reconcile, not plus a retry period). One extra GET at most; safety is unchanged, since
    /// expiry is still judged from the local observation time.
    /// </summary>
    private TimeSpan NextAttemptDelay()
    {
        var delay = Jittered(Options.RetryPeriod);
        lock (gate)
        {
            if (observedRecord is { HolderIdentity.Length: > 0 } record && record.HolderIdentity != Options.Identity)
            {
                var expiry = observedTime + TimeSpan.FromSeconds(record.LeaseDurationSeconds ?? (int)Math.Ceiling(Options.LeaseDuration.TotalSeconds));
                var untilExpiry = expiry - time.GetUtcNow();
                if (untilExpiry > TimeSpan.Zero && untilExpiry < delay)
                {
                    return untilExpiry;
                }
            }
        }

        return delay;
    }

    private TimeSpan Jittered(TimeSpan period) =>
        period + TimeSpan.FromTicks((long)(period.Ticks * (JitterFactor - 1) * random.NextDouble()));

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
