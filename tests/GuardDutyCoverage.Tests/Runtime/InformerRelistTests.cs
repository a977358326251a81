using System.Text.Json.Nodes;
using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Tests.Runtime;

/// <summary>
/// The re-list rules of client-go's reflector against a server scripted as the real v1.24 one answered in the
/// k8s-golden recordings 82-95: a LIST with a resourceVersion and a limit is Exact (83, 92: stale, the same old
/// resourceVersion); without a limit it is served from the watch cache, current (85, 93); a compacted Exact LIST is
/// 410 (89); a continue token past compaction is 410 (88); after an API server restart a watch from an older
/// resourceVersion gets one ERROR 410 event (91).
/// </summary>
public sealed class InformerRelistTests : ScriptedApiServerTest
{
    private const string WidgetsPath = "/apis/example.com/v1/widgets";

    // golden 91: the watch after the restart.
    private const string TooOldEvent = """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 188 (189)","reason":"Expired","code":410}}""";


    private IEnumerable<RecordedRequest> Lists => server.Requests.Where(r => !r.IsWatch);

    [Fact]
    public async Task AfterAnApiServerRestartTheRelistSendsNoLimitAndGetsTheCurrentState()
    {
        server.OnJson("GET", WidgetsPath, 200, WidgetList("188", null, ("w1", "58"), ("w2", "63")), also: r => !r.IsWatch && r.Q("resourceVersion") == "0");
        server.OnWatch(WidgetsPath, [TooOldEvent], also: r => r.Q("resourceVersion") == "188");

        // golden 92: with a limit, etcd at exactly 188, forever; golden 93: without, the watch cache, current.
        server.OnJson("GET", WidgetsPath, 200, WidgetList("188", null, ("w1", "58"), ("w2", "63")), once: false, also: r => !r.IsWatch && r.Q("resourceVersion") == "188" && r.Q("limit") is not null);
        server.OnJson("GET", WidgetsPath, 200, WidgetList("190", null, ("w2", "63"), ("w3", "190")), also: r => !r.IsWatch && r.Q("resourceVersion") == "188" && r.Q("limit") is null);
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold, also: r => r.Q("resourceVersion") == "190");
        var informer = NewInformer(TimeProvider.System);
        var run = informer.RunAsync(stop.Token);

        await server.WaitForAsync(r => r.IsWatch && r.Q("resourceVersion") == "190");

