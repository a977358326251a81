using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Admission;
using KubeSandbox.Testing;
using GuardDutyCoverage.Tests.Sandbox.Authorization;
using static GuardDutyCoverage.Tests.Sandbox.Admission.AdmissionFixtures;
using static GuardDutyCoverage.Tests.Sandbox.Authorization.GoldenFiles;

namespace GuardDutyCoverage.Tests.Sandbox.Admission;

/// <summary>
/// Reproduces k8s-golden 52-57, 60 and 61 through a real HTTPS round trip: the configuration of golden 51 (pointed at
/// the test server), the webhook of the recording (denies DaemonSets in amazon-guardduty with 403 and its message),
/// the objects of golden 38 and 60/61. Statuses are compared exactly; AdmissionReviews with only request.uid normalized.
/// </summary>
public sealed class GoldenWebhookTests : IAsyncLifetime
{
    private const string GoldenMessage = "policy DaemonSet/amazon-guardduty/aws-guardduty-agent for resource violation: restrict-image-registries";

    private TestWebhookServer server = null!;
    private WebhookAdmissionChain chain = null!;
    private InMemoryObjectReader cluster = null!;

    public async Task InitializeAsync()
    {
        server = await TestWebhookServer.StartAsync();
        server.Map("/validate", (review, _) => ValueTask.FromResult(
            review.Kind == "DaemonSet" && review.Namespace == "amazon-guardduty" ? WebhookReply.Deny(GoldenMessage, 403) : WebhookReply.Allow()));
        chain = new WebhookAdmissionChain();
        cluster = new InMemoryObjectReader([ResponseBody("38"), WebhookConfigurations.Namespace("default"), GoldenConfiguration(server.Url("/validate"), server.CaBundle)]);
    }

