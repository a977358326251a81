using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Admission;
using KubeSandbox.Testing;
using GuardDutyCoverage.Tests.Sandbox.Authorization;
using static GuardDutyCoverage.Tests.Sandbox.Admission.AdmissionFixtures;

namespace GuardDutyCoverage.Tests.Sandbox.Admission;

/// <summary>Table tests of which webhooks a request reaches, against kube-apiserver's matching rules.</summary>
public sealed class WebhookMatcherTests
{
    private static readonly ResourceInfo Pods = new("", "v1", "pods", "Pod", true, "pod", ["po"], ["create"], true);
    private static readonly ResourceInfo WidgetsV1 = new("example.com", "v1", "widgets", "Widget", false, "widget", [], ["create"], true, []);
    private static readonly ResourceInfo WidgetsV2 = new("example.com", "v2", "widgets", "Widget", false, "widget", [], ["create"], true, []);

    public static TheoryData<string, string, string, string, string, string?, bool> Rules => new()
    {
        // rule: operations | apiGroups | apiVersions | resources[/sub] ; request: operation, resource(/sub) in apps/v1 daemonsets or core pods
        { "CREATE", "apps", "v1", "daemonsets", "CREATE", null, true },
        { "CREATE", "apps", "v1", "daemonsets", "UPDATE", null, false },
        { "*", "apps", "v1", "daemonsets", "DELETE", null, true },
        { "CREATE", "", "v1", "daemonsets", "CREATE", null, false },
        { "CREATE", "*", "v1", "daemonsets", "CREATE", null, true },
        { "CREATE", "apps", "v1beta2", "daemonsets", "CREATE", null, false },
        { "CREATE", "apps", "*", "daemonsets", "CREATE", null, true },
        { "CREATE", "apps", "v1", "deployments", "CREATE", null, false },
        { "CREATE", "apps", "v1", "*", "CREATE", null, true },
        { "UPDATE", "apps", "v1", "*", "UPDATE", "status", false },
        { "UPDATE", "apps", "v1", "*/*", "UPDATE", "status", true },
        { "UPDATE", "apps", "v1", "*/*", "UPDATE", null, true },
        { "UPDATE", "apps", "v1", "daemonsets/*", "UPDATE", "status", true },
        // As in kube-apiserver's matcher, "resource/*" also matches the resource itself.
        { "UPDATE", "apps", "v1", "daemonsets/*", "UPDATE", null, true },
        { "UPDATE", "apps", "v1", "*/status", "UPDATE", "status", true },
        { "UPDATE", "apps", "v1", "*/status", "UPDATE", "scale", false },
        { "UPDATE", "apps", "v1", "daemonsets/status", "UPDATE", "status", true },
        { "UPDATE", "apps", "v1", "daemonsets", "UPDATE", "status", false },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Rules_match_operation_group_version_and_resource(string operation, string group, string version, string resource, string requestOperation, string? subresource, bool expected)
    {
        var webhook = Webhook(Rule([operation], [group], [version], [resource]));
        var request = Context(DaemonSets, requestOperation, "ns", "ds", DaemonSet("ns", "ds", "img"), subresource: subresource);

        Assert.Equal(expected, Calls(webhook, request, Cluster(WebhookConfigurations.Namespace("ns"))));
    }

    public static TheoryData<string, string, string?, bool> Scopes => new()
    {
        // scope, request resource (namespaced daemonset / cluster-scoped priorityclass / namespace object), namespace, expected
        { "*", "daemonsets", "ns", true },
        { "Namespaced", "daemonsets", "ns", true },
        { "Cluster", "daemonsets", "ns", false },
        { "Namespaced", "priorityclasses", null, false },
        { "Cluster", "priorityclasses", null, true },
        { "Namespaced", "namespaces", null, false },
        { "Cluster", "namespaces", null, true },
    };

    [Theory]
    [MemberData(nameof(Scopes))]
    public void Scope_separates_namespaced_from_cluster_scoped_requests_and_namespaces_are_cluster_scoped(string scope, string resource, string? ns, bool expected)
    {
        var info = resource switch { "daemonsets" => DaemonSets, "priorityclasses" => PriorityClasses, _ => Namespaces };
        var webhook = Webhook(Rule(["UPDATE"], ["*"], ["*"], ["*"], scope));
        var obj = resource == "namespaces" ? WebhookConfigurations.Namespace("team") : DaemonSet("ns", "x", "img");
        var request = Context(info, "UPDATE", ns, resource == "namespaces" ? "team" : "x", obj, obj);

        Assert.Equal(expected, Calls(webhook, request, Cluster(WebhookConfigurations.Namespace("ns"), WebhookConfigurations.Namespace("team"))));
    }

    public static TheoryData<string, bool> NamespaceSelectors => new()
    {
        // selector on namespace "amazon-guardduty" labelled owner=x (as golden 38)
        { """{}""", true },
        { """{"matchLabels":{"owner":"x"}}""", true },
        { """{"matchLabels":{"owner":"y"}}""", false },
        { """{"matchExpressions":[{"key":"owner","operator":"In","values":["a","x"]}]}""", true },
        { """{"matchExpressions":[{"key":"owner","operator":"NotIn","values":["x"]}]}""", false },
        { """{"matchExpressions":[{"key":"team","operator":"NotIn","values":["x"]}]}""", true },
        { """{"matchExpressions":[{"key":"owner","operator":"Exists"}]}""", true },
        { """{"matchExpressions":[{"key":"owner","operator":"DoesNotExist"}]}""", false },
        { """{"matchExpressions":[{"key":"admission.gatekeeper.sh/ignore","operator":"DoesNotExist"}]}""", true },
        { """{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["amazon-guardduty"]}]}""", false },
        { """{"matchLabels":{"owner":"x"},"matchExpressions":[{"key":"team","operator":"Exists"}]}""", false },
    };

    [Theory]
    [MemberData(nameof(NamespaceSelectors))]
    public void Namespace_selector_applies_to_the_labels_of_the_requests_namespace(string selector, bool expected)
    {
        var webhook = Webhook(AllDaemonSets(), namespaceSelector: selector);
        var request = Context(DaemonSets, "CREATE", "amazon-guardduty", "agent", DaemonSet("amazon-guardduty", "agent", "img"));

        Assert.Equal(expected, Calls(webhook, request, Cluster(GoldenFiles.ResponseBody("38"))));
    }

    [Fact]
    public void Namespace_selector_sees_the_labels_of_a_namespace_being_created_or_updated_in_the_request()
    {
        var webhook = Webhook(Rule(["CREATE", "UPDATE", "DELETE"], [""], ["v1"], ["namespaces"]), namespaceSelector: """{"matchLabels":{"owner":"x"}}""");
        var stored = WebhookConfigurations.Namespace("amazon-guardduty");
        var labelled = WebhookConfigurations.Namespace("amazon-guardduty", new Dictionary<string, string> { ["owner"] = "x" });
        var cluster = Cluster(stored);

        Assert.True(Calls(webhook, Context(Namespaces, "CREATE", null, "amazon-guardduty", labelled), Cluster()));
        Assert.True(Calls(webhook, Context(Namespaces, "UPDATE", null, "amazon-guardduty", labelled, stored), cluster));
        Assert.False(Calls(webhook, Context(Namespaces, "UPDATE", null, "amazon-guardduty", stored, labelled), cluster));
        // DELETE has no new object: the stored namespace's labels decide.
        Assert.False(Calls(webhook, Context(Namespaces, "DELETE", null, "amazon-guardduty", null, stored), cluster));
        Assert.True(Calls(webhook, Context(Namespaces, "DELETE", null, "amazon-guardduty", null, labelled), Cluster(labelled)));
    }

    [Fact]
    public void Namespace_selector_never_exempts_other_cluster_scoped_requests()
    {
        var webhook = Webhook(Rule(["CREATE"], ["scheduling.k8s.io"], ["v1"], ["priorityclasses"]), namespaceSelector: """{"matchLabels":{"never":"present"}}""");

        Assert.True(Calls(webhook, Context(PriorityClasses, "CREATE", null, "pc", new JsonObject()), Cluster()));
    }

    [Fact]
    public void A_missing_namespace_fails_the_request_with_not_found_when_a_selector_must_be_evaluated()
    {
        var withSelector = Webhook(AllDaemonSets(), namespaceSelector: """{"matchLabels":{"a":"b"}}""");
        var request = Context(DaemonSets, "CREATE", "ghost", "x", DaemonSet("ghost", "x", "img"));

        var match = Match(withSelector, request, Cluster());

        Assert.Null(match.Invocation);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \"ghost\" not found","reason":"NotFound","details":{"name":"ghost","kind":"namespaces"},"code":404}""",
            match.Error!.Text());
        Assert.True(Calls(Webhook(AllDaemonSets()), request, Cluster()));
        Assert.False(Calls(Webhook(Rule(["CREATE"], ["apps"], ["v1"], ["deployments"]), namespaceSelector: """{"matchLabels":{"a":"b"}}"""), request, Cluster()));
    }

    [Theory]
    [InlineData("""{"matchLabels":{"app.kubernetes.io/name":"aws-guardduty-agent"}}""", true, false, true)]
    [InlineData("""{"matchLabels":{"app.kubernetes.io/name":"aws-guardduty-agent"}}""", false, true, true)]
    [InlineData("""{"matchLabels":{"app.kubernetes.io/name":"aws-guardduty-agent"}}""", false, false, false)]
    [InlineData("""{"matchExpressions":[{"key":"app.kubernetes.io/name","operator":"DoesNotExist"}]}""", true, true, false)]
    [InlineData("""{}""", false, false, true)]
    public void Object_selector_matches_the_new_or_the_old_object(string selector, bool newLabelled, bool oldLabelled, bool expected)
    {
        var labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "aws-guardduty-agent" };
        var webhook = Webhook(AllDaemonSets(), objectSelector: selector);
        var request = Context(
            DaemonSets,
            "UPDATE",
            "ns",
            "agent",
            DaemonSet("ns", "agent", "img", newLabelled ? labels : null),
            DaemonSet("ns", "agent", "img", oldLabelled ? labels : null));

        Assert.Equal(expected, Calls(webhook, request, Cluster(WebhookConfigurations.Namespace("ns"))));
    }

    [Theory]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"In","values":[]}]}""", "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty")]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"Exists","values":["b"]}]}""", "values: Invalid value: []string{\"b\"}: values set must be empty for exists and does not exist")]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"Equals","values":["b"]}]}""", "\"Equals\" is not a valid label selector operator")]
    public void An_invalid_selector_of_a_matching_webhook_is_an_internal_error(string selector, string message)
    {
        var request = Context(DaemonSets, "CREATE", "ns", "x", DaemonSet("ns", "x", "img"));

        var byObject = Match(Webhook(AllDaemonSets(), objectSelector: selector), request, Cluster(WebhookConfigurations.Namespace("ns")));
        var byNamespace = Match(Webhook(AllDaemonSets(), namespaceSelector: selector), request, Cluster(WebhookConfigurations.Namespace("ns")));
        var notMatching = Match(Webhook(Rule(["DELETE"], ["apps"], ["v1"], ["daemonsets"]), objectSelector: selector), request, Cluster());

        Assert.Equal("Internal error occurred: " + message, byObject.Error!["message"]!.GetValue<string>());
        Assert.Equal(500, byNamespace.Error!["code"]!.GetValue<int>());
        Assert.Equal(default, notMatching);
    }

    [Fact]
    public void Equivalent_match_policy_reaches_a_webhook_registered_for_another_served_version()
    {
        var forV1 = Rule(["CREATE"], ["example.com"], ["v1"], ["widgets"]);
        var request = Context(WidgetsV2, "CREATE", null, "w", new JsonObject { ["apiVersion"] = "example.com/v2", ["kind"] = "Widget" });

        var equivalent = Match(Webhook(forV1), request, Cluster(), [WidgetsV1, WidgetsV2]);
        var exact = Match(Webhook(forV1, matchPolicy: "Exact"), request, Cluster(), [WidgetsV1, WidgetsV2]);

        Assert.True(equivalent.Invocation!.ThroughEquivalent);
        Assert.Equal(("example.com", "v1", "widgets", "Widget"), (equivalent.Invocation.Attributes.Group, equivalent.Invocation.Attributes.Version, equivalent.Invocation.Attributes.Resource, equivalent.Invocation.Attributes.Kind));
        Assert.Null(exact.Invocation);
    }

    [Fact]
    public void Requests_on_a_namespace_carry_its_name_as_namespace_except_on_create()
    {
        var update = RequestAttributes.From(Context(Namespaces, "UPDATE", null, "amazon-guardduty", WebhookConfigurations.Namespace("amazon-guardduty")), null);
        var create = RequestAttributes.From(Context(Namespaces, "CREATE", null, "amazon-guardduty", WebhookConfigurations.Namespace("amazon-guardduty")), null);
        var scale = RequestAttributes.From(Context(DaemonSets, "UPDATE", "ns", "d", null, subresource: "scale"), null);

        Assert.Equal("amazon-guardduty", update.Namespace);
        Assert.Equal("", create.Namespace);
        Assert.Equal(("autoscaling", "v1", "Scale"), (scale.KindGroup, scale.KindVersion, scale.Kind));
    }

    private static InMemoryObjectReader Cluster(params JsonObject[] objects) => new(objects);

    private static JsonObject Rule(string[] operations, string[] groups, string[] versions, string[] resources, string scope = "*") =>
        WebhookConfigurations.Rule(operations, groups, versions, resources, scope);

    private static JsonObject AllDaemonSets() => Rule(["CREATE", "UPDATE"], ["apps"], ["v1"], ["daemonsets"]);

    private static AdmissionWebhook Webhook(JsonObject rule, string? namespaceSelector = null, string? objectSelector = null, string matchPolicy = "Equivalent")
    {
        var definition = new WebhookDefinition("hook.example.com", new JsonObject { ["url"] = "https://127.0.0.1:1/" })
        {
            Rules = [rule],
            MatchPolicy = matchPolicy,
            NamespaceSelector = namespaceSelector is null ? null : JsonNode.Parse(namespaceSelector)!.AsObject(),
            ObjectSelector = objectSelector is null ? null : JsonNode.Parse(objectSelector)!.AsObject(),
        };
        var cluster = Cluster(WebhookConfigurations.Validating("config", definition));
        return Assert.Single(AdmissionWebhook.LoadAll(cluster, mutating: false));
    }

    private static MatchResult Match(AdmissionWebhook webhook, AdmissionRequestContext request, InMemoryObjectReader cluster, IReadOnlyList<ResourceInfo>? equivalents = null) =>
        WebhookMatcher.Match(webhook, RequestAttributes.From(request, request.Object), new NamespaceLabelSource(request.NamespaceObject, cluster), equivalents ?? []);

    private static bool Calls(AdmissionWebhook webhook, AdmissionRequestContext request, InMemoryObjectReader cluster)
    {
        var match = Match(webhook, request, cluster);
        Assert.Null(match.Error);
        return match.Invocation is not null;
    }
}
