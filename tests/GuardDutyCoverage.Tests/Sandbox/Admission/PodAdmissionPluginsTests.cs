using GuardDutyCoverage.Sandbox.Scenarios;
using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Testing;

namespace GuardDutyCoverage.Tests.Sandbox.Admission;

/// <summary>ServiceAccount, Priority, DefaultTolerationSeconds and TaintNodesByCondition through the sandbox's API.</summary>
public sealed class PodAdmissionPluginsTests
{
    private const string Ns = "amazon-guardduty";

    private static JsonObject Pod(string name, string? priorityClass = null, bool? automount = null)
    {
        var spec = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "i:1" }) };
        if (priorityClass is not null)
        {
            spec["priorityClassName"] = priorityClass;
        }

        if (automount is not null)
        {
            spec["automountServiceAccountToken"] = automount.Value;
        }

        return new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec };
    }

    [Fact]
    public async Task Without_the_serviceaccount_controller_a_pod_needs_its_account_and_then_mounts_its_token()
    {
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { ServiceAccountController = false });
        using var http = new SandboxHttp(sandbox);
        sandbox.Cluster.Upsert(ClusterObjects.Namespace(Ns));

        var refused = await http.PostAsync($"api/v1/namespaces/{Ns}/pods", Pod("p"));
        Assert.Equal(403, refused.Status);
        Assert.Equal("pods \"p\" is forbidden: error looking up service account amazon-guardduty/default: serviceaccount \"default\" not found", (string)refused.Object["message"]!);

        sandbox.Cluster.Upsert(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = new JsonObject { ["name"] = "default", ["namespace"] = Ns } });
        var created = (await http.PostAsync($"api/v1/namespaces/{Ns}/pods", Pod("p"))).Object;
        var spec = created["spec"]!;
        Assert.Equal("default", (string)spec["serviceAccountName"]!);
        Assert.Equal("default", (string)spec["serviceAccount"]!);
        var volume = Assert.Single((JsonArray)spec["volumes"]!)!;
        Assert.Matches("^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$", (string)volume["name"]!);
        Assert.Equal(3607, (int)volume["projected"]!["sources"]![0]!["serviceAccountToken"]!["expirationSeconds"]!);
        var mount = Assert.Single((JsonArray)spec["containers"]![0]!["volumeMounts"]!)!;
        Assert.Equal("/var/run/secrets/kubernetes.io/serviceaccount", (string)mount["mountPath"]!);
        Assert.Equal((string)volume["name"]!, (string)mount["name"]!);

        var noToken = (await http.PostAsync($"api/v1/namespaces/{Ns}/pods", Pod("q", automount: false))).Object;
        Assert.Null(noToken["spec"]!["volumes"]);
    }

    [Fact]
    public async Task The_serviceaccount_controller_gives_every_new_namespace_its_default_account()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);

        Assert.Equal(201, (await http.PostAsync("api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "team-a" } })).Status);

        Assert.Equal(200, (await http.GetAsync("api/v1/namespaces/team-a/serviceaccounts/default")).Status);
        Assert.Equal(200, (await http.GetAsync("api/v1/namespaces/kube-system/serviceaccounts/default")).Status);
        Assert.Equal(201, (await http.PostAsync("api/v1/namespaces/team-a/pods", Pod("p"))).Status);
    }

    [Fact]
    public async Task Priority_comes_from_the_class_an_unknown_class_is_refused_and_tolerations_are_added()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        sandbox.Cluster.Upsert(ClusterObjects.Namespace(Ns));
        sandbox.Cluster.Upsert(PodSecurityAdmissionTests.PriorityClass());

        var agent = (await http.PostAsync($"api/v1/namespaces/{Ns}/pods", Pod("agent", "aws-guardduty-agent.priorityclass"))).Object;
        Assert.Equal(1000000, (int)agent["spec"]!["priority"]!);
        Assert.Equal("Never", (string)agent["spec"]!["preemptionPolicy"]!);
        Assert.Equal(
            ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"],
            ((JsonArray)agent["spec"]!["tolerations"]!).Select(t => (string)t!["key"]!));

        var plain = (await http.PostAsync($"api/v1/namespaces/{Ns}/pods", Pod("plain"))).Object;
        Assert.Equal(0, (int)plain["spec"]!["priority"]!);
        Assert.Equal("PreemptLowerPriority", (string)plain["spec"]!["preemptionPolicy"]!);

        var unknown = await http.PostAsync($"api/v1/namespaces/{Ns}/pods", Pod("x", "no-such-class"));
        Assert.Equal(403, unknown.Status);
        Assert.Equal("pods \"x\" is forbidden: no PriorityClass with name no-such-class was found", (string)unknown.Object["message"]!);

        var tolerant = Pod("tolerant");
        tolerant["spec"]!["tolerations"] = new JsonArray(new JsonObject { ["operator"] = "Exists" });
        var kept = (await http.PostAsync($"api/v1/namespaces/{Ns}/pods", tolerant)).Object;
        Assert.Single((JsonArray)kept["spec"]!["tolerations"]!);
    }

    [Fact]
    public async Task A_new_node_is_tainted_not_ready_once_and_seeded_nodes_are_stored_as_given()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);

        var created = (await http.PostAsync("api/v1/nodes", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "n1" },
            ["spec"] = new JsonObject { ["taints"] = new JsonArray(new JsonObject { ["key"] = "node.kubernetes.io/not-ready", ["effect"] = "NoSchedule" }) },
        })).Object;
        Assert.Single((JsonArray)created["spec"]!["taints"]!);

        var bare = (await http.PostAsync("api/v1/nodes", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "n2" } })).Object;
        Assert.Equal("node.kubernetes.io/not-ready", (string)bare["spec"]!["taints"]![0]!["key"]!);
        Assert.Equal(0, (int)bare["status"]!["daemonEndpoints"]!["kubeletEndpoint"]!["Port"]!);

        sandbox.Cluster.Upsert(ClusterObjects.Node("n3"));
        Assert.Null((await http.GetAsync("api/v1/nodes/n3")).Object["spec"]!["taints"]);
    }
}
