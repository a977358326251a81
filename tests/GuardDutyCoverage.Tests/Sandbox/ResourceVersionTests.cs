using System.Globalization;
using System.Text.Json.Nodes;
using KubeSandbox;

namespace GuardDutyCoverage.Tests.Sandbox;

/// <summary>
/// kube-apiserver v1.24's resourceVersion semantics as the sandbox reproduces them (tests/KubeSandbox/README.md, k8s-golden
/// 82-95): the LIST table, the watch cache's window and freshness, etcd compaction, and API server restarts.
/// </summary>
public sealed class ResourceVersionTests
{
    private const string ConfigMaps = "api/v1/namespaces/default/configmaps";

    private static List<string> Names(JsonObject list) => ((JsonArray)list["items"]!).Select(i => (string)i!["metadata"]!["name"]!).ToList();

    private static string ListRv(JsonObject list) => (string)list["metadata"]!["resourceVersion"]!;

    private static string Type(JsonObject watchEvent) => (string)watchEvent["type"]!;

    private static long Revision(SandboxServer sandbox) => long.Parse(sandbox.Cluster.ResourceVersion, CultureInfo.InvariantCulture);

    private static async Task<string> CreateAsync(SandboxHttp http, string name)
    {
        var created = await http.PostAsync(ConfigMaps, WatchTests.ConfigMap(name));
        Assert.Equal(201, created.Status);
        return (string)created.Object["metadata"]!["resourceVersion"]!;
    }

    /// <summary>
    /// "b" and "a" exist at <c>then</c>; "c" came later; a Secret written last moves etcd's revision past the
    /// ConfigMaps' watch cache. Cache order is creation order (b, a, c); etcd's is by key (a, b, c).
    /// </summary>
    private sealed record Table(SandboxServer Sandbox, SandboxHttp Http, string Then, string CacheRv, string Current);

