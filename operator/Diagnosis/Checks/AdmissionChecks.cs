using System.Text.RegularExpressions;
using GuardDutyCoverage.Api;
using k8s.Models;

namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>
/// AdmissionAllowed: static analysis of webhook configurations against the add-on's objects, and the server-side
/// dry-runs that confirm a denial.
/// </summary>
internal static class AdmissionChecks
{
    private static readonly Regex WebhookName = new(
        """admission webhook \\?"([^"\\]+)\\?"|failed calling webhook \\?"([^"\\]+)\\?"|ValidatingAdmissionPolicy '([^']+)'""",
        Catalog.Matching,
        Catalog.RegexBudget);

    private static readonly Regex RequiredLabel = new(
        @"(?:must\s+have|missing|requires?|required)\s+(?:an?\s+|the\s+)?(?:required\s+)?(?:label\s+)?[`'""]?([A-Za-z0-9][-A-Za-z0-9_./]*)[`'""]?\s+label|label[-\s]+([A-Za-z0-9][-A-Za-z0-9_./]*)\]|labels?\s*(?:\{|\[|:)\s*[`'""]?([A-Za-z0-9][-A-Za-z0-9_./]*)",
        Catalog.Matching,
        Catalog.RegexBudget);

    /// <summary>The add-on's objects an admission webhook can stand in the way of.</summary>
    private sealed record Subject(string Group, string Resource, bool Namespaced, string Kind, IDictionary<string, string> Labels);

    public static void Run(DiagnosisContext context)
    {
        var snapshot = context.Snapshot;
        if (!snapshot.KubernetesObserved)
        {
            context.Note(CheckTypes.AdmissionAllowed, ConditionStatus.Unknown, ConditionReasons.NotObserved, "The cluster's objects were not read.");
            return;
        }

        var confirmed = new HashSet<string>(StringComparer.Ordinal);
        var inconclusive = new List<string>();
        ClassifyDryRun(context, snapshot.DaemonSetDryRun, namespaceRequest: false, confirmed, inconclusive);
        ClassifyDryRun(context, snapshot.NamespaceDryRun, namespaceRequest: true, confirmed, inconclusive);

        var webhooksObserved = snapshot.Observed(SnapshotKinds.ValidatingWebhookConfiguration) || snapshot.Observed(SnapshotKinds.MutatingWebhookConfiguration);
        var intercepting = webhooksObserved ? Intercepting(context, confirmed) : [];
        if (intercepting.Count > 0)
        {
            var dryRunPassed = snapshot.DaemonSetDryRun is { Allowed: true } ? " A dry-run update of the DaemonSet passed them just now." : "";
            context.Add(ReasonCodes.AdmissionWebhookMayIntercept, FindingSource.Local,
                $"{intercepting.Count} webhook{(intercepting.Count == 1 ? "" : "s")} with failurePolicy Fail intercept{(intercepting.Count == 1 ? "s" : "")} the add-on's objects: {string.Join("; ", intercepting.Select(i => i.Description))}.{dryRunPassed}",
                new Dictionary<string, string> { ["webhook"] = string.Join(", ", intercepting.Select(i => $"webhook \"{i.Name}\"")) });
        }

        if (inconclusive.Count > 0)
        {
            context.Note(CheckTypes.AdmissionAllowed, ConditionStatus.Unknown, "DryRunInconclusive", string.Join(" ", inconclusive));
        }
        else if (!webhooksObserved && snapshot.DaemonSetDryRun is null && snapshot.NamespaceDryRun is null)
        {
            context.Note(CheckTypes.AdmissionAllowed, ConditionStatus.Unknown, ConditionReasons.NotObserved, "Webhook configurations were not read and no dry-run was made.");
        }
        else
        {
            var dryRuns = new[] { snapshot.DaemonSetDryRun, snapshot.NamespaceDryRun }.Where(d => d is { Allowed: true }).Select(d => d!.Probe.Kind).ToList();
            context.Note(CheckTypes.AdmissionAllowed, ConditionStatus.True, "NoBlockingWebhooks",
                dryRuns.Count > 0
                    ? $"No webhook blocks the add-on's objects; dry-run updates of the {string.Join(" and ", dryRuns)} passed admission."
                    : "No webhook that fails closed intercepts the add-on's objects.");
        }
    }

    private static void ClassifyDryRun(DiagnosisContext context, DryRunResult? result, bool namespaceRequest, HashSet<string> confirmed, List<string> inconclusive)
    {
        if (result is null or { Allowed: true })
        {
            return;
        }

        var message = result.Message ?? "";
        var target = namespaceRequest
            ? $"Namespace {context.Target.AgentNamespace}"
            : $"DaemonSet {context.Target.AgentNamespace}/{context.Target.DaemonSetName}";
        if (!Catalog.IsAdmissionDenial(message))
        {
            inconclusive.Add($"The dry-run update of {target} failed without an admission decision (HTTP {result.Code}): {message}");
            return;
        }

        var webhook = ExtractWebhook(message);
        if (webhook is not null)
        {
            confirmed.Add(webhook);
        }

        var reason = Catalog.ClassifyAdmissionDenial(message, namespaceRequest);
        var details = new Dictionary<string, string> { ["webhook"] = webhook is null ? "the admission policy" : $"webhook \"{webhook}\"" };
        if (reason == ReasonCodes.NamespaceOwnerLabelRequired && ExtractLabel(message) is { } label)
        {
            details["label"] = label;
        }

        var failing = message.Contains("failed calling webhook", StringComparison.OrdinalIgnoreCase) ? " (the webhook fails closed: it cannot be reached)" : "";
        context.Add(reason, FindingSource.Local,
            $"A server-side dry-run update of {target} was rejected (HTTP {result.Code}){failing}: {message}", details);
    }

