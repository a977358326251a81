using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using Microsoft.Extensions.Logging;
using k8s.Models;

namespace GuardDutyCoverage.Controller;

/// <summary>Results of the live probes for one target; null members were not run.</summary>
public sealed record ProbeResults(
    IReadOnlyList<AccessReviewResult>? AccessReviews,
    DryRunResult? DaemonSetDryRun,
    DryRunResult? NamespaceDryRun)
{
    /// <summary>Served from the cache (no input changed, younger than the interval): no request was sent.</summary>
    public bool Reused { get; init; }
}

/// <summary>
/// Runs the live probes the diagnosis asks for (<see cref="LiveProbes"/>): SubjectAccessReviews for
/// <c>eks:addon-manager</c> and server-side dry-run updates of the agent's DaemonSet and Namespace. Dry-runs reach the
/// cluster's admission webhooks, so results are reused until an input changes (the fingerprint) or they are older
/// than the CR's interval — a busy pod does not make the operator call every webhook in the cluster.
/// </summary>
public sealed class ProbeRunner(KubeApiClient client, TimeProvider time, ILogger logger)
{
    public const string FieldManager = "guardduty-coverage-probe";
    public const string ProbeAnnotation = "coverage.guardduty.io/dry-run-probe";

    /// <summary>A result of a background refresh: <paramref name="Consumed"/> once a reconcile has read it; a failed one is read once, never reused.</summary>
    private sealed record Refreshed(string Fingerprint, DateTimeOffset At, ProbeResults Results, bool Failed, bool Consumed);

    private readonly ConcurrentDictionary<string, Refreshed> _refreshed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _inFlight = new(StringComparer.Ordinal);

    /// <summary>Called with the key when a background refresh (<see cref="TryGetOrStart"/>) has finished: requeue it.</summary>
    public Action<string>? RefreshCompleted { get; set; }

    public void Forget(string key)
    {
        _refreshed.TryRemove(key, out _);
    }

    /// <summary>Whether a background refresh for <paramref name="key"/> is running.</summary>
    public bool Refreshing(string key) => _inFlight.ContainsKey(key);

