using GuardDutyCoverage.Api;
using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// Domain metrics, one series set per GuardDutyCoverage (the chart's PrometheusRule alerts on them):
/// <c>guardduty_coverage_state{name,cluster_name,state}</c> and <c>guardduty_coverage_condition{name,cluster_name,type,status}</c>
/// are 1 for the current value and 0 for the others; <c>guardduty_coverage_finding{name,cluster_name,reason,severity}</c>
/// is 1 per current finding. <c>guardduty_coverage_agent_pods{name,cluster_name,state}</c> (desired, available) counts
/// the agent DaemonSet's pods, <c>guardduty_coverage_guardduty_nodes{name,cluster_name,state}</c> (covered, compatible)
/// GuardDuty's node counts, and <c>guardduty_coverage_guardduty_checked_timestamp_seconds{name,cluster_name}</c> is when
/// GuardDuty was last read successfully (its age is the "GuardDuty data stale" alert). Series of deleted CRs and fixed
/// findings disappear; a count the status does not have has no series (never a made-up 0).
/// <c>guardduty_coverage_nodes{name,cluster_name,kind}</c> counts nodes as the operator sees them (eligible,
/// with_agent, not_coverable) and as GuardDuty reports them (guardduty_covered, guardduty_compatible).
/// </summary>
public sealed class CoverageMetrics
{
    private static readonly string[] States = ["Healthy", "Unhealthy", "Unknown"];
    private static readonly string[] Statuses = [ConditionStatus.True, ConditionStatus.False, ConditionStatus.Unknown];

    private readonly Gauge _state;
    private readonly Gauge _condition;
    private readonly Gauge _finding;
    private readonly Counter _remediations;
    private readonly Gauge _agentPods;
    private readonly Gauge _guardDutyNodes;
    private readonly Gauge _guardDutyChecked;
    private readonly Counter _awsErrors;
    private readonly Gauge _nodes;

    public CoverageMetrics(MetricsRegistry registry)
    {
        _state = registry.Gauge("guardduty_coverage_state", "Coverage verdict of a GuardDutyCoverage: 1 for the current state.", "name", "cluster_name", "state");
        _condition = registry.Gauge("guardduty_coverage_condition", "Status conditions of a GuardDutyCoverage: 1 for the current status.", "name", "cluster_name", "type", "status");
        _finding = registry.Gauge("guardduty_coverage_finding", "Current root-cause findings of a GuardDutyCoverage.", "name", "cluster_name", "reason", "severity");
        _agentPods = registry.Gauge("guardduty_coverage_agent_pods", "Agent DaemonSet pods of a GuardDutyCoverage's cluster: desired (one per eligible node) and available.", "name", "cluster_name", "state");
        _guardDutyNodes = registry.Gauge("guardduty_coverage_guardduty_nodes", "Nodes GuardDuty ListCoverage reports for the cluster: covered and compatible.", "name", "cluster_name", "state");
        _guardDutyChecked = registry.Gauge("guardduty_coverage_guardduty_checked_timestamp_seconds", "Unix time of the last successful GuardDuty read for a GuardDutyCoverage.", "name", "cluster_name");
        _awsErrors = registry.Counter("guardduty_coverage_aws_errors_total", "Failed AWS reads of the poller (after retries), by service, operation and error code; service \"local\" when no request was made (no credentials, no Region).", "service", "operation", "code");
        _nodes = registry.Gauge("guardduty_coverage_nodes", "Nodes of the cluster of a GuardDutyCoverage by kind: eligible, with_agent, not_coverable (operator) and guardduty_covered, guardduty_compatible (ListCoverage).", "name", "cluster_name", "kind");
        _remediations = registry.Counter("guardduty_coverage_remediations_total", "Safe fixes applied (spec.remediation.mode Apply).", "name", "fix", "result");
    }

