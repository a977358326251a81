using System.Text.Json.Nodes;
using KubeSandbox.Authorization;

namespace KubeSandbox.Testing;

/// <summary>How the Kyverno-like webhook words a denial.</summary>
public enum KyvernoMessageFormat
{
    /// <summary>
    /// One line, as Kyverno's denial reaches the client (and the controllers that report it):
    /// <c>policy DaemonSet/monitoring/node-agent for resource violation: restrict-image-registries:
    /// autogen-validate-registries: validation error: ...</c>.
    /// </summary>
    SingleLine,

    /// <summary>Kyverno's own text: a blank-line prefix and the policy/rule map as YAML.</summary>
    Multiline,
}

/// <summary>
/// A webhook that behaves like Kyverno's fail-closed resource validation webhook (<c>validate.kyverno.svc-fail</c>)
/// enforcing the policy library's <c>restrict-image-registries</c>: it replies like Kyverno (<c>status: Failure</c>
/// and a message, no code, so kube-apiserver answers 400 without reason) when an image of a Pod or a pod controller
/// matches none of the allowed patterns.
/// </summary>
public static class KyvernoLike
{
    public const string ConfigurationName = "kyverno-resource-validating-webhook-cfg";
    public const string WebhookName = "validate.kyverno.svc-fail";
    public const string Path = "/validate/fail";
    public const string PolicyName = "restrict-image-registries";

    /// <summary>
    /// Denies CREATE/UPDATE of Pods, DaemonSets, Deployments, StatefulSets, ReplicaSets, Jobs and CronJobs with an
    /// image outside <paramref name="allowedImages"/> (Kyverno wildcards: <c>*</c> any text, <c>?</c> one character,
    /// e.g. <c>registry.example.com/*</c>).
    /// </summary>
    public static WebhookBehavior RestrictImageRegistries(IReadOnlyList<string> allowedImages, KyvernoMessageFormat format = KyvernoMessageFormat.SingleLine)
    {
        ArgumentNullException.ThrowIfNull(allowedImages);
        return (review, _) =>
        {
            if (review.Operation is not ("CREATE" or "UPDATE") || review.Object is not { } obj)
            {
                return ValueTask.FromResult(WebhookReply.Allow());
            }

            var kind = JsonRead.String(obj["kind"]) is { Length: > 0 } objectKind ? objectKind : review.Kind;
            var offending = PodTemplates.Containers(obj, kind).FirstOrDefault(c => !allowedImages.Any(pattern => Wildcard.Matches(pattern, c.Image)));
            if (offending is null)
            {
                return ValueTask.FromResult(WebhookReply.Allow());
            }

            var rule = kind switch
            {
                "Pod" => "validate-registries",
                "CronJob" => "autogen-cronjob-validate-registries",
                _ => "autogen-validate-registries",
            };
            var name = JsonRead.Name(obj) is { Length: > 0 } objectName ? objectName : review.Name;
            var resource = $"{kind}/{JsonRead.Namespace(obj) ?? review.Namespace}/{name}";
            var ruleMessage = $"validation error: Unknown image registry. rule {rule} failed at path {offending.ImagePointer}/";
            var message = format == KyvernoMessageFormat.SingleLine
                ? $"policy {resource} for resource violation: {PolicyName}: {rule}: {ruleMessage}"
                : $"\n\npolicy {resource} for resource violation: \n\n{PolicyName}:\n  {rule}: '{ruleMessage}'\n";
            return ValueTask.FromResult(WebhookReply.DenyWithStatus(new JsonObject { ["status"] = "Failure", ["message"] = message }));
        };
    }

    /// <summary>
    /// Kyverno's fail-closed ValidatingWebhookConfiguration pointed at <paramref name="server"/>: Pods and pod
    /// controllers, CREATE/UPDATE, every namespace but <c>kyverno</c>, sideEffects NoneOnDryRun, timeout 10s.
    /// </summary>
    public static JsonObject ValidatingWebhookConfiguration(TestWebhookServer server, string failurePolicy = "Fail")
    {
        ArgumentNullException.ThrowIfNull(server);
        string[] createUpdate = ["CREATE", "UPDATE"];
        return WebhookConfigurations.Validating(ConfigurationName, new WebhookDefinition(WebhookName, server.ClientConfig(Path))
        {
            Rules =
            [
                WebhookConfigurations.Rule(createUpdate, [""], ["v1"], ["pods"]),
                WebhookConfigurations.Rule(createUpdate, ["apps"], ["v1"], ["daemonsets", "deployments", "replicasets", "statefulsets"]),
                WebhookConfigurations.Rule(createUpdate, ["batch"], ["v1"], ["cronjobs", "jobs"]),
            ],
            FailurePolicy = failurePolicy,
            NamespaceSelector = NotInNamespaces("kyverno"),
            SideEffects = "NoneOnDryRun",
        });
    }

    /// <summary>Maps the behaviour on <paramref name="server"/> and returns the configuration to store.</summary>
    public static JsonObject Install(TestWebhookServer server, IReadOnlyList<string> allowedImages, KyvernoMessageFormat format = KyvernoMessageFormat.SingleLine, string failurePolicy = "Fail")
    {
        ArgumentNullException.ThrowIfNull(server);
        server.Map(Path, RestrictImageRegistries(allowedImages, format));
        return ValidatingWebhookConfiguration(server, failurePolicy);
    }

    internal static JsonObject NotInNamespaces(params string[] namespaces) => new()
    {
        ["matchExpressions"] = new JsonArray(new JsonObject
        {
            ["key"] = "kubernetes.io/metadata.name",
            ["operator"] = "NotIn",
            ["values"] = new JsonArray([.. namespaces.Select(n => (JsonNode?)JsonValue.Create(n))]),
        }),
    };
}

/// <summary>Kyverno's wildcard matching: <c>*</c> matches any text, <c>?</c> one character, everything else itself.</summary>
internal static class Wildcard
{
    public static bool Matches(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
