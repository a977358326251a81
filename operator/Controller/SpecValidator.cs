using GuardDutyCoverage.Api;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// What the CRD schema cannot express. Each problem says which field to change and how; any problem makes the CR
/// Stalled (nothing converges until someone edits it), and the message goes into the Stalled and Ready conditions.
/// </summary>
public static class SpecValidator
{
    public sealed record Result(TimeSpan Interval, IReadOnlyList<string> Problems)
    {
        public bool IsValid => Problems.Count == 0;
    }

    public static Result Validate(GuardDutyCoverageSpec spec, OperatorOptions options)
    {
        var problems = new List<string>();

        if (!Durations.TryParse(spec.Interval, out var interval, out var error))
        {
            problems.Add($"spec.interval {error}");
            interval = TimeSpan.FromMinutes(5);
        }

        if (string.IsNullOrWhiteSpace(spec.ClusterName))
        {
            problems.Add("spec.clusterName is empty; set it to the EKS cluster name");
        }

        if (!options.AgentNamespaces.Contains(spec.Agent.Namespace, StringComparer.Ordinal))
        {
            problems.Add(
                $"spec.agent.namespace \"{spec.Agent.Namespace}\" is not watched by this operator (it reads {string.Join(", ", options.AgentNamespaces)}); " +
                "add it to --agent-namespaces (Helm value agentNamespaces) or change spec.agent.namespace");
        }

        if (spec.Remediation.Mode == RemediationMode.Apply && !options.RemediationEnabled)
        {
            problems.Add(
                "spec.remediation.mode is Apply but the operator runs without --remediation (and its RBAC); " +
                "install with remediation.enabled=true or set spec.remediation.mode to Report");
        }

        foreach (var (field, url) in new[] { ("guardDuty", spec.Endpoints?.GuardDuty), ("eks", spec.Endpoints?.Eks), ("ec2", spec.Endpoints?.Ec2) })
        {
            if (url is not null && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.Host.Length > 0))
            {
                problems.Add($"spec.endpoints.{field} \"{url}\" is not an absolute http(s) URL");
            }
        }

        return new Result(interval, problems);
    }
}
