using System.Collections.Concurrent;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using Microsoft.Extensions.Logging;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// The GuardDutyCoverage reconciler: read the cluster (informer caches), probe (SubjectAccessReviews, dry-runs),
/// take the latest AWS observations from the shared poller, diagnose, and write the status in one patch when it
/// changed. Local checks run on every change of the watched objects; GuardDuty is re-read by the poller on
/// <c>spec.interval</c>; a jittered periodic re-check refreshes the probes.
/// </summary>
public sealed class CoverageReconciler(
    Func<string, V1Alpha1GuardDutyCoverage?> getCoverage,
    IClusterReader cluster,
    ProbeRunner probes,
    ICoverageObservations aws,
    ServerVersionSource serverVersion,
    StatusPatcher statusPatcher,
    EventRecorder events,
    Remediator remediator,
    CoverageMetrics metrics,
    OperatorOptions options,
    TimeProvider time,
    ILogger logger)
{
    public const string ControllerName = "guarddutycoverage";

    private readonly ConcurrentDictionary<string, DiagnosisMemory> _memory = new(StringComparer.Ordinal);
    private readonly TransitionGate _transitions = new(options.UnhealthyConfirmation);
    private readonly ConcurrentDictionary<string, CoverageEventOrigin> _origins = new(StringComparer.Ordinal);

    /// <summary>The EC2 instance IDs of the cluster's nodes as of the last reconcile: the poller reads their EC2 coverage rows.</summary>
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _instances = new(StringComparer.Ordinal);

    /// <summary>
    /// The CR as our last status PATCH returned it, keyed by name, with the resourceVersion it was patched from. Until
    /// the informer delivers our own write, its cache still holds the object we patched: a reconcile in that window
    /// (a pod event right after the first Ready) would compare against the old status, send the same PATCH again with
    /// the old resourceVersion and get a 409. Reading the returned object instead makes that reconcile a no-op.
    /// </summary>
    private readonly ConcurrentDictionary<string, (string? PatchedFrom, V1Alpha1GuardDutyCoverage Written)> _written = new(StringComparer.Ordinal);

    /// <summary>The instance IDs of the last list of Nodes read (the cache hands out the same list until a Node changes).</summary>
    private sealed record NodeInstanceMemo(IReadOnlyList<k8s.Models.V1Node> Nodes, IReadOnlyList<string> Instances);

    private NodeInstanceMemo? _nodeInstances;

    /// <summary>Endpoint overrides every CR inherits (AWS_ENDPOINT_URL*), below the CR's own <c>spec.endpoints</c>.</summary>
    public AwsEndpointOverrides DefaultEndpoints { get; init; } = AwsEndpointOverrides.None;

    /// <summary>Fraction of the interval added at random to the periodic re-check, so CRs do not re-check in step.</summary>
    public Func<double> Jitter { get; init; } = Random.Shared.NextDouble;

    /// <summary>Reads crash-looping agents' previous logs (<c>--read-agent-logs</c>); null: logs are not read.</summary>
    public AgentLogReader? AgentLogs { get; init; }

    /// <summary>Sends <c>spec.notify</c> notifications; null: notifications are not wired (e.g. one-shot tools).</summary>
    public Notifier? Notifier { get; init; }

    /// <summary>Puts coverage changes on EventBridge (opt-in); null: not wired.</summary>
    public EventBridgeNotifier? EventBridge { get; init; }
    /// <summary>
    /// The informers a target's diagnosis reads from that have not been current for longer than the threshold; null:
    /// the reader is not a cache (one-shot tools read the API directly).
    /// </summary>
    public Func<DiagnosisTarget, IReadOnlyList<StaleInformer>>? StaleView { get; init; }

    public async Task<ReconcileResult> ReconcileAsync(string name, CancellationToken cancellationToken)
    {
        var coverage = getCoverage(name);
        if (coverage is null)
        {
            Forget(name);
            return ReconcileResult.Done;
        }

        coverage = Newest(name, coverage);

        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var generation = coverage.Metadata.Generation ?? 0;
        var validation = SpecValidator.Validate(coverage.Spec, options);
        if (!validation.IsValid)
        {
            aws.Unregister(name);
            var stalled = StatusComposer.InvalidSpec(validation.Problems, coverage.Status, generation, now, validation.Reason);
            return await WriteAsync(coverage, stalled, retryAfter: null, cancellationToken).ConfigureAwait(false);
        }

        aws.Register(Interest(name, coverage.Spec, validation.Interval) with { NodeInstanceIds = _instances.GetValueOrDefault(name) });
        var target = DiagnosisTarget.FromSpec(coverage.Spec, options.DefaultRegion) with
        {
            AddonStuckAfter = options.AddonStuckAfter,
            CoverageStaleAfter = options.CoverageStaleAfter,
        };
        if (StaleView?.Invoke(target) is { Count: > 0 } stale)
        {
            // A blind cache must not produce a verdict: Unknown, and everything observed before is kept. The informer
            // monitor requeues every GuardDutyCoverage when the view is current again.
            logger.LogWarning("GuardDutyCoverage {Name}: the view of the cluster is stale ({Informers}); Ready is Unknown until it is current again", name, string.Join(", ", stale.Select(s => s.Name)));
            var unknown = StatusComposer.ClusterViewStale(stale, coverage.Status, generation, now);
            return await WriteAsync(coverage, unknown, validation.Interval, cancellationToken).ConfigureAwait(false);
        }

        var objects = await cluster.ReadAsync(target, cancellationToken).ConfigureAwait(false);
        if (objects.Nodes is not null && coverage.Spec.Checks.GuardDuty)
        {
            var instances = InstancesOf(objects.Nodes);
            if (!_instances.TryGetValue(name, out var known) || !known.SequenceEqual(instances, StringComparer.Ordinal))
            {
                // A new set of nodes: the next GuardDuty pass reads their EC2 rows.
                _instances[name] = instances;
                aws.Register(Interest(name, coverage.Spec, validation.Interval) with { NodeInstanceIds = instances });
            }
        }
        if (AgentLogs is not null)
        {
            objects = objects with { AgentLogs = await AgentLogs.ReadAsync(target, objects, cancellationToken).ConfigureAwait(false) };
        }

        if (probes.TryGetOrStart(name, target, objects, validation.Interval, cancellationToken) is not { } probeResults)
        {
            // The probes are being refreshed in the background: this worker moves on to other CRs, and the refresh
            // requeues this one when it is done (the interval is a backstop). Nothing is written meanwhile: the
            // status keeps what was last observed.
            return ReconcileResult.RequeueAfter(validation.Interval);
        }

        var memory = _memory.GetOrAdd(name, DiagnosisMemory.None);
        var version = await serverVersion.GetAsync(cancellationToken).ConfigureAwait(false);
        var awsSnapshot = aws.Snapshot(name)?.ToDiagnosis();
        _origins[name] = new CoverageEventOrigin(awsSnapshot?.AccountId, awsSnapshot?.Region);
        var report = DiagnosisEngine.Diagnose(SnapshotBuilder.Build(target, objects, probeResults, awsSnapshot, version, memory, now));

        _memory[name] = report.Local == Verdicts.Healthy
            ? memory.LocalHealthySince is null ? new DiagnosisMemory(now) : memory
            : DiagnosisMemory.None;

        if (coverage.Spec.Remediation.Mode == RemediationMode.Apply && options.RemediationEnabled)
        {
            foreach (var action in await remediator.ApplyAsync(report, target, objects, cancellationToken).ConfigureAwait(false))
            {
                metrics.Remediation(name, action.Fix, action.Succeeded);
                await (action.Succeeded
                    ? events.NormalAsync(Regarding(coverage), "RemediationApplied", "Remediate", $"{action.Fix}: {action.Description}", cancellationToken)
                    : events.WarningAsync(Regarding(coverage), "RemediationFailed", "Remediate", $"{action.Fix}: could not {action.Description}: {action.Error}", cancellationToken)).ConfigureAwait(false);
            }
        }

        var status = StatusComposer.FromReport(report, coverage.Status, generation, now);
        var periodic = validation.Interval + TimeSpan.FromSeconds(validation.Interval.TotalSeconds * 0.1 * Jitter());
        var result = await WriteAsync(coverage, status, periodic, cancellationToken).ConfigureAwait(false);
        metrics.Reconciled(time.GetElapsedTime(started), probeResults.Reused);
        return result;
    }

    /// <summary>
    /// <see cref="NodeInstances.Of"/>, once per list of Nodes: sorting thousands of instance IDs on every reconcile
    /// cost milliseconds at 5,000 nodes, for the same answer until a Node changes.
    /// </summary>
    private IReadOnlyList<string> InstancesOf(IReadOnlyList<k8s.Models.V1Node> nodes)
    {
        if (_nodeInstances is { } memo && ReferenceEquals(memo.Nodes, nodes))
        {
            return memo.Instances;
        }

        var instances = NodeInstances.Of(nodes);
        _nodeInstances = new NodeInstanceMemo(nodes, instances);
        return instances;
    }

    private async Task<ReconcileResult> WriteAsync(V1Alpha1GuardDutyCoverage coverage, GuardDutyCoverageStatus status, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        var name = coverage.Metadata.Name;
        var result = await statusPatcher.PatchStatusAsync(
            CoverageResources.Coverages, coverage, c => c.Status, status, ApiJsonContext.Default.GuardDutyCoverageStatus, cancellationToken).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case StatusPatchOutcome.Conflict:
                // Someone else wrote the CR in between (our own writes are read back from _written, so this is not
                // us): retry after the rate limiter's delay, by when the informer has most likely delivered it. Their
                // status-only write enqueues nothing by itself (see OperatorHost.Wire), so this retry is what carries
                // our view. Logged because a retry that waits on a clock is otherwise invisible.
                logger.LogDebug("GuardDutyCoverage {Name}: status write conflicted at resourceVersion {ResourceVersion}; retrying", name, coverage.Metadata.ResourceVersion);
                return ReconcileResult.Requeue;
            case StatusPatchOutcome.NotFound:
                Forget(name);
                return ReconcileResult.Done;
        }

        metrics.Record(name, coverage.Spec.ClusterName, status);
        if (result.Outcome == StatusPatchOutcome.Patched)
        {
            if (result.Object is { } written)
            {
                _written[name] = (coverage.Metadata.ResourceVersion, written);
            }

            logger.LogInformation("GuardDutyCoverage {Name}: coverage {Coverage}, Ready {Ready} ({Reason})", name, status.Coverage ?? "-", Ready(status)?.Status, Ready(status)?.Reason);
        }

        // Decided on every write, not only on changes: a state waiting for confirmation is announced on a later pass.
        var decision = _transitions.Decide(name, coverage.Status, status, time.GetUtcNow());
        await AnnounceAsync(coverage, status, decision, cancellationToken).ConfigureAwait(false);
        if (decision.Ready)
        {
            var origin = _origins.GetValueOrDefault(name) ?? new CoverageEventOrigin(null, null);
            foreach (var failure in new[]
                     {
                         Notifier is null ? null : await Notifier.NotifyAsync(coverage, coverage.Status, status, time.GetUtcNow(), cancellationToken, origin).ConfigureAwait(false),
                         EventBridge is null ? null : await EventBridge.NotifyAsync(coverage, coverage.Status, status, origin, time.GetUtcNow(), cancellationToken).ConfigureAwait(false),
                     })
            {
                if (failure is not null)
                {
                    await events.WarningAsync(Regarding(coverage), "NotificationFailed", "Notify", failure, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        var next = (retryAfter, decision.RecheckAfter) switch
        {
            ({ } a, { } b) => a < b ? a : b,
            ({ } a, null) => a,
            (null, { } b) => b,
            _ => (TimeSpan?)null,
        };
        return next is { } after ? ReconcileResult.RequeueAfter(after) : ReconcileResult.Done;
    }

    /// <summary>
    /// Events only for changes a person should see (<see cref="TransitionGate"/>): Ready becoming healthy, a confirmed
    /// unhealthy state, progress (Normal, never a Warning), a new finding, a spec that cannot work, an AWS identity
    /// that cannot be used. Every Warning names the reason code.
    /// </summary>
    private async Task AnnounceAsync(V1Alpha1GuardDutyCoverage coverage, GuardDutyCoverageStatus after, TransitionDecision decision, CancellationToken cancellationToken)
    {
        var regarding = Regarding(coverage);
        var now = Ready(after)!;
        if (decision.Ready)
        {
            var reconciling = after.Conditions.Find(ConditionTypes.Reconciling)?.Status == ConditionStatus.True;
            if (now.Status == ConditionStatus.True)
            {
                await events.NormalAsync(regarding, "CoverageHealthy", "Diagnose", now.Message, cancellationToken).ConfigureAwait(false);
            }
            else if (now.Reason is StatusComposer.InvalidSpecReason or StatusComposer.EndpointNotAllowedReason)
            {
                await events.WarningAsync(regarding, now.Reason, "Validate", now.Message, cancellationToken).ConfigureAwait(false);
            }
            else if (reconciling)
            {
                await events.NormalAsync(regarding, "CoverageReconciling", "Diagnose", $"{now.Reason}: {now.Message}", cancellationToken).ConfigureAwait(false);
            }
            else if (now.Status == ConditionStatus.False)
            {
                await events.WarningAsync(regarding, "CoverageUnhealthy", "Diagnose", $"{now.Reason}: {now.Message}", cancellationToken).ConfigureAwait(false);
            }
            else if (now.Reason is AwsAccessReasons.AwsCredentialsMissing or AwsAccessReasons.AwsAccessDenied)
            {
                await events.WarningAsync(regarding, now.Reason, "ReadAws", now.Message, cancellationToken).ConfigureAwait(false);
            }
            else if (now.Reason == ReasonCodes.ClusterViewStale)
            {
                await events.WarningAsync(regarding, ReasonCodes.ClusterViewStale, "Observe", now.Message, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var finding in decision.NewFindings)
        {
            await events.WarningAsync(regarding, finding.Reason, "Diagnose", finding.Message, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The cached CR, or the one our last PATCH returned while the cache still holds the version that PATCH replaced.
    /// Any other version in the cache (ours delivered, or someone else's write) is newer: the memo is dropped. Versions
    /// are compared for equality only (they are opaque).
    /// </summary>
    private V1Alpha1GuardDutyCoverage Newest(string name, V1Alpha1GuardDutyCoverage cached)
    {
        if (!_written.TryGetValue(name, out var memo))
        {
            return cached;
        }

        if (memo.PatchedFrom is not null && cached.Metadata.ResourceVersion == memo.PatchedFrom)
        {
            return memo.Written;
        }

        _written.TryRemove(KeyValuePair.Create(name, memo));
        return cached;
    }

    private CoverageInterest Interest(string name, GuardDutyCoverageSpec spec, TimeSpan interval)
    {
        var own = new AwsEndpointOverrides(
            spec.Endpoints?.GuardDuty is { } gd ? new Uri(gd) : null,
            spec.Endpoints?.Eks is { } eks ? new Uri(eks) : null,
            spec.Endpoints?.Ec2 is { } ec2 ? new Uri(ec2) : null);
        return new CoverageInterest(
            name,
            spec.ClusterName,
            spec.Region,
            spec.AccountId,
            spec.DetectorId,
            DefaultEndpoints.OverriddenBy(own),
            interval,
            spec.Checks.GuardDuty,
            spec.Checks.EksAddon);
    }

    private void Forget(string name)
    {
        aws.Unregister(name);
        probes.Forget(name);
        metrics.Forget(name);
        Notifier?.Forget(name);
        _transitions.Forget(name);
        EventBridge?.Forget(name);
        _origins.TryRemove(name, out _);
        _memory.TryRemove(name, out _);
        _instances.TryRemove(name, out _);
        _written.TryRemove(name, out _);
    }

    private static Condition? Ready(GuardDutyCoverageStatus? status) => status?.Conditions.Find(ConditionTypes.Ready);

    private static k8s.Models.V1ObjectReference Regarding(V1Alpha1GuardDutyCoverage coverage) => CoverageResources.Coverages.ReferenceTo(coverage);
}
