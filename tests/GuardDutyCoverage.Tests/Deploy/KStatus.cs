using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Api;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>kstatus result of an object (sigs.k8s.io/cli-utils/pkg/kstatus), as Flux, Helm 4 and kpt compute it.</summary>
public enum KStatusResult
{
    InProgress,
    Failed,
    Current,
    Terminating,
}

/// <summary>
/// The status contract of GuardDutyCoverage, as a reusable checker: the operator's own tests call
/// <see cref="AssertConforms(V1Alpha1GuardDutyCoverage)"/> on every status they see written.
/// <list type="bullet">
/// <item>kstatus: <c>status.observedGeneration</c> at the top level; Reconciling and Stalled follow the
/// "abnormal-true" convention (present only while True) and are never both present.</item>
/// <item>This project: Ready is always present once a status is written; Ready=True excludes Reconciling/Stalled.</item>
/// <item>metav1.Condition: unique types, status True/False/Unknown, CamelCase reason, lastTransitionTime, size limits.</item>
/// </list>
/// <see cref="Compute"/> mirrors cli-utils' generic rules, to state what Flux and Helm 4 conclude from a status.
/// </summary>
public static partial class KStatus
{
    public static void AssertConforms(V1Alpha1GuardDutyCoverage coverage) =>
        AssertConforms(JsonSerializer.SerializeToNode(coverage, ApiJsonContext.Default.V1Alpha1GuardDutyCoverage)!);

    public static void AssertConforms(JsonNode obj)
    {
        var violations = Violations(obj);
        Assert.True(violations.Count == 0, "status breaks the kstatus contract:\n  " + string.Join("\n  ", violations));
    }

    public static IReadOnlyList<string> Violations(JsonNode obj)
    {
        var violations = new List<string>();
        var status = obj["status"];
        if (status is null)
        {
            // Nothing written yet: the only state in which Ready may be missing.
            return violations;
        }

        var generation = obj["metadata"]?["generation"]?.GetValue<long>();
        var observed = status["observedGeneration"]?.GetValue<long>();
        if (observed is null)
        {
            violations.Add("status.observedGeneration is missing");
        }
        else if (generation is not null && observed > generation)
        {
            violations.Add($"status.observedGeneration {observed} is ahead of metadata.generation {generation}");
        }

        var conditions = status["conditions"]?.AsArray().Select(c => c!.AsObject()).ToArray() ?? [];
        foreach (var duplicate in conditions.GroupBy(c => c["type"]?.GetValue<string>()).Where(g => g.Count() > 1))
        {
            violations.Add($"condition {duplicate.Key} appears {duplicate.Count()} times");
        }

        foreach (var condition in conditions)
        {
            violations.AddRange(ConditionViolations(condition, generation));
        }

        var byType = conditions.GroupBy(c => c["type"]?.GetValue<string>() ?? "").ToDictionary(g => g.Key, g => g.First());
        if (!byType.TryGetValue("Ready", out var ready))
        {
            violations.Add("condition Ready is missing");
        }

        foreach (var abnormal in new[] { "Reconciling", "Stalled" })
        {
            if (byType.TryGetValue(abnormal, out var c) && c["status"]?.GetValue<string>() != "True")
            {
                violations.Add($"condition {abnormal} is present with status {c["status"]?.GetValue<string>()}: remove it instead (abnormal-true)");
            }
        }

        if (byType.ContainsKey("Reconciling") && byType.ContainsKey("Stalled"))
        {
            violations.Add("conditions Reconciling and Stalled are both present");
        }

        if (ready?["status"]?.GetValue<string>() == "True" && (byType.ContainsKey("Reconciling") || byType.ContainsKey("Stalled")))
        {
            violations.Add("Ready=True together with Reconciling or Stalled");
        }

        return violations;
    }

    /// <summary>kstatus' generic computation (cli-utils checkGenericProperties, then "current" for custom kinds).</summary>
    public static (KStatusResult Status, string Message) Compute(JsonNode obj)
    {
        if (obj["metadata"]?["deletionTimestamp"]?.GetValue<string>() is { Length: > 0 })
        {
            return (KStatusResult.Terminating, "Resource scheduled for deletion");
        }

        var generation = obj["metadata"]?["generation"]?.GetValue<long>();
        var observed = obj["status"]?["observedGeneration"]?.GetValue<long>();
        if (generation is not null && observed is not null && observed != generation)
        {
            return (KStatusResult.InProgress, $"{obj["kind"]} generation is {generation}, but latest observed generation is {observed}");
        }

        foreach (var condition in obj["status"]?["conditions"]?.AsArray() ?? [])
        {
            var type = condition!["type"]?.GetValue<string>();
            var isTrue = condition["status"]?.GetValue<string>() == "True";
            var message = condition["message"]?.GetValue<string>() ?? "";
            if (type == "Reconciling" && isTrue)
            {
                return (KStatusResult.InProgress, message);
            }

            if (type == "Stalled" && isTrue)
            {
                return (KStatusResult.Failed, message);
            }
        }

        return (KStatusResult.Current, "Resource is current");
    }

    private static IEnumerable<string> ConditionViolations(JsonObject condition, long? generation)
    {
        var type = condition["type"]?.GetValue<string>();
        if (type is null || type.Length > 316 || !ConditionType().IsMatch(type))
        {
            yield return $"condition type \"{type}\" is not a qualified name";
        }

        var status = condition["status"]?.GetValue<string>();
        if (status is not ("True" or "False" or "Unknown"))
        {
            yield return $"condition {type}: status \"{status}\" is not True, False or Unknown";
        }

        var reason = condition["reason"]?.GetValue<string>();
        if (reason is null || reason.Length > 1024 || !Reason().IsMatch(reason))
        {
            yield return $"condition {type}: reason \"{reason}\" is not CamelCase ([A-Za-z][A-Za-z0-9_,:]*)";
        }

        if ((condition["message"]?.GetValue<string>() ?? "").Length > 32768)
        {
            yield return $"condition {type}: message longer than 32768";
        }

        if (condition["lastTransitionTime"]?.GetValue<string>() is not { Length: > 0 })
        {
            yield return $"condition {type}: lastTransitionTime is missing";
        }

        if (condition["observedGeneration"]?.GetValue<long>() is { } conditionGeneration && generation is not null && conditionGeneration > generation)
        {
            yield return $"condition {type}: observedGeneration {conditionGeneration} is ahead of metadata.generation {generation}";
        }
    }

    // metav1.Condition validation (k8s.io/apimachinery/pkg/apis/meta/v1/validation).
    [GeneratedRegex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex ConditionType();

    [GeneratedRegex("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")]
    private static partial Regex Reason();
}
