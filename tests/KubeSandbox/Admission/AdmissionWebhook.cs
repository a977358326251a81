using System.Text.Json.Nodes;
using KubeSandbox.Authorization;

namespace KubeSandbox.Admission;

/// <summary>One rule of a webhook (admissionregistration/v1 RuleWithOperations).</summary>
internal sealed record WebhookRule(
    IReadOnlyList<string> Operations,
    IReadOnlyList<string> ApiGroups,
    IReadOnlyList<string> ApiVersions,
    IReadOnlyList<string> Resources,
    string? Scope);

/// <summary>
/// One webhook of a Mutating- or ValidatingWebhookConfiguration, with the v1 defaults applied the way the API server
/// stores them (failurePolicy Fail, matchPolicy Equivalent, empty selectors, timeoutSeconds 10, reinvocationPolicy Never).
/// </summary>
internal sealed record AdmissionWebhook(
    string ConfigurationName,
    int Index,
    string Name,
    bool Mutating,
    JsonObject? ClientConfig,
    IReadOnlyList<WebhookRule> Rules,
    bool FailOpen,
    bool MatchEquivalent,
    JsonNode? NamespaceSelector,
    JsonNode? ObjectSelector,
    string? SideEffects,
    int TimeoutSeconds,
    IReadOnlyList<string> AdmissionReviewVersions,
    bool ReinvokeIfNeeded)
{
    public const int DefaultTimeoutSeconds = 10;

    /// <summary>Stable identity within one admission (configuration name + position), used for reinvocation.</summary>
    public string Id => ConfigurationName + "/" + Index;

    /// <summary>
    /// The webhooks of all configurations of one type, configurations in name order and webhooks in their order
    /// within a configuration, as the API server's configuration managers present them to the dispatchers.
    /// </summary>
    public static IReadOnlyList<AdmissionWebhook> LoadAll(IObjectReader cluster, bool mutating)
    {
        var resource = mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations";
        var result = new List<AdmissionWebhook>();
        foreach (var configuration in cluster.List(WebhookAdmissionChain.RegistrationGroup, resource).OrderBy(JsonRead.Name, StringComparer.Ordinal))
        {
            if (configuration["webhooks"] is not JsonArray webhooks)
            {
                continue;
            }

            var configurationName = JsonRead.Name(configuration);
            for (var i = 0; i < webhooks.Count; i++)
            {
                if (webhooks[i] is JsonObject webhook)
                {
                    result.Add(From(configurationName, i, webhook, mutating));
                }
            }
        }

        return result;
    }

    private static AdmissionWebhook From(string configurationName, int index, JsonObject webhook, bool mutating)
    {
        var rules = new List<WebhookRule>();
        if (webhook["rules"] is JsonArray ruleArray)
        {
            foreach (var node in ruleArray)
            {
                if (node is JsonObject rule)
                {
                    rules.Add(new WebhookRule(
                        JsonRead.Strings(rule["operations"]),
                        JsonRead.Strings(rule["apiGroups"]),
                        JsonRead.Strings(rule["apiVersions"]),
                        JsonRead.Strings(rule["resources"]),
                        JsonRead.String(rule["scope"])));
                }
            }
        }

        var timeout = JsonRead.Integer(webhook["timeoutSeconds"]);
        return new AdmissionWebhook(
            configurationName,
            index,
            JsonRead.String(webhook["name"]) ?? "",
            mutating,
            webhook["clientConfig"] as JsonObject,
            rules,
            JsonRead.String(webhook["failurePolicy"]) == "Ignore",
            JsonRead.String(webhook["matchPolicy"]) != "Exact",
            webhook["namespaceSelector"],
            webhook["objectSelector"],
            JsonRead.String(webhook["sideEffects"]),
            timeout is > 0 and <= int.MaxValue ? (int)timeout.Value : DefaultTimeoutSeconds,
            JsonRead.Strings(webhook["admissionReviewVersions"]),
            mutating && JsonRead.String(webhook["reinvocationPolicy"]) == "IfNeeded");
    }
}
