using System.Net;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Runtime;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed class KubeApiClientTests : ScriptedApiServerTest
{

    [Theory]
    [InlineData("""{"type":"ADDED"}""", "event without object")]
    [InlineData("""{"type":5,"object":{}}""", "malformed event")]
    [InlineData("""{"type":"ADD\uD800&","object":{}}""", "malformed event")]
    [InlineData("""{"type":"ADDED","object":{"metadata":{"name":"\uDC00"}}""", "malformed event")]
    [InlineData("""{"type":"NOPE","object":{}}""", "unknown event type")]
    public void MalformedWatchEventsAreInvalidDataNamingTheWatch(string line, string message)
    {
        // Found by fuzzing: JsonElement.GetString throws InvalidOperationException (not JsonException) on a
        // non-string or a lone surrogate; the informer must see the same InvalidDataException as for any bad line.
        var e = Assert.Throws<InvalidDataException>(() => KubeApiClient.ParseWatchEvent(line, KubeResources.Pods, "/api/v1/pods"));
        Assert.Contains("watch /api/v1/pods", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetDecodesTheObjectAndSendsCredentials()
    {
        server.OnGolden("16");
        var widget = await client.GetAsync(Widget.Type, "w1");
        Assert.NotNull(widget);
        Assert.Equal("w1", widget.Metadata.Name);
        Assert.Equal(3, widget.Spec!.Size);
        var request = Assert.Single(server.Requests);
        Assert.Equal("Bearer scripted-token", request.Authorization);
        Assert.Equal(1, registry.Counter("rest_client_requests_total", "", "code", "method", "host").Value("200", "GET", server.Url.Authority));
    }

    [Fact]
    public async Task GetOfAMissingObjectIsNull()
    {
        server.OnGolden("17");
        Assert.Null(await client.GetAsync(Widget.Type, "does-not-exist"));
    }

    [Fact]
    public async Task AnUnservedResourceTypeIsAnErrorNotAnAbsentObject()
    {
        // 68: no CRD -> text/plain "404 page not found", which must not read as "this object does not exist".
        var golden = Golden.Load("68");
        server.On(r => r.Path == "/apis/example.com/v1/widgets/w1", (c, _) =>
        {
            c.Response.StatusCode = 404;
            c.Response.ContentType = "text/plain; charset=utf-8";
            return Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(c.Response, golden.ResponseBody!.GetValue<string>());
        });
        var error = await Assert.ThrowsAsync<KubeApiException>(() => client.GetAsync(Widget.Type, "w1"));
        Assert.True(error.IsNotFound);
        Assert.Null(error.Status);
        Assert.Contains("404 page not found", error.Message);
    }

    [Fact]
    public async Task ListFollowsContinueTokensAndKeepsTheSnapshotVersion()
    {
        var page = Golden.Load("80").ResponseBody!.AsObject();
        var items = page["items"]!.AsArray();
        Assert.Equal(4, items.Count);
        JsonObject Page(int index, string? next, string rv) => new()
        {
            ["apiVersion"] = "example.com/v1",
            ["kind"] = "WidgetList",
            ["metadata"] = new JsonObject { ["resourceVersion"] = rv, ["continue"] = next ?? "" },
            ["items"] = new JsonArray(items[index]!.DeepClone()),
        };
        server.OnJson("GET", "/apis/example.com/v1/widgets", 200, Page(0, "c1", "300"), also: r => r.Q("continue") is null);
        server.OnJson("GET", "/apis/example.com/v1/widgets", 200, Page(1, "c2", "301"), also: r => r.Q("continue") == "c1");
        server.OnJson("GET", "/apis/example.com/v1/widgets", 200, Page(2, "c3", "302"), also: r => r.Q("continue") == "c2");
        server.OnJson("GET", "/apis/example.com/v1/widgets", 200, Page(3, null, "303"), also: r => r.Q("continue") == "c3");

        var list = await client.ListAllAsync(Widget.Type, options: new ListOptions { Limit = 1, LabelSelector = "app=x", FieldSelector = "metadata.name!=y" });

        Assert.Equal(["alpha", "mid", "sample", "zeta"], list.Items.Select(w => w.Metadata.Name));
        Assert.Equal("300", list.ResourceVersion);
        Assert.All(server.Requests, r => Assert.Equal("1", r.Q("limit")));
        Assert.All(server.Requests, r => Assert.Equal("app=x", r.Q("labelSelector")));
        Assert.All(server.Requests, r => Assert.Equal("metadata.name!=y", r.Q("fieldSelector")));
    }

    [Fact]
    public async Task AnExpiredContinueTokenRestartsFromTheFirstPageThenFallsBackToOneFullList()
    {
        var full = Golden.Load("80").ResponseBody!;
        var first = full.DeepClone().AsObject();
        first["items"] = new JsonArray(first["items"]![0]!.DeepClone());
        first["metadata"]!["continue"] = "c1";
        server.OnJson("GET", "/apis/example.com/v1/widgets", 200, first, once: false, also: r => r.Q("continue") is null && r.Q("limit") == "1");
        server.OnJson("GET", "/apis/example.com/v1/widgets", 410, Golden.Load("36").ResponseBody, once: false, also: r => r.Q("continue") == "c1");
        server.OnJson("GET", "/apis/example.com/v1/widgets", 200, full, also: r => r.Q("continue") is null && r.Q("limit") is null);

        var list = await client.ListAllAsync(Widget.Type, options: new ListOptions { Limit = 1 });

        // First page, expired continue; twice more from the first page (k8s-golden 88); then one unpaged LIST.
        Assert.Equal(4, list.Items.Count);
        Assert.Equal(
            [("1", null), ("1", "c1"), ("1", null), ("1", "c1"), ("1", null), ("1", "c1"), (null, null)],
            server.Requests.Select(r => (r.Q("limit"), r.Q("continue"))));
        Assert.Equal(2, KubeApiClient.MaxPagedListRestarts);
    }

    [Fact]
    public async Task ListAtACompactedVersionIsGoneWithTheStatus()
    {
        server.OnGolden("36");
        var error = await Assert.ThrowsAsync<KubeApiException>(() =>
            client.ListAsync(Widget.Type, options: new ListOptions { ResourceVersion = "202", ResourceVersionMatch = "Exact" }));
        Assert.True(error.IsGone);
        Assert.Equal("Expired", error.Reason);
        Assert.Equal("The resourceVersion for the provided list is too old.", error.ServerMessage);
        var request = Assert.Single(server.Requests);
        Assert.Equal("202", request.Q("resourceVersion"));
        Assert.Equal("Exact", request.Q("resourceVersionMatch"));
    }

    [Fact]
    public async Task CreateConflictsAndValidationErrorsCarryTheStatus()
    {
        server.OnGolden("11");
        server.OnGolden("12");
        var duplicate = await Assert.ThrowsAsync<KubeApiException>(() => client.CreateAsync(Widget.Type, NewWidget("w1", 3)));
        Assert.True(duplicate.IsAlreadyExists);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);

        var invalid = await Assert.ThrowsAsync<KubeApiException>(() => client.CreateAsync(Widget.Type, NewWidget("bad1", 0)));
        Assert.True(invalid.IsInvalid);
        Assert.Equal(["spec.region", "spec.size"], invalid.Causes.Select(c => c.Field));
        Assert.All(invalid.Causes, c => Assert.Equal("FieldValueInvalid", c.Reason));
        Assert.StartsWith("POST /apis/example.com/v1/widgets: 422 Invalid: Widget.example.com \"bad1\" is invalid", invalid.Message);
    }

    [Fact]
    public async Task CreateSendsTheObjectAndDryRun()
    {
        server.OnGolden("57", r => r.Q("dryRun") == "All");
        var daemonSet = new V1DaemonSet { Metadata = new V1ObjectMeta { Name = "x", NamespaceProperty = "default" } };
        var created = await client.CreateAsync(KubeResources.DaemonSets, daemonSet, new WriteOptions { DryRun = true, FieldManager = "probe" });
        Assert.Null(created.Metadata.ResourceVersion);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/apis/apps/v1/namespaces/default/daemonsets", request.Path);
        Assert.Equal("probe", request.Q("fieldManager"));
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("x", request.Json!["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task UpdateWithAStaleVersionIsAConflict()
    {
        server.OnGolden("23");
        server.OnGolden("24");
        var updated = await client.UpdateAsync(Widget.Type, NewWidget("w1", 4, "193"));
        Assert.Equal(2, updated.Metadata.Generation);
        var error = await Assert.ThrowsAsync<KubeApiException>(() => client.UpdateAsync(Widget.Type, NewWidget("w1", 6, "194")));
        Assert.True(error.IsConflict);
        Assert.Equal("Conflict", error.Reason);
        Assert.Equal("PUT", server.Requests.Last().Method);
    }

    [Fact]
    public async Task PatchesUseTheRightContentTypes()
    {
        server.OnGolden("26", r => r.ContentType == KubePatch.MergeContentType);
        server.OnGolden("27", r => r.ContentType == KubePatch.JsonPatchContentType);
        server.OnGolden("41", r => r.ContentType == KubePatch.StrategicMergeContentType && r.Q("fieldManager") == "kubectl-edit");
        server.OnGolden("20", r => r.ContentType == KubePatch.MergeContentType);

        var merged = await client.PatchAsync(Widget.Type, "w1", null, KubePatch.Merge(new JsonObject { ["spec"] = new JsonObject { ["size"] = 5 } }));
        Assert.Equal(5, merged.Spec!.Size);
        var patched = await client.PatchAsync(Widget.Type, "w1", null, KubePatch.Json(
            [new JsonObject { ["op"] = "test", ["path"] = "/spec/size", ["value"] = 5 }, new JsonObject { ["op"] = "replace", ["path"] = "/spec/size", ["value"] = 6 }]));
        Assert.Equal(4, patched.Metadata.Generation);
        var strategic = await client.PatchAsync(
            KubeResources.DaemonSets,
            "aws-guardduty-agent",
            "amazon-guardduty",
            KubePatch.StrategicMerge(Golden.Load("41").RequestBody!),
            new WriteOptions { FieldManager = "kubectl-edit" });
        Assert.Equal("aws-guardduty-agent", strategic.Metadata.Name);
        var status = await client.PatchStatusAsync(Widget.Type, "w2", null, KubePatch.Merge(Golden.Load("20").RequestBody!));
        Assert.Equal("True", status.Status!.Conditions![0].Status);

        Assert.Empty(server.Unscripted);
        Assert.Equal("/apis/example.com/v1/widgets/w2/status", server.Requests.Last().Path);
    }

    [Fact]
    public async Task ServerSideApplyNeedsAFieldManagerAndSendsForce()
    {
        var intent = JsonNode.Parse("""{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"aws-guardduty-agent","namespace":"amazon-guardduty"}}""")!;
        await Assert.ThrowsAsync<ArgumentException>(() => client.PatchAsync(KubeResources.DaemonSets, "aws-guardduty-agent", "amazon-guardduty", KubePatch.Apply(intent)));

        server.OnGolden("43", r => r.Q("force") is null);
        server.OnGolden("44", r => r.Q("force") == "true");
        var conflict = await Assert.ThrowsAsync<KubeApiException>(() =>
            client.PatchAsync(KubeResources.DaemonSets, "aws-guardduty-agent", "amazon-guardduty", KubePatch.Apply(intent), new WriteOptions { FieldManager = "eks" }));
        Assert.True(conflict.IsConflict);
        Assert.Equal("FieldManagerConflict", Assert.Single(conflict.Causes).Reason);

        var applied = await client.PatchAsync(KubeResources.DaemonSets, "aws-guardduty-agent", "amazon-guardduty", KubePatch.Apply(intent, force: true), new WriteOptions { FieldManager = "eks" });
        Assert.DoesNotContain(applied.Metadata.ManagedFields, m => m.Manager == "kubectl-edit");
        Assert.All(server.Requests, r => Assert.Equal(KubePatch.ApplyContentType, r.ContentType));
        Assert.All(server.Requests, r => Assert.Equal("eks", r.Q("fieldManager")));
    }

    [Fact]
    public async Task DeleteReportsWhetherTheObjectExisted()
    {
        server.OnGolden("30");
        server.OnGolden("31");
        Assert.True(await client.DeleteAsync(Widget.Type, "w1"));
        Assert.False(await client.DeleteAsync(Widget.Type, "w1"));
    }

    [Fact]
    public async Task DeleteSendsOptions()
    {
        server.OnGolden("30", r => r.Q("dryRun") == "All");
        Assert.True(await client.DeleteAsync(Widget.Type, "w1", null, new DeleteOptions { DryRun = true, PreconditionUid = "u1", PropagationPolicy = "Foreground" }));
        var body = Assert.Single(server.Requests).Json!;
        Assert.Equal("u1", body["preconditions"]!["uid"]!.GetValue<string>());
        Assert.Equal("Foreground", body["propagationPolicy"]!.GetValue<string>());
        Assert.Equal("All", body["dryRun"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task WatchYieldsTypedEventsIncludingTheBookmark()
    {
        server.OnGolden("33");
        var events = new List<WatchEvent<Widget>>();
        await foreach (var e in client.WatchAsync(Widget.Type, null, new WatchOptions { ResourceVersion = "202", AllowWatchBookmarks = true, TimeoutSeconds = 5 }))
        {
            events.Add(e);
        }

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Modified, WatchEventType.Deleted, WatchEventType.Bookmark], events.Select(e => e.Type));
        Assert.Equal(["203", "204", "205", "206", "206"], events.Select(e => e.Object!.Metadata.ResourceVersion));
        Assert.Equal("Ready", events[2].Object!.Status!.Conditions![0].Type);
        var request = Assert.Single(server.Requests);
        Assert.Equal("true", request.Q("watch"));
        Assert.Equal("202", request.Q("resourceVersion"));
        Assert.Equal("true", request.Q("allowWatchBookmarks"));
        Assert.Equal("5", request.Q("timeoutSeconds"));
    }

    [Fact]
    public async Task WatchYieldsTheExpiredErrorEvent()
    {
        server.OnGolden("35");
        var events = new List<WatchEvent<Widget>>();
        await foreach (var e in client.WatchAsync(Widget.Type, null, new WatchOptions { ResourceVersion = "100" }))
        {
            events.Add(e);
        }

        var error = Assert.Single(events);
        Assert.Equal(WatchEventType.Error, error.Type);
        Assert.Equal(410, error.Status!.Code);
        Assert.Equal("Expired", error.Status.Reason);
        Assert.Equal("too old resource version: 100 (194)", error.Status.Message);
    }

    [Fact]
    public async Task AbandoningAWatchClosesTheConnection()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = Golden.Load("33").WatchLines;
        server.On(r => r.IsWatch, async (c, _) =>
        {
            c.RequestAborted.Register(() => aborted.TrySetResult());
            c.Response.ContentType = "application/json";
            await c.Response.StartAsync();
            await Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(c.Response, lines[0] + "\n");
            await c.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, c.RequestAborted);
        });

        await foreach (var e in client.WatchAsync(Widget.Type, null, new WatchOptions()))
        {
            Assert.Equal(WatchEventType.Added, e.Type);
            break;
        }

        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task CancellingAWatchStopsIt()
    {
        server.OnWatch("/apis/example.com/v1/widgets", [], WatchEnd.Hold);
        using var cancel = new CancellationTokenSource();
        var enumerate = Task.Run(async () =>
        {
            await foreach (var unused in client.WatchAsync(Widget.Type, null, new WatchOptions(), cancel.Token))
            {
            }
        });
        await server.WaitForAsync(r => r.IsWatch);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => enumerate.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task ThrottlingIsReportedWithRetryAfter()
    {
        server.On(r => true, (c, _) => ScriptedApiServer.RespondJsonAsync(c, 429, JsonNode.Parse("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429}"""), new Dictionary<string, string> { ["Retry-After"] = "3" }));
        var error = await Assert.ThrowsAsync<KubeApiException>(() => client.GetAsync(Widget.Type, "w1"));
        Assert.True(error.IsTooManyRequests);
        Assert.True(error.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(3), error.RetryAfter);
        Assert.Equal("TooManyRequests", error.Reason);
    }

    [Fact]
    public async Task WebhookDenialsHaveNoReasonButKeepTheMessage()
    {
        server.OnGolden("53");
        var golden = Golden.Load("53");
        var error = await Assert.ThrowsAsync<KubeApiException>(() =>
            client.PatchAsync(KubeResources.DaemonSets, "aws-guardduty-agent", "amazon-guardduty", KubePatch.StrategicMerge(golden.RequestBody!)));
        Assert.True(error.IsForbidden);
        Assert.Null(error.Reason);
        Assert.Contains("admission webhook", error.ServerMessage);
    }

    [Fact]
    public async Task CancellationIsHonouredBeforeTheResponse()
    {
        server.On(r => true, async (c, _) => await Task.Delay(Timeout.Infinite, c.RequestAborted));
        using var cancel = new CancellationTokenSource();
        var get = client.GetAsync(Widget.Type, "w1", null, cancel.Token);
        await server.WaitForAsync(_ => true);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task AStuckServerIsATimeoutNotAHang()
    {
        server.On(r => true, async (c, _) => await Task.Delay(Timeout.Infinite, c.RequestAborted), once: false);
        var impatient = new KubeApiClient(kubernetes, requestTimeout: TimeSpan.FromMilliseconds(200));

        var get = await Assert.ThrowsAsync<TimeoutException>(() => impatient.GetAsync(Widget.Type, "w1").WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("GET /apis/example.com/v1/widgets/w1: no complete response within 0.2s", get.Message);
        await Assert.ThrowsAsync<TimeoutException>(() => impatient.PatchAsync(Widget.Type, "w1", null, KubePatch.Merge(new JsonObject())).WaitAsync(TimeSpan.FromSeconds(20)));
        await Assert.ThrowsAsync<TimeoutException>(async () =>
        {
            await foreach (var unused in impatient.WatchAsync(Widget.Type, null, new WatchOptions()))
            {
            }
        });
    }

    [Fact]
    public void NamespacedPathsNeedANamespace()
    {
        Assert.Equal("/api/v1/namespaces/amazon-guardduty/pods", KubeResources.Pods.CollectionPath("amazon-guardduty"));
        Assert.Equal("/api/v1/pods", KubeResources.Pods.CollectionPath(null));
        Assert.Equal("/apis/coordination.k8s.io/v1/namespaces/default/leases/lock", KubeResources.Leases.ItemPath("lock", "default"));
        Assert.Equal("/apis/example.com/v1/widgets/w1", Widget.Type.ItemPath("w1", "ignored"));
        Assert.Throws<ArgumentException>(() => KubeResources.Pods.ItemPath("p", null));
    }

    private static Widget NewWidget(string name, int size, string? resourceVersion = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, ResourceVersion = resourceVersion },
        Spec = new WidgetSpec { Region = "us-east-1", Size = size },
    };
}
