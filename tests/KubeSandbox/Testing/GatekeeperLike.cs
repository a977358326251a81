using System.Text.Json.Nodes;
using KubeSandbox.Authorization;

namespace KubeSandbox.Testing;

/// <summary>A Gatekeeper constraint: its name and the violations it finds in a request (empty: none).</summary>
public sealed record GatekeeperConstraint(string Name, Func<AdmissionReviewRequest, IEnumerable<string>> Violations);

/// <summary>
/// A webhook that behaves like OPA Gatekeeper's <c>validation.gatekeeper.sh</c>: each violation becomes
/// <c>[constraint-name] message</c>, several joined by newlines, in a denial with reason Forbidden and code 403
/// (so kube-apiserver answers 403 Forbidden); allowed requests get <c>status.code: 200</c>. Also serves the
/// <c>check-ignore-label.gatekeeper.sh</c> webhook that guards the namespace-exemption label.
/// </summary>
public static class GatekeeperLike
{
    public const string ConfigurationName = "gatekeeper-validating-webhook-configuration";
    public const string WebhookName = "validation.gatekeeper.sh";
    public const string IgnoreLabelWebhookName = "check-ignore-label.gatekeeper.sh";
    public const string Path = "/v1/admit";
    public const string IgnoreLabelPath = "/v1/admitlabel";
    public const string IgnoreLabel = "admission.gatekeeper.sh/ignore";
    public const string GatekeeperNamespace = "gatekeeper-system";

    /// <summary><c>[all-namespace-must-have-label-owner] All namespaces must have an owner label</c> for a Namespace without <c>owner</c>.</summary>
    public static GatekeeperConstraint NamespacesMustHaveOwnerLabel(string name = "all-namespace-must-have-label-owner") =>
        new(name, review => review.Kind == "Namespace" && review.Object is { } ns && !JsonRead.Labels(ns).ContainsKey("owner")
            ? ["All namespaces must have an owner label"]
            : []);

    /// <summary>
    /// <c>[allowed-container-registries] container &lt;name&gt; has an invalid image registry</c> for each container of
    /// a Pod or pod controller whose image starts with none of <paramref name="allowedPrefixes"/> (k8sallowedrepos).
    /// </summary>
    public static GatekeeperConstraint AllowedContainerRegistries(IReadOnlyList<string> allowedPrefixes, string name = "allowed-container-registries")
    {
        ArgumentNullException.ThrowIfNull(allowedPrefixes);
        return new(name, review => PodTemplates.Containers(review.Object, review.Kind)
            .Where(c => !allowedPrefixes.Any(prefix => c.Image.StartsWith(prefix, StringComparison.Ordinal)))
            .Select(c => $"container <{c.Name}> has an invalid image registry"));
    }

    /// <summary>The <c>validation.gatekeeper.sh</c> behaviour enforcing <paramref name="constraints"/> on CREATE and UPDATE.</summary>
    public static WebhookBehavior Validation(params GatekeeperConstraint[] constraints) => (review, _) =>
    {
        var messages = review.Operation is "CREATE" or "UPDATE"
            ? constraints.SelectMany(c => c.Violations(review).Select(v => $"[{c.Name}] {v}")).ToList()
            : [];
        return ValueTask.FromResult(messages.Count == 0
            ? WebhookReply.WithResponse(new JsonObject { ["allowed"] = true, ["status"] = new JsonObject { ["code"] = 200 } })
            : WebhookReply.DenyWithStatus(new JsonObject { ["reason"] = "Forbidden", ["code"] = 403, ["message"] = string.Join('\n', messages) }));
    };

    /// <summary>The <c>check-ignore-label.gatekeeper.sh</c> behaviour: only exempt namespaces may carry the ignore label.</summary>
    public static WebhookBehavior IgnoreLabelCheck(params string[] exemptNamespaces) => (review, _) =>
    {
        var exempt = exemptNamespaces.Length == 0 ? [GatekeeperNamespace] : exemptNamespaces;
        var labelled = review.Kind == "Namespace" && review.Object is { } ns && JsonRead.Labels(ns).ContainsKey(IgnoreLabel);
        return ValueTask.FromResult(labelled && !exempt.Contains(JsonRead.Name(review.Object!))
            ? WebhookReply.Deny($"Only exempt namespace can have the {IgnoreLabel} label", 403, "Forbidden")
            : WebhookReply.WithResponse(new JsonObject { ["allowed"] = true, ["status"] = new JsonObject { ["code"] = 200 } }));
    };

    /// <summary>
    /// Gatekeeper's ValidatingWebhookConfiguration pointed at <paramref name="server"/>: <c>validation.gatekeeper.sh</c>
    /// on every resource (CREATE/UPDATE, matchPolicy Exact, failurePolicy Ignore by default, timeout 3s, skipping
    /// namespaces labelled <c>admission.gatekeeper.sh/ignore</c> and gatekeeper-system) and the fail-closed
    /// <c>check-ignore-label.gatekeeper.sh</c> on namespaces.
    /// </summary>
    public static JsonObject ValidatingWebhookConfiguration(TestWebhookServer server, string failurePolicy = "Ignore")
    {
        ArgumentNullException.ThrowIfNull(server);
        string[] createUpdate = ["CREATE", "UPDATE"];
        var notGatekeeper = KyvernoLike.NotInNamespaces(GatekeeperNamespace);
        var validationSelector = notGatekeeper.DeepClone().AsObject();
        ((JsonArray)validationSelector["matchExpressions"]!).Insert(0, new JsonObject { ["key"] = IgnoreLabel, ["operator"] = "DoesNotExist" });
        return WebhookConfigurations.Validating(
            ConfigurationName,
            new WebhookDefinition(WebhookName, server.ClientConfig(Path))
            {
                Rules = [WebhookConfigurations.Rule(createUpdate, ["*"], ["*"], ["*"])],
                FailurePolicy = failurePolicy,
                MatchPolicy = "Exact",
                NamespaceSelector = validationSelector,
                TimeoutSeconds = 3,
                AdmissionReviewVersions = ["v1", "v1beta1"],
            },
            new WebhookDefinition(IgnoreLabelWebhookName, server.ClientConfig(IgnoreLabelPath))
            {
                Rules = [WebhookConfigurations.Rule(createUpdate, [""], ["*"], ["namespaces"])],
                FailurePolicy = "Fail",
                MatchPolicy = "Exact",
                NamespaceSelector = notGatekeeper,
                TimeoutSeconds = 3,
                AdmissionReviewVersions = ["v1", "v1beta1"],
            });
    }

    /// <summary>Maps both behaviours on <paramref name="server"/> and returns the configuration to store.</summary>
    public static JsonObject Install(TestWebhookServer server, params GatekeeperConstraint[] constraints) =>
        Install(server, "Ignore", constraints);

    public static JsonObject Install(TestWebhookServer server, string failurePolicy, params GatekeeperConstraint[] constraints)
    {
        ArgumentNullException.ThrowIfNull(server);
        server.Map(Path, Validation(constraints));
        server.Map(IgnoreLabelPath, IgnoreLabelCheck());
        return ValidatingWebhookConfiguration(server, failurePolicy);
    }
}
