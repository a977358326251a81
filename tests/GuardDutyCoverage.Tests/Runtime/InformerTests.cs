using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Runtime;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed class InformerTests : ScriptedApiServerTest
{
    private const string WidgetsPath = "/apis/example.com/v1/widgets";

    private readonly ConcurrentQueue<string> seen = new();

    [Fact]
    public async Task ListsThenWatchesFromTheListVersionAndFollowsBookmarks()
    {
        server.OnGolden("32", r => !r.IsWatch && r.Q("resourceVersion") == "0");
        server.OnGolden("33", r => r.Q("resourceVersion") == "202");
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold, also: r => r.Q("resourceVersion") == "206");
        var informer = NewInformer();
        var run = informer.RunAsync(stop.Token);

        await informer.WaitForSyncAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(20));
        var resumed = await server.WaitForAsync(r => r.IsWatch && r.Q("resourceVersion") == "206");

        Assert.Equal(["add w2@196", "add w3@203", "update w3@203->204", "update w3@204->205", "delete w3@206"], seen);
        Assert.Equal(["w2"], informer.Cache.List().Select(w => w.Metadata.Name));
        Assert.Equal("206", informer.LastSyncResourceVersion);
        var firstWatch = server.Requests.First(r => r.IsWatch);
        Assert.Equal("true", firstWatch.Q("allowWatchBookmarks"));
        Assert.InRange(int.Parse(firstWatch.Q("timeoutSeconds")!, System.Globalization.CultureInfo.InvariantCulture), 300, 600);
        Assert.Equal("true", resumed.Q("allowWatchBookmarks"));
        Assert.Single(server.Requests, r => !r.IsWatch);
        Assert.Empty(server.Unscripted);

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task AnExpiredErrorEventMakesItRelistFromTheLastVersion()
    {
        server.OnGolden("32", r => !r.IsWatch && r.Q("resourceVersion") == "0");
        server.OnGolden("35", r => r.Q("resourceVersion") == "202");
        server.OnGolden("37", r => !r.IsWatch && r.Q("resourceVersion") == "202");
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold, also: r => r.Q("resourceVersion") == "212");
        var informer = NewInformer();
        var run = informer.RunAsync(stop.Token);

        await server.WaitForAsync(r => r.IsWatch && r.Q("resourceVersion") == "212");

        Assert.Equal(["add w2@196", "add w4@212"], seen);
        Assert.Equal(["w2", "w4"], informer.Cache.List().Select(w => w.Metadata.Name));
        Assert.Equal(1, registry.Counter("informer_relists_total", "", "resource", "reason").Value("widgets.example.com", "expired"));
        Assert.Empty(server.Unscripted);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task AnHttpGoneRelistsAndATooOldListReadsFromStorage()
    {
        var gone = Golden.Load("36").ResponseBody;
        server.OnGolden("32", r => !r.IsWatch && r.Q("resourceVersion") == "0");
        server.OnJson("GET", WidgetsPath, 410, gone, also: r => r.IsWatch && r.Q("resourceVersion") == "202");
        server.OnJson("GET", WidgetsPath, 410, gone, also: r => !r.IsWatch && r.Q("resourceVersion") == "202");
        server.OnGolden("80", r => !r.IsWatch && r.Q("resourceVersion") is null);
        var fresh = Golden.Load("80").ResponseBody!["metadata"]!["resourceVersion"]!.GetValue<string>();
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold, also: r => r.Q("resourceVersion") == fresh);
        var informer = NewInformer();
        var run = informer.RunAsync(stop.Token);

        await server.WaitForAsync(r => r.IsWatch && r.Q("resourceVersion") == fresh);

        Assert.Equal(["0", "202", "202", null, fresh], server.Requests.Select(r => r.Q("resourceVersion")));
        Assert.Equal(["alpha", "mid", "sample", "zeta"], informer.Cache.List().Select(w => w.Metadata.Name));
        Assert.Contains("delete w2@196", seen);
        Assert.Empty(server.Unscripted);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task ARelistSynthesizesDeletesAndUpdatesForWhatChanged()
    {
        server.OnJson("GET", WidgetsPath, 200, WidgetList("20", ("w1", "10"), ("w2", "11"), ("w3", "12")), also: r => !r.IsWatch && r.Q("resourceVersion") == "0");
        server.OnWatch(WidgetsPath, Golden.Load("35").WatchLines, also: r => r.Q("resourceVersion") == "20");
        server.OnJson("GET", WidgetsPath, 200, WidgetList("30", ("w2", "15"), ("w3", "12"), ("w4", "16")), also: r => !r.IsWatch && r.Q("resourceVersion") == "20");
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold, also: r => r.Q("resourceVersion") == "30");
        var informer = NewInformer();
        var run = informer.RunAsync(stop.Token);

        await server.WaitForAsync(r => r.IsWatch && r.Q("resourceVersion") == "30");

        Assert.Equal(["add w1@10", "add w2@11", "add w3@12", "delete w1@10", "update w2@11->15", "add w4@16"], seen);
        Assert.Equal(["w2", "w3", "w4"], informer.Cache.Keys());
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task ADroppedConnectionResumesTheWatchWithoutRelisting()
    {
        var lines = Golden.Load("33").WatchLines;
        server.OnGolden("32", r => !r.IsWatch);
        var consumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnWatch(WidgetsPath, lines.Take(2), WatchEnd.Abort, consumed.Task, also: r => r.Q("resourceVersion") == "202");
        server.OnWatch(WidgetsPath, lines.Skip(2), WatchEnd.Hold, also: r => r.Q("resourceVersion") == "204");
        var informer = NewInformer();
        informer.AddEventHandler(onUpdate: (_, w) => consumed.TrySetResult(), onDelete: _ => deleted.TrySetResult());
        var run = informer.RunAsync(stop.Token);

        await server.WaitForAsync(r => r.IsWatch && r.Q("resourceVersion") == "204");
        await deleted.Task.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Contains("delete w3@206", seen);
        Assert.Single(server.Requests, r => !r.IsWatch);
        Assert.Equal(["w2"], informer.Cache.Keys());
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task ServerErrorsAndThrottlingAreRetriedFromTheSameVersion()
    {
        var internalError = JsonNode.Parse("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcdserver: leader changed","reason":"InternalError","code":500}""");
        var throttled = JsonNode.Parse("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests","reason":"TooManyRequests","code":429}""");
        server.OnJson("GET", WidgetsPath, 500, internalError, also: r => !r.IsWatch);
        server.OnGolden("32", r => !r.IsWatch);
        server.OnJson("GET", WidgetsPath, 500, internalError, also: r => r.IsWatch);
        server.OnJson("GET", WidgetsPath, 429, throttled, also: r => r.IsWatch);
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold, also: r => r.Q("resourceVersion") == "202");
        var informer = NewInformer();
        var run = informer.RunAsync(stop.Token);

        await server.WaitForAsync(r => r.IsWatch, count: 3);

        Assert.Equal(2, server.Requests.Count(r => !r.IsWatch));
        Assert.All(server.Requests.Where(r => r.IsWatch), r => Assert.Equal("202", r.Q("resourceVersion")));
        Assert.True(informer.HasSynced);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task ANonExpiryErrorEventRelistsAfterBackoff()
    {
        var error = """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"internal error","reason":"InternalError","code":500}}""";
        server.OnGolden("32", r => !r.IsWatch && r.Q("resourceVersion") == "0");
        server.OnWatch(WidgetsPath, [error], also: r => r.Q("resourceVersion") == "202");
        server.OnGolden("32", r => !r.IsWatch && r.Q("resourceVersion") == "202");
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold, also: r => r.Q("resourceVersion") == "202");
        var informer = NewInformer();
        var run = informer.RunAsync(stop.Token);

        await server.WaitForAsync(r => r.IsWatch, count: 2);

        Assert.Equal(2, server.Requests.Count(r => !r.IsWatch));
        Assert.Equal(["add w2@196"], seen);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task NamespaceAndSelectorsScopeListAndWatch()
    {
        const string path = "/api/v1/namespaces/amazon-guardduty/pods";
        var pods = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PodList",
            ["metadata"] = new JsonObject { ["resourceVersion"] = "77" },
            ["items"] = new JsonArray(new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "agent-1", ["namespace"] = "amazon-guardduty", ["resourceVersion"] = "70" },
                ["status"] = new JsonObject { ["phase"] = "Running" },
            }),
        };
        server.OnJson("GET", path, 200, pods, also: r => !r.IsWatch);
        server.OnWatch(path, [], WatchEnd.Hold);
        var informer = new Informer<V1Pod>(
            client,
            KubeResources.Pods,
            new InformerOptions { Namespace = "amazon-guardduty", LabelSelector = "app=agent", FieldSelector = "spec.nodeName!=", InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(5) });
        var run = informer.RunAsync(stop.Token);

        await server.WaitForAsync(r => r.IsWatch);

        Assert.All(server.Requests, r => Assert.Equal("app=agent", r.Q("labelSelector")));
        Assert.All(server.Requests, r => Assert.Equal("spec.nodeName!=", r.Q("fieldSelector")));
        var pod = informer.Cache.Get("agent-1", "amazon-guardduty");
        Assert.NotNull(pod);
        Assert.Equal("Running", pod.Status.Phase);
        Assert.Equal("Pod", pod.Kind);
        Assert.Single(informer.Cache.List("amazon-guardduty"));
        Assert.Empty(informer.Cache.List("default"));
        Assert.Throws<ArgumentException>(() => new Informer<V1Namespace>(client, KubeResources.Namespaces, new InformerOptions { Namespace = "x" }));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task HandlersAddedAfterSyncFirstReceiveTheCache()
    {
        server.OnGolden("37", r => !r.IsWatch);
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold);
        var informer = NewInformer(track: false);
        Assert.False(informer.HasSynced);
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(20));

        var late = new List<string>();
        using (informer.AddEventHandler(onAdd: w => late.Add(w.Metadata.Name)))
        {
            Assert.Equal(["w2", "w4"], late);
        }

        Assert.True(informer.HasSynced);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task AFailingHandlerDoesNotStopDelivery()
    {
        server.OnGolden("37", r => !r.IsWatch);
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold);
        var informer = NewInformer();
        informer.AddEventHandler(onAdd: _ => throw new InvalidOperationException("handler bug"));
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(["add w4@212", "add w2@196"], seen);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void CustomIndexesAreMaintained()
    {
        var cache = new InformerCache<Widget>();
        cache.AddIndex("region", w => w.Spec?.Region is { } region ? [region] : []);
        cache.Upsert(new Widget { Metadata = new V1ObjectMeta { Name = "a" }, Spec = new WidgetSpec { Region = "eu-west-1" } });
        cache.Upsert(new Widget { Metadata = new V1ObjectMeta { Name = "b" }, Spec = new WidgetSpec { Region = "eu-west-1" } });
        cache.Upsert(new Widget { Metadata = new V1ObjectMeta { Name = "a" }, Spec = new WidgetSpec { Region = "us-east-1" } });

        Assert.Equal(["b"], cache.ByIndex("region", "eu-west-1").Select(w => w.Metadata.Name));
        Assert.Equal(["a"], cache.ByIndex("region", "us-east-1").Select(w => w.Metadata.Name));
        cache.Remove("a");
        Assert.Empty(cache.ByIndex("region", "us-east-1"));
        Assert.Throws<ArgumentException>(() => cache.ByIndex("nope", "x"));
    }

    private Informer<Widget> NewInformer(bool track = true)
    {
        var informer = new Informer<Widget>(
            client,
            Widget.Type,
            new InformerOptions { InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(5), Random = new Random(7) },
            TimeProvider.System,
            new RuntimeMetrics(registry));
        if (track)
        {
            informer.AddEventHandler(
                w => seen.Enqueue($"add {w.Metadata.Name}@{w.Metadata.ResourceVersion}"),
                (old, w) => seen.Enqueue($"update {w.Metadata.Name}@{old.Metadata.ResourceVersion}->{w.Metadata.ResourceVersion}"),
                w => seen.Enqueue($"delete {w.Metadata.Name}@{w.Metadata.ResourceVersion}"));
        }

        return informer;
    }

    private static JsonObject WidgetList(string resourceVersion, params (string Name, string ResourceVersion)[] items) => new()
    {
        ["apiVersion"] = "example.com/v1",
        ["kind"] = "WidgetList",
        ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion, ["continue"] = "" },
        ["items"] = new JsonArray([.. items.Select(i => (JsonNode)new JsonObject
        {
            ["apiVersion"] = "example.com/v1",
            ["kind"] = "Widget",
            ["metadata"] = new JsonObject { ["name"] = i.Name, ["resourceVersion"] = i.ResourceVersion },
            ["spec"] = new JsonObject { ["region"] = "eu-west-1", ["size"] = 1 },
        })]),
    };
}
