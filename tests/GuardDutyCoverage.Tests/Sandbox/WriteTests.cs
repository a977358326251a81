using System.Text.Json.Nodes;
using KubeSandbox;

namespace GuardDutyCoverage.Tests.Sandbox;

public sealed class WriteTests
{
    private const string DaemonSets = "apis/apps/v1/namespaces/default/daemonsets";
    private const string Widgets = "apis/example.com/v1/widgets";

    internal static JsonObject DaemonSet(string name, string image = "agent:1.0") => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "DaemonSet",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["name"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["name"] = name } },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "agent", ["image"] = image }) },
            },
        },
    };

    internal static async Task InstallWidgetCrdAsync(SandboxServer sandbox)
    {
        var crd = (JsonObject)JsonNode.Parse(File.ReadAllText(RepoPaths.TestData("k8s-golden", "04-post-crd.json")))!["request"]!["body"]!;
        sandbox.Cluster.Upsert(crd);
    }

    private static JsonObject Widget(string name, int size = 3) => new()
    {
        ["apiVersion"] = "example.com/v1",
        ["kind"] = "Widget",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["size"] = size },
    };

    private static string Rv(JsonObject obj) => (string)obj["metadata"]!["resourceVersion"]!;

    private static long Generation(JsonObject obj) => (long)obj["metadata"]!["generation"]!;

    [Fact]
    public async Task DaemonSet_is_defaulted_and_generation_tracks_spec_changes_only()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        var created = (await http.PostAsync(DaemonSets, DaemonSet("agent"))).Object;
        Assert.Equal(1, Generation(created));
        Assert.Equal("1", (string)created["metadata"]!["annotations"]!["deprecated.daemonset.template.generation"]!);
        Assert.Equal("IfNotPresent", (string)created["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePullPolicy"]!);
        Assert.Equal(0, (int)created["status"]!["desiredNumberScheduled"]!);

        var status = (await http.PatchAsync($"{DaemonSets}/agent/status", JsonNode.Parse("""{"status":{"desiredNumberScheduled":3},"spec":{"revisionHistoryLimit":1}}""")!)).Object;
        Assert.Equal(1, Generation(status));
        Assert.Equal(3, (int)status["status"]!["desiredNumberScheduled"]!);
        Assert.Equal(10, (int)status["spec"]!["revisionHistoryLimit"]!);

        var image = (await http.PatchAsync($"{DaemonSets}/agent", JsonNode.Parse("""{"spec":{"template":{"spec":{"containers":[{"name":"agent","image":"agent:2.0"}]}}},"status":{"desiredNumberScheduled":9}}""")!, "application/strategic-merge-patch+json")).Object;
        Assert.Equal(2, Generation(image));
        Assert.Equal("2", (string)image["metadata"]!["annotations"]!["deprecated.daemonset.template.generation"]!);
        Assert.Equal(3, (int)image["status"]!["desiredNumberScheduled"]!);
        Assert.Equal("/dev/termination-log", (string)image["spec"]!["template"]!["spec"]!["containers"]![0]!["terminationMessagePath"]!);

        var labels = (await http.PatchAsync($"{DaemonSets}/agent", JsonNode.Parse("""{"metadata":{"labels":{"team":"sec"}}}""")!)).Object;
        Assert.Equal(2, Generation(labels));
    }

    [Fact]
    public async Task Stale_update_is_409_with_the_real_message_and_a_no_op_update_writes_nothing()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        var created = (await http.PostAsync(DaemonSets, DaemonSet("agent"))).Object;
        var noop = (await http.PutAsync($"{DaemonSets}/agent", created)).Object;
        Assert.Equal(Rv(created), Rv(noop));

        var changed = (JsonObject)created.DeepClone();
        changed["spec"]!["minReadySeconds"] = 5;
        Assert.Equal(200, (await http.PutAsync($"{DaemonSets}/agent", changed)).Status);
        var stale = await http.PutAsync($"{DaemonSets}/agent", changed);
        Assert.Equal(409, stale.Status);
        Assert.Equal(
            "Operation cannot be fulfilled on daemonsets.apps \"agent\": the object has been modified; please apply your changes to the latest version and try again",
            (string)stale.Object["message"]!);
        Assert.Equal("Conflict", (string)stale.Object["reason"]!);
        Assert.Equal("daemonsets", (string)stale.Object["details"]!["kind"]!);

        var duplicate = await http.PostAsync(DaemonSets, DaemonSet("agent"));
        Assert.Equal(409, duplicate.Status);
        Assert.Equal("daemonsets.apps \"agent\" already exists", (string)duplicate.Object["message"]!);
    }

    [Fact]
    public async Task Dry_run_creates_updates_and_deletes_persist_nothing()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        var rvBefore = sandbox.Cluster.ResourceVersion;
        var dry = await http.PostAsync($"{DaemonSets}?dryRun=All", DaemonSet("dry"));
        Assert.Equal(201, dry.Status);
        Assert.Null(dry.Object["metadata"]!["resourceVersion"]);
        Assert.NotNull(dry.Object["metadata"]!["uid"]);
        Assert.Equal(404, (await http.GetAsync($"{DaemonSets}/dry")).Status);

        await http.PostAsync(DaemonSets, DaemonSet("real"));
        var rvAfterCreate = sandbox.Cluster.ResourceVersion;
        var patched = await http.PatchAsync($"{DaemonSets}/real?dryRun=All", JsonNode.Parse("""{"spec":{"minReadySeconds":7}}""")!);
        Assert.Equal(7, (int)patched.Object["spec"]!["minReadySeconds"]!);
        Assert.Equal(200, (await http.SendAsync(HttpMethod.Delete, $"{DaemonSets}/real?dryRun=All")).Status);
        var stored = (await http.GetAsync($"{DaemonSets}/real")).Object;
        Assert.Null(stored["spec"]!["minReadySeconds"]);
        Assert.Equal(rvAfterCreate, sandbox.Cluster.ResourceVersion);
        Assert.NotEqual(rvBefore, rvAfterCreate);

        Assert.Equal(400, (await http.PostAsync($"{DaemonSets}?dryRun=Some", DaemonSet("x"))).Status);
    }

    [Fact]
    public async Task Custom_resources_status_subresource_json_patch_and_delete_behave_like_kube_apiserver()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        await InstallWidgetCrdAsync(sandbox);
        using var http = new SandboxHttp(sandbox);
        var created = (await http.PostAsync(Widgets, Widget("w1"))).Object;

        var unconditional = (JsonObject)created.DeepClone();
        ((JsonObject)unconditional["metadata"]!).Remove("resourceVersion");
        var invalid = await http.PutAsync($"{Widgets}/w1", unconditional);
        Assert.Equal(422, invalid.Status);
        Assert.Equal("Widget.example.com \"w1\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update", (string)invalid.Object["message"]!);

        var failedTest = await http.PatchAsync($"{Widgets}/w1", JsonNode.Parse("""[{"op":"test","path":"/spec/size","value":7}]""")!, "application/json-patch+json");
        Assert.Equal(422, failedTest.Status);
        Assert.Equal("the server rejected our request due to an error in our request", (string)failedTest.Object["message"]!);
        var badOp = await http.PatchAsync($"{Widgets}/w1", JsonNode.Parse("""[{"op":"bogus","path":"/spec/size"}]""")!, "application/json-patch+json");
        Assert.Equal(400, badOp.Status);

        var strategic = await http.PatchAsync($"{Widgets}/w1", JsonNode.Parse("""{"spec":{"size":4}}""")!, "application/strategic-merge-patch+json");
        Assert.Equal(415, strategic.Status);
        Assert.Equal("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml", (string)strategic.Object["message"]!);
        var untyped = await http.SendAsync(HttpMethod.Patch, $"{Widgets}/w1?fieldManager=me", "spec: {size: 4}", "application/apply-patch+yaml");
        Assert.Equal(400, untyped.Status);
        Assert.Equal("Incorrect version specified in apply patch. Specified patch version: , expected: example.com/v1", (string)untyped.Object["message"]!);
        const string configuration = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 4}\n";
        var conflict = await http.SendAsync(HttpMethod.Patch, $"{Widgets}/w1?fieldManager=me", configuration, "application/apply-patch+yaml");
        Assert.Equal(409, conflict.Status);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"unknown\" using example.com/v1: .spec.size", (string)conflict.Object["message"]!);
        var forced = await http.SendAsync(HttpMethod.Patch, $"{Widgets}/w1?fieldManager=me&force=true", configuration, "application/apply-patch+yaml");
        Assert.Equal(4, (int)forced.Object["spec"]!["size"]!);

        var deleted = await http.DeleteAsync($"{Widgets}/w1");
        Assert.Equal(200, deleted.Status);
        Assert.Equal("Success", (string)deleted.Object["status"]!);
        Assert.Equal("widgets", (string)deleted.Object["details"]!["kind"]!);
        Assert.Equal((string)created["metadata"]!["uid"]!, (string)deleted.Object["details"]!["uid"]!);
    }

    [Fact]
    public async Task Finalizers_hold_a_deleted_object_until_they_are_removed()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        await InstallWidgetCrdAsync(sandbox);
        using var http = new SandboxHttp(sandbox);
        var widget = Widget("held");
        widget["metadata"]!["finalizers"] = new JsonArray("example.com/cleanup");
        await http.PostAsync(Widgets, widget);

        var deleting = await http.DeleteAsync($"{Widgets}/held");
        Assert.Equal(200, deleting.Status);
        Assert.NotNull(deleting.Object["metadata"]!["deletionTimestamp"]);
        Assert.Equal(200, (await http.GetAsync($"{Widgets}/held")).Status);

        await using var watch = await http.WatchAsync($"{Widgets}?watch=true&resourceVersion={sandbox.Cluster.ResourceVersion}");
        var released = await http.PatchAsync($"{Widgets}/held", JsonNode.Parse("""{"metadata":{"finalizers":null}}""")!);
        Assert.Equal(200, released.Status);
        Assert.Equal("DELETED", (string)(await watch.NextAsync())!["type"]!);
        Assert.Equal(404, (await http.GetAsync($"{Widgets}/held")).Status);
    }

    [Fact]
    public async Task Deleting_a_crd_removes_its_objects_and_its_endpoints()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        await InstallWidgetCrdAsync(sandbox);
        using var http = new SandboxHttp(sandbox);
        await http.PostAsync(Widgets, Widget("w"));
        Assert.Contains("example.com", (await http.GetAsync("apis")).Text, StringComparison.Ordinal);

        var deleted = await http.DeleteAsync("apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
        Assert.Equal(200, deleted.Status);
        Assert.Equal("customresourcecleanup.apiextensions.k8s.io", (string)deleted.Object["metadata"]!["finalizers"]![0]!);

        var gone = await http.GetAsync(Widgets);
        Assert.Equal(404, gone.Status);
        Assert.Equal("404 page not found\n", gone.Text);
        Assert.StartsWith("text/plain", gone.ContentType, StringComparison.Ordinal);
        Assert.DoesNotContain("example.com", (await http.GetAsync("apis")).Text, StringComparison.Ordinal);

        // Recreating the CRD does not bring the old objects back.
        await InstallWidgetCrdAsync(sandbox);
        Assert.Empty((JsonArray)(await http.GetAsync(Widgets)).Object["items"]!);
    }

    [Fact]
    public async Task Malformed_and_misdirected_requests_get_the_real_errors()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);

        var badJson = await http.SendAsync(HttpMethod.Post, DaemonSets, "{not json", "application/json");
        Assert.Equal(400, badJson.Status);
        Assert.Equal("BadRequest", (string)badJson.Object["reason"]!);

        var wrongKind = DaemonSet("x");
        wrongKind["kind"] = "Deployment";
        Assert.Equal(400, (await http.PostAsync(DaemonSets, wrongKind)).Status);

        var wrongName = await http.PutAsync($"{DaemonSets}/other", DaemonSet("x"));
        Assert.Equal(400, wrongName.Status);
        Assert.Equal("the name of the object (x) does not match the name on the URL (other)", (string)wrongName.Object["message"]!);

        var noNamespace = await http.PostAsync("apis/apps/v1/namespaces/nope/daemonsets", DaemonSet("x"));
        Assert.Equal(404, noNamespace.Status);
        Assert.Equal("namespaces \"nope\" not found", (string)noNamespace.Object["message"]!);

        var missing = await http.GetAsync($"{DaemonSets}/missing");
        Assert.Equal(404, missing.Status);
        Assert.Equal("daemonsets.apps \"missing\" not found", (string)missing.Object["message"]!);

        var putCollection = await http.PutAsync(DaemonSets, DaemonSet("x"));
        Assert.Equal(405, putCollection.Status);
        Assert.Equal("MethodNotAllowed", (string)putCollection.Object["reason"]!);

        Assert.Equal("404 page not found\n", (await http.GetAsync("apis/nothing.example/v1/things")).Text);
        Assert.Equal(404, (await http.GetAsync("api/v1/namespaces/default/widgets")).Status);

        var generated = DaemonSet("ignored");
        generated["metadata"] = new JsonObject { ["generateName"] = "agent-" };
        var named = (await http.PostAsync(DaemonSets, generated)).Object;
        Assert.Matches("^agent-[a-z0-9]{5}$", (string)named["metadata"]!["name"]!);
    }

    [Fact]
    public async Task Unknown_tokens_are_401_and_requests_without_credentials_are_anonymous()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var wrong = new SandboxHttp(sandbox, token: "wrong");
        var unauthorized = await wrong.GetAsync("api/v1/namespaces");
        Assert.Equal(401, unauthorized.Status);
        Assert.Equal("Unauthorized", (string)unauthorized.Object["reason"]!);

        // Anonymous requests are authenticated as system:anonymous; RBAC lets it read only the public-info paths.
        using var anonymous = new HttpClient(sandbox.CreateHttpHandler()) { BaseAddress = sandbox.BaseAddress };
        using var version = await anonymous.GetAsync("version");
        Assert.Equal(200, (int)version.StatusCode);
        using var response = await anonymous.GetAsync("api/v1/namespaces");
        Assert.Equal(403, (int)response.StatusCode);
        Assert.Equal(
            "namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope",
            (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["message"]!);
        Assert.Equal("system:anonymous", sandbox.Requests[^1].User);

        await using var strict = await SandboxServer.StartAsync(new SandboxOptions { AnonymousUser = null });
        using var anonymousStrict = new HttpClient(strict.CreateHttpHandler()) { BaseAddress = strict.BaseAddress };
        using var rejected = await anonymousStrict.GetAsync("version");
        Assert.Equal(401, (int)rejected.StatusCode);
    }

    [Fact]
    public async Task Namespace_creation_is_defaulted_and_deletion_removes_its_contents()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        var ns = (await http.PostAsync("api/v1/namespaces", JsonNode.Parse("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}}""")!)).Object;
        Assert.Equal("team", (string)ns["metadata"]!["labels"]!["kubernetes.io/metadata.name"]!);
        Assert.Equal("kubernetes", (string)ns["spec"]!["finalizers"]![0]!);
        Assert.Equal("Active", (string)ns["status"]!["phase"]!);
        await http.PostAsync("api/v1/namespaces/team/configmaps", WatchTests.ConfigMap("c", ns: "team"));

        var deleting = (await http.DeleteAsync("api/v1/namespaces/team")).Object;
        Assert.Equal("Terminating", (string)deleting["status"]!["phase"]!);
        Assert.Equal(404, (await http.GetAsync("api/v1/namespaces/team")).Status);
        Assert.Empty(sandbox.Cluster.List("v1", "ConfigMap", "team"));
    }

    [Fact]
    public async Task A_merge_patch_carrying_a_resourceVersion_is_an_optimistic_lock()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        await InstallWidgetCrdAsync(sandbox);
        using var http = new SandboxHttp(sandbox);
        var created = (await http.PostAsync(Widgets, Widget("w"))).Object;
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(created) },
            ["status"] = new JsonObject { ["observedGeneration"] = 1 },
        };
        var first = await http.PatchAsync($"{Widgets}/w/status", patch);
        Assert.Equal(200, first.Status);
        var second = await http.PatchAsync($"{Widgets}/w/status", patch);
        Assert.Equal(409, second.Status);
        Assert.Equal("Operation cannot be fulfilled on widgets.example.com \"w\": the object has been modified; please apply your changes to the latest version and try again", (string)second.Object["message"]!);
    }

    [Fact]
    public async Task Seeding_writes_objects_with_status_emits_watch_events_and_bootstrap_matches_a_new_cluster()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        Assert.NotNull(sandbox.Cluster.Get("rbac.authorization.k8s.io/v1", "ClusterRole", null, "cluster-admin"));
        Assert.Equal(["default", "kube-node-lease", "kube-public", "kube-system"], sandbox.Cluster.List("v1", "Namespace").Select(n => (string)n["metadata"]!["name"]!));

        await using var watch = await http.WatchAsync($"{DaemonSets}?watch=true&resourceVersion={sandbox.Cluster.ResourceVersion}");
        var seeded = DaemonSet("agent");
        seeded["status"] = new JsonObject { ["desiredNumberScheduled"] = 3, ["numberReady"] = 1 };
        var stored = sandbox.Cluster.Upsert(seeded);
        Assert.Equal(1, Generation(stored));
        var added = await watch.NextAsync();
        Assert.Equal(("ADDED", 1), ((string)added!["type"]!, (int)added["object"]!["status"]!["numberReady"]!));

        seeded["status"]!["numberReady"] = 3;
        sandbox.Cluster.Upsert(seeded);
        var modified = await watch.NextAsync();
        Assert.Equal(("MODIFIED", 3), ((string)modified!["type"]!, (int)modified["object"]!["status"]!["numberReady"]!));
        Assert.Equal((string)stored["metadata"]!["uid"]!, (string)modified["object"]!["metadata"]!["uid"]!);

        Assert.True(sandbox.Cluster.Delete("apps/v1", "DaemonSet", "default", "agent"));
        Assert.Equal("DELETED", (string)(await watch.NextAsync())!["type"]!);
        Assert.Throws<ArgumentException>(() => sandbox.Cluster.Upsert(JsonNode.Parse("""{"apiVersion":"v1","kind":"Gadget","metadata":{"name":"g"}}""")!.AsObject()));
    }

    [Fact]
    public async Task Namespaced_crds_serve_namespaced_endpoints_with_default_printer_columns()
    {
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = WatchTests.NewClock() });
        using var http = new SandboxHttp(sandbox);
        var crd = JsonNode.Parse("""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"gadgets.example.com"},
             "spec":{"group":"example.com","scope":"Namespaced","names":{"kind":"Gadget","plural":"gadgets"},
                     "versions":[{"name":"v1alpha1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}
            """)!;
        var created = (await http.PostAsync("apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)).Object;
        Assert.Equal(("gadget", "GadgetList", "None"), ((string)created["spec"]!["names"]!["singular"]!, (string)created["spec"]!["names"]!["listKind"]!, (string)created["spec"]!["conversion"]!["strategy"]!));
        var established = (await http.GetAsync("apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com")).Object;
        Assert.Contains((JsonArray)established["status"]!["conditions"]!, c => (string)c!["type"]! == "Established" && (string)c["status"]! == "True");

        var gadget = JsonNode.Parse("""{"apiVersion":"example.com/v1alpha1","kind":"Gadget","metadata":{"name":"g"},"anything":{"goes":true}}""")!;
        Assert.Equal(201, (await http.PostAsync("apis/example.com/v1alpha1/namespaces/kube-system/gadgets", gadget)).Status);
        Assert.Equal(404, (await http.PostAsync("apis/example.com/v1alpha1/gadgets", gadget)).Status);
        var all = (await http.GetAsync("apis/example.com/v1alpha1/gadgets")).Object;
        Assert.Equal("kube-system", (string)all["items"]![0]!["metadata"]!["namespace"]!);
        var table = (await http.GetAsync("apis/example.com/v1alpha1/namespaces/kube-system/gadgets", "application/json;as=Table;v=v1;g=meta.k8s.io")).Object;
        Assert.Equal(["Name", "Age"], ((JsonArray)table["columnDefinitions"]!).Select(c => (string)c!["name"]!));

        var invalid = await http.PostAsync("apis/apiextensions.k8s.io/v1/customresourcedefinitions", JsonNode.Parse("""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"wrong"},
             "spec":{"group":"example.com","scope":"Cluster","names":{"kind":"Thing","plural":"things"},"versions":[{"name":"v1","served":true,"storage":true}]}}
            """)!);
        Assert.Equal(422, invalid.Status);
        Assert.Equal("CustomResourceDefinition.apiextensions.k8s.io \"wrong\" is invalid: metadata.name: Invalid value: \"wrong\": must be spec.names.plural+\".\"+spec.group", (string)invalid.Object["message"]!);
    }
}
