using System.Globalization;
using System.Text.Json.Nodes;
using KubeSandbox;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Sandbox;

public sealed class WatchTests
{
    private const string ConfigMaps = "api/v1/namespaces/default/configmaps";

    internal static JsonObject ConfigMap(string name, string? app = null, string ns = "default") => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = app is null
            ? new JsonObject { ["name"] = name, ["namespace"] = ns }
            : new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["app"] = app } },
        ["data"] = new JsonObject { ["k"] = "v" },
    };

    internal static FakeTimeProvider NewClock() => new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", CultureInfo.InvariantCulture));

    private static string Type(JsonObject watchEvent) => (string)watchEvent["type"]!;

    private static string Rv(JsonNode? obj) => (string)obj!["metadata"]!["resourceVersion"]!;

    private static string Name(JsonObject watchEvent) => (string)watchEvent["object"]!["metadata"]!["name"]!;

    [Fact]
    public async Task Timeout_ends_the_stream_cleanly_on_the_sandbox_clock()
    {
        var time = NewClock();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = time });
        using var http = new SandboxHttp(sandbox);
        await using var watch = await http.WatchAsync($"{ConfigMaps}?watch=true&timeoutSeconds=5");
        Assert.Equal(200, watch.Status);
        Assert.Equal("application/json", watch.ContentType);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(await watch.ReadToEndAsync());
    }

    [Fact]
    public async Task Watch_from_a_resource_version_replays_the_changes_after_it_and_DELETED_carries_the_deletion_rv()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        var before = sandbox.Cluster.ResourceVersion;
        var created = (await http.PostAsync(ConfigMaps, ConfigMap("a"))).Object;
        var patched = (await http.PatchAsync($"{ConfigMaps}/a", new JsonObject { ["data"] = new JsonObject { ["k"] = "w" } })).Object;
        Assert.Equal(200, (await http.DeleteAsync($"{ConfigMaps}/a")).Status);

        await using var watch = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={before}");
        var events = await watch.NextAsync(3);
        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], events.Select(Type));
        Assert.Equal(Rv(created), Rv(events[0]["object"]));
        Assert.Equal(Rv(patched), Rv(events[1]["object"]));
        Assert.True(long.Parse(Rv(events[2]["object"]), CultureInfo.InvariantCulture) > long.Parse(Rv(patched), CultureInfo.InvariantCulture));
        Assert.Equal("w", (string)events[2]["object"]!["data"]!["k"]!);
    }

    [Fact]
    public async Task Watch_without_resource_version_starts_with_ADDED_for_existing_objects_then_goes_live()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        sandbox.Cluster.Upsert(ConfigMap("existing"));
        await using var watch = await http.WatchAsync($"{ConfigMaps}?watch=true");
        var first = await watch.NextAsync();
        Assert.Equal(("ADDED", "existing"), (Type(first!), Name(first!)));
        await http.PostAsync(ConfigMaps, ConfigMap("later"));
        var second = await watch.NextAsync();
        Assert.Equal(("ADDED", "later"), (Type(second!), Name(second!)));
    }

    [Fact]
    public async Task Watch_from_an_rv_older_than_the_window_gets_HTTP_200_and_one_ERROR_410_event()
    {
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { WatchWindow = 2 });
        using var http = new SandboxHttp(sandbox);
        var before = sandbox.Cluster.ResourceVersion;
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            await http.PostAsync(ConfigMaps, ConfigMap(name));
        }

        await using var watch = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={before}");
        Assert.Equal(200, watch.Status);
        var events = await watch.ReadToEndAsync();
        var error = Assert.Single(events);
        Assert.Equal("ERROR", Type(error));
        Assert.Equal(410, (int)error["object"]!["code"]!);
        Assert.Equal("Expired", (string)error["object"]!["reason"]!);
        Assert.StartsWith($"too old resource version: {before} (", (string)error["object"]!["message"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bookmarks_come_every_interval_and_two_seconds_before_the_timeout_only_when_allowed()
    {
        var time = NewClock();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = time, BookmarkInterval = TimeSpan.FromSeconds(10) });
        using var http = new SandboxHttp(sandbox);
        await using var withBookmarks = await http.WatchAsync($"{ConfigMaps}?watch=true&allowWatchBookmarks=true&timeoutSeconds=15");
        await using var withoutBookmarks = await http.WatchAsync($"{ConfigMaps}?watch=true&timeoutSeconds=15");

        time.Advance(TimeSpan.FromSeconds(10));
        var periodic = await withBookmarks.NextAsync();
        Assert.Equal("BOOKMARK", Type(periodic!));
        Assert.Equal(
            new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["resourceVersion"] = sandbox.Cluster.ResourceVersion } },
            periodic!["object"],
            JsonNode.DeepEquals);

        time.Advance(TimeSpan.FromSeconds(3)); // 13s: 2s before the 15s timeout
        Assert.Equal("BOOKMARK", Type((await withBookmarks.NextAsync())!));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(await withBookmarks.ReadToEndAsync());
        Assert.Empty(await withoutBookmarks.ReadToEndAsync());
    }

    [Fact]
    public async Task Label_selector_watch_sees_objects_leave_as_DELETED_and_return_as_ADDED()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        await using var watch = await http.WatchAsync($"{ConfigMaps}?watch=true&labelSelector=app%3Da");
        await http.PostAsync(ConfigMaps, ConfigMap("other", app: "b"));
        await http.PostAsync(ConfigMaps, ConfigMap("x", app: "a"));
        var relabel = (await http.PatchAsync($"{ConfigMaps}/x", JsonNode.Parse("""{"metadata":{"labels":{"app":"b"}}}""")!)).Object;
        await http.PatchAsync($"{ConfigMaps}/x", JsonNode.Parse("""{"metadata":{"labels":{"app":"a"}}}""")!);

        var events = await watch.NextAsync(3);
        Assert.Equal(["ADDED", "DELETED", "ADDED"], events.Select(Type));
        Assert.All(events, e => Assert.Equal("x", Name(e)));

        // The DELETED event shows the object as it last matched, with the RV of the change that made it leave.
        Assert.Equal("a", (string)events[1]["object"]!["metadata"]!["labels"]!["app"]!);
        Assert.Equal(Rv(relabel), Rv(events[1]["object"]));
    }

    [Fact]
    public async Task Field_selectors_on_pods_filter_list_and_watch_by_node_and_phase()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        static JsonObject Pod(string name, string node) => new()
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["nodeName"] = node,
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "agent", ["image"] = "agent:1.0" }),
            },
        };

        await using var watch = await http.WatchAsync("api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dnode-1");
        await http.PostAsync("api/v1/namespaces/default/pods", Pod("on-2", "node-2"));
        await http.PostAsync("api/v1/namespaces/default/pods", Pod("on-1", "node-1"));
        var added = await watch.NextAsync();
        Assert.Equal(("ADDED", "on-1"), (Type(added!), Name(added!)));

        var pending = (await http.GetAsync("api/v1/pods?fieldSelector=status.phase%3DPending,spec.nodeName!%3Dnode-1")).Object;
        Assert.Equal(["on-2"], ((JsonArray)pending["items"]!).Select(i => (string)i!["metadata"]!["name"]!));

        var unsupported = await http.GetAsync("api/v1/pods?fieldSelector=spec.hostname%3Dx");
        Assert.Equal(400, unsupported.Status);
        Assert.Equal("field label not supported: spec.hostname", (string)unsupported.Object["message"]!);
    }

    [Fact]
    public async Task Namespaced_watch_sees_only_its_namespace_and_the_legacy_watch_path_works()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        await using var watch = await http.WatchAsync("api/v1/watch/namespaces/kube-system/configmaps");
        await http.PostAsync(ConfigMaps, ConfigMap("in-default"));
        await http.PostAsync("api/v1/namespaces/kube-system/configmaps", ConfigMap("in-kube-system", ns: "kube-system"));
        var first = await watch.NextAsync();
        Assert.Equal("in-kube-system", Name(first!));
    }

    [Fact]
    public async Task Faults_expire_close_and_drop_open_watches()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        var rv = sandbox.Cluster.ResourceVersion;

        await using (var expiring = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={rv}"))
        {
            Assert.Equal(1, sandbox.Faults.ExpireWatches());
            var events = await expiring.ReadToEndAsync();
            Assert.Equal("ERROR", Type(Assert.Single(events)));
            Assert.Equal(410, (int)events[0]["object"]!["code"]!);
        }

        await using (var closing = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={rv}"))
        {
            Assert.Equal(1, sandbox.Faults.CloseWatches("", "configmaps"));
            Assert.Empty(await closing.ReadToEndAsync());
        }

        await using (var dropping = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={rv}"))
        {
            Assert.Equal(1, sandbox.Faults.DropWatches());
            await Assert.ThrowsAnyAsync<IOException>(dropping.ReadToEndAsync);
        }
    }

    [Fact]
    public async Task Compaction_fault_makes_older_watches_and_exact_lists_expire()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        var old = sandbox.Cluster.ResourceVersion;
        await http.PostAsync(ConfigMaps, ConfigMap("a"));
        sandbox.Faults.Compact();

        await using var watch = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={old}");
        Assert.Equal("ERROR", Type(Assert.Single(await watch.ReadToEndAsync())));
        var exact = await http.GetAsync($"{ConfigMaps}?resourceVersion={old}&resourceVersionMatch=Exact");
        Assert.Equal(410, exact.Status);
        Assert.Equal("The resourceVersion for the provided list is too old.", (string)exact.Object["message"]!);

        // From the current RV everything works again.
        await using var fresh = await http.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={sandbox.Cluster.ResourceVersion}");
        await http.PostAsync(ConfigMaps, ConfigMap("b"));
        Assert.Equal("b", Name((await fresh.NextAsync())!));
    }
}
