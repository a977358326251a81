using GuardDutyCoverage.Sandbox.Scenarios;
using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Tables;

namespace GuardDutyCoverage.Tests.Sandbox;

public sealed class TableTests
{
    private const string TableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    [Theory]
    [InlineData(-3, "<invalid>")]
    [InlineData(-1, "0s")]
    [InlineData(0, "0s")]
    [InlineData(119, "119s")]
    [InlineData(120, "2m")]
    [InlineData(125, "2m5s")]
    [InlineData(600, "10m")]
    [InlineData(179 * 60, "179m")]
    [InlineData(3 * 3600, "3h")]
    [InlineData((3 * 3600) + 300, "3h5m")]
    [InlineData(8 * 3600, "8h")]
    [InlineData(47 * 3600, "47h")]
    [InlineData(48 * 3600, "2d")]
    [InlineData(50 * 3600, "2d2h")]
    [InlineData(8 * 24 * 3600, "8d")]
    [InlineData(2 * 365 * 24 * 3600, "2y")]
    [InlineData(((2 * 365) + 1) * 24 * 3600, "2y1d")]
    [InlineData(9 * 365 * 24 * 3600, "9y")]
    public void Ages_render_like_Go_HumanDuration(long seconds, string expected) =>
        Assert.Equal(expected, TableBuilder.HumanDuration(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData(".status.conditions[?(@.type==\"Ready\")].status", "[\"True\"]")]
    [InlineData(".status.conditions[?(@.type!=\"Ready\")].type", "[\"Synced\"]")]
    [InlineData(".status.conditions[*].type", "[\"Ready\",\"Synced\"]")]
    [InlineData(".status.conditions[1].reason", "[\"Ok\"]")]
    [InlineData(".status.conditions[?(@.type==\"Missing\")].status", "[]")]
    [InlineData(".spec.nothing.deeper", "[]")]
    [InlineData(".metadata.labels['app.kubernetes.io/name']", "[\"agent\"]")]
    public void JsonPath_subset_finds_what_printer_columns_ask_for(string path, string expected)
    {
        var obj = JsonNode.Parse("""
            {"metadata":{"labels":{"app.kubernetes.io/name":"agent"}},
             "status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Synced","status":"False","reason":"Ok"}]}}
            """);
        var found = new JsonArray(JsonPathLite.Parse(path).Find(obj).Select(n => n?.DeepClone()).ToArray());
        Assert.Equal(JsonNode.Parse(expected), found, JsonNode.DeepEquals);
    }

    [Fact]
    public async Task Custom_resource_tables_use_printer_columns_null_cells_and_ages_from_the_sandbox_clock()
    {
        var time = WatchTests.NewClock();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = time });
        await WriteTests.InstallWidgetCrdAsync(sandbox);
        using var http = new SandboxHttp(sandbox);
        await http.PostAsync("apis/example.com/v1/widgets", JsonNode.Parse("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":3}}""")!);
        time.Advance(TimeSpan.FromSeconds(125));

        var table = (await http.GetAsync("apis/example.com/v1/widgets", TableAccept)).Object;
        Assert.Equal(["Name", "Size", "Ready", "Reason", "Message", "Age"], ((JsonArray)table["columnDefinitions"]!).Select(c => (string)c!["name"]!));
        var row = table["rows"]![0]!;
        Assert.Equal(JsonNode.Parse("""["w",3,null,null,null,"2m5s"]"""), row["cells"], JsonNode.DeepEquals);
        Assert.Equal("PartialObjectMetadata", (string)row["object"]!["kind"]!);

        var withoutObject = (await http.GetAsync("apis/example.com/v1/widgets/w?includeObject=None", TableAccept)).Object;
        Assert.Null(withoutObject["rows"]![0]!["object"]);
    }

    [Fact]
    public async Task Built_in_tables_have_name_and_age_and_the_usual_namespace_and_pod_columns()
    {
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = WatchTests.NewClock() });
        using var http = new SandboxHttp(sandbox);
        var namespaces = (await http.GetAsync("api/v1/namespaces/kube-system", TableAccept)).Object;
        Assert.Equal(["Name", "Status", "Age"], ((JsonArray)namespaces["columnDefinitions"]!).Select(c => (string)c!["name"]!));
        Assert.Equal(JsonNode.Parse("""["kube-system","Active","0s"]"""), namespaces["rows"]![0]!["cells"], JsonNode.DeepEquals);

        await http.PostAsync("api/v1/namespaces/default/pods", JsonNode.Parse("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i:1"}]}}""")!);
        var pods = (await http.GetAsync("api/v1/namespaces/default/pods", TableAccept)).Object;
        Assert.Equal(JsonNode.Parse("""["p","0/1","Pending","0","0s","<none>","<none>"]"""), pods["rows"]![0]!["cells"], JsonNode.DeepEquals);

        var leases = (await http.GetAsync("apis/coordination.k8s.io/v1/namespaces/default/leases", TableAccept)).Object;
        Assert.Equal(["Name", "Age"], ((JsonArray)leases["columnDefinitions"]!).Select(c => (string)c!["name"]!));
    }

    [Fact]
    public async Task Node_quota_limit_range_and_network_policy_tables_have_kubectls_columns()
    {
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = WatchTests.NewClock() });
        using var http = new SandboxHttp(sandbox);
        var gpu = GuardDutyCoverage.Sandbox.Scenarios.ClusterObjects.Node("gpu-1", ready: false, labels: new Dictionary<string, string> { ["node-role.kubernetes.io/gpu"] = "" });
        gpu["spec"]!["unschedulable"] = true;
        sandbox.Cluster.Upsert(gpu);
        sandbox.Cluster.Upsert(GuardDutyCoverage.Sandbox.Scenarios.ClusterObjects.ResourceQuota("default", "q",
            new Dictionary<string, string> { ["limits.memory"] = "1Gi", ["pods"] = "10", ["requests.cpu"] = "2" },
            new Dictionary<string, string> { ["limits.memory"] = "1024Mi", ["pods"] = "3" }));
        sandbox.Cluster.Upsert(GuardDutyCoverage.Sandbox.Scenarios.ClusterObjects.DenyAllNetworkPolicy("default"));

        var nodes = (await http.GetAsync("api/v1/nodes", TableAccept)).Object;
        Assert.Equal(["Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"], ((JsonArray)nodes["columnDefinitions"]!).Select(c => (string)c!["name"]!));
        Assert.Equal(
            JsonNode.Parse("""["gpu-1","NotReady,SchedulingDisabled","gpu","0s","v1.29.3-eks-ae9a62a","<none>","<none>","Amazon Linux 2","5.10.219-208.866.amzn2.x86_64","containerd://1.7.11"]"""),
            nodes["rows"]![0]!["cells"],
            JsonNode.DeepEquals);

        var quotas = (await http.GetAsync("api/v1/namespaces/default/resourcequotas", TableAccept)).Object;
        Assert.Equal(JsonNode.Parse("""["q","0s","pods: 3/10, requests.cpu: 0/2","limits.memory: 1Gi/1Gi"]"""), quotas["rows"]![0]!["cells"], JsonNode.DeepEquals);

        var policies = (await http.GetAsync("apis/networking.k8s.io/v1/namespaces/default/networkpolicies", TableAccept)).Object;
        Assert.Equal(JsonNode.Parse("""["default-deny-all","<none>","0s"]"""), policies["rows"]![0]!["cells"], JsonNode.DeepEquals);
    }

    [Fact]
    public async Task Watches_with_the_Table_accept_header_stream_one_row_tables_and_protobuf_only_is_406()
    {
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = WatchTests.NewClock() });
        using var http = new SandboxHttp(sandbox);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/namespaces/default/configmaps?watch=true");
        request.Headers.TryAddWithoutValidation("Accept", TableAccept);
        using var response = await http.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await http.PostAsync("api/v1/namespaces/default/configmaps", WatchTests.ConfigMap("c"));
        var line = await reader.ReadLineAsync().WaitAsync(SandboxHttp.Patience);
        var added = JsonNode.Parse(line!)!;
        Assert.Equal(("ADDED", "Table"), ((string)added["type"]!, (string)added["object"]!["kind"]!));
        Assert.Equal(JsonNode.Parse("""["c","0s"]"""), added["object"]!["rows"]![0]!["cells"], JsonNode.DeepEquals);

        var protobuf = await http.GetAsync("api/v1/namespaces", accept: "application/vnd.kubernetes.protobuf");
        Assert.Equal(406, protobuf.Status);
        Assert.Equal("NotAcceptable", (string)protobuf.Object["reason"]!);
        Assert.Equal(200, (await http.GetAsync("api/v1/namespaces", accept: "application/vnd.kubernetes.protobuf, */*")).Status);
    }
}