        var lists = Lists.ToList();
        Assert.Equal(2, lists.Count);
        Assert.Equal(("0", "500"), (lists[0].Q("resourceVersion"), lists[0].Q("limit")));
        Assert.Equal(("188", null), (lists[1].Q("resourceVersion"), lists[1].Q("limit")));
        Assert.Null(lists[1].Q("resourceVersionMatch"));
        Assert.Equal(["w2", "w3"], informer.Cache.Keys());
        Assert.Equal("190", informer.LastSyncResourceVersion);
        Assert.Empty(server.Unscripted);
        await PollAsync(() => informer.IsCurrent, () => $"synced {informer.HasSynced}, not current since {informer.NotCurrentSince}, last error {informer.LastError}, requests: " + string.Join(" ", server.Requests.Select(r => r.Q("resourceVersion"))));
        Assert.Null(informer.NotCurrentSince);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task AServerThatAnswersEveryListStaleCannotMakeItLoop()
    {
        // A server (or proxy) that keeps answering the old snapshot, whatever is asked, and 410 to every watch: the
        // informer from before this fix re-listed ~1,400 times a second here. Now LIST starts are paced.
        server.OnJson("GET", WidgetsPath, 200, WidgetList("188", null, ("w1", "58")), once: false, also: r => !r.IsWatch);
        server.OnWatch(WidgetsPath, [TooOldEvent], once: false);
        var clock = new SteppedClock(new DateTimeOffset(2026, 12, 5, 20, 0, 0, TimeSpan.Zero));
        var informer = NewInformer(clock);
        var run = informer.RunAsync(stop.Token);

        // Step the fake clock from one re-list pause to the next for one minute (the watch's own stall timer, due
        // minutes later, is not one of them). Each step lets exactly one LIST and one WATCH through.
        var steps = new List<TimeSpan>();
        while (clock.GetUtcNow() - clock.Start < TimeSpan.FromSeconds(60))
        {
            var before = clock.GetUtcNow();
            Assert.True(await clock.StepToNextTimerAsync(due => due - clock.GetUtcNow() <= TimeSpan.FromSeconds(61)), "the informer did not pause before its next LIST");
            Assert.True(clock.GetUtcNow() - before >= TimeSpan.FromMilliseconds(800), $"a re-list only {clock.GetUtcNow() - before} after the previous one");
            steps.Add(clock.GetUtcNow() - clock.Start);
        }

        await server.WaitForAsync(r => r.IsWatch, 1 + steps.Count);
        Assert.Equal(1 + steps.Count, Lists.Count());
        Assert.Equal(1 + steps.Count, server.Requests.Count(r => r.IsWatch));
        var inTheFirstMinute = 1 + steps.Count(t => t <= TimeSpan.FromSeconds(60));
        // Pauses of 0.8, 1.6, 3.2, 6.4 s then 8 s, each up to twice as long (jitter): 7 to 11 LISTs in a minute.
        Assert.InRange(inTheFirstMinute, 7, 11);
        Assert.All(Lists.Skip(1), r => Assert.Null(r.Q("limit")));

        // Never current: the view it gives has been stale since the informer started.
        Assert.False(informer.IsCurrent);
        Assert.Equal(clock.Start, informer.NotCurrentSince);
        Assert.Contains("410", informer.LastError, StringComparison.Ordinal);
        Assert.Equal(steps.Count, registry.Counter("informer_relists_total", "", "resource", "reason").Value("widgets.example.com", "expired"));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task AnExpiredContinueRestartsFromTheFirstPageAndAnExpiredListReadsTheLatestState()
    {
        // golden 87/88: page 1 of 2, then its continue token is compacted away.
        server.OnJson("GET", WidgetsPath, 200, WidgetList("100", "tok-1", ("w1", "90"), ("w2", "91")), also: r => !r.IsWatch && r.Q("continue") is null && r.Q("resourceVersion") == "0");
        server.OnJson("GET", WidgetsPath, 410, ExpiredContinue(), also: r => !r.IsWatch && r.Q("continue") == "tok-1");
        server.OnJson("GET", WidgetsPath, 200, WidgetList("101", "tok-2", ("w1", "90"), ("w2", "91")), also: r => !r.IsWatch && r.Q("continue") is null && r.Q("resourceVersion") == "0");
        server.OnJson("GET", WidgetsPath, 200, WidgetList("101", null, ("w3", "101")), also: r => !r.IsWatch && r.Q("continue") == "tok-2");

        // golden 91 then 89: the watch expires, and so does the re-list at that resourceVersion; then "" (etcd, paged).
        server.OnWatch(WidgetsPath, [TooOldEvent], also: r => r.Q("resourceVersion") == "101");
        server.OnJson("GET", WidgetsPath, 410, TooOldList(), also: r => !r.IsWatch && r.Q("resourceVersion") == "101");
        server.OnJson("GET", WidgetsPath, 200, WidgetList("120", null, ("w3", "101"), ("w4", "120")), also: r => !r.IsWatch && r.Q("resourceVersion") is null);
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold, also: r => r.Q("resourceVersion") == "120");
        var informer = NewInformer(TimeProvider.System, pageSize: 2);
        var run = informer.RunAsync(stop.Token);

        await server.WaitForAsync(r => r.IsWatch && r.Q("resourceVersion") == "120");

        Assert.Equal(
            [("0", "2", null), (null, "2", "tok-1"), ("0", "2", null), (null, "2", "tok-2"), ("101", null, null), (null, "2", null)],
            Lists.Select(r => (r.Q("resourceVersion"), r.Q("limit"), r.Q("continue"))));
        Assert.Equal(["w3", "w4"], informer.Cache.Keys());
        Assert.Empty(server.Unscripted);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task ThrottlingWithRetryAfterIsHonoured()
    {
        var throttled = JsonNode.Parse("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":7},"code":429}""");
        server.On(r => !r.IsWatch, (c, _) => ScriptedApiServer.RespondJsonAsync(c, 429, throttled, new Dictionary<string, string> { ["Retry-After"] = "7" }));
        server.OnJson("GET", WidgetsPath, 200, WidgetList("5", null, ("w1", "5")), also: r => !r.IsWatch);
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold);
        var clock = new SteppedClock(new DateTimeOffset(2026, 12, 5, 20, 0, 0, TimeSpan.Zero));
        var informer = NewInformer(clock);
        var run = informer.RunAsync(stop.Token);

        Assert.True(await clock.StepToNextTimerAsync(due => due - clock.GetUtcNow() <= TimeSpan.FromSeconds(61)));
        Assert.Equal(TimeSpan.FromSeconds(7), clock.GetUtcNow() - clock.Start);
        await informer.WaitForSyncAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(2, Lists.Count());
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    private Informer<Widget> NewInformer(TimeProvider time, int pageSize = 500) => new(
        client,
        Widget.Type,
        new InformerOptions
        {
            PageSize = pageSize,
            InitialBackoff = TimeSpan.FromMilliseconds(1),
            MaxBackoff = TimeSpan.FromMilliseconds(5),
            RelistInitialBackoff = time == TimeProvider.System ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromMilliseconds(800),
            RelistMaxBackoff = time == TimeProvider.System ? TimeSpan.FromMilliseconds(5) : new InformerOptions().RelistMaxBackoff,
            WatchConfirmAfter = TimeSpan.FromMilliseconds(200),
            Random = new Random(7),
        },
        time,
        new RuntimeMetrics(registry));

    private static async Task PollAsync(Func<bool> condition, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(condition(), describe?.Invoke());
    }

    private static JsonObject ExpiredContinue() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
        ["reason"] = "Expired",
        ["code"] = 410,
    };

    private static JsonObject TooOldList() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = "The resourceVersion for the provided list is too old.",
        ["reason"] = "Expired",
        ["code"] = 410,
    };

    private static JsonObject WidgetList(string resourceVersion, string? continueToken, params (string Name, string ResourceVersion)[] items) => new()
    {
        ["apiVersion"] = "example.com/v1",
        ["kind"] = "WidgetList",
        ["metadata"] = continueToken is null
            ? new JsonObject { ["resourceVersion"] = resourceVersion }
            : new JsonObject { ["resourceVersion"] = resourceVersion, ["continue"] = continueToken, ["remainingItemCount"] = 1 },
        ["items"] = new JsonArray([.. items.Select(i => (JsonNode)new JsonObject
        {
            ["apiVersion"] = "example.com/v1",
            ["kind"] = "Widget",
            ["metadata"] = new JsonObject { ["name"] = i.Name, ["resourceVersion"] = i.ResourceVersion },
            ["spec"] = new JsonObject { ["region"] = "eu-west-1", ["size"] = 1 },
        })]),
    };
}