    private static async Task<Table> TableAsync()
    {
        var sandbox = await SandboxServer.StartAsync();
        var http = new SandboxHttp(sandbox);
        await CreateAsync(http, "b");
        var then = await CreateAsync(http, "a");
        var cacheRv = await CreateAsync(http, "c");
        Assert.Equal(201, (await http.PostAsync("api/v1/namespaces/default/secrets", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "s" },
        })).Status);
        return new Table(sandbox, http, then, cacheRv, sandbox.Cluster.ResourceVersion);
    }

    [Theory]
    // resourceVersion unset: a consistent read from etcd at the current revision (80, 87).
    [InlineData("", "", "", "a,b,c", "current", false)]
    [InlineData("", "", "2", "a,b", "current", true)]
    // "0": the watch cache, whatever the limit (81, 82, 86).
    [InlineData("0", "", "", "b,a,c", "cache", false)]
    [InlineData("0", "", "1", "b,a,c", "cache", false)]
    [InlineData("0", "NotOlderThan", "1", "b,a,c", "cache", false)]
    // Non-zero without a limit: the watch cache, not older than asked (37, 85, 93).
    [InlineData("then", "", "", "b,a,c", "cache", false)]
    [InlineData("then", "NotOlderThan", "", "b,a,c", "cache", false)]
    // Non-zero with a limit and no match: the legacy Exact read at that revision (83, 92).
    [InlineData("then", "", "500", "a,b", "then", false)]
    [InlineData("then", "", "1", "a", "then", true)]
    // NotOlderThan with a limit: etcd at the current revision (84, 90).
    [InlineData("then", "NotOlderThan", "500", "a,b,c", "current", false)]
    [InlineData("then", "NotOlderThan", "2", "a,b", "current", true)]
    // Exact, with or without a limit (36).
    [InlineData("then", "Exact", "", "a,b", "then", false)]
    [InlineData("then", "Exact", "1", "a", "then", true)]
    public async Task The_v1_24_list_table_picks_etcd_or_the_watch_cache(string rv, string match, string limit, string names, string listRv, bool paged)
    {
        var table = await TableAsync();
        await using var sandbox = table.Sandbox;
        using var http = table.Http;
        var query = new List<string>();
        if (rv.Length > 0)
        {
            query.Add("resourceVersion=" + (rv == "then" ? table.Then : rv));
        }

        if (match.Length > 0)
        {
            query.Add("resourceVersionMatch=" + match);
        }

        if (limit.Length > 0)
        {
            query.Add("limit=" + limit);
        }

        var list = await http.GetAsync($"{ConfigMaps}?{string.Join("&", query)}");
        Assert.Equal(200, list.Status);
        Assert.Equal(names.Split(','), Names(list.Object));
        Assert.Equal(listRv switch { "then" => table.Then, "cache" => table.CacheRv, _ => table.Current }, ListRv(list.Object));
        Assert.Equal(paged, list.Object["metadata"]!["continue"] is not null);
        if (paged)
        {
            // Later pages read the first page's snapshot, whatever was written since.
            await CreateAsync(http, "aa");
            var token = Uri.EscapeDataString((string)list.Object["metadata"]!["continue"]!);
            var rest = (await http.GetAsync($"{ConfigMaps}?limit=500&continue={token}")).Object;
            var all = Names(list.Object).Concat(Names(rest)).ToList();
            Assert.Equal(listRv == "then" ? ["a", "b"] : ["a", "b", "c"], all);
            Assert.Equal(ListRv(list.Object), ListRv(rest));
        }
    }

    [Theory]
    [InlineData("resourceVersionMatch=NotOlderThan", "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided")]
    [InlineData("resourceVersion=0&resourceVersionMatch=Exact", "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"")]
    [InlineData("resourceVersion=1&resourceVersionMatch=Newest", "resourceVersionMatch: Unsupported value: \"Newest\": supported values: \"Exact\", \"NotOlderThan\", \"\"")]
    [InlineData("resourceVersionMatch=Exact&continue=x", "[resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided]")]
    [InlineData("watch=true&resourceVersion=1&resourceVersionMatch=NotOlderThan", "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch")]
    public async Task Bad_list_options_are_422_Invalid_ListOptions(string query, string causes)
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        var invalid = await http.GetAsync($"{ConfigMaps}?{query}");
        Assert.Equal(422, invalid.Status);
        Assert.Equal("Invalid", (string)invalid.Object["reason"]!);
        Assert.Equal($"ListOptions.meta.k8s.io \"\" is invalid: {causes}", (string)invalid.Object["message"]!);
        Assert.Equal("meta.k8s.io", (string)invalid.Object["details"]!["group"]!);
        Assert.Equal("ListOptions", (string)invalid.Object["details"]!["kind"]!);
        Assert.Null(invalid.Object["details"]!["name"]);
    }

    [Fact]
    public async Task Continue_tokens_are_etcd3_tokens_and_a_resource_version_with_one_is_400()
    {
        var table = await TableAsync();
        await using var sandbox = table.Sandbox;
        using var http = table.Http;
        var token = (string)(await http.GetAsync($"{ConfigMaps}?limit=1")).Object["metadata"]!["continue"]!;
        Assert.Equal(new ContinueToken(long.Parse(table.Current, CultureInfo.InvariantCulture), "a\u0000"), ContinueToken.Decode(token));

        // All namespaces: the key below /registry/configmaps/ is namespace/name.
        var everywhere = (string)(await http.GetAsync("api/v1/configmaps?limit=1")).Object["metadata"]!["continue"]!;
        Assert.Equal("default/a\u0000", ContinueToken.Decode(everywhere)!.Start);

        var withRv = await http.GetAsync($"{ConfigMaps}?limit=1&resourceVersion={table.Then}&continue={Uri.EscapeDataString(token)}");
        Assert.Equal(400, withRv.Status);
        Assert.Equal("specifying resource version is not allowed when using continue", (string)withRv.Object["message"]!);
        Assert.Equal(200, (await http.GetAsync($"{ConfigMaps}?limit=1&resourceVersion=0&continue={Uri.EscapeDataString(token)}")).Status);

        var zeroRv = new ContinueToken(0, "a\u0000").Encode();
        var invalid = await http.GetAsync($"{ConfigMaps}?limit=1&continue={zeroRv}");
        Assert.Equal(400, invalid.Status);
        Assert.Equal("invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)", (string)invalid.Object["message"]!);
    }

    [Fact]
    public async Task Compaction_at_a_revision_expires_exact_reads_before_it_and_continue_tokens_get_a_token_to_go_on()
    {
        var table = await TableAsync();
        await using var sandbox = table.Sandbox;
        using var http = table.Http;
        var page = (await http.GetAsync($"{ConfigMaps}?limit=2")).Object;
        var token = (string)page["metadata"]!["continue"]!;
        await CreateAsync(http, "d");
        var thenRv = long.Parse(table.Then, CultureInfo.InvariantCulture);

        // etcdctl compact <then>: a read at that revision still works, one before it does not.
        Assert.Equal(thenRv, sandbox.Faults.CompactStorage(thenRv));
        Assert.Equal(thenRv, sandbox.Faults.CompactedRevision);
        Assert.Equal(["a", "b"], Names((await http.GetAsync($"{ConfigMaps}?limit=500&resourceVersion={table.Then}")).Object));
        var before = await http.GetAsync($"{ConfigMaps}?limit=500&resourceVersion={thenRv - 1}");
        Assert.Equal(410, before.Status);
        Assert.Equal("The resourceVersion for the provided list is too old.", (string)before.Object["message"]!);

        // Compacted past the token's snapshot (88): 410 with a token that continues at the latest revision.
        sandbox.Faults.CompactStorage(Revision(sandbox));
        var expired = await http.GetAsync($"{ConfigMaps}?limit=2&continue={Uri.EscapeDataString(token)}");
        Assert.Equal(410, expired.Status);
        Assert.Equal("Expired", (string)expired.Object["reason"]!);
        Assert.EndsWith("may show up in the list.", (string)expired.Object["message"]!, StringComparison.Ordinal);
        var goOn = (string)expired.Object["metadata"]!["continue"]!;
        Assert.Equal(new ContinueToken(-1, "b\u0000"), ContinueToken.Decode(goOn));
        var rest = (await http.GetAsync($"{ConfigMaps}?limit=2&continue={Uri.EscapeDataString(goOn)}")).Object;
        Assert.Equal(["c", "d"], Names(rest)); // inconsistent: "d" came after the first page
        Assert.Equal(sandbox.Cluster.ResourceVersion, ListRv(rest));

        // NotOlderThan and the watch cache do not care about compaction (90, 37).
        Assert.Equal(200, (await http.GetAsync($"{ConfigMaps}?limit=500&resourceVersion={thenRv - 1}&resourceVersionMatch=NotOlderThan")).Status);
        Assert.Equal(200, (await http.GetAsync($"{ConfigMaps}?resourceVersion={thenRv - 1}")).Status);

        Assert.Throws<ArgumentOutOfRangeException>(() => sandbox.Faults.CompactStorage(Revision(sandbox) + 1));
    }

    [Fact]
    public async Task The_compactor_compacts_each_interval_at_the_revision_of_the_previous_one()
    {
        var time = WatchTests.NewClock();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = time, CompactionInterval = TimeSpan.FromMinutes(5) });
        using var http = new SandboxHttp(sandbox);
        var a = await CreateAsync(http, "a");

        // First tick: the compactor writes its key and remembers the revision; nothing is compacted yet.
        time.Advance(TimeSpan.FromMinutes(5));
        var firstTick = Revision(sandbox);
        Assert.Equal(long.Parse(a, CultureInfo.InvariantCulture) + 1, firstTick);
        Assert.Equal(0, sandbox.Faults.CompactedRevision);
        Assert.Equal(200, (await http.GetAsync($"{ConfigMaps}?resourceVersion={a}&resourceVersionMatch=Exact")).Status);

        // Second tick: compacted at the first tick's revision.
        await CreateAsync(http, "b");
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(firstTick, sandbox.Faults.CompactedRevision);
        Assert.Equal(410, (await http.GetAsync($"{ConfigMaps}?resourceVersion={a}&resourceVersionMatch=Exact")).Status);
        Assert.Equal(["a"], Names((await http.GetAsync($"{ConfigMaps}?resourceVersion={firstTick}&resourceVersionMatch=Exact")).Object));
    }

    [Fact]
    public async Task The_watch_cache_waits_three_seconds_to_be_as_fresh_as_asked_then_answers_504()
    {
        var time = WatchTests.NewClock();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = time });
        using var http = new SandboxHttp(sandbox);
        var cacheRv = await CreateAsync(http, "a");
        await http.PostAsync("api/v1/namespaces/default/secrets", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "s" } });
        var etcdRv = sandbox.Cluster.ResourceVersion;

        // An RV from etcd, past the ConfigMaps' cache: no ConfigMap event comes, so after 3 s it is 504.
        var tooNew = http.GetAsync($"{ConfigMaps}?resourceVersion={etcdRv}");
        await FaultTests.Eventually(() => sandbox.Cluster.Store.PendingCacheWaits == 1);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(tooNew.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        var timedOut = await tooNew.WaitAsync(SandboxHttp.Patience);
        Assert.Equal(504, timedOut.Status);
        Assert.Equal($"Too large resource version: {etcdRv}, current: {cacheRv}", (string)timedOut.Object["message"]!);
        Assert.Equal("ResourceVersionTooLarge", (string)timedOut.Object["details"]!["causes"]![0]!["reason"]!);
        Assert.Equal(1, (int)timedOut.Object["details"]!["retryAfterSeconds"]!);

        // A ConfigMap event while it waits brings the cache there: served at once.
        Assert.Equal(0, sandbox.Cluster.Store.PendingCacheWaits);
        var waiting = http.GetAsync($"{ConfigMaps}?resourceVersion={etcdRv}");
        await FaultTests.Eventually(() => sandbox.Cluster.Store.PendingCacheWaits == 1);
        var bRv = await CreateAsync(http, "b");
        var served = await waiting.WaitAsync(SandboxHttp.Patience);
        Assert.Equal(200, served.Status);
        Assert.Equal(bRv, ListRv(served.Object));

        // etcd itself is never behind: only a revision past the current one is 504, without a retry hint.
        var future = await http.GetAsync($"{ConfigMaps}?limit=10&resourceVersion={Revision(sandbox) + 5}&resourceVersionMatch=NotOlderThan");
        Assert.Equal(504, future.Status);
        Assert.Null(future.Object["details"]!["retryAfterSeconds"]);
    }

    [Fact]
    public async Task A_watch_may_start_one_before_the_oldest_event_the_window_holds()
    {
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { WatchWindow = 2 });
        using var http = new SandboxHttp(sandbox);
        var start = sandbox.Faults.WatchCache("", "configmaps");
        var a = long.Parse(await CreateAsync(http, "a"), CultureInfo.InvariantCulture);

        // Nothing evicted yet: from the revision the cache started at.
        Assert.Equal(start.StartRevision, sandbox.Faults.WatchCache("", "configmaps").OldestWatchableRevision);
        await CreateAsync(http, "b");
        await CreateAsync(http, "c");
        var window = sandbox.Faults.WatchCache("", "configmaps");
        var b = a + 1;
        Assert.Equal(b - 1, window.OldestWatchableRevision);

        await using (var fromA = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={a}"))
        {
            var events = await fromA.NextAsync(2);
            Assert.Equal(["b", "c"], events.Select(e => (string)e["object"]!["metadata"]!["name"]!));
        }

        await using (var beforeA = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={a - 1}"))
        {
            var error = Assert.Single(await beforeA.ReadToEndAsync());
            Assert.Equal("ERROR", Type(error));
            Assert.Equal($"too old resource version: {a - 1} ({a})", (string)error["object"]!["message"]!);
        }

        // A smaller window evicts now.
        sandbox.Faults.SetWatchCacheWindow(1);
        Assert.Equal(1, sandbox.Faults.WatchCacheWindow);
        await using var afterShrink = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={a}");
        Assert.Equal($"too old resource version: {a} ({b})", (string)Assert.Single(await afterShrink.ReadToEndAsync())["object"]!["message"]!);
    }

    /// <summary>k8s-golden 91-95 as a client sees them, through the restart fault.</summary>
    [Fact]
    public async Task After_an_API_server_restart_old_watches_are_410_limited_lists_are_stale_and_unlimited_lists_are_current()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        await CreateAsync(http, "a");
        var seen = ListRv((await http.GetAsync($"{ConfigMaps}?limit=500")).Object);
        await using var open = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={seen}");

        var restart = sandbox.Faults.RestartApiServer();
        Assert.Equal(long.Parse(seen, CultureInfo.InvariantCulture), restart.PreviousRevision);
        Assert.Equal(restart.PreviousRevision + 1, restart.WatchCacheRevision);
        Assert.Equal(1, restart.BrokenWatches);
        Assert.Equal(1, sandbox.Faults.ApiServerRestarts);
        await Assert.ThrowsAnyAsync<IOException>(open.ReadToEndAsync);
        await CreateAsync(http, "after-restart");

        // 91: the watch from the last RV seen before the restart.
        await using (var watch = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={seen}"))
        {
            Assert.Equal(200, watch.Status);
            var error = Assert.Single(await watch.ReadToEndAsync());
            Assert.Equal("ERROR", Type(error));
            Assert.Equal(410, (int)error["object"]!["code"]!);
            Assert.Equal($"too old resource version: {seen} ({restart.WatchCacheRevision})", (string)error["object"]!["message"]!);
        }

        // 92: a LIST with a limit at that RV is etcd at exactly it: stale, same RV (watching from it is 91 again).
        var stale = (await http.GetAsync($"{ConfigMaps}?limit=500&resourceVersion={seen}")).Object;
        Assert.Equal(["a"], Names(stale));
        Assert.Equal(seen, ListRv(stale));

        // 93-94: without a limit it is the new watch cache: current items and RV, from which watching works.
        var current = (await http.GetAsync($"{ConfigMaps}?resourceVersion={seen}")).Object;
        Assert.Equal(["a", "after-restart"], Names(current));
        Assert.Equal(sandbox.Cluster.ResourceVersion, ListRv(current));
        await using (var watch = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={ListRv(current)}"))
        {
            await CreateAsync(http, "later");
            Assert.Equal("ADDED", Type((await watch.NextAsync())!));
        }

        // 95: a type not written since the restart lists at the revision the caches started at.
        Assert.Equal(restart.WatchCacheRevision.ToString(CultureInfo.InvariantCulture), ListRv((await http.GetAsync("api/v1/namespaces/default/pods?resourceVersion=0")).Object));
        Assert.Equal(new WatchCacheInfo(restart.WatchCacheRevision, restart.WatchCacheRevision, restart.WatchCacheRevision), sandbox.Faults.WatchCache("", "pods"));
    }

    [Fact]
    public async Task A_stopped_API_server_breaks_every_connection_until_it_starts_again()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        var before = Revision(sandbox);
        await using var open = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={before}");

        Assert.Equal(1, sandbox.Faults.StopApiServer());
        Assert.True(sandbox.Faults.ApiServerStopped);
        await Assert.ThrowsAnyAsync<IOException>(open.ReadToEndAsync);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(ConfigMaps));
        Assert.Contains(sandbox.Requests, r => r is { Verb: "list", StatusCode: 0 });

        // The admin endpoints still answer (the server can be started again from another process).
        var state = await http.GetAsync("_sandbox/state");
        Assert.Equal(200, state.Status);
        Assert.True((bool)state.Object["apiServerStopped"]!);

        var restart = sandbox.Faults.StartApiServer();
        Assert.Equal(before + 1, restart.WatchCacheRevision);
        Assert.False(sandbox.Faults.ApiServerStopped);
        Assert.Equal(200, (await http.GetAsync(ConfigMaps)).Status);
    }

    [Fact]
    public async Task A_custom_resources_watch_cache_starts_with_its_first_request_and_again_after_a_restart()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        sandbox.Cluster.LoadYaml(File.ReadAllText(Path.Combine(RepoPaths.TestData("k8s-golden"), "widget-crd.yaml")));
        const string widgets = "apis/example.com/v1/widgets";
        var widget = new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Widget", ["metadata"] = new JsonObject { ["name"] = "w1" }, ["spec"] = new JsonObject { ["size"] = 1 } };
        var established = Revision(sandbox);
        var created = await http.PostAsync(widgets, widget);
        Assert.Equal(201, created.Status);

        // The first request created the storage; the cache listed etcd after the write (k8s-golden 35: "(194)").
        var w1 = (string)created.Object["metadata"]!["resourceVersion"]!;
        await using var watch = await http.WatchAsync($"{widgets}?watch=true&resourceVersion={established}");
        Assert.Equal($"too old resource version: {established} ({w1})", (string)Assert.Single(await watch.ReadToEndAsync())["object"]!["message"]!);

        var restart = sandbox.Faults.RestartApiServer();
        await http.PatchAsync($"{widgets}/w1", JsonNode.Parse("""{"spec":{"size":2}}""")!);
        var patched = Revision(sandbox);
        await using var afterRestart = await http.WatchAsync($"{widgets}?watch=true&resourceVersion={restart.WatchCacheRevision}");
        Assert.Equal($"too old resource version: {restart.WatchCacheRevision} ({patched})", (string)Assert.Single(await afterRestart.ReadToEndAsync())["object"]!["message"]!);
    }

    [Fact]
    public async Task Bookmarks_carry_the_resources_watch_cache_revision()
    {
        var time = WatchTests.NewClock();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = time, BookmarkInterval = TimeSpan.FromSeconds(10) });
        using var http = new SandboxHttp(sandbox);
        var configMapRv = await CreateAsync(http, "a");
        await http.PostAsync("api/v1/namespaces/default/secrets", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "s" } });
        await using var watch = await http.WatchAsync($"{ConfigMaps}?watch=true&allowWatchBookmarks=true&resourceVersion={configMapRv}&timeoutSeconds=60");
        time.Advance(TimeSpan.FromSeconds(10));
        var bookmark = (await watch.NextAsync())!;
        Assert.Equal("BOOKMARK", Type(bookmark));
        Assert.Equal(configMapRv, (string)bookmark["object"]!["metadata"]!["resourceVersion"]!);
        Assert.NotEqual(configMapRv, sandbox.Cluster.ResourceVersion);
    }

    [Fact]
    public async Task The_admin_endpoints_drive_the_same_faults_for_masters_only()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        await CreateAsync(http, "a");
        var revision = Revision(sandbox);

        var state = (await http.GetAsync("_sandbox/state")).Object;
        Assert.Equal(revision, (long)state["revision"]!);
        Assert.Equal(0, (long)state["compactedRevision"]!);

        var compact = await http.SendAsync(HttpMethod.Post, $"_sandbox/compact?revision={revision - 1}");
        Assert.Equal(200, compact.Status);
        Assert.Equal(revision - 1, (long)compact.Object["compactedRevision"]!);
        Assert.Equal(revision - 1, sandbox.Faults.CompactedRevision);
        Assert.Equal(400, (await http.SendAsync(HttpMethod.Post, $"_sandbox/compact?revision={revision + 1}")).Status);

        var window = await http.SendAsync(HttpMethod.Post, "_sandbox/watch-cache?window=7");
        Assert.Equal(7, (int)window.Object["watchCacheWindow"]!);
        Assert.Equal(7, sandbox.Faults.WatchCacheWindow);
        Assert.Equal(400, (await http.SendAsync(HttpMethod.Post, "_sandbox/watch-cache?window=0")).Status);

        var restart = (await http.SendAsync(HttpMethod.Post, "_sandbox/restart")).Object;
        Assert.Equal(revision, (long)restart["previousRevision"]!);
        Assert.Equal(revision + 1, (long)restart["watchCacheRevision"]!);
        Assert.Equal(1, sandbox.Faults.ApiServerRestarts);

        var requests = (JsonArray)(await http.GetAsync("_sandbox/requests")).Object["requests"]!;
        Assert.Contains(requests, r => (string)r!["verb"]! == "create" && (string)r["resource"]! == "configmaps" && (int)r["status"]! == 201);
        Assert.DoesNotContain(requests, r => ((string)r!["path"]!).StartsWith("/_sandbox", StringComparison.Ordinal));
        Assert.Equal(200, (await http.SendAsync(HttpMethod.Delete, "_sandbox/requests")).Status);
        Assert.Empty(sandbox.Requests);

        Assert.Equal(405, (await http.SendAsync(HttpMethod.Get, "_sandbox/restart")).Status);
        Assert.Equal(404, (await http.GetAsync("_sandbox/nothing")).Status);
        var token = sandbox.AddServiceAccountToken("default", "someone");
        using var notMaster = new SandboxHttp(sandbox, token);
        Assert.Equal(403, (await notMaster.SendAsync(HttpMethod.Post, "_sandbox/restart")).Status);
        Assert.Equal(1, sandbox.Faults.ApiServerRestarts);
    }
}