    /// <summary>
    /// The reconciler's way in: the results when they are current (inputs unchanged, younger than
    /// <paramref name="maxAge"/>) or a refresh has just finished; otherwise null, and a refresh runs in the
    /// background (at most one per key) and calls <see cref="RefreshCompleted"/> when done. A probe that hangs (a slow
    /// webhook behind a dry-run) thus holds no reconcile worker: the reconciles of every other CR go on.
    /// </summary>
    public ProbeResults? TryGetOrStart(string key, DiagnosisTarget target, ClusterObjects objects, TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var fingerprint = objects.ProbeFingerprint + "|" + target.AdmissionDryRun;
        if (_refreshed.TryGetValue(key, out var done) && done.Fingerprint == fingerprint)
        {
            if (!done.Consumed)
            {
                // The first reconcile after a refresh reads its results as fresh (not reused), whatever the clock says.
                _refreshed.TryUpdate(key, done with { Consumed = true }, done);
                return done.Results;
            }

            if (!done.Failed && now - done.At < maxAge)
            {
                return done.Results with { Reused = true };
            }
        }

        if (_inFlight.ContainsKey(key))
        {
            return null;
        }

        var started = new TaskCompletionSource();
        if (!_inFlight.TryAdd(key, started.Task))
        {
            return null;
        }

        _ = Task.Run(
            async () =>
            {
                try
                {
                    var at = time.GetUtcNow();
                    var (results, failed) = await ProbeAsync(target, objects, at, cancellationToken).ConfigureAwait(false);
                    _refreshed[key] = new Refreshed(fingerprint, at, results, failed, Consumed: false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Shutting down: nobody waits for the answer.
                }
                catch (Exception e)
                {
                    logger.LogWarning(e, "probes for {Key} failed", key);
                }
                finally
                {
                    _inFlight.TryRemove(key, out _);
                    started.TrySetResult();
                }

                if (!cancellationToken.IsCancellationRequested)
                {
                    RefreshCompleted?.Invoke(key);
                }
            },
            CancellationToken.None);
        return null;
    }

    /// <summary>
    /// One pass of every probe, nothing remembered: the one-shot <c>diagnose</c> (which runs once and exits). The
    /// reconciler goes through <see cref="TryGetOrStart"/>, the one cache of results.
    /// </summary>
    public async Task<ProbeResults> RunOnceAsync(DiagnosisTarget target, ClusterObjects objects, CancellationToken cancellationToken) =>
        (await ProbeAsync(target, objects, time.GetUtcNow(), cancellationToken).ConfigureAwait(false)).Results;

    private async Task<(ProbeResults Results, bool Failed)> ProbeAsync(DiagnosisTarget target, ClusterObjects objects, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reviews = new List<AccessReviewResult>();
        foreach (var probe in LiveProbes.AccessReviews(target))
        {
            reviews.Add(await ReviewAsync(probe, cancellationToken).ConfigureAwait(false));
        }

        DryRunResult? daemonSet = null, ns = null;
        var failed = reviews.Any(r => r.Error is not null);
        foreach (var probe in LiveProbes.DryRuns(target))
        {
            var exists = probe.Resource == "daemonsets" ? objects.AgentDaemonSet is not null : objects.AgentNamespace is not null;
            if (!exists)
            {
                continue;
            }

            var (result, unanswered) = await DryRunAsync(probe, now, cancellationToken).ConfigureAwait(false);
            failed |= unanswered;
            if (probe.Resource == "daemonsets")
            {
                daemonSet = result;
            }
            else
            {
                ns = result;
            }
        }

        return (new ProbeResults(reviews, daemonSet, ns), failed);
    }

    private async Task<AccessReviewResult> ReviewAsync(AccessProbe probe, CancellationToken cancellationToken)
    {
        var review = new V1SubjectAccessReview
        {
            ApiVersion = "authorization.k8s.io/v1",
            Kind = "SubjectAccessReview",
            Metadata = new V1ObjectMeta(),
            Spec = new V1SubjectAccessReviewSpec
            {
                User = probe.User,
                ResourceAttributes = new V1ResourceAttributes
                {
                    Verb = probe.Verb,
                    Group = probe.Group,
                    Resource = probe.Resource,
                    NamespaceProperty = probe.Namespace,
                    Name = probe.Name,
                },
            },
        };
        try
        {
            var answer = await client.CreateAsync(KubeResources.SubjectAccessReviews, review, null, cancellationToken).ConfigureAwait(false);
            return new AccessReviewResult(probe, answer.Status?.Allowed ?? false, answer.Status?.Reason);
        }
        catch (KubeApiException e)
        {
            logger.LogWarning("SubjectAccessReview for {Probe} failed: {Error}", probe.Describe(), e.Message);
            return new AccessReviewResult(probe, false, null, e.ServerMessage);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException)
        {
            // The API server did not answer: the check is Unknown this time, and the probe is retried next reconcile.
            logger.LogWarning("SubjectAccessReview for {Probe} failed: {Error}", probe.Describe(), e.Message);
            return new AccessReviewResult(probe, false, null, e.Message);
        }
    }

    /// <summary>A dry-run PATCH that only sets an annotation: admission sees an UPDATE of the object as it is.</summary>
    /// <returns>The result (null: not run or no admission decision), and whether the API server failed to answer.</returns>
    private async Task<(DryRunResult? Result, bool Failed)> DryRunAsync(DryRunProbe probe, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var patch = KubePatch.Merge(new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["annotations"] = new JsonObject { [ProbeAnnotation] = Api.Rfc3339TimeConverter.ToRfc3339(now) },
            },
        });
        var options = new WriteOptions { DryRun = true, FieldManager = FieldManager };
        try
        {
            if (probe.Resource == "daemonsets")
            {
                await client.PatchAsync(KubeResources.DaemonSets, probe.Name, probe.Namespace, patch, options, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await client.PatchAsync(KubeResources.Namespaces, probe.Name, null, patch, options, cancellationToken).ConfigureAwait(false);
            }

            return (DryRunResult.Passed(probe), false);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return (null, false);
        }
        catch (KubeApiException e) when (IsOwnRbacDenial(e))
        {
            // The operator itself may not patch (the dry-run RBAC is opt-in): not a finding about the cluster.
            logger.LogDebug("dry-run of {Probe} not permitted: {Error}", probe.Name, e.ServerMessage);
            return (null, false);
        }
        catch (KubeApiException e)
        {
            return (DryRunResult.Rejected(probe, (int)e.StatusCode, e.ServerMessage, e.Reason), false);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException)
        {
            // No admission decision was made: leave the check to static analysis this time.
            logger.LogWarning("dry-run of {Probe} failed: {Error}", probe.Name, e.Message);
            return (null, true);
        }
    }

    /// <summary>RBAC's own 403 ("... is forbidden: User ... cannot patch resource ..."), as opposed to a webhook's denial.</summary>
    internal static bool IsOwnRbacDenial(KubeApiException e) =>
        e.IsForbidden
        && !e.ServerMessage.Contains("admission webhook", StringComparison.OrdinalIgnoreCase)
        && e.ServerMessage.Contains(" cannot ", StringComparison.Ordinal)
        && e.ServerMessage.Contains("is forbidden: User ", StringComparison.Ordinal);
}
