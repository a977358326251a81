using System.Threading.Channels;
using GuardDutyCoverage.Aws.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardDutyCoverage.Aws;

/// <summary>What one GuardDutyCoverage wants from AWS. <see cref="Key"/> identifies the CR (its name).</summary>
/// <param name="Region">Null: the operator's region (AWS_REGION, instance metadata).</param>
/// <param name="AccountId">Null: the caller's account (STS). Used to pick the cluster's row in ListCoverage.</param>
/// <param name="DetectorId">Null: the region's detector (ListDetectors).</param>
/// <param name="GuardDuty">ListCoverage, GetDetector and the VPC endpoint reads (DescribeCluster for the VPC).</param>
/// <param name="EksAddon">DescribeAddon, DescribeCluster and DescribeAddonVersions.</param>
/// <param name="NodeInstanceIds">
/// EC2 instance IDs of the cluster's nodes (from <c>spec.providerID</c>): their ListCoverage rows of RESOURCE_TYPE EC2
/// are read (an EC2 agent beside the EKS agent); null or empty: none are read.
/// </param>
public sealed record CoverageInterest(
    string Key,
    string ClusterName,
    string? Region,
    string? AccountId,
    string? DetectorId,
    AwsEndpointOverrides Endpoints,
    TimeSpan Interval,
    bool GuardDuty = true,
    bool EksAddon = true,
    IReadOnlyList<string>? NodeInstanceIds = null);

/// <summary>What the reconciler needs from the poller (a seam for tests).</summary>
public interface ICoverageObservations
{
    void Register(CoverageInterest interest);

    void Unregister(string key);

    AwsPollSnapshot? Snapshot(string key);
}

public sealed record CoveragePollerOptions
{
    /// <summary>Polls are never more frequent than this, whatever a CR asks.</summary>
    public TimeSpan MinimumInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Each next poll is delayed by up to this fraction of its interval, so many operators do not poll in step.</summary>
    public double JitterFraction { get; init; } = 0.1;

    /// <summary>Returns a number in [0, 1) for the jitter; tests make it fixed.</summary>
    public Func<double> Jitter { get; init; } = Random.Shared.NextDouble;

    /// <summary>Cluster targets read in parallel at most.</summary>
    public int MaxParallelClusterReads { get; init; } = 4;
}

