using System.Text.Json.Nodes;
using KubeSandbox;

namespace GuardDutyCoverage.Tests.Sandbox;

public sealed class ListTests
{
    private const string ConfigMaps = "api/v1/namespaces/default/configmaps";

    private static List<string> Names(JsonObject list) => ((JsonArray)list["items"]!).Select(i => (string)i!["metadata"]!["name"]!).ToList();

    private static async Task Create(SandboxHttp http, params string[] names)
    {
        foreach (var name in names)
        {
            Assert.Equal(201, (await http.PostAsync(ConfigMaps, WatchTests.ConfigMap(name, app: name.Length > 3 ? "long" : "short"))).Status);
        }
    }

    [Fact]
    public async Task Limit_and_continue_page_through_a_consistent_snapshot()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        await Create(http, "e", "b", "d", "a", "c");

        var first = (await http.GetAsync($"{ConfigMaps}?limit=2")).Object;
        Assert.Equal(["a", "b"], Names(first));
        Assert.Equal(3, (long)first["metadata"]!["remainingItemCount"]!);
        var token = (string)first["metadata"]!["continue"]!;

        // A change after the first page does not show up in later pages: they read at the first page's RV.
        await http.DeleteAsync($"{ConfigMaps}/c");
        var second = (await http.GetAsync($"{ConfigMaps}?limit=2&continue={Uri.EscapeDataString(token)}")).Object;
        Assert.Equal(["c", "d"], Names(second));
        var third = (await http.GetAsync($"{ConfigMaps}?limit=2&continue={Uri.EscapeDataString((string)second["metadata"]!["continue"]!)}")).Object;
        Assert.Equal(["e"], Names(third));
        Assert.Null(third["metadata"]!["continue"]);
        Assert.Equal(first["metadata"]!["resourceVersion"]!.GetValue<string>(), third["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_continue_token_older_than_compaction_is_410_and_a_garbled_one_400()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        await Create(http, "a", "b", "c");
        var token = (string)(await http.GetAsync($"{ConfigMaps}?limit=1")).Object["metadata"]!["continue"]!;
        await Create(http, "d");
        sandbox.Faults.CompactStorage();

        var expired = await http.GetAsync($"{ConfigMaps}?limit=1&continue={Uri.EscapeDataString(token)}");
        Assert.Equal(410, expired.Status);
        Assert.Equal("Expired", (string)expired.Object["reason"]!);
        Assert.StartsWith("The provided continue parameter is too old", (string)expired.Object["message"]!, StringComparison.Ordinal);

        var garbled = await http.GetAsync($"{ConfigMaps}?limit=1&continue=not-a-token");
        Assert.Equal(400, garbled.Status);
    }

    [Fact]
    public async Task Exact_rv_lists_the_past_state_and_too_large_rvs_time_out()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        await Create(http, "a", "b");
        var then = sandbox.Cluster.ResourceVersion;
        await http.DeleteAsync($"{ConfigMaps}/a");
        await Create(http, "c");

        var past = (await http.GetAsync($"{ConfigMaps}?resourceVersion={then}&resourceVersionMatch=Exact")).Object;
        Assert.Equal(["a", "b"], Names(past));
        Assert.Equal(then, (string)past["metadata"]!["resourceVersion"]!);

        var future = await http.GetAsync($"{ConfigMaps}?resourceVersion=999999&resourceVersionMatch=Exact");
        Assert.Equal(504, future.Status);
        Assert.Equal("Timeout", (string)future.Object["reason"]!);
        Assert.Equal("ResourceVersionTooLarge", (string)future.Object["details"]!["causes"]![0]!["reason"]!);

        // ValidateListOptions: 422 Invalid on ListOptions.meta.k8s.io.
        var noRv = await http.GetAsync($"{ConfigMaps}?resourceVersionMatch=NotOlderThan");
        Assert.Equal(422, noRv.Status);
        Assert.Equal(
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
            (string)noRv.Object["message"]!);
    }

    [Fact]
    public async Task Lists_from_storage_are_sorted_by_name_and_lists_from_the_cache_are_in_creation_order()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        await Create(http, "zeta", "alpha", "mid");

        Assert.Equal(["alpha", "mid", "zeta"], Names((await http.GetAsync(ConfigMaps)).Object));
        Assert.Equal(["zeta", "alpha", "mid"], Names((await http.GetAsync($"{ConfigMaps}?resourceVersion=0")).Object));

        // The cache ignores the limit (kubectl wait lists with limit=500&resourceVersion=0).
        var cached = (await http.GetAsync($"{ConfigMaps}?resourceVersion=0&limit=1")).Object;
        Assert.Equal(3, Names(cached).Count);
    }

    [Fact]
    public async Task Label_selectors_filter_lists_and_malformed_ones_are_400()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        await Create(http, "a", "bb", "cccc", "dddd");

        Assert.Equal(["cccc", "dddd"], Names((await http.GetAsync($"{ConfigMaps}?labelSelector=app%3Dlong")).Object));
        Assert.Equal(["a", "bb"], Names((await http.GetAsync($"{ConfigMaps}?labelSelector=app%20notin%20(long)")).Object));
        Assert.Equal(["a", "bb", "cccc", "dddd"], Names((await http.GetAsync($"{ConfigMaps}?labelSelector=app")).Object));
        Assert.Empty(Names((await http.GetAsync($"{ConfigMaps}?labelSelector=!app")).Object));
        Assert.Equal(["dddd"], Names((await http.GetAsync($"{ConfigMaps}?labelSelector=app%20in%20(long,x),app!%3Dshort&fieldSelector=metadata.name%3Ddddd")).Object));

        var malformed = await http.GetAsync($"{ConfigMaps}?labelSelector=a%3Db,,c");
        Assert.Equal(400, malformed.Status);
        Assert.Equal("BadRequest", (string)malformed.Object["reason"]!);
    }

    [Fact]
    public async Task Built_in_lists_carry_kind_only_on_the_list_and_all_namespaces_lists_span_namespaces()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        await Create(http, "a");
        await http.PostAsync("api/v1/namespaces/kube-system/configmaps", WatchTests.ConfigMap("b", ns: "kube-system"));

        var list = (await http.GetAsync("api/v1/configmaps")).Object;
        Assert.Equal("ConfigMapList", (string)list["kind"]!);
        Assert.Equal("v1", (string)list["apiVersion"]!);
        Assert.Equal(["a", "b"], Names(list));
        Assert.All((JsonArray)list["items"]!, item => Assert.Null(item!["kind"]));
    }
}
