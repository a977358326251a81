using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws;

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

        /// <summary>
        /// The reason of the Stalled condition: <see cref="StatusComposer.EndpointNotAllowedReason"/> when an endpoint is
        /// refused (a security boundary, worth its own alert), else <see cref="StatusComposer.InvalidSpecReason"/>.
        /// </summary>
        public string Reason { get; init; } = StatusComposer.InvalidSpecReason;
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

        var endpointRefused = false;
        foreach (var (field, service, url) in new[]
                 {
                     ("guardDuty", AwsService.GuardDuty, spec.Endpoints?.GuardDuty),
                     ("eks", AwsService.Eks, spec.Endpoints?.Eks),
                     ("ec2", AwsService.Ec2, spec.Endpoints?.Ec2),
                 })
        {
            if (url is null)
            {
                continue;
            }

            if (!(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.Host.Length > 0))
            {
                problems.Add($"spec.endpoints.{field} \"{url}\" is not an absolute http(s) URL");
            }
            else if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
            {
                problems.Add($"spec.endpoints.{field} \"{url}\" must not have a query, fragment or user info");
            }
            else if (!AwsEndpointPolicy.Allows(service, uri, options.AllowedAwsEndpoints))
            {
                endpointRefused = true;
                problems.Add(
                    $"spec.endpoints.{field} \"{url}\" is not an allowed {service.Id} endpoint, so no request is sent: a GuardDutyCoverage may name only " +
                    $"HTTPS endpoints of {service.Id} in an AWS partition (for example https://{service.EndpointPrefix}.us-east-1.amazonaws.com, its -fips variant or an interface VPC endpoint " +
                    $"vpce-....{service.EndpointPrefix}.us-east-1.vpce.amazonaws.com); other endpoints must be allowed by the operator's {AwsEndpointPolicy.Flag} " +
                    $"(Helm value {AwsEndpointPolicy.HelmValue}), or remove spec.endpoints.{field}");
            }
        }

        return new Result(interval, problems)
        {
            Reason = endpointRefused ? StatusComposer.EndpointNotAllowedReason : StatusComposer.InvalidSpecReason,
        };
    }
}