/// <summary>
/// The shared AWS poller. Whatever the number of CRs, it makes at most one ListCoverage pass (all pages,
/// RESOURCE_TYPE = EKS) per (region, detector, GuardDuty endpoint) per interval (the caller's credentials fix the
/// account), and one round of add-on/cluster/VPC reads per cluster per interval; the interval of a target is the
/// shortest of the CRs interested in it, plus jitter. Results are kept as <see cref="AwsObservation{T}"/>: a failure
/// keeps the last value and marks it stale. <see cref="Changes"/> names the CRs with new AWS data.
/// </summary>
public sealed class CoveragePoller(IAwsClientFactory clients, AwsRegionResolver regions, TimeProvider time, CoveragePollerOptions? options = null)
    : ICoverageObservations
{
    public const string GuardDutyAgentAddon = DescribeAddonVersionsRequest.GuardDutyAgentAddonName;

    /// <summary>Instance IDs per ListCoverage filter (one INSTANCE_ID criterion with this many values).</summary>
    public const int InstanceIdsPerRequest = 50;

    private readonly CoveragePollerOptions _options = options ?? new();
    private readonly object _gate = new();
    private readonly Dictionary<string, CoverageInterest> _interests = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Target<CallerIdentity>> _identities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Target<string>> _detectors = new(StringComparer.Ordinal);
    private readonly Dictionary<CoverageKey, CoverageTarget> _coverage = [];
    private readonly Dictionary<ClusterKey, ClusterTarget> _clusters = [];

    /// <summary>CRs whose node instances changed: their detector's EC2 rows are read at the next pass, due or not.</summary>
    private readonly HashSet<string> _instancesChanged = new(StringComparer.Ordinal);
    private readonly Channel<string> _changes = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = false });
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);

    // UTC ticks of the start of the running (or last) pass; 0 before the first. Next due times count from when a pass started, not
    // when its calls returned: slow AWS calls (or a clock that moved meanwhile) do not push every later poll back.
    private long _passStartTicks;
    private AwsObservation<string>? _defaultRegion;

    /// <summary>CR keys whose AWS data changed (a poll of something they depend on completed).</summary>
    public ChannelReader<string> Changes => _changes.Reader;

    /// <summary>Gets each failure in full (the SDK's exception chain) at debug level; statuses get one sentence.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Told of every failed AWS read (after the client's retries), for the AWS error metric.</summary>
    public Action<AwsException>? Failures { get; init; }

    public void Register(CoverageInterest interest)
    {
        lock (_gate)
        {
            if (interest.NodeInstanceIds is { Count: > 0 } ids
                && (!_interests.TryGetValue(interest.Key, out var previous) || !(previous.NodeInstanceIds ?? []).SequenceEqual(ids, StringComparer.Ordinal)))
            {
                _instancesChanged.Add(interest.Key);
            }

            _interests[interest.Key] = interest with { Interval = Clamp(interest.Interval) };
        }

        _wake.Release();
    }

    public void Unregister(string key)
    {
        lock (_gate)
        {
            _interests.Remove(key);
            _instancesChanged.Remove(key);
        }
    }

    /// <summary>Runs until cancelled: polls what is due, then sleeps until the next due time or a new registration.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var next = await PollDueAsync(cancellationToken).ConfigureAwait(false);
            var wait = next is { } due ? due - time.GetUtcNow() : Timeout.InfiniteTimeSpan;
            if (wait == Timeout.InfiniteTimeSpan || wait > TimeSpan.Zero)
            {
                using var sleep = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var woken = _wake.WaitAsync(sleep.Token);
                var timer = Task.Delay(wait, time, sleep.Token);
                // A clock that passed the due time between reading it and arming the timer would leave the timer due
                // an interval late: poll now instead. Once armed, the timer fires for any later move of the clock.
                if (next is not { } dueAt || time.GetUtcNow() < dueAt)
                {
                    await Task.WhenAny(woken, timer).ConfigureAwait(false);
                }

                await sleep.CancelAsync().ConfigureAwait(false);
                try
                {
                    await Task.WhenAll(woken, timer).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The other of the two waits was cut short: that is the point.
                }
            }

            while (_wake.CurrentCount > 0 && _wake.Wait(0))
            {
                // Registrations that arrived while polling are covered by the next pass.
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Polls every target that is due now (new targets are due at once). Returns when the next one is due.</summary>
    public async Task<DateTimeOffset?> PollDueAsync(CancellationToken cancellationToken)
    {
        List<CoverageInterest> interests;
        lock (_gate)
        {
            interests = [.. _interests.Values];
        }

        var changed = new HashSet<string>(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        Volatile.Write(ref _passStartTicks, now.UtcTicks);

        // 1. Regions of CRs that do not name one.
        if (interests.Any(i => i.Region is null) && (_defaultRegion is null || !_defaultRegion.Succeeded))
        {
            AwsObservation<string> resolved;
            try
            {
                resolved = AwsObservation<string>.Success(await regions.ResolveAsync(null, cancellationToken).ConfigureAwait(false), now);
            }
            catch (AwsException e)
            {
                resolved = Failed<string>(null, e);
            }

            lock (_gate)
            {
                _defaultRegion = resolved;
            }

            changed.UnionWith(interests.Where(i => i.Region is null).Select(i => i.Key));
        }

        var placed = interests.Select(i => (Interest: i, Region: i.Region ?? _defaultRegion?.Value)).Where(p => p.Region is not null).ToList();

        // 2. Caller identity and detector discovery, per region and endpoints.
        foreach (var group in placed.GroupBy(p => ScopeKey(p.Region!, p.Interest.Endpoints)))
        {
            var (region, endpoints) = (group.First().Region!, group.First().Interest.Endpoints);
            var interval = group.Min(p => p.Interest.Interval);
            var api = clients.For(region, endpoints);
            // The caller identity only serves CRs that leave the account to it.
            if (group.Any(p => p.Interest.AccountId is null)
                && await PollAsync(_identities, group.Key, interval, ct => api.Sts.GetCallerIdentityAsync(ct), cancellationToken).ConfigureAwait(false))
            {
                changed.UnionWith(group.Select(p => p.Interest.Key));
            }

            var discovering = group.Where(p => p.Interest.GuardDuty && p.Interest.DetectorId is null).ToList();
            if (discovering.Count > 0
                && await PollAsync(_detectors, group.Key, discovering.Min(p => p.Interest.Interval), ct => DetectorDiscovery.ResolveAsync(api.GuardDuty, null, region, ct), cancellationToken).ConfigureAwait(false))
            {
                changed.UnionWith(discovering.Select(p => p.Interest.Key));
            }
        }

        // 3. One ListCoverage pass (and GetDetector) per region, detector and endpoint.
        var coverageGroups = placed
            .Where(p => p.Interest.GuardDuty)
            .Select(p => (p.Interest, Key: CoverageKeyOf(p.Interest, p.Region!)))
            .Where(p => p.Key is not null)
            .GroupBy(p => p.Key!.Value);
        foreach (var group in coverageGroups)
        {
            CoverageTarget target;
            lock (_gate)
            {
                target = _coverage.TryGetValue(group.Key, out var existing) ? existing : _coverage[group.Key] = new CoverageTarget();
            }

            var api = clients.For(group.Key.Region, group.First().Interest.Endpoints);
            var instanceIds = group.SelectMany(p => p.Interest.NodeInstanceIds ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            bool instancesChanged;
            lock (_gate)
            {
                instancesChanged = group.Any(p => _instancesChanged.Remove(p.Interest.Key));
            }

            if (target.NextDue > now)
            {
                if (instancesChanged && instanceIds.Count > 0)
                {
                    // New nodes: their EC2 rows now, the rest of the pass when it is due.
                    var rows = await Observe(target.Ec2Rows, ct => ListEc2RowsAsync(api.GuardDuty, group.Key.DetectorId, instanceIds, ct), cancellationToken).ConfigureAwait(false);
                    lock (_gate)
                    {
                        target.Ec2Rows = rows;
                    }

                    changed.UnionWith(group.Select(p => p.Interest.Key));
                }

                continue;
            }

            var coverage = await Observe(target.Resources, ct => api.GuardDuty.ListAllCoverageAsync(group.Key.DetectorId, new ListCoverageRequest
            {
                MaxResults = 50,
                FilterCriteria = new CoverageFilterCriteria
                {
                    FilterCriterion = [new CoverageFilterCriterion { CriterionKey = "RESOURCE_TYPE", FilterCondition = new CoverageFilterCondition { EqualsValues = [ResourceTypeValues.Eks] } }],
                },
            }, null, ct), cancellationToken).ConfigureAwait(false);
            var detector = await Observe(target.Detector, ct => api.GuardDuty.GetDetectorAsync(group.Key.DetectorId, ct), cancellationToken).ConfigureAwait(false);
            var ec2Rows = instanceIds.Count == 0
                ? null
                : await Observe(target.Ec2Rows, ct => ListEc2RowsAsync(api.GuardDuty, group.Key.DetectorId, instanceIds, ct), cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                target.Resources = coverage;
                target.Detector = detector;
                target.Ec2Rows = ec2Rows;
                target.Passes++;
                target.NextDue = Next(group.Min(p => p.Interest.Interval));
            }

            changed.UnionWith(group.Select(p => p.Interest.Key));
        }

        // 4. Cluster, add-on and VPC reads, per cluster.
        var clusterGroups = placed
            .Where(p => p.Interest.GuardDuty || p.Interest.EksAddon)
            .GroupBy(p => new ClusterKey(p.Region!, p.Interest.ClusterName, p.Interest.Endpoints))
            .ToList();
        var due = new List<(ClusterKey Key, ClusterTarget Target, bool Addon, bool Network, TimeSpan Interval, List<string> Keys)>();
        foreach (var group in clusterGroups)
        {
            ClusterTarget target;
            lock (_gate)
            {
                target = _clusters.TryGetValue(group.Key, out var existing) ? existing : _clusters[group.Key] = new ClusterTarget();
            }

            if (target.NextDue <= now)
            {
                due.Add((group.Key, target, group.Any(p => p.Interest.EksAddon), group.Any(p => p.Interest.GuardDuty),
                    group.Min(p => p.Interest.Interval), group.Select(p => p.Interest.Key).ToList()));
            }
        }

        await Parallel.ForEachAsync(
            due,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxParallelClusterReads), CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                await ReadClusterAsync(item.Key, item.Target, item.Addon, item.Network, ct).ConfigureAwait(false);
                lock (_gate)
                {
                    item.Target.NextDue = Next(item.Interval);
                }
            }).ConfigureAwait(false);
        foreach (var item in due)
        {
            changed.UnionWith(item.Keys);
        }

        Prune(placed);
        foreach (var key in changed)
        {
            _changes.Writer.TryWrite(key);
        }

        lock (_gate)
        {
            var dues = _identities.Values.Select(t => t.NextDue)
                .Concat(_detectors.Values.Select(t => t.NextDue))
                .Concat(_coverage.Values.Select(t => t.NextDue))
                .Concat(_clusters.Values.Select(t => t.NextDue))
                .ToList();
            if (_interests.Values.Any(i => i.Region is null) && _defaultRegion is { Succeeded: false })
            {
                dues.Add(time.GetUtcNow() + _options.MinimumInterval);
            }

            return dues.Count == 0 ? null : dues.Min();
        }
    }

    /// <summary>What AWS says about the CR's cluster now; null when the CR is not registered.</summary>
    public AwsPollSnapshot? Snapshot(string key)
    {
        lock (_gate)
        {
            if (!_interests.TryGetValue(key, out var interest))
            {
                return null;
            }

            var region = interest.Region ?? _defaultRegion?.Value;
            if (region is null)
            {
                var why = _defaultRegion?.Error ?? "the AWS Region is not known yet";
                var kind = _defaultRegion?.FailureKind ?? AwsFailureKind.Other;
                return new AwsPollSnapshot
                {
                    Coverage = interest.GuardDuty ? AwsObservation<CoverageResource>.Failure(why, kind) : null,
                    Detector = interest.GuardDuty ? AwsObservation<GetDetectorResponse>.Failure(why, kind) : null,
                    Addon = interest.EksAddon ? AwsObservation<EksAddon>.Failure(why, kind) : null,
                    Cluster = interest.GuardDuty || interest.EksAddon ? AwsObservation<EksCluster>.Failure(why, kind) : null,
                };
            }

            var scope = ScopeKey(region, interest.Endpoints);
            var identity = _identities.GetValueOrDefault(scope)?.Observation;
            var accountId = interest.AccountId ?? identity?.Value?.Account;
            var detectorId = interest.DetectorId ?? _detectors.GetValueOrDefault(scope)?.Observation?.Value;
            var cluster = _clusters.GetValueOrDefault(new ClusterKey(region, interest.ClusterName, interest.Endpoints));
            AwsObservation<CoverageResource>? coverage = null;
            AwsObservation<GetDetectorResponse>? detector = null;
            AwsObservation<IReadOnlyList<CoverageResource>>? ec2Rows = null;
            if (interest.GuardDuty)
            {
                var coverageKey = CoverageKeyOf(interest, region);
                var target = coverageKey is { } k ? _coverage.GetValueOrDefault(k) : null;
                var discovery = interest.DetectorId is null ? _detectors.GetValueOrDefault(scope)?.Observation : null;
                var detectorError = discovery?.Error;
                if (target?.Resources is { } pass)
                {
                    var row = pass.Value?.FirstOrDefault(r => Matches(r, interest.ClusterName, accountId));
                    coverage = new AwsObservation<CoverageResource>(row, row is not null, pass.CheckedAt, pass.Error ?? detectorError, pass.Stale || detectorError is not null)
                    {
                        FailureKind = pass.Error is not null ? pass.FailureKind : discovery?.FailureKind ?? AwsFailureKind.Other,
                    };
                    detector = target.Detector;
                    ec2Rows = OfInstances(target.Ec2Rows, interest.NodeInstanceIds);
                }
                else
                {
                    var why = detectorError ?? "not polled yet";
                    var kind = discovery?.FailureKind ?? AwsFailureKind.Other;
                    coverage = AwsObservation<CoverageResource>.Failure(why, kind);
                    detector = AwsObservation<GetDetectorResponse>.Failure(why, kind);
                }
            }

            return new AwsPollSnapshot
            {
                Region = region,
                AccountId = accountId,
                DetectorId = detectorId,
                Coverage = coverage,
                Detector = detector,
                Addon = interest.EksAddon ? cluster?.Addon ?? AwsObservation<EksAddon>.Failure("not polled yet") : null,
                Cluster = interest.GuardDuty || interest.EksAddon ? cluster?.Cluster ?? AwsObservation<EksCluster>.Failure("not polled yet") : null,
                AddonVersions = interest.EksAddon ? cluster?.AddonVersions : null,
                VpcDns = interest.GuardDuty ? cluster?.VpcDns : null,
                GuardDutyDataEndpoints = interest.GuardDuty ? cluster?.Endpoints : null,
                Ec2Coverage = ec2Rows,
                Vpc = interest.GuardDuty ? cluster?.Vpc : null,
            };
        }
    }

    /// <summary>How many ListCoverage passes were made for a region and detector (for tests and metrics).</summary>
    public int CoveragePasses(string region, string detectorId)
    {
        lock (_gate)
        {
            return _coverage.Where(p => p.Key.Region == region && p.Key.DetectorId == detectorId).Sum(p => p.Value.Passes);
        }
    }

    /// <summary>ListCoverage rows of RESOURCE_TYPE EC2 for these instances, in requests of at most <see cref="InstanceIdsPerRequest"/> IDs.</summary>
    private static async Task<IReadOnlyList<CoverageResource>> ListEc2RowsAsync(IGuardDutyClient guardDuty, string detectorId, List<string> instanceIds, CancellationToken cancellationToken)
    {
        var rows = new List<CoverageResource>();
        foreach (var chunk in instanceIds.Chunk(InstanceIdsPerRequest))
        {
            rows.AddRange(await guardDuty.ListAllCoverageAsync(detectorId, new ListCoverageRequest
            {
                MaxResults = 50,
                FilterCriteria = new CoverageFilterCriteria
                {
                    FilterCriterion =
                    [
                        new CoverageFilterCriterion { CriterionKey = "RESOURCE_TYPE", FilterCondition = new CoverageFilterCondition { EqualsValues = [ResourceTypeValues.Ec2] } },
                        new CoverageFilterCriterion { CriterionKey = "INSTANCE_ID", FilterCondition = new CoverageFilterCondition { EqualsValues = [.. chunk] } },
                    ],
                },
            }, null, cancellationToken).ConfigureAwait(false));
        }

        return rows;
    }

    /// <summary>The EC2 rows of one CR's nodes (the pass serves every CR of the detector).</summary>
    private static AwsObservation<IReadOnlyList<CoverageResource>>? OfInstances(AwsObservation<IReadOnlyList<CoverageResource>>? rows, IReadOnlyList<string>? instanceIds)
    {
        if (rows is null || instanceIds is not { Count: > 0 })
        {
            return null;
        }

        var mine = instanceIds.ToHashSet(StringComparer.Ordinal);
        return rows with { Value = rows.Value?.Where(r => r.ResourceDetails?.Ec2InstanceDetails?.InstanceId is { } id && mine.Contains(id)).ToList() };
    }

    private static bool Matches(CoverageResource resource, string clusterName, string? accountId) =>
        resource.ResourceDetails?.EksClusterDetails?.ClusterName == clusterName
        && (accountId is null || resource.AccountId is null || resource.AccountId == accountId);

    private async Task ReadClusterAsync(ClusterKey key, ClusterTarget target, bool addon, bool network, CancellationToken cancellationToken)
    {
        var api = clients.For(key.Region, key.Endpoints);
        var cluster = await ObserveLookup(target.Cluster, ct => api.Eks.DescribeClusterAsync(key.ClusterName, ct), cancellationToken).ConfigureAwait(false);
        var addonObservation = addon
            ? await ObserveLookup(target.Addon, ct => api.Eks.DescribeAddonAsync(key.ClusterName, GuardDutyAgentAddon, ct), cancellationToken).ConfigureAwait(false)
            : null;
        var kubernetesVersion = cluster.Value?.Version;
        var versions = addon && kubernetesVersion is not null
            ? await Observe(target.AddonVersions, async ct =>
            {
                var infos = await api.Eks.DescribeAllAddonVersionsAsync(
                    new DescribeAddonVersionsRequest { AddonName = GuardDutyAgentAddon, KubernetesVersion = kubernetesVersion }, ct).ConfigureAwait(false);
                return (IReadOnlyList<AddonVersionInfo>)infos.SelectMany(i => i.AddonVersions ?? []).ToList();
            }, cancellationToken).ConfigureAwait(false)
            : target.AddonVersions;
        var vpcId = cluster.Value?.ResourcesVpcConfig?.VpcId;
        var dns = network && vpcId is not null
            ? await Observe(target.VpcDns, ct => api.Ec2.DescribeVpcDnsAttributesAsync(vpcId, ct), cancellationToken).ConfigureAwait(false)
            : target.VpcDns;
        var endpoints = network && vpcId is not null
            ? await Observe(target.Endpoints, ct => api.Ec2.DescribeVpcEndpointsAsync(vpcId, $"com.amazonaws.{key.Region}.guardduty-data", ct), cancellationToken).ConfigureAwait(false)
            : target.Endpoints;
        var vpc = network && vpcId is not null
            ? await Observe(target.Vpc, ct => api.Ec2.DescribeVpcAsync(vpcId, ct), cancellationToken).ConfigureAwait(false)
            : target.Vpc;
        lock (_gate)
        {
            target.Cluster = cluster;
            target.Addon = addonObservation ?? target.Addon;
            target.AddonVersions = versions;
            target.VpcDns = dns;
            target.Endpoints = endpoints;
            target.Vpc = vpc;
        }
    }

    private async Task<bool> PollAsync<T>(Dictionary<string, Target<T>> targets, string key, TimeSpan interval, Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken)
        where T : class
    {
        Target<T> target;
        lock (_gate)
        {
            target = targets.TryGetValue(key, out var existing) ? existing : targets[key] = new Target<T>();
            if (target.NextDue > PassStart())
            {
                return false;
            }
        }

        var observation = await Observe(target.Observation, read, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            target.Observation = observation;
            target.NextDue = Next(interval);
        }

        return true;
    }

    private async Task<AwsObservation<T>> Observe<T>(AwsObservation<T>? previous, Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var value = await read(cancellationToken).ConfigureAwait(false);
            return AwsObservation<T>.Success(value, time.GetUtcNow());
        }
        catch (AwsException e)
        {
            return Failed(previous, e);
        }
    }

    private async Task<AwsObservation<T>> ObserveLookup<T>(AwsObservation<T>? previous, Func<CancellationToken, Task<AwsLookup<T>>> read, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var lookup = await read(cancellationToken).ConfigureAwait(false);
            return AwsObservation<T>.Success(lookup.Value, time.GetUtcNow());
        }
        catch (AwsException e)
        {
            return Failed(previous, e);
        }
    }

    private AwsObservation<T> Failed<T>(AwsObservation<T>? previous, AwsException failure)
        where T : class
    {
        Logger.LogDebug(failure, "AWS call failed ({Kind}): {Message}", failure.Kind, failure.Message);
        Failures?.Invoke(failure);
        var message = AwsFailures.StatusMessage(failure);
        return previous?.WithFailure(message, failure.Kind) ?? AwsObservation<T>.Failure(message, failure.Kind);
    }

    private CoverageKey? CoverageKeyOf(CoverageInterest interest, string region)
    {
        var detector = interest.DetectorId;
        if (detector is null)
        {
            lock (_gate)
            {
                detector = _detectors.GetValueOrDefault(ScopeKey(region, interest.Endpoints))?.Observation?.Value;
            }
        }

        return detector is null ? null : new CoverageKey(region, detector, interest.Endpoints.GuardDuty);
    }

    private void Prune(List<(CoverageInterest Interest, string? Region)> placed)
    {
        lock (_gate)
        {
            var live = placed.Select(p => new ClusterKey(p.Region!, p.Interest.ClusterName, p.Interest.Endpoints)).ToHashSet();
            foreach (var key in _clusters.Keys.Where(k => !live.Contains(k)).ToList())
            {
                _clusters.Remove(key);
            }

            var scopes = placed.Where(p => p.Interest.AccountId is null).Select(p => ScopeKey(p.Region!, p.Interest.Endpoints)).ToHashSet(StringComparer.Ordinal);
            foreach (var key in _identities.Keys.Where(k => !scopes.Contains(k)).ToList())
            {
                _identities.Remove(key);
            }

            var discovering = placed.Where(p => p.Interest.GuardDuty && p.Interest.DetectorId is null)
                .Select(p => ScopeKey(p.Region!, p.Interest.Endpoints)).ToHashSet(StringComparer.Ordinal);
            foreach (var key in _detectors.Keys.Where(k => !discovering.Contains(k)).ToList())
            {
                _detectors.Remove(key);
            }

            var liveCoverage = placed.Select(p => CoverageKeyOf(p.Interest, p.Region!)).OfType<CoverageKey>().ToHashSet();
            foreach (var key in _coverage.Keys.Where(k => !liveCoverage.Contains(k)).ToList())
            {
                _coverage.Remove(key);
            }
        }
    }

    private TimeSpan Clamp(TimeSpan interval) => interval < _options.MinimumInterval ? _options.MinimumInterval : interval;

    private DateTimeOffset PassStart() =>
        Volatile.Read(ref _passStartTicks) is > 0 and var ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : time.GetUtcNow();

    private DateTimeOffset Next(TimeSpan interval) =>
        PassStart() + interval + (interval * (_options.JitterFraction * _options.Jitter()));

    private static string ScopeKey(string region, AwsEndpointOverrides endpoints) =>
        $"{region}|{endpoints.GuardDuty}|{endpoints.Eks}|{endpoints.Ec2}|{endpoints.Sts}";

    private readonly record struct CoverageKey(string Region, string DetectorId, Uri? Endpoint);

    private readonly record struct ClusterKey(string Region, string ClusterName, AwsEndpointOverrides Endpoints);

    private sealed class Target<T>
        where T : class
    {
        public DateTimeOffset NextDue { get; set; } = DateTimeOffset.MinValue;

        public AwsObservation<T>? Observation { get; set; }
    }

    private sealed class CoverageTarget
    {
        public DateTimeOffset NextDue { get; set; } = DateTimeOffset.MinValue;

        public AwsObservation<IReadOnlyList<CoverageResource>>? Resources { get; set; }

        public AwsObservation<GetDetectorResponse>? Detector { get; set; }

        /// <summary>EC2 rows of the nodes of every CR of this detector; null when no CR names instances.</summary>
        public AwsObservation<IReadOnlyList<CoverageResource>>? Ec2Rows { get; set; }

        public int Passes { get; set; }
    }

    private sealed class ClusterTarget
    {
        public DateTimeOffset NextDue { get; set; } = DateTimeOffset.MinValue;

        public AwsObservation<EksCluster>? Cluster { get; set; }

        public AwsObservation<EksAddon>? Addon { get; set; }

        public AwsObservation<IReadOnlyList<AddonVersionInfo>>? AddonVersions { get; set; }

        public AwsObservation<VpcDnsAttributes>? VpcDns { get; set; }

        public AwsObservation<IReadOnlyList<VpcEndpointInfo>>? Endpoints { get; set; }

        public AwsObservation<VpcInfo>? Vpc { get; set; }
    }
}
