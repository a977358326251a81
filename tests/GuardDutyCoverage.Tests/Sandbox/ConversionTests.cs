using System.Text.Json.Nodes;
using KubeSandbox;

namespace GuardDutyCoverage.Tests.Sandbox;

/// <summary>Resources stored as another resource or version: events.k8s.io events are core events; versions share storage.</summary>
public sealed class ConversionTests
{
    private static readonly JsonObject Event = JsonNode.Parse("""
        {"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"gdc.1","namespace":"default"},
         "eventTime":"2026-11-26T12:00:00.000000Z","reportingController":"coverage.guardduty.io/operator","reportingInstance":"op-1",
         "action":"Reconcile","reason":"AgentMissing","type":"Warning","note":"the agent DaemonSet is missing",
         "regarding":{"apiVersion":"coverage.guardduty.io/v1alpha1","kind":"GuardDutyCoverage","name":"prod"}}
        """)!.AsObject();

    [Fact]
    public async Task Events_written_through_events_k8s_io_are_core_events_with_renamed_fields()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        await using var coreWatch = await http.WatchAsync("api/v1/namespaces/default/events?watch=true");
        var created = await http.PostAsync("apis/events.k8s.io/v1/namespaces/default/events", Event);
        Assert.Equal(201, created.Status);
        Assert.Equal("the agent DaemonSet is missing", (string)created.Object["note"]!);

        var core = (await http.GetAsync("api/v1/namespaces/default/events/gdc.1")).Object;
        Assert.Equal(("v1", "the agent DaemonSet is missing", "prod", "coverage.guardduty.io/operator"), (
            (string)core["apiVersion"]!, (string)core["message"]!, (string)core["involvedObject"]!["name"]!, (string)core["reportingComponent"]!));
        Assert.Null(core["note"]);

        var watched = await coreWatch.NextAsync();
        Assert.Equal("the agent DaemonSet is missing", (string)watched!["object"]!["message"]!);

        var byRegarding = (await http.GetAsync("apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dprod")).Object;
        Assert.Equal("gdc.1", (string)byRegarding["items"]![0]!["metadata"]!["name"]!);
        var byInvolved = (await http.GetAsync("api/v1/events?fieldSelector=involvedObject.kind%3DGuardDutyCoverage")).Object;
        Assert.Single((JsonArray)byInvolved["items"]!);

        var series = await http.PatchAsync("apis/events.k8s.io/v1/namespaces/default/events/gdc.1", JsonNode.Parse("""{"series":{"count":2,"lastObservedTime":"2026-11-26T12:01:00.000000Z"}}""")!);
        Assert.Equal(2, (int)series.Object["series"]!["count"]!);
        Assert.Equal(2, (int)(await http.GetAsync("api/v1/namespaces/default/events/gdc.1")).Object["series"]!["count"]!);
    }

    [Fact]
    public async Task Versions_of_a_resource_share_storage_and_each_presents_its_own_apiVersion()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        var hpa = JsonNode.Parse("""{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"h"},"spec":{"maxReplicas":3,"scaleTargetRef":{"kind":"Deployment","name":"d"}}}""")!;
        Assert.Equal(201, (await http.PostAsync("apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", hpa)).Status);
        var v1 = (await http.GetAsync("apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/h")).Object;
        Assert.Equal("autoscaling/v1", (string)v1["apiVersion"]!);
        Assert.Equal(3, (int)v1["spec"]!["maxReplicas"]!);
    }

    [Fact]
    public async Task TokenReview_authenticates_against_the_sandbox_users()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        var review = await http.PostAsync("apis/authentication.k8s.io/v1/tokenreviews", new JsonObject
        {
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["kind"] = "TokenReview",
            ["spec"] = new JsonObject { ["token"] = sandbox.AdminToken },
        });
        Assert.Equal(201, review.Status);
        Assert.True((bool)review.Object["status"]!["authenticated"]!);
        Assert.Equal("admin", (string)review.Object["status"]!["user"]!["username"]!);

        var unknown = await http.PostAsync("apis/authentication.k8s.io/v1/tokenreviews", JsonNode.Parse("""{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"nope"}}""")!);
        Assert.Null(unknown.Object["status"]!["authenticated"]);
    }
}
