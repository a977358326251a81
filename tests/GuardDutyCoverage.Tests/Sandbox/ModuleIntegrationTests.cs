using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Testing;

namespace GuardDutyCoverage.Tests.Sandbox;

/// <summary>The default sandbox with its modules plugged in: identities under RBAC, aggregation, webhooks, field validation.</summary>
public sealed class ModuleIntegrationTests
{
    private const string Widgets = "apis/example.com/v1/widgets";

    private static JsonNode Json(string text) => JsonNode.Parse(text)!;

    [Fact]
    public async Task A_service_account_token_has_exactly_the_rbac_of_its_bindings_until_the_account_is_deleted()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var admin = new SandboxHttp(sandbox);
        var token = sandbox.AddServiceAccountToken("kube-system", "gdc-operator");
        using var operatorHttp = new SandboxHttp(sandbox, token);

        var denied = await operatorHttp.GetAsync("apis/apps/v1/namespaces/amazon-guardduty/daemonsets");
        Assert.Equal(403, denied.Status);
        Assert.Equal(
            "daemonsets.apps is forbidden: User \"system:serviceaccount:kube-system:gdc-operator\" cannot list resource \"daemonsets\" in API group \"apps\" in the namespace \"amazon-guardduty\"",
            (string)denied.Object["message"]!);