    internal static string? ExtractWebhook(string message)
    {
        var match = Catalog.SafeMatch(WebhookName, message);
        return match is null ? null : new[] { match.Groups[1], match.Groups[2], match.Groups[3] }.First(g => g.Success).Value;
    }

    internal static string? ExtractLabel(string message)
    {
        var match = Catalog.SafeMatch(RequiredLabel, message.Replace("`", "", StringComparison.Ordinal));
        return match is not null ? new[] { match.Groups[1], match.Groups[2], match.Groups[3] }.First(g => g.Success).Value : null;
    }

    private static List<(string Name, string Description)> Intercepting(DiagnosisContext context, HashSet<string> confirmed)
    {
        var snapshot = context.Snapshot;
        var target = context.Target;
        var namespaceLabels = new Dictionary<string, string>(KubeObjects.Labels(snapshot.AgentNamespace?.Metadata));
        namespaceLabels.TryAdd("kubernetes.io/metadata.name", target.AgentNamespace);
        var subjects = new[]
        {
            new Subject("apps", "daemonsets", true, "DaemonSet", KubeObjects.Labels(context.DaemonSet?.Metadata)),
            new Subject("", "pods", true, "Pod", KubeObjects.Labels(context.DaemonSet?.Spec?.Template?.Metadata)),
            new Subject("", "namespaces", false, "Namespace", namespaceLabels),
            new Subject("scheduling.k8s.io", "priorityclasses", false, "PriorityClass", KubeObjects.Labels(snapshot.PriorityClass?.Metadata)),
        };

        var result = new List<(string, string)>();
        var webhooks = snapshot.ValidatingWebhooks.SelectMany(c => (c.Webhooks ?? []).Select(w =>
                (Config: $"ValidatingWebhookConfiguration {c.Metadata?.Name}", w.Name, w.FailurePolicy, w.Rules, w.NamespaceSelector, w.ObjectSelector, HasConditions: w.MatchConditions is { Count: > 0 })))
            .Concat(snapshot.MutatingWebhooks.SelectMany(c => (c.Webhooks ?? []).Select(w =>
                (Config: $"MutatingWebhookConfiguration {c.Metadata?.Name}", w.Name, w.FailurePolicy, w.Rules, w.NamespaceSelector, w.ObjectSelector, HasConditions: w.MatchConditions is { Count: > 0 }))));
        foreach (var webhook in webhooks)
        {
            // admissionregistration.k8s.io/v1 defaults failurePolicy to Fail.
            if ((webhook.FailurePolicy ?? "Fail") != "Fail" || confirmed.Contains(webhook.Name))
            {
                continue;
            }

            var kinds = new List<string>();
            foreach (var subject in subjects)
            {
                if (!(webhook.Rules ?? []).Any(rule => RuleMatches(rule, subject)))
                {
                    continue;
                }

                // For a Namespace request the namespaceSelector is matched against the namespace itself; cluster-scoped others ignore it.
                var namespaceSelected = subject.Namespaced || subject.Resource == "namespaces"
                    ? KubeObjects.Matches(webhook.NamespaceSelector, namespaceLabels)
                    : true;
                if (namespaceSelected && KubeObjects.Matches(webhook.ObjectSelector, subject.Labels))
                {
                    kinds.Add(subject.Kind);
                }
            }

            if (kinds.Count == 0)
            {
                continue;
            }

            var engine = Engine(webhook.Config + " " + webhook.Name);
            var conditions = webhook.HasConditions ? ", has matchConditions that were not evaluated" : "";
            result.Add((webhook.Name, $"{webhook.Config} webhook \"{webhook.Name}\"{engine} on {string.Join(", ", kinds)} in {target.AgentNamespace} (namespaceSelector {KubeObjects.DescribeSelector(webhook.NamespaceSelector)}, objectSelector {KubeObjects.DescribeSelector(webhook.ObjectSelector)}{conditions})"));
        }

        return result;
    }

    private static bool RuleMatches(V1RuleWithOperations rule, Subject subject)
    {
        var operations = rule.Operations ?? [];
        var groups = rule.ApiGroups ?? [];
        var resources = rule.Resources ?? [];
        var scope = rule.Scope ?? "*";
        return operations.Any(o => o is "*" or "CREATE" or "UPDATE") &&
               groups.Any(g => g == "*" || g == subject.Group) &&
               resources.Any(r => r == "*" || r == "*/*" || r == subject.Resource) &&
               (scope == "*" || (scope == "Namespaced") == subject.Namespaced);
    }

    private static string Engine(string names) =>
        names.Contains("kyverno", StringComparison.OrdinalIgnoreCase) ? " (Kyverno)"
        : names.Contains("gatekeeper", StringComparison.OrdinalIgnoreCase) ? " (OPA Gatekeeper)"
        : "";
}
