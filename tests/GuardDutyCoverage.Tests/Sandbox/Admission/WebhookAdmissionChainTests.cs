using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Admission;
using KubeSandbox.Testing;
using GuardDutyCoverage.Tests.Sandbox.Authorization;
using Microsoft.Extensions.Time.Testing;
using static GuardDutyCoverage.Tests.Sandbox.Admission.AdmissionFixtures;

namespace GuardDutyCoverage.Tests.Sandbox.Admission;

/// <summary>The admission chain against a real HTTPS webhook server: dry-run, mutation, failure policy, timeouts, bad replies.</summary>
public sealed class WebhookAdmissionChainTests : IAsyncLifetime
{
    private TestWebhookServer server = null!;
    private WebhookAdmissionChain chain = null!;

    public async Task InitializeAsync()
    {
        server = await TestWebhookServer.StartAsync(["gdc-webhook.gdc-system.svc"]);
        chain = new WebhookAdmissionChain();
    }

    public async Task DisposeAsync()
    {
        await chain.DisposeAsync();
        await server.DisposeAsync();
    }

    [Theory]
    [InlineData("Some", "Fail")]
    [InlineData("Unknown", "Fail")]
    [InlineData("Some", "Ignore")]
    public async Task A_dry_run_reaching_a_webhook_with_side_effects_is_a_bad_request_and_the_webhook_is_not_called(string sideEffects, string failurePolicy)
    {
        server.Map("/v", WebhookBehaviors.AllowAll());
        var cluster = ClusterWith(Validating(server, "/v", d => d with { SideEffects = sideEffects, FailurePolicy = failurePolicy }));

        var outcome = await chain.AdmitAsync(CreateAgent(dryRun: true), cluster, CancellationToken.None);

        Assert.Equal(400, outcome.StatusCode);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"admission webhook \"under-test.example.com\" does not support dry run","reason":"BadRequest","code":400}""",
            outcome.Status!.Text());
        Assert.Empty(server.Received);
    }

    [Theory]
    [InlineData("None", true)]
    [InlineData("NoneOnDryRun", true)]
    [InlineData("Some", false)]
    public async Task Webhooks_are_called_with_the_dry_run_flag_when_they_allow_it(string sideEffects, bool dryRun)
    {
        server.Map("/v", WebhookBehaviors.AllowAll());
        var cluster = ClusterWith(Validating(server, "/v", d => d with { SideEffects = sideEffects }));

        var outcome = await chain.AdmitAsync(CreateAgent(dryRun), cluster, CancellationToken.None);

        Assert.True(outcome.Allowed);
        Assert.Equal(dryRun, Assert.Single(server.Received).Review.DryRun);
    }

    [Fact]
    public async Task A_mutating_patch_is_applied_and_the_validating_webhooks_see_the_mutated_object()
    {
        server.Map("/m", WebhookBehaviors.AddLabels(new Dictionary<string, string> { ["team"] = "security", ["app.kubernetes.io/managed-by"] = "eks" }));
        server.Map("/v", WebhookBehaviors.AllowAll());
        var cluster = ClusterWith(Mutating(server, "/m"), Validating(server, "/v"));
        var request = CreateAgent(dryRun: false);

        var outcome = await chain.AdmitAsync(request, cluster, CancellationToken.None);

        Assert.True(outcome.Allowed);
        var expectedLabels = """{"team":"security","app.kubernetes.io/managed-by":"eks"}""";
        Assert.Equal(expectedLabels, outcome.MutatedObject!["metadata"]!["labels"]!.Text());
        Assert.Null(request.Object!["metadata"]!["labels"]);
        var validated = Assert.Single(server.Received, r => r.Path == "/v");
        Assert.Equal(expectedLabels, validated.Review.Object!["metadata"]!["labels"]!.Text());
    }

    [Fact]
    public async Task A_webhook_patch_that_does_not_apply_fails_the_request_whatever_the_failure_policy()
    {
        server.Map("/m", (_, _) => ValueTask.FromResult(WebhookReply.Patch(new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = "/spec/replicas", ["value"] = 3 }))));
        var cluster = ClusterWith(Mutating(server, "/m", d => d with { FailurePolicy = "Ignore" }));

        var outcome = await chain.AdmitAsync(CreateAgent(dryRun: false), cluster, CancellationToken.None);

        Assert.Equal(500, outcome.StatusCode);
        Assert.Equal("Internal error occurred: replace operation does not apply: doc is missing key: /spec/replicas: missing value", outcome.Status!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_delete_is_reviewed_with_the_old_object_and_delete_options_and_cannot_be_patched()
    {
        server.Map("/m", (_, _) => ValueTask.FromResult(WebhookReply.Patch(new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/metadata/labels", ["value"] = new JsonObject() }))));
        server.Map("/v", WebhookBehaviors.AllowAll());
        var stored = DaemonSet("amazon-guardduty", "aws-guardduty-agent", "img");
        var delete = Context(DaemonSets, "DELETE", "amazon-guardduty", "aws-guardduty-agent", null, stored, options: new JsonObject { ["propagationPolicy"] = "Background" });
        var hooks = (string[] operations) => new[] { WebhookConfigurations.Rule(operations, ["apps"], ["v1"], ["daemonsets"]) };

        var validated = await chain.AdmitAsync(delete, ClusterWith(Validating(server, "/v", d => d with { Rules = hooks(["DELETE"]) })), CancellationToken.None);
        var mutated = await chain.AdmitAsync(delete, ClusterWith(Mutating(server, "/m", d => d with { Rules = hooks(["DELETE"]) })), CancellationToken.None);

        Assert.True(validated.Allowed);
        var review = Assert.Single(server.Received, r => r.Path == "/v").Review;
        Assert.Null(review.Object);
        Assert.Equal("aws-guardduty-agent", review.OldObject!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("""{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/v1","propagationPolicy":"Background"}""", review.Request["options"]!.Text());
        Assert.Equal(500, mutated.StatusCode);
        Assert.Equal("Internal error occurred: admission webhook \"under-test.example.com\" attempted to modify the object, which is not supported for this operation", mutated.Status!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Failure_policy_ignore_lets_requests_through_unreachable_webhooks_but_not_through_denials()
    {
        var port = ClosedPort();
        var unreachable = WebhookConfigurations.Validating("down", new WebhookDefinition("down.example.com", new JsonObject { ["url"] = $"https://127.0.0.1:{port}/", ["caBundle"] = server.CaBundle }) { FailurePolicy = "Ignore" });
        server.Map("/deny", WebhookBehaviors.DenyAll("no", 403));

        var ignored = await chain.AdmitAsync(CreateAgent(false), ClusterWith(unreachable), CancellationToken.None);
        var denied = await chain.AdmitAsync(CreateAgent(false), ClusterWith(unreachable, Validating(server, "/deny", d => d with { FailurePolicy = "Ignore" })), CancellationToken.None);

        Assert.Equal(new AdmissionOutcome(true, null, 200, null), ignored);
        Assert.Equal(403, denied.StatusCode);
        Assert.Equal("admission webhook \"under-test.example.com\" denied the request: no", denied.Status!["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Fail", 10)]
    [InlineData("Fail", 3)]
    [InlineData("Ignore", 10)]
    public async Task A_webhook_that_does_not_answer_within_timeout_seconds_times_out_on_the_clock(string failurePolicy, int timeoutSeconds)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var timedChain = new WebhookAdmissionChain(new WebhookAdmissionOptions { TimeProvider = clock });
        server.Map("/slow", (_, _) => ValueTask.FromResult(WebhookReply.NoAnswer()));
        var cluster = ClusterWith(Validating(server, "/slow", d => d with { FailurePolicy = failurePolicy, TimeoutSeconds = timeoutSeconds }));

        var admission = timedChain.AdmitAsync(CreateAgent(false), cluster, CancellationToken.None);
        var received = await server.WaitForReviewAsync().WaitAsync(Patience);
        Assert.False(admission.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(timeoutSeconds));
        var outcome = await admission.WaitAsync(Patience);

        Assert.Equal($"{timeoutSeconds}s", received.Query["timeout"]);
        if (failurePolicy == "Ignore")
        {
            Assert.True(outcome.Allowed);
            return;
        }

        Assert.Equal(500, outcome.StatusCode);
        Assert.Equal(
            $"Internal error occurred: failed calling webhook \"under-test.example.com\": failed to call webhook: Post \"{server.Url("/slow")}?timeout={timeoutSeconds}s\": context deadline exceeded",
            outcome.Status!["message"]!.GetValue<string>());
    }

    public static TheoryData<string, string> BadReplies => new()
    {
        { "wrong-uid", "received invalid webhook response: expected response.uid=\"{uid}\", got \"someone-else\"" },
        { "wrong-kind", "received invalid webhook response: expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got admission.k8s.io/v1beta1, Kind=AdmissionReview" },
        { "no-response", "received invalid webhook response: webhook response was absent" },
        { "no-kind", "failed to call webhook: Object 'Kind' is missing in '{\"response\":{\"allowed\":true}}'" },
        { "patch-from-validating", "received invalid webhook response: validating webhook may not return response.patch" },
        { "http-500", "failed to call webhook: an error on the server (\"boom\") has prevented the request from succeeding" },
        { "http-404", "failed to call webhook: the server could not find the requested resource" },
        { "not-json", "failed to call webhook: couldn't get version/kind; json parse error: " },
        { "empty", "failed to call webhook: 0-length response with status code: 200 and content type: application/json" },
        { "bad-base64", "failed to call webhook: illegal base64 data at input byte 3" },
    };

    [Theory]
    [MemberData(nameof(BadReplies))]
    public async Task Unusable_replies_are_internal_errors_under_failure_policy_fail(string reply, string reason)
    {
        server.Map("/bad", (review, _) => ValueTask.FromResult(reply switch
        {
            "wrong-uid" => WebhookReply.WithResponse(new JsonObject { ["uid"] = "someone-else", ["allowed"] = true }),
            "wrong-kind" => WebhookReply.Review(new JsonObject { ["apiVersion"] = "admission.k8s.io/v1beta1", ["kind"] = "AdmissionReview", ["response"] = new JsonObject { ["uid"] = review.Uid, ["allowed"] = true } }),
            "no-response" => WebhookReply.Review(new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview" }),
            "no-kind" => WebhookReply.Review(new JsonObject { ["response"] = new JsonObject { ["allowed"] = true } }),
            "patch-from-validating" => WebhookReply.Patch(new JsonArray(new JsonObject { ["op"] = "remove", ["path"] = "/metadata" })),
            "http-500" => WebhookReply.Http(500, "text/plain", "boom\n"),
            "not-json" => WebhookReply.Http(200, "application/json", "<html>"),
            "empty" => WebhookReply.Http(200, "application/json", ""),
            "bad-base64" => WebhookReply.WithResponse(new JsonObject { ["allowed"] = true, ["patch"] = "abc!" }),
            _ => WebhookReply.Allow(),
        }));
        var path = reply == "http-404" ? "/unmapped" : "/bad";
        var cluster = ClusterWith(Validating(server, path));

        var outcome = await chain.AdmitAsync(CreateAgent(false), cluster, CancellationToken.None);

        var uid = Assert.Single(server.Received).Review.Uid;
        Assert.Equal(500, outcome.StatusCode);
        Assert.Equal("InternalError", outcome.Status!["reason"]!.GetValue<string>());
        Assert.StartsWith(
            "Internal error occurred: failed calling webhook \"under-test.example.com\": " + reason.Replace("{uid}", uid, StringComparison.Ordinal),
            outcome.Status["message"]!.GetValue<string>(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_ca_bundle_is_trusted()
    {
        await using var other = await TestWebhookServer.StartAsync();
        server.Map("/v", WebhookBehaviors.AllowAll());
        var wrongCa = WebhookConfigurations.Validating("c", new WebhookDefinition("wrong-ca.example.com", new JsonObject { ["url"] = server.Url("/v"), ["caBundle"] = other.CaBundle }));
        var noCa = WebhookConfigurations.Validating("c", new WebhookDefinition("no-ca.example.com", new JsonObject { ["url"] = server.Url("/v") }));

        var wrong = await chain.AdmitAsync(CreateAgent(false), ClusterWith(wrongCa), CancellationToken.None);
        var system = await chain.AdmitAsync(CreateAgent(false), ClusterWith(noCa), CancellationToken.None);

        Assert.Equal(
            $"Internal error occurred: failed calling webhook \"wrong-ca.example.com\": failed to call webhook: Post \"{server.Url("/v")}?timeout=10s\": x509: certificate signed by unknown authority",
            wrong.Status!["message"]!.GetValue<string>());
        Assert.EndsWith("x509: certificate signed by unknown authority", system.Status!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task Service_references_are_resolved_through_the_configured_resolver_and_verified_against_the_service_name()
    {
        server.Map("/validate", WebhookBehaviors.AllowAll());
        await using var resolving = new WebhookAdmissionChain(new WebhookAdmissionOptions
        {
            ServiceResolver = service => service is { Namespace: "gdc-system", Port: 8443 } ? server.BaseAddress : null,
        });
        JsonObject ServiceConfig(string name, int port) => WebhookConfigurations.Validating(name, new WebhookDefinition(name + ".example.com", new JsonObject
        {
            ["service"] = new JsonObject { ["namespace"] = "gdc-system", ["name"] = name, ["path"] = "/validate", ["port"] = port },
            ["caBundle"] = server.CaBundle,
        }));

        var ok = await resolving.AdmitAsync(CreateAgent(false), ClusterWith(ServiceConfig("gdc-webhook", 8443), WebhookConfigurations.Service("gdc-system", "gdc-webhook", 8443)), CancellationToken.None);
        var missing = await resolving.AdmitAsync(CreateAgent(false), ClusterWith(ServiceConfig("gdc-webhook", 8443)), CancellationToken.None);
        var noEndpoints = await resolving.AdmitAsync(CreateAgent(false), ClusterWith(ServiceConfig("gdc-webhook", 443), WebhookConfigurations.Service("gdc-system", "gdc-webhook")), CancellationToken.None);
        var wrongName = await resolving.AdmitAsync(CreateAgent(false), ClusterWith(ServiceConfig("other", 8443), WebhookConfigurations.Service("gdc-system", "other", 8443)), CancellationToken.None);

        Assert.True(ok.Allowed);
        Assert.Equal("/validate", Assert.Single(server.Received).Path);
        Assert.Equal(
            "Internal error occurred: failed calling webhook \"gdc-webhook.example.com\": failed to call webhook: Post \"https://gdc-webhook.gdc-system.svc:8443/validate?timeout=10s\": service \"gdc-webhook\" not found",
            missing.Status!["message"]!.GetValue<string>());
        Assert.Equal(
            "Internal error occurred: failed calling webhook \"gdc-webhook.example.com\": failed to call webhook: Post \"https://gdc-webhook.gdc-system.svc:443/validate?timeout=10s\": no endpoints available for service \"gdc-webhook\"",
            noEndpoints.Status!["message"]!.GetValue<string>());
        Assert.Equal(
            "Internal error occurred: failed calling webhook \"other.example.com\": failed to call webhook: Post \"https://other.gdc-system.svc:8443/validate?timeout=10s\": x509: certificate is valid for localhost, gdc-webhook.gdc-system.svc, not other.gdc-system.svc",
            wrongName.Status!["message"]!.GetValue<string>());
    }

    public static TheoryData<string, int, string> Rejections => new()
    {
        // webhook's response.status | HTTP code | Status body
        { """{"code":403,"message":"nope"}""", 403, """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"admission webhook \"under-test.example.com\" denied the request: nope","code":403}""" },
        { """{"status":"Failure","message":"kyverno says no"}""", 400, """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"admission webhook \"under-test.example.com\" denied the request: kyverno says no","code":400}""" },
        { """{"code":200,"status":"Success","reason":"Forbidden"}""", 400, """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"admission webhook \"under-test.example.com\" denied the request: Forbidden","reason":"Forbidden","code":400}""" },
        { """{}""", 400, """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"admission webhook \"under-test.example.com\" denied the request without explanation","code":400}""" },
        { """{"code":422,"reason":"Invalid","message":"bad","details":{"causes":[{"field":"spec"}]}}""", 422, """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"admission webhook \"under-test.example.com\" denied the request: bad","reason":"Invalid","details":{"causes":[{"field":"spec"}]},"code":422}""" },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task Denials_carry_the_webhooks_status_with_a_failure_code(string webhookStatus, int code, string expected)
    {
        server.Map("/deny", (_, _) => ValueTask.FromResult(WebhookReply.DenyWithStatus(JsonNode.Parse(webhookStatus)!.AsObject())));

        var outcome = await chain.AdmitAsync(CreateAgent(false), ClusterWith(Validating(server, "/deny")), CancellationToken.None);

        Assert.Equal(code, outcome.StatusCode);
        Assert.Equal(expected, outcome.Status!.Text());
    }

    [Fact]
    public async Task A_denial_without_a_status_is_a_400_without_explanation()
    {
        server.Map("/deny", (_, _) => ValueTask.FromResult(WebhookReply.WithResponse(new JsonObject { ["allowed"] = false })));

        var outcome = await chain.AdmitAsync(CreateAgent(false), ClusterWith(Validating(server, "/deny")), CancellationToken.None);

        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"admission webhook \"under-test.example.com\" denied the request without explanation","code":400}""", outcome.Status!.Text());
    }

    [Fact]
    public async Task Reinvocation_if_needed_calls_an_earlier_webhook_again_after_a_later_one_mutated()
    {
        server.Map("/a", WebhookBehaviors.AddLabels(new Dictionary<string, string> { ["a"] = "1" }));
        server.Map("/b", WebhookBehaviors.AddLabels(new Dictionary<string, string> { ["b"] = "2" }));
        InMemoryObjectReader Cluster(string policy) => ClusterWith(
            WebhookConfigurations.Mutating("a-first", new WebhookDefinition("a.example.com", server.ClientConfig("/a")) { ReinvocationPolicy = policy }),
            WebhookConfigurations.Mutating("b-second", new WebhookDefinition("b.example.com", server.ClientConfig("/b"))));

        var never = await chain.AdmitAsync(CreateAgent(false), Cluster("Never"), CancellationToken.None);
        var callsWithNever = server.Received.Select(r => r.Path).ToList();
        var ifNeeded = await chain.AdmitAsync(CreateAgent(false), Cluster("IfNeeded"), CancellationToken.None);
        var callsWithIfNeeded = server.Received.Skip(callsWithNever.Count).Select(r => r.Path).ToList();

        Assert.Equal(["/a", "/b"], callsWithNever);
        Assert.Equal(["/a", "/b", "/a"], callsWithIfNeeded);
        Assert.Equal("""{"a":"1","b":"2"}""", never.MutatedObject!["metadata"]!["labels"]!.Text());
        Assert.Equal("""{"a":"1","b":"2"}""", ifNeeded.MutatedObject!["metadata"]!["labels"]!.Text());
        Assert.Equal("2", server.Received[^1].Review.Object!["metadata"]!["labels"]!["b"]!.GetValue<string>());
    }

    [Fact]
    public async Task Of_several_validating_denials_the_first_configuration_by_name_is_reported_and_all_are_called()
    {
        server.Map("/one", WebhookBehaviors.DenyAll("first"));
        server.Map("/two", WebhookBehaviors.DenyAll("second"));
        var cluster = ClusterWith(Validating(server, "/two", name: "zz-second"), Validating(server, "/one", name: "aa-first"));

        var outcome = await chain.AdmitAsync(CreateAgent(false), cluster, CancellationToken.None);

        Assert.Equal("admission webhook \"aa-first.example.com\" denied the request: first", outcome.Status!["message"]!.GetValue<string>());
        Assert.Equal(["/one", "/two"], server.Received.Select(r => r.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Requests_on_webhook_configurations_never_reach_webhooks()
    {
        server.Map("/deny", WebhookBehaviors.DenyAll("locked out"));
        var configuration = Validating(server, "/deny", d => d with { Rules = [WebhookConfigurations.Rule(["*"], ["*"], ["*"], ["*"])] });
        var resource = new ResourceInfo("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, "validatingwebhookconfiguration", [], ["delete"], false);

        var outcome = await chain.AdmitAsync(Context(resource, "DELETE", null, "under-test", null, configuration), ClusterWith(configuration), CancellationToken.None);

        Assert.True(outcome.Allowed);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task Admission_review_versions_pick_the_first_known_one()
    {
        server.Map("/v", (_, _) => ValueTask.FromResult(WebhookReply.WithResponse(new JsonObject { ["uid"] = "v1beta1 does not check uids", ["allowed"] = true })));
        var v1beta1 = await chain.AdmitAsync(CreateAgent(false), ClusterWith(Validating(server, "/v", d => d with { AdmissionReviewVersions = ["v2", "v1beta1", "v1"] })), CancellationToken.None);
        var unknown = await chain.AdmitAsync(CreateAgent(false), ClusterWith(Validating(server, "/v", d => d with { AdmissionReviewVersions = ["v2"] })), CancellationToken.None);

        Assert.True(v1beta1.Allowed);
        Assert.Equal("admission.k8s.io/v1beta1", Assert.Single(server.Received).Review.ApiVersion);
        Assert.Equal(
            "Internal error occurred: failed calling webhook \"under-test.example.com\": could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)",
            unknown.Status!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_cancelled_request_is_cancelled_not_reported_as_a_webhook_failure()
    {
        server.Map("/slow", (_, _) => ValueTask.FromResult(WebhookReply.NoAnswer()));
        using var cancellation = new CancellationTokenSource();
        var admission = chain.AdmitAsync(CreateAgent(false), ClusterWith(Validating(server, "/slow")), cancellation.Token);
        await server.WaitForReviewAsync().WaitAsync(Patience);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => admission.WaitAsync(Patience));
    }

    private static AdmissionRequestContext CreateAgent(bool dryRun) =>
        Context(DaemonSets, "CREATE", "amazon-guardduty", "aws-guardduty-agent", DaemonSet("amazon-guardduty", "aws-guardduty-agent", "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1"), dryRun: dryRun);

    private static InMemoryObjectReader ClusterWith(params JsonObject[] objects) =>
        new([GoldenFiles.ResponseBody("38"), .. objects]);
}
