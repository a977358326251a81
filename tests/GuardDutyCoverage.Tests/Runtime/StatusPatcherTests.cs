using System.Text.Json;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed class StatusPatcherTests : IAsyncLifetime
{
    private ScriptedApiServer server = null!;
    private k8s.Kubernetes kubernetes = null!;
    private StatusPatcher patcher = null!;

    public async Task InitializeAsync()
    {
        server = await ScriptedApiServer.StartAsync();
        kubernetes = server.CreateKubernetes();
        patcher = new StatusPatcher(new KubeApiClient(kubernetes), "guardduty-coverage");
    }

    public async Task DisposeAsync()
    {
        kubernetes.Dispose();
        await server.DisposeAsync();
    }

    [Theory]
    [InlineData("""{"a":1,"b":{"c":2}}""", """{"a":1,"b":{"c":2}}""", null)]
    [InlineData("""{"a":1}""", """{"a":2}""", """{"a":2}""")]
    [InlineData("""{"a":1,"b":2}""", """{"a":1}""", """{"b":null}""")]
    [InlineData("""{"a":{"x":1,"y":2}}""", """{"a":{"x":1,"y":3,"z":4}}""", """{"a":{"y":3,"z":4}}""")]
    [InlineData("""{"l":[1,2,3]}""", """{"l":[1,2]}""", """{"l":[1,2]}""")]
    [InlineData("""{"l":[{"t":"Ready","s":"True"}]}""", """{"l":[{"t":"Ready","s":"False"}]}""", """{"l":[{"t":"Ready","s":"False"}]}""")]
    [InlineData("""{"a":{"x":1}}""", """{"a":"flat"}""", """{"a":"flat"}""")]
    [InlineData("""{"a":"flat"}""", """{"a":{"x":1}}""", """{"a":{"x":1}}""")]
    [InlineData("""{"a":{"x":1}}""", """{}""", """{"a":null}""")]
    [InlineData("""{"a":null}""", """{"a":1}""", """{"a":1}""")]
    public void MergePatchDiffIsMinimalAndReproducesTheTarget(string from, string to, string? expected)
    {
        var original = JsonNode.Parse(from);
        var modified = JsonNode.Parse(to);
        var patch = MergePatch.Create(original, modified);
        if (expected is null)
        {
            Assert.Null(patch);
            return;
        }

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), patch), patch?.ToJsonString());

        // Applying the patch as RFC 7386 says turns the original into the target (nulls in the target excepted).
        var applied = MergePatch.Apply(original, patch);
        Assert.True(JsonNode.DeepEquals(WithoutNulls(modified), applied), applied?.ToJsonString());
    }

    [Fact]
    public async Task AChangedStatusIsOneMergePatchToStatusWithTheResourceVersion()
    {
        var current = Golden.Load("16").ResponseBody.Deserialize(Widget.Type.TypeInfo)!;
        current.Status = Status("False", "Pending", 1);
        server.OnJson("PATCH", "/apis/example.com/v1/widgets/w1/status", 200, Golden.Load("20").ResponseBody);
        var desired = current.Status with { Conditions = [Condition("True", "AgentsHealthy")] };

        var result = await patcher.PatchStatusAsync(Widget.Type, current, w => w.Status, desired, WidgetJsonContext.Default.WidgetStatus, CancellationToken.None);

        Assert.Equal(StatusPatchOutcome.Patched, result.Outcome);
        var request = Assert.Single(server.Requests);
        Assert.Equal("PATCH", request.Method);
        Assert.Equal(KubePatch.MergeContentType, request.ContentType);
        Assert.Equal("guardduty-coverage", request.Q("fieldManager"));
        var body = request.Json!.AsObject();
        Assert.Equal(current.Metadata.ResourceVersion, body["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(["status", "metadata"], body.Select(p => p.Key));
        Assert.Equal(["conditions"], body["status"]!.AsObject().Select(p => p.Key));
        Assert.Equal("True", body["status"]!["conditions"]![0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnUnchangedStatusSendsNothing()
    {
        var current = Golden.Load("20").ResponseBody.Deserialize(Widget.Type.TypeInfo)!;
        var sameButNew = current.Status! with { Conditions = [.. current.Status.Conditions!.Select(c => c with { })] };

        var result = await patcher.PatchStatusAsync(Widget.Type, current, w => w.Status, sameButNew, WidgetJsonContext.Default.WidgetStatus, CancellationToken.None);

        Assert.Equal(StatusPatchOutcome.Unchanged, result.Outcome);
        Assert.Same(current, result.Object);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task RemovedFieldsAreSentAsNull()
    {
        var current = Golden.Load("20").ResponseBody.Deserialize(Widget.Type.TypeInfo)!;
        current.Status = current.Status! with { Extra = new JsonObject { ["old"] = 1 } };
        server.OnGolden("20", r => r.Path.EndsWith("/status", StringComparison.Ordinal));

        await patcher.PatchStatusAsync(Widget.Type, current, w => w.Status, current.Status with { Extra = null, ObservedGeneration = null }, WidgetJsonContext.Default.WidgetStatus, CancellationToken.None);

        var status = Assert.Single(server.Requests).Json!["status"]!.AsObject();
        Assert.Equal(["extra", "observedGeneration"], status.Select(p => p.Key).Order());
        Assert.All(status, p => Assert.Null(p.Value));
    }

    [Fact]
    public async Task AConflictIsReportedForARequeue()
    {
        var current = Golden.Load("16").ResponseBody.Deserialize(Widget.Type.TypeInfo)!;
        server.OnJson("PATCH", "/apis/example.com/v1/widgets/w1/status", 409, Golden.Load("24").ResponseBody);

        var result = await patcher.PatchStatusAsync(Widget.Type, current, w => w.Status, Status("True", "AgentsHealthy", 1), WidgetJsonContext.Default.WidgetStatus, CancellationToken.None);

        Assert.Equal(StatusPatchOutcome.Conflict, result.Outcome);
        Assert.Null(result.Object);
    }

    [Fact]
    public async Task AVanishedObjectIsNotFoundAndOtherErrorsThrow()
    {
        var current = Golden.Load("16").ResponseBody.Deserialize(Widget.Type.TypeInfo)!;
        server.OnJson("PATCH", "/apis/example.com/v1/widgets/w1/status", 404, Golden.Load("17").ResponseBody);
        server.OnJson("PATCH", "/apis/example.com/v1/widgets/w1/status", 422, Golden.Load("29").ResponseBody);

        var gone = await patcher.PatchStatusAsync(Widget.Type, current, w => w.Status, Status("True", "x", 1), WidgetJsonContext.Default.WidgetStatus, CancellationToken.None);
        Assert.Equal(StatusPatchOutcome.NotFound, gone.Outcome);
        var invalid = await Assert.ThrowsAsync<KubeApiException>(() => patcher.PatchStatusAsync(Widget.Type, current, w => w.Status, Status("True", "x", 1), WidgetJsonContext.Default.WidgetStatus, CancellationToken.None));
        Assert.True(invalid.IsInvalid);
    }

    private static WidgetStatus Status(string ready, string reason, long generation) =>
        new() { ObservedGeneration = generation, Conditions = [Condition(ready, reason)] };

    private static WidgetCondition Condition(string status, string reason) =>
        new() { Type = "Ready", Status = status, Reason = reason, Message = "m", LastTransitionTime = "2026-11-26T12:00:00Z", ObservedGeneration = 1 };

    private static JsonNode? WithoutNulls(JsonNode? node)
    {
        if (node is not JsonObject obj)
        {
            return node?.DeepClone();
        }

        var result = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (value is not null)
            {
                result[key] = WithoutNulls(value);
            }
        }

        return result;
    }
}
