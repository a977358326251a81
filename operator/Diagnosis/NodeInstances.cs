using GuardDutyCoverage.Diagnosis.Checks;
using k8s.Models;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>The EC2 instances behind a cluster's nodes (<c>spec.providerID</c>), whose GuardDuty EC2 coverage rows DuplicateAgentOnNode reads.</summary>
public static class NodeInstances
{
    /// <summary>Sorted, distinct instance IDs; nodes that are not EC2 instances (Fargate, hybrid, other clouds) have none.</summary>
    public static IReadOnlyList<string> Of(IEnumerable<V1Node>? nodes) =>
        (nodes ?? [])
            .Select(n => CoverageChecks.InstanceId(n.Spec?.ProviderID))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
}
