using System.Text.Json.Nodes;

namespace KubeSandbox.Testing;

/// <summary>
/// One webhook of a configuration, defaulted as the API server stores it (k8s-golden 51: matchPolicy Equivalent,
/// empty selectors, scope "*"). <see cref="ClientConfig"/> is usually <see cref="TestWebhookServer.ClientConfig"/>.
/// </summary>
public sealed record WebhookDefinition(string Name, JsonObject ClientConfig)
{
    public IReadOnlyList<JsonObject> Rules { get; init; } = [WebhookConfigurations.Rule(["CREATE", "UPDATE"], ["*"], ["*"], ["*"])];

    public string FailurePolicy { get; init; } = "Fail";

    public string MatchPolicy { get; init; } = "Equivalent";

    public JsonObject? NamespaceSelector { get; init; }

    public JsonObject? ObjectSelector { get; init; }

    public string SideEffects { get; init; } = "None";

    public int TimeoutSeconds { get; init; } = 10;

    public IReadOnlyList<string> AdmissionReviewVersions { get; init; } = ["v1"];

    /// <summary>Mutating webhooks only: Never (default) or IfNeeded.</summary>
    public string ReinvocationPolicy { get; init; } = "Never";

    /// <summary>The webhook as stored, members in the API server's order.</summary>
    public JsonObject ToJson(bool mutating)
    {
        var webhook = new JsonObject
        {
            ["name"] = Name,
            ["clientConfig"] = ClientConfig.DeepClone(),
            ["rules"] = new JsonArray([.. Rules.Select(r => r.DeepClone())]),
            ["failurePolicy"] = FailurePolicy,
            ["matchPolicy"] = MatchPolicy,
            ["namespaceSelector"] = NamespaceSelector?.DeepClone() ?? new JsonObject(),
            ["objectSelector"] = ObjectSelector?.DeepClone() ?? new JsonObject(),
            ["sideEffects"] = SideEffects,
            ["timeoutSeconds"] = TimeoutSeconds,
            ["admissionReviewVersions"] = new JsonArray([.. AdmissionReviewVersions.Select(v => (JsonNode?)JsonValue.Create(v))]),
        };
        if (mutating)
        {
            webhook["reinvocationPolicy"] = ReinvocationPolicy;
        }

        return webhook;
    }
}

/// <summary>Builds Validating/MutatingWebhookConfiguration objects for the sandbox store.</summary>
public static class WebhookConfigurations
{
    public const string ApiVersion = "admissionregistration.k8s.io/v1";

    /// <summary>A RuleWithOperations, members in the API server's order.</summary>
    public static JsonObject Rule(IReadOnlyList<string> operations, IReadOnlyList<string> apiGroups, IReadOnlyList<string> apiVersions, IReadOnlyList<string> resources, string scope = "*") => new()
    {
        ["operations"] = Strings(operations),
        ["apiGroups"] = Strings(apiGroups),
        ["apiVersions"] = Strings(apiVersions),
        ["resources"] = Strings(resources),
        ["scope"] = scope,
    };

    public static JsonObject Validating(string name, params WebhookDefinition[] webhooks) => Configuration("ValidatingWebhookConfiguration", name, webhooks, mutating: false);

    public static JsonObject Mutating(string name, params WebhookDefinition[] webhooks) => Configuration("MutatingWebhookConfiguration", name, webhooks, mutating: true);

    /// <summary>A Namespace object (with the <c>kubernetes.io/metadata.name</c> label the server adds, as in k8s-golden 38).</summary>
    public static JsonObject Namespace(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        var allLabels = new JsonObject { ["kubernetes.io/metadata.name"] = name };
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            allLabels[key] = value;
        }

        return new JsonObject
        {
            ["kind"] = "Namespace",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = allLabels },
            ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
            ["status"] = new JsonObject { ["phase"] = "Active" },
        };
    }

    /// <summary>A Service object, which a <c>clientConfig.service</c> reference needs to exist.</summary>
    public static JsonObject Service(string @namespace, string name, int port = 443) => new()
    {
        ["kind"] = "Service",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
        ["spec"] = new JsonObject
        {
            ["ports"] = new JsonArray(new JsonObject { ["port"] = port, ["protocol"] = "TCP", ["targetPort"] = port }),
            ["type"] = "ClusterIP",
        },
    };

    /// <summary>
    /// The Endpoints object of a <see cref="Service"/> that routes its port to a loopback listener, e.g. a
    /// <see cref="TestWebhookServer"/> (pass its <c>BaseAddress.Port</c>): what the sandbox's
    /// <see cref="Admission.EndpointsServiceResolver"/> dials for a webhook's <c>clientConfig.service</c>.
    /// </summary>
    public static JsonObject Endpoints(string @namespace, string name, int targetPort) => new()
    {
        ["kind"] = "Endpoints",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
        ["subsets"] = new JsonArray(new JsonObject
        {
            ["addresses"] = new JsonArray(new JsonObject { ["ip"] = "127.0.0.1" }),
            ["ports"] = new JsonArray(new JsonObject { ["port"] = targetPort, ["protocol"] = "TCP" }),
        }),
    };

    private static JsonObject Configuration(string kind, string name, WebhookDefinition[] webhooks, bool mutating) => new()
    {
        ["kind"] = kind,
        ["apiVersion"] = ApiVersion,
        ["metadata"] = new JsonObject { ["name"] = name },
        ["webhooks"] = new JsonArray([.. webhooks.Select(w => (JsonNode)w.ToJson(mutating))]),
    };

    private static JsonArray Strings(IReadOnlyList<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);
}