    public async Task DisposeAsync()
    {
        await chain.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Golden_53_patch_denied_by_the_webhook()
    {
        var outcome = await chain.AdmitAsync(GoldenPatch(dryRun: false), cluster, CancellationToken.None);

        Assert.False(outcome.Allowed);
        AssertSameJson(ResponseBody("53"), outcome.Status);
        Assert.Equal(ResponseStatus("53"), outcome.StatusCode);
    }

    [Fact]
    public async Task Golden_54_and_60_dry_run_patch_denied_and_the_review_the_webhook_received()
    {
        var outcome = await chain.AdmitAsync(GoldenPatch(dryRun: true), cluster, CancellationToken.None);

        AssertSameJson(ResponseBody("54"), outcome.Status);
        Assert.Equal(ResponseStatus("54"), outcome.StatusCode);
        var received = Assert.Single(server.Received);
        var golden = Exchange("60");
        AssertReceivedLikeGolden(golden, received, Assert.Single(server.Replies));
    }

    [Fact]
    public async Task Golden_55_create_denied_by_the_webhook()
    {
        var outcome = await chain.AdmitAsync(GoldenCreate(dryRun: false), cluster, CancellationToken.None);

        AssertSameJson(ResponseBody("55"), outcome.Status);
        Assert.Equal(ResponseStatus("55"), outcome.StatusCode);
        Assert.Equal("CREATE", Assert.Single(server.Received).Review.Operation);
    }

    [Fact]
    public async Task Golden_56_dry_run_create_denied_by_the_webhook()
    {
        var outcome = await chain.AdmitAsync(GoldenCreate(dryRun: true), cluster, CancellationToken.None);

        AssertSameJson(ResponseBody("56"), outcome.Status);
        Assert.Equal(ResponseStatus("56"), outcome.StatusCode);
        Assert.True(Assert.Single(server.Received).Review.DryRun);
    }

    [Fact]
    public async Task Golden_57_and_61_dry_run_create_in_default_is_allowed_and_the_review_matches()
    {
        var golden = Exchange("61");
        var request = golden["request"]!["body"]!["request"]!;
        var context = Context(DaemonSets, "CREATE", "default", "dryrun-agent", request["object"]!.DeepClone().AsObject(), dryRun: true);

        var outcome = await chain.AdmitAsync(context, cluster, CancellationToken.None);

        Assert.Equal(new AdmissionOutcome(true, null, 200, null), outcome);
        AssertReceivedLikeGolden(golden, Assert.Single(server.Received), Assert.Single(server.Replies));
    }

    [Fact]
    public async Task Golden_52_unreachable_webhook_with_failure_policy_fail()
    {
        var port = ClosedPort();
        var unreachable = new InMemoryObjectReader([ResponseBody("38"), GoldenConfiguration($"https://127.0.0.1:{port}/validate", server.CaBundle)]);

        var outcome = await chain.AdmitAsync(GoldenPatch(dryRun: false), unreachable, CancellationToken.None);

        Assert.Equal(ResponseStatus("52"), outcome.StatusCode);
        var expected = ResponseBody("52").Text().Replace("127.0.0.1:9443", $"127.0.0.1:{port}", StringComparison.Ordinal);
        Assert.Equal(expected, outcome.Status!.Text());
    }

    /// <summary>Golden 51 (the stored configuration, with its defaults) with the URL and CA of this run.</summary>
    private static JsonObject GoldenConfiguration(string url, string caBundle)
    {
        var configuration = ResponseBody("51");
        var clientConfig = configuration["webhooks"]![0]!["clientConfig"]!;
        clientConfig["url"] = url;
        clientConfig["caBundle"] = caBundle;
        return configuration;
    }

    /// <summary>The PATCH of golden 53/54 as the server hands it to admission: the patched object and the stored one (from golden 60).</summary>
    private static AdmissionRequestContext GoldenPatch(bool dryRun)
    {
        var request = Exchange("60")["request"]!["body"]!["request"]!;
        var options = new JsonObject();
        if (dryRun)
        {
            options["dryRun"] = new JsonArray("All");
        }

        options["fieldManager"] = "kubectl-edit";
        return Context(DaemonSets, "UPDATE", "amazon-guardduty", "aws-guardduty-agent", request["object"]!.DeepClone().AsObject(), request["oldObject"]!.DeepClone().AsObject(), dryRun, options);
    }

    private static AdmissionRequestContext GoldenCreate(bool dryRun)
    {
        var body = RequestBody("55");
        return Context(DaemonSets, "CREATE", "amazon-guardduty", "aws-guardduty-agent-2", body, dryRun: dryRun);
    }

    private static void AssertReceivedLikeGolden(JsonObject golden, ReceivedAdmissionReview received, SentWebhookReply sent)
    {
        var request = golden["request"]!.AsObject();
        Assert.Equal(request["path"]!.GetValue<string>(), received.Path);
        Assert.Equal(request["query"]!.Text(), new JsonObject([.. received.Query.Select(q => KeyValuePair.Create(q.Key, (JsonNode?)JsonValue.Create(q.Value)))]).Text());
        Assert.Equal(request["headers"]!["Accept"]!.GetValue<string>(), received.Accept);
        Assert.Equal(request["headers"]!["Content-Type"]!.GetValue<string>(), received.ContentType);

        var expectedBody = request["body"]!.DeepClone().AsObject();
        var actualBody = received.Body.DeepClone().AsObject();
        var uid = actualBody["request"]!["uid"]!.GetValue<string>();
        Assert.True(Guid.TryParse(uid, out _), "request.uid is a UUID: " + uid);
        expectedBody["request"]!["uid"] = "normalized";
        actualBody["request"]!["uid"] = "normalized";
        AssertSameJson(expectedBody, actualBody);

        // The test server's reply is the recorded webhook's, uid echoed.
        var expectedReply = golden["response"]!["body"]!.DeepClone().AsObject();
        expectedReply["response"]!["uid"] = uid;
        Assert.Equal(golden["response"]!["status"]!.GetValue<int>(), sent.StatusCode);
        AssertSameJson(expectedReply, sent.Body);
    }
}