    public void Record(string name, string clusterName, GuardDutyCoverageStatus status)
    {
        var state = status.Coverage ?? "Unknown";
        foreach (var s in States)
        {
            _state.Set(s == state ? 1 : 0, name, clusterName, s);
        }

        _state.RemoveWhere(l => l[0] == name && l[1] != clusterName);

        var types = new HashSet<string>(StringComparer.Ordinal);
        foreach (var condition in status.Conditions ?? [])
        {
            types.Add(condition.Type);
            foreach (var s in Statuses)
            {
                _condition.Set(s == condition.Status ? 1 : 0, name, clusterName, condition.Type, s);
            }
        }

        _condition.RemoveWhere(l => l[0] == name && (l[1] != clusterName || !types.Contains(l[2])));

        var findings = new HashSet<(string, string)>();
        foreach (var finding in status.Findings ?? [])
        {
            findings.Add((finding.Reason, finding.Severity));
            _finding.Set(1, name, clusterName, finding.Reason, finding.Severity);
        }

        _finding.RemoveWhere(l => l[0] == name && (l[1] != clusterName || !findings.Contains((l[2], l[3]))));

        Counts(_agentPods, name, clusterName, ("desired", status.Agent?.Desired), ("available", status.Agent?.Available));
        Counts(_guardDutyNodes, name, clusterName, ("covered", status.GuardDuty?.CoveredNodes), ("compatible", status.GuardDuty?.CompatibleNodes));
        if (status.GuardDuty?.CheckedAt is { } checkedAt)
        {
            _guardDutyChecked.Set(checkedAt.ToUnixTimeSeconds(), name, clusterName);
            _guardDutyChecked.RemoveWhere(l => l[0] == name && l[1] != clusterName);
        }
        else
        {
            _guardDutyChecked.RemoveWhere(l => l[0] == name);
        }

        var counts = new Dictionary<string, long?>(StringComparer.Ordinal)
        {
            ["eligible"] = status.Nodes?.Eligible,
            ["with_agent"] = status.Nodes?.WithAgent,
            ["not_coverable"] = status.Nodes?.NotCoverable,
            ["guardduty_covered"] = status.GuardDuty?.CoveredNodes,
            ["guardduty_compatible"] = status.GuardDuty?.CompatibleNodes,
        };
        foreach (var (kind, count) in counts.Where(c => c.Value is not null))
        {
            _nodes.Set(count!.Value, name, clusterName, kind);
        }

        _nodes.RemoveWhere(l => l[0] == name && (l[1] != clusterName || counts.GetValueOrDefault(l[2]) is null));
    }

    private static void Counts(Gauge gauge, string name, string clusterName, params (string State, long? Value)[] counts)
    {
        foreach (var (state, value) in counts)
        {
            if (value is { } v)
            {
                gauge.Set(v, name, clusterName, state);
            }
            else
            {
                gauge.RemoveWhere(l => l[0] == name && l[2] == state);
            }
        }

        gauge.RemoveWhere(l => l[0] == name && l[1] != clusterName);
    }

    public void Forget(string name)
    {
        _state.RemoveWhere(l => l[0] == name);
        _condition.RemoveWhere(l => l[0] == name);
        _finding.RemoveWhere(l => l[0] == name);
        _agentPods.RemoveWhere(l => l[0] == name);
        _guardDutyNodes.RemoveWhere(l => l[0] == name);
        _guardDutyChecked.RemoveWhere(l => l[0] == name);
        _nodes.RemoveWhere(l => l[0] == name);
    }

    /// <summary>Counts a failed AWS read.</summary>
    public void AwsError(GuardDutyCoverage.Aws.AwsException failure)
    {
        if (failure is GuardDutyCoverage.Aws.AwsServiceException service)
        {
            _awsErrors.Inc(service.Service, service.Operation, service.ErrorCode);
        }
        else
        {
            // Not an answer from AWS: no credentials, no Region, a bad endpoint.
            _awsErrors.Inc("local", "", failure.Kind == AwsFailureKind.CredentialsMissing ? "CredentialsMissing" : "Configuration");
        }
    }

    public void Remediation(string name, string fix, bool succeeded) => _remediations.Inc(name, fix, succeeded ? "success" : "error");
}
