using System.Collections.Concurrent;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Controller;

/// <summary>What to tell people after a status write: events, a notification, or nothing yet.</summary>
/// <param name="Ready">Ready changed in a way people should hear about now (Healthy, confirmed Unhealthy, progress).</param>
/// <param name="Announced">The Ready people were last told about (null: none yet).</param>
/// <param name="NewFindings">Findings to announce as Warnings (not while rolling out, not before confirmation).</param>
/// <param name="RecheckAfter">An unhealthy state waits for confirmation: look again after this.</param>
public sealed record TransitionDecision(bool Ready, AnnouncedReady? Announced, IReadOnlyList<Finding> NewFindings, TimeSpan? RecheckAfter)
{
    public static readonly TransitionDecision Nothing = new(false, null, [], null);
}

/// <summary>A Ready condition as announced: its status, reason and whether it was progress (Reconciling).</summary>
public sealed record AnnouncedReady(string Status, string Reason, bool Reconciling);

/// <summary>
/// Decides which status changes are news. A roll-out or provisioning (Ready False with Reconciling) is progress,
/// never a Warning. Healthy → Unhealthy is announced only when the cause still holds after
/// <see cref="Confirmation"/> (the agent's own pods restarting during a node drain are not worth a page), or at once
/// when the cause cannot pass by itself (see <see cref="IsTerminal"/>). A state that recovers within the window was
/// never announced, so its recovery is not announced either. Per CR; the last announced state starts as the status
/// found on the first reconcile, so a restart of the operator announces nothing again.
/// </summary>
public sealed class TransitionGate(TimeSpan confirmation)
{
    /// <summary>Causes that do not pass by themselves: a pod that crash-loops or cannot pull, a webhook or RBAC that denies, ...</summary>
    private static readonly HashSet<string> TerminalCauses = new(StringComparer.Ordinal)
    {
        ReasonCodes.AgentPodsCrashLooping, ReasonCodes.AgentImagePullFailed, ReasonCodes.AdmissionWebhookDenied,
        ReasonCodes.NamespaceOwnerLabelRequired, ReasonCodes.AgentImageRegistryNotAllowed, ReasonCodes.AddonManagerForbidden,
        ReasonCodes.AgentImageFieldConflict, ReasonCodes.AddonIncompatibleClusterVersion, ReasonCodes.LocalOutpostCluster,
        StatusComposer.InvalidSpecReason, StatusComposer.EndpointNotAllowedReason,
    };

    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    public TimeSpan Confirmation { get; } = confirmation;

    public void Forget(string name) => _states.TryRemove(name, out _);

    /// <param name="before">The status as found before this write (seeds what was announced, on first sight).</param>
    public TransitionDecision Decide(string name, GuardDutyCoverageStatus? before, GuardDutyCoverageStatus after, DateTimeOffset now)
    {
        var ready = after.Conditions.Find(ConditionTypes.Ready);
        if (ready is null)
        {
            return TransitionDecision.Nothing;
        }

        var state = _states.GetOrAdd(name, _ => State.From(before));
        var current = new AnnouncedReady(ready.Status, ready.Reason, after.Conditions.Find(ConditionTypes.Reconciling)?.Status == ConditionStatus.True);
        var findings = (after.Findings ?? []).Where(f => f.Severity != "Info").ToList();
        var present = findings.Select(f => f.Reason).ToHashSet(StringComparer.Ordinal);
        // A finding that went away and comes back is news again.
        var known = state.Findings.Where(present.Contains).ToHashSet(StringComparer.Ordinal);

        if (current.Status == ConditionStatus.False && !current.Reconciling)
        {
            var alreadyUnhealthy = state.Announced is { Status: ConditionStatus.False, Reconciling: false };
            var pendingSince = state.PendingSince ?? now;
            var confirmed = alreadyUnhealthy || IsTerminal(ready.Reason, after.Findings) || now - pendingSince >= Confirmation;
            if (!confirmed)
            {
                _states[name] = state with { PendingSince = pendingSince, Findings = known };
                return new TransitionDecision(false, state.Announced, [], pendingSince + Confirmation - now);
            }

            var changed = state.Announced is not { } was || was.Status != current.Status || was.Reason != current.Reason || was.Reconciling;
            _states[name] = new State(current, present, null);
            return new TransitionDecision(changed, state.Announced, findings.Where(f => !known.Contains(f.Reason)).ToList(), null);
        }

        var news = state.Announced is not { } previous || previous.Status != current.Status || previous.Reason != current.Reason || previous.Reconciling != current.Reconciling;
        if (current.Reconciling || current.Status == ConditionStatus.Unknown)
        {
            // Progress and "cannot tell" warn about no finding; those findings are announced once they are a confirmed state.
            _states[name] = new State(current, known, null);
            return new TransitionDecision(news, state.Announced, [], null);
        }

        // Healthy: Warning findings (risks that cost no coverage) are still worth one event each.
        _states[name] = new State(current, present, null);
        return new TransitionDecision(news, state.Announced, findings.Where(f => !known.Contains(f.Reason)).ToList(), null);
    }

    /// <summary>Terminal: a cause that does not pass by itself, or one AWS already reports (GuardDuty's console is red anyway).</summary>
    public static bool IsTerminal(string reason, IReadOnlyList<Finding>? findings) =>
        TerminalCauses.Contains(reason)
        || findings?.FirstOrDefault(f => f.Reason == reason) is { } top && top.Sources.Any(s => s != nameof(FindingSource.Local));

    private sealed record State(AnnouncedReady? Announced, IReadOnlySet<string> Findings, DateTimeOffset? PendingSince)
    {
        public static State From(GuardDutyCoverageStatus? status)
        {
            var ready = status?.Conditions.Find(ConditionTypes.Ready);
            return new State(
                ready is null ? null : new AnnouncedReady(ready.Status, ready.Reason, status!.Conditions.Find(ConditionTypes.Reconciling)?.Status == ConditionStatus.True),
                (status?.Findings ?? []).Where(f => f.Severity != "Info").Select(f => f.Reason).ToHashSet(StringComparer.Ordinal),
                null);
        }
    }
}