        Assert.Equal(201, (await admin.PostAsync("apis/rbac.authorization.k8s.io/v1/clusterroles", Json("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"gdc-reader"},
             "rules":[{"apiGroups":["apps"],"resources":["daemonsets"],"verbs":["get","list","watch"]}]}
            """))).Status);
        Assert.Equal(201, (await admin.PostAsync("apis/rbac.authorization.k8s.io/v1/clusterrolebindings", Json("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"gdc-reader"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"gdc-reader"},
             "subjects":[{"kind":"ServiceAccount","name":"gdc-operator","namespace":"kube-system"}]}
            """))).Status);
        Assert.Equal(200, (await operatorHttp.GetAsync("apis/apps/v1/namespaces/amazon-guardduty/daemonsets")).Status);
        Assert.Equal(403, (await operatorHttp.DeleteAsync("apis/apps/v1/namespaces/default/daemonsets/x")).Status);

        var review = await admin.PostAsync("apis/authentication.k8s.io/v1/tokenreviews", new JsonObject
        {
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["kind"] = "TokenReview",
            ["spec"] = new JsonObject { ["token"] = token },
        });
        var user = review.Object["status"]!["user"]!;
        Assert.Equal("system:serviceaccount:kube-system:gdc-operator", (string)user["username"]!);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"], user["groups"]!.AsArray().Select(g => (string)g!));
        var account = sandbox.Cluster.Get("v1", "ServiceAccount", "kube-system", "gdc-operator")!;
        Assert.Equal((string)account["metadata"]!["uid"]!, (string)user["uid"]!);

        // Like a bound token, it stops authenticating when its ServiceAccount goes away.
        Assert.Equal(200, (await admin.DeleteAsync("api/v1/namespaces/kube-system/serviceaccounts/gdc-operator")).Status);
        Assert.Equal(401, (await operatorHttp.GetAsync("apis/apps/v1/namespaces/amazon-guardduty/daemonsets")).Status);
    }

    [Fact]
    public async Task Added_users_are_authenticated_and_authorized_by_their_groups()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        sandbox.AddUser("alice-token", new UserInfo("alice", ["platform"]));
        using var alice = new SandboxHttp(sandbox, "alice-token");
        var self = await alice.PostAsync("apis/authorization.k8s.io/v1/selfsubjectaccessreviews", Json("""
            {"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"list","resource":"namespaces"}}}
            """));
        Assert.Equal(201, self.Status); // system:basic-user lets every authenticated user ask
        Assert.False((bool)self.Object["status"]!["allowed"]!);

        sandbox.Cluster.Upsert(Json("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"platform-view"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"platform"}]}
            """).AsObject());
        Assert.Equal(200, (await alice.GetAsync("api/v1/namespaces/default/configmaps")).Status);
        Assert.Equal(403, (await alice.PostAsync("api/v1/namespaces/default/configmaps", WatchTests.ConfigMap("c"))).Status);
    }

    [Fact]
    public async Task ClusterRole_writes_are_aggregated_by_the_aggregation_controller()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var admin = new SandboxHttp(sandbox);
        var view = (await admin.GetAsync("apis/rbac.authorization.k8s.io/v1/clusterroles/view")).Object;
        Assert.DoesNotContain(view["rules"]!.AsArray(), r => r!["apiGroups"]![0]!.GetValue<string>() == "coverage.guardduty.io");

        Assert.Equal(201, (await admin.PostAsync("apis/rbac.authorization.k8s.io/v1/clusterroles", Json("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole",
             "metadata":{"name":"gdc-view","labels":{"rbac.authorization.k8s.io/aggregate-to-view":"true"}},
             "rules":[{"apiGroups":["coverage.guardduty.io"],"resources":["guarddutycoverages"],"verbs":["get","list","watch"]}]}
            """))).Status);
        foreach (var aggregate in new[] { "view", "edit", "admin" })
        {
            var role = (await admin.GetAsync($"apis/rbac.authorization.k8s.io/v1/clusterroles/{aggregate}")).Object;
            Assert.Contains(role["rules"]!.AsArray(), r => r!["resources"]![0]!.GetValue<string>() == "guarddutycoverages");
        }

        Assert.Equal(200, (await admin.DeleteAsync("apis/rbac.authorization.k8s.io/v1/clusterroles/gdc-view")).Status);
        view = (await admin.GetAsync("apis/rbac.authorization.k8s.io/v1/clusterroles/view")).Object;
        Assert.DoesNotContain(view["rules"]!.AsArray(), r => r!["resources"]![0]!.GetValue<string>() == "guarddutycoverages");
    }

    [Fact]
    public async Task A_webhook_behind_a_service_is_called_at_its_loopback_endpoints()
    {
        await using var webhook = await TestWebhookServer.StartAsync(["kyverno-svc.kyverno.svc"]);
        webhook.Map("/validate", (review, _) => ValueTask.FromResult(
            review.Namespace == "amazon-guardduty" ? WebhookReply.Deny("policy violation: restrict-image-registries", 403) : WebhookReply.Allow()));
        await using var sandbox = await SandboxServer.StartAsync();
        using var admin = new SandboxHttp(sandbox);
        sandbox.Cluster.Upsert(WebhookConfigurations.Namespace("kyverno"));
        sandbox.Cluster.Upsert(WebhookConfigurations.Namespace("amazon-guardduty"));
        sandbox.Cluster.Upsert(WebhookConfigurations.Service("kyverno", "kyverno-svc"));
        var clientConfig = new JsonObject
        {
            ["service"] = new JsonObject { ["namespace"] = "kyverno", ["name"] = "kyverno-svc", ["path"] = "/validate", ["port"] = 443 },
            ["caBundle"] = webhook.CaBundle,
        };
        Assert.Equal(201, (await admin.PostAsync("apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", WebhookConfigurations.Validating(
            "kyverno", new WebhookDefinition("validate.kyverno.svc-fail", clientConfig)
            {
                Rules = [WebhookConfigurations.Rule(["CREATE", "UPDATE"], ["apps"], ["v1"], ["daemonsets"])],
            }))).Status);

        // A Service without Endpoints: the real server's error, and failurePolicy Fail refuses the write.
        var noEndpoints = await admin.PostAsync("apis/apps/v1/namespaces/default/daemonsets", WriteTests.DaemonSet("agent"));
        Assert.Equal(500, noEndpoints.Status);
        Assert.Equal(
            "Internal error occurred: failed calling webhook \"validate.kyverno.svc-fail\": failed to call webhook: Post \"https://kyverno-svc.kyverno.svc:443/validate?timeout=10s\": no endpoints available for service \"kyverno-svc\"",
            (string)noEndpoints.Object["message"]!);

        sandbox.Cluster.Upsert(WebhookConfigurations.Endpoints("kyverno", "kyverno-svc", webhook.BaseAddress.Port));
        Assert.Equal(201, (await admin.PostAsync("apis/apps/v1/namespaces/default/daemonsets", WriteTests.DaemonSet("agent"))).Status);
        var denied = await admin.PostAsync("apis/apps/v1/namespaces/amazon-guardduty/daemonsets?dryRun=All", WriteTests.DaemonSet("agent"));
        Assert.Equal(403, denied.Status);
        Assert.Equal("admission webhook \"validate.kyverno.svc-fail\" denied the request: policy violation: restrict-image-registries", (string)denied.Object["message"]!);

        var received = await webhook.WaitForReviewAsync(r => r.Review.Namespace == "amazon-guardduty").WaitAsync(SandboxHttp.Patience);
        Assert.True(received.Review.DryRun);
        Assert.Equal(2, webhook.Received.Count);
    }

    [Fact]
    public async Task Schema_validation_runs_after_mutating_webhooks_and_before_validating_ones()
    {
        await using var webhook = await TestWebhookServer.StartAsync();
        webhook.Map("/mutate", (review, _) => ValueTask.FromResult(WebhookReply.Patch(new JsonArray(
            new JsonObject { ["op"] = "replace", ["path"] = "/spec/size", ["value"] = 0 }))));
        webhook.Map("/validate", (_, _) => ValueTask.FromResult(WebhookReply.Allow()));
        await using var sandbox = await SandboxServer.StartAsync();
        await WriteTests.InstallWidgetCrdAsync(sandbox);
        using var admin = new SandboxHttp(sandbox);
        JsonObject[] rules = [WebhookConfigurations.Rule(["CREATE"], ["example.com"], ["v1"], ["widgets"])];
        sandbox.Cluster.Upsert(WebhookConfigurations.Mutating("shrink", new WebhookDefinition("shrink.example.com", webhook.ClientConfig("/mutate")) { Rules = rules }));
        sandbox.Cluster.Upsert(WebhookConfigurations.Validating("check", new WebhookDefinition("check.example.com", webhook.ClientConfig("/validate")) { Rules = rules }));

        var invalid = await admin.PostAsync(Widgets, Json("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":3}}"""));
        Assert.Equal(422, invalid.Status);
        Assert.Equal("Widget.example.com \"w\" is invalid: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1", (string)invalid.Object["message"]!);
        Assert.Equal(["/mutate"], webhook.Received.Select(r => r.Path)); // the validating webhook never saw the invalid object
    }

    [Fact]
    public async Task Unknown_fields_of_custom_resources_are_refused_reported_or_dropped_per_fieldValidation()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        await WriteTests.InstallWidgetCrdAsync(sandbox);
        using var admin = new SandboxHttp(sandbox);
        JsonNode Widget(string name) => new JsonObject
        {
            ["apiVersion"] = "example.com/v1",
            ["kind"] = "Widget",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = Json("""{"size":3,"colour":"blue","extra":{"a":1}}"""),
        };

        var strict = await admin.PostAsync($"{Widgets}?fieldValidation=Strict", Widget("strict"));
        Assert.Equal(400, strict.Status);
        Assert.Equal("strict decoding error: unknown field \"spec.colour\", unknown field \"spec.extra\"", (string)strict.Object["message"]!);
        Assert.Equal(404, (await admin.GetAsync($"{Widgets}/strict")).Status);

        var warned = await admin.PostAsync(Widgets, Widget("warned"));
        Assert.Equal(201, warned.Status);
        Assert.Equal("299 - \"unknown field \\\"spec.colour\\\"\",299 - \"unknown field \\\"spec.extra\\\"\"", warned.Headers["Warning"]);
        Assert.Equal(Json("""{"size":3}"""), warned.Object["spec"], JsonNode.DeepEquals);

        var ignored = await admin.PostAsync($"{Widgets}?fieldValidation=Ignore", Widget("ignored"));
        Assert.Equal(201, ignored.Status);
        Assert.False(ignored.Headers.ContainsKey("Warning"));

        var patched = await admin.PatchAsync($"{Widgets}/warned?fieldValidation=Strict", Json("""{"spec":{"shape":"round"}}"""));
        Assert.Equal(400, patched.Status);
        Assert.Equal("strict decoding error: unknown field \"spec.shape\"", (string)patched.Object["message"]!);
    }
}
