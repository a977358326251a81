using GuardDutyCoverage.Api;
using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// Domain metrics, one series set per GuardDutyCoverage (the chart's PrometheusRule alerts on them):
/// <c>guardduty_coverage_state{name,cluster_name,state}</c> and <c>guardduty_coverage_condition{name,cluster_name,type,status}</c>
/// are 1 for the current value and 0 for the others; <c>guardduty_coverage_finding{name,cluster_name,reason,severity}</c>
/// is 1 per current finding; <c>guardduty_coverage_nodes{name,cluster_name,kind}</c> counts nodes as the operator
/// sees them (eligible, with_agent, not_coverable) and as GuardDuty reports them (guardduty_covered,
/// guardduty_compatible). Series of deleted CRs, fixed findings and unknown counts disappear.
/// </summary>
public sealed class CoverageMetrics
{
    private static readonly string[] States = ["Healthy", "Unhealthy", "Unknown"];
    private static readonly string[] Statuses = [ConditionStatus.True, ConditionStatus.False, ConditionStatus.Unknown];

    private readonly Gauge _state;
    private readonly Gauge _condition;
    private readonly Gauge _finding;
    private readonly Counter _remediations;
    private readonly Gauge _nodes;

    public CoverageMetrics(MetricsRegistry registry)
    {
        _state = registry.Gauge("guardduty_coverage_state", "Coverage verdict of a GuardDutyCoverage: 1 for the current state.", "name", "cluster_name", "state");
        _condition = registry.Gauge("guardduty_coverage_condition", "Status conditions of a GuardDutyCoverage: 1 for the current status.", "name", "cluster_name", "type", "status");
        _finding = registry.Gauge("guardduty_coverage_finding", "Current root-cause findings of a GuardDutyCoverage.", "name", "cluster_name", "reason", "severity");
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

    public void Forget(string name)
    {
        _state.RemoveWhere(l => l[0] == name);
        _condition.RemoveWhere(l => l[0] == name);
        _finding.RemoveWhere(l => l[0] == name);
        _nodes.RemoveWhere(l => l[0] == name);
    }

    public void Remediation(string name, string fix, bool succeeded) => _remediations.Inc(name, fix, succeeded ? "success" : "error");
}
