using GuardDutyCoverage.Sandbox.Scenarios;
using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Admission;
using KubeSandbox.Semantics;
using KubeSandbox.Testing;

namespace GuardDutyCoverage.Tests.Sandbox.Admission;

/// <summary>ResourceQuota and LimitRanger admission: usage per resource, the plugins' messages, charging, defaulting.</summary>
public sealed class QuotaAndLimitAdmissionTests
{
    private const string Ns = "amazon-guardduty";

    private static readonly ResourceInfo Pods = new("", "v1", "pods", "Pod", true, "pod", ["po"], [], true);
    private static readonly ResourceInfo ConfigMaps = new("", "v1", "configmaps", "ConfigMap", true, "configmap", ["cm"], [], false);

    private static JsonObject Pod(string name, string? cpuRequest = "200m", string? memoryLimit = "1Gi", string? memoryRequest = null)
    {
        var resources = new JsonObject();
        var requests = new JsonObject();
        if (cpuRequest is not null)
        {
            requests["cpu"] = cpuRequest;
        }

        if (memoryRequest is not null)
        {
            requests["memory"] = memoryRequest;
        }

        if (requests.Count > 0)
        {
            resources["requests"] = requests;
        }

        if (memoryLimit is not null)
        {
            resources["limits"] = new JsonObject { ["memory"] = memoryLimit };
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Ns },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "i:1", ["resources"] = resources }) },
        };
    }

    private static JsonObject Quota(string hard, string? used) =>
        ClusterObjects.ResourceQuota(Ns, "q", Map(hard), used is null ? null : Map(used));

    private static Dictionary<string, string> Map(string pairs) =>
        pairs.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);

    [Theory]
    [InlineData("requests.cpu=500m", "requests.cpu=400m", "exceeded quota: q, requested: requests.cpu=200m, used: requests.cpu=400m, limited: requests.cpu=500m")]
    [InlineData("cpu=1", "cpu=900m", "exceeded quota: q, requested: cpu=200m, used: cpu=900m, limited: cpu=1")]
    [InlineData("limits.memory=1Gi", "limits.memory=512Mi", "exceeded quota: q, requested: limits.memory=1Gi, used: limits.memory=512Mi, limited: limits.memory=1Gi")]
    [InlineData("pods=2,limits.memory=4Gi", "pods=2,limits.memory=1Gi", "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2")]
    [InlineData("count/pods=1,requests.cpu=4", "count/pods=1,requests.cpu=0", "exceeded quota: q, requested: count/pods=1, used: count/pods=1, limited: count/pods=1")]
    public void A_pod_over_a_quota_is_refused_naming_only_the_exceeded_resources(string hard, string used, string message)
    {
        var decision = ResourceQuotaAdmission.Evaluate(Pods, Pod("p"), [Quota(hard, used)]);

        Assert.Equal(message, decision.Denial);
        Assert.Empty(decision.Charged);
    }

    [Fact]
    public void A_quota_with_room_charges_the_new_usage_and_one_without_status_blocks_nothing()
    {
        var withRoom = ResourceQuotaAdmission.Evaluate(Pods, Pod("p"), [Quota("limits.memory=2Gi,pods=10", "limits.memory=512Mi,pods=1")]);
        Assert.True(withRoom.Allowed);
        var (_, newUsed) = Assert.Single(withRoom.Charged);
        Assert.Equal("1536Mi", (string)newUsed["limits.memory"]!);
        Assert.Equal("2", (string)newUsed["pods"]!);

        Assert.True(ResourceQuotaAdmission.Evaluate(Pods, Pod("p"), [Quota("limits.memory=1Gi", used: null)]).Allowed);
    }

    [Fact]
    public void Status_without_usage_and_pods_that_do_not_state_a_quota_resource_are_refused()
    {
        var unknown = Quota("pods=1", used: null);
        unknown["status"] = new JsonObject { ["hard"] = new JsonObject { ["pods"] = "1" } };
        Assert.Equal("status unknown for quota: q, resources: pods", ResourceQuotaAdmission.Evaluate(Pods, Pod("p"), [unknown]).Denial);

        var noLimit = Pod("p", memoryLimit: null);
        Assert.Equal("failed quota: q: must specify limits.memory", ResourceQuotaAdmission.Evaluate(Pods, noLimit, [Quota("limits.memory=1Gi", "limits.memory=0")]).Denial);
    }

    [Fact]
    public void Object_counts_apply_to_other_resources_and_scopes_select_pods()
    {
        var configMap = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "c" } };
        Assert.Equal(
            "exceeded quota: q, requested: configmaps=1, used: configmaps=3, limited: configmaps=3",
            ResourceQuotaAdmission.Evaluate(ConfigMaps, configMap, [Quota("configmaps=3", "configmaps=3")]).Denial);

        var bestEffortOnly = Quota("pods=0", "pods=0");
        bestEffortOnly["spec"]!["scopes"] = new JsonArray("BestEffort");
        Assert.True(ResourceQuotaAdmission.Evaluate(Pods, Pod("p"), [bestEffortOnly]).Allowed);
        Assert.False(ResourceQuotaAdmission.Evaluate(Pods, Pod("p", cpuRequest: null, memoryLimit: null), [bestEffortOnly]).Allowed);
    }

    [Fact]
    public async Task Over_http_quota_usage_is_charged_on_create_not_on_dry_run_and_the_next_pod_is_refused()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        sandbox.Cluster.Upsert(ClusterObjects.Namespace(Ns));
        sandbox.Cluster.Upsert(Quota("limits.memory=1536Mi", "limits.memory=0"));

        var dryRun = await http.SendAsync(HttpMethod.Post, $"api/v1/namespaces/{Ns}/pods?dryRun=All", Pod("a").ToJsonString(), "application/json");
        Assert.Equal(201, dryRun.Status);
        Assert.Equal("0", (string)(await http.GetAsync($"api/v1/namespaces/{Ns}/resourcequotas/q")).Object["status"]!["used"]!["limits.memory"]!);

        Assert.Equal(201, (await http.PostAsync($"api/v1/namespaces/{Ns}/pods", Pod("a"))).Status);
        Assert.Equal("1Gi", (string)(await http.GetAsync($"api/v1/namespaces/{Ns}/resourcequotas/q")).Object["status"]!["used"]!["limits.memory"]!);

        var refused = await http.PostAsync($"api/v1/namespaces/{Ns}/pods", Pod("b"));
        Assert.Equal(403, refused.Status);
        Assert.Equal("pods \"b\" is forbidden: exceeded quota: q, requested: limits.memory=1Gi, used: limits.memory=1Gi, limited: limits.memory=1536Mi", (string)refused.Object["message"]!);
    }

    [Fact]
    public void LimitRanger_refuses_containers_over_max_or_under_min_in_the_plugins_words()
    {
        var limitRange = ClusterObjects.LimitRange(Ns, "lr", max: Map("memory=512Mi"), min: Map("cpu=100m"));

        var errors = LimitRanger.Validate(Pod("p", cpuRequest: "50m", memoryLimit: "1Gi"), [limitRange]);

        Assert.Equal(["minimum cpu usage per Container is 100m, but request is 50m", "maximum memory usage per Container is 512Mi, but limit is 1Gi"], errors);
        Assert.Equal("[minimum cpu usage per Container is 100m, but request is 50m, maximum memory usage per Container is 512Mi, but limit is 1Gi]", LimitRanger.Aggregate(errors));
        Assert.Equal(["maximum memory usage per Container is 512Mi.  No limit is specified"], LimitRanger.Validate(Pod("p", memoryLimit: null), [ClusterObjects.LimitRange(Ns, "lr", max: Map("memory=512Mi"))]));
        Assert.Empty(LimitRanger.Validate(Pod("p", memoryLimit: "256Mi"), [limitRange]));
    }

    [Fact]
    public void LimitRanger_ratio_and_pod_totals()
    {
        var ratio = ClusterObjects.LimitRange(Ns, "lr");
        ratio["spec"]!["limits"]![0]!["maxLimitRequestRatio"] = new JsonObject { ["memory"] = "2" };
        Assert.Equal(
            ["memory max limit to request ratio per Container is 2, but provided ratio is 4.000000"],
            LimitRanger.Validate(Pod("p", memoryLimit: "1Gi", memoryRequest: "256Mi"), [ratio]));

        var podMax = JsonNode.Parse("""{"spec":{"limits":[{"type":"Pod","max":{"memory":"1Gi"}}]}}""")!.AsObject();
        var twoContainers = Pod("p", memoryLimit: "768Mi");
        ((JsonArray)twoContainers["spec"]!["containers"]!).Add(new JsonObject { ["name"] = "d", ["image"] = "i", ["resources"] = new JsonObject { ["limits"] = new JsonObject { ["memory"] = "512Mi" } } });
        Assert.Equal(["maximum memory usage per Pod is 1Gi, but limit is 1280Mi"], LimitRanger.Validate(twoContainers, [podMax]));
    }

    [Fact]
    public void LimitRanger_defaults_missing_requests_and_limits_and_says_so_in_an_annotation()
    {
        var limitRange = ClusterObjects.LimitRange(Ns, "lr", @default: Map("memory=256Mi,cpu=500m"), defaultRequest: Map("cpu=100m"));
        var pod = Pod("p", cpuRequest: null, memoryLimit: null);

        Assert.True(LimitRanger.Default(pod, [limitRange]));

        var resources = pod["spec"]!["containers"]![0]!["resources"]!;
        Assert.Equal("256Mi", (string)resources["limits"]!["memory"]!);
        Assert.Equal("500m", (string)resources["limits"]!["cpu"]!);
        Assert.Equal("100m", (string)resources["requests"]!["cpu"]!);
        Assert.Equal("LimitRanger plugin set: cpu request for container c; cpu, memory limit for container c", (string)pod["metadata"]!["annotations"]![LimitRanger.Annotation]!);
        Assert.False(LimitRanger.Default(Pod("q", cpuRequest: "1", memoryLimit: "1Gi"), [ClusterObjects.LimitRange(Ns, "lr", @default: Map("memory=256Mi"), defaultRequest: Map("cpu=100m"))]));
    }

    [Fact]
    public async Task Over_http_a_limit_range_defaults_a_pod_and_refuses_the_agent()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        sandbox.Cluster.Upsert(ClusterObjects.Namespace(Ns));
        Assert.Equal(201, (await http.PostAsync($"api/v1/namespaces/{Ns}/limitranges", ClusterObjects.LimitRange(Ns, "lr", max: Map("memory=512Mi")))).Status);

        var defaulted = await http.PostAsync($"api/v1/namespaces/{Ns}/pods", Pod("small", memoryLimit: null));
        Assert.Equal(201, defaulted.Status);
        Assert.Equal("512Mi", (string)defaulted.Object["spec"]!["containers"]![0]!["resources"]!["limits"]!["memory"]!);
        Assert.Equal("Burstable", (string)defaulted.Object["status"]!["qosClass"]!);

        var agent = await http.PostAsync($"api/v1/namespaces/{Ns}/pods", Pod("agent", memoryLimit: "1024Mi"));
        Assert.Equal(403, agent.Status);
        Assert.Equal("pods \"agent\" is forbidden: maximum memory usage per Container is 512Mi, but limit is 1Gi", (string)agent.Object["message"]!);
    }

    [Theory]
    [InlineData("1000m", "1")]
    [InlineData("1024Mi", "1Gi")]
    [InlineData("1536Mi", "1536Mi")]
    [InlineData("1.5Gi", "1536Mi")]
    [InlineData("0.5", "500m")]
    [InlineData("1500m", "1500m")]
    [InlineData("1000", "1k")]
    [InlineData("1200", "1200")]
    [InlineData("512", "512")]
    [InlineData("100Ki", "100Ki")]
    [InlineData("1e3", "1e3")]
    [InlineData("0.1m", "100u")]
    [InlineData("0", "0")]
    [InlineData("-2Gi", "-2Gi")]
    public void Quantities_are_written_back_in_gos_canonical_form(string text, string canonical)
    {
        Assert.Equal(canonical, Quantity.Parse(text).ToString());
    }

    [Fact]
    public void Quantities_compare_and_add_across_formats_and_reject_garbage()
    {
        Assert.Equal(0, Quantity.Parse("1Gi").CompareTo(Quantity.Parse("1073741824")));
        Assert.True(Quantity.Parse("1G").CompareTo(Quantity.Parse("1Gi")) < 0);
        Assert.Equal("1280Mi", Quantity.Parse("768Mi").Add(Quantity.Parse("512Mi")).ToString());
        Assert.Equal("1200m", Quantity.Parse("200m").Add(Quantity.Parse("1")).ToString());
        Assert.False(Quantity.TryParse("1.2.3", out _));
        Assert.False(Quantity.TryParse("12Xi", out _));
        Assert.False(Quantity.TryParse("", out _));
    }
}
