using GuardDutyCoverage.Sandbox.Scenarios;
using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Testing;

namespace GuardDutyCoverage.Tests.Sandbox;

/// <summary>
/// The objects issue 9's scenarios seed (<see cref="ClusterObjects"/>): each goes in through
/// <see cref="SandboxCluster.Upsert"/> with its status and reads back over HTTP as a client sees it.
/// </summary>
public sealed class ScenarioSeedTests
{
    private const string Ns = "amazon-guardduty";

    [Fact]
    public async Task Seeded_nodes_keep_labels_taints_provider_id_and_status_and_watchers_see_them_change()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        sandbox.Cluster.Upsert(ClusterObjects.Node("ip-10-0-0-1.ec2.internal"));
        sandbox.Cluster.Upsert(ClusterObjects.Node(
            "ip-10-0-0-2.ec2.internal",
            taints: [new NodeTaint("nvidia.com/gpu", "true", "NoSchedule")],
            labels: new Dictionary<string, string> { ["eks.amazonaws.com/nodegroup"] = "gpu" },
            info: new NodeInfo(Architecture: "arm64", KernelVersion: "5.15.148", OsImage: "Bottlerocket OS 1.19.2 (aws-k8s-1.29)"),
            instanceId: "i-0abc0000000000001"));
        sandbox.Cluster.Upsert(ClusterObjects.Node("fargate-ip-10-0-0-3.ec2.internal", labels: new Dictionary<string, string> { ["eks.amazonaws.com/compute-type"] = "fargate" }));

        var list = (await http.GetAsync("api/v1/nodes")).Object;
        var items = ((JsonArray)list["items"]!).Select(i => i!.AsObject()).ToList();
        Assert.Equal(["fargate-ip-10-0-0-3.ec2.internal", "ip-10-0-0-1.ec2.internal", "ip-10-0-0-2.ec2.internal"], items.Select(i => (string)i["metadata"]!["name"]!));
        var gpu = items[2];
        Assert.Equal("aws:///eu-west-1a/i-0abc0000000000001", (string)gpu["spec"]!["providerID"]!);
        Assert.Equal("nvidia.com/gpu", (string)gpu["spec"]!["taints"]![0]!["key"]!);
        Assert.Equal("arm64", (string)gpu["metadata"]!["labels"]!["kubernetes.io/arch"]!);
        Assert.Equal("5.15.148", (string)gpu["status"]!["nodeInfo"]!["kernelVersion"]!);
        Assert.Equal("True", (string)gpu["status"]!["conditions"]![0]!["status"]!);
        Assert.Equal("fargate", (string)items[0]["metadata"]!["labels"]!["eks.amazonaws.com/compute-type"]!);

        // A node going NotReady is a MODIFIED event for a watcher, as a kubelet's status update would be.
        await using var watch = await http.WatchAsync($"api/v1/nodes?watch=true&resourceVersion={(string)list["metadata"]!["resourceVersion"]!}");
        sandbox.Cluster.Upsert(ClusterObjects.Node("ip-10-0-0-1.ec2.internal", ready: false));
        var modified = (await watch.NextAsync(1)).Single();
        Assert.Equal("MODIFIED", (string)modified["type"]!);
        Assert.Equal("False", (string)modified["object"]!["status"]!["conditions"]![0]!["status"]!);
    }

    [Fact]
    public async Task Seeded_events_are_served_by_both_event_apis_and_by_field_selector()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        sandbox.Cluster.Upsert(ClusterObjects.Namespace(Ns));
        sandbox.Cluster.Upsert(ClusterObjects.Event(Ns, "agent.1", "DaemonSet", "aws-guardduty-agent", "FailedCreate", "Error creating: pods \"x\" is forbidden: exceeded quota: q", count: 3));
        sandbox.Cluster.Upsert(ClusterObjects.Event(Ns, "agent.2", "Pod", "aws-guardduty-agent-abcde", "BackOff", "Back-off restarting failed container", involvedApiVersion: "v1"));

        var core = (await http.GetAsync($"api/v1/namespaces/{Ns}/events?fieldSelector={Uri.EscapeDataString("involvedObject.kind=DaemonSet,reason=FailedCreate")}")).Object;
        var only = Assert.Single((JsonArray)core["items"]!)!;
        Assert.Equal("agent.1", (string)only["metadata"]!["name"]!);
        Assert.Equal(3, (int)only["count"]!);

        var events = (await http.GetAsync($"apis/events.k8s.io/v1/namespaces/{Ns}/events")).Object;
        var first = ((JsonArray)events["items"]!)[0]!;
        Assert.Equal("DaemonSet", (string)first["regarding"]!["kind"]!);
        Assert.StartsWith("Error creating", (string)first["note"]!, StringComparison.Ordinal);
        Assert.Equal(3, (int)first["deprecatedCount"]!);

        var selected = (await http.GetAsync($"apis/events.k8s.io/v1/namespaces/{Ns}/events?fieldSelector={Uri.EscapeDataString("regarding.kind=Pod")}")).Object;
        Assert.Equal("agent.2", (string)Assert.Single((JsonArray)selected["items"]!)!["metadata"]!["name"]!);
    }

    [Fact]
    public async Task Seeded_quotas_limit_ranges_network_policies_and_pod_security_labels_read_back_as_stored()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        sandbox.Cluster.Upsert(ClusterObjects.Namespace(Ns, podSecurity: new Dictionary<string, string> { ["enforce"] = "restricted", ["warn"] = "baseline" }));
        sandbox.Cluster.Upsert(ClusterObjects.ResourceQuota(Ns, "q", new Dictionary<string, string> { ["limits.memory"] = "1Gi" }, new Dictionary<string, string> { ["limits.memory"] = "512Mi" }));
        sandbox.Cluster.Upsert(ClusterObjects.LimitRange(Ns, "lr", max: new Dictionary<string, string> { ["memory"] = "512Mi" }));
        sandbox.Cluster.Upsert(ClusterObjects.DenyAllNetworkPolicy(Ns));
        sandbox.Cluster.Upsert(ClusterObjects.NetworkPolicy(Ns, "allow-443", new JsonObject { ["matchLabels"] = new JsonObject { ["name"] = "aws-guardduty-agent" } }, ["Egress"], new JsonArray(ClusterObjects.EgressToAnywhere(443))));

        var ns = (await http.GetAsync($"api/v1/namespaces/{Ns}")).Object;
        Assert.Equal("restricted", (string)ns["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"]!);
        Assert.Equal("baseline", (string)ns["metadata"]!["labels"]!["pod-security.kubernetes.io/warn"]!);

        var quota = (await http.GetAsync($"api/v1/namespaces/{Ns}/resourcequotas/q")).Object;
        Assert.Equal("512Mi", (string)quota["status"]!["used"]!["limits.memory"]!);
        Assert.Equal("1Gi", (string)quota["status"]!["hard"]!["limits.memory"]!);

        // The API defaults of a LimitRange (107): default from max, defaultRequest from default.
        var limitRange = (await http.GetAsync($"api/v1/namespaces/{Ns}/limitranges/lr")).Object;
        Assert.Equal("512Mi", (string)limitRange["spec"]!["limits"]![0]!["default"]!["memory"]!);
        Assert.Equal("512Mi", (string)limitRange["spec"]!["limits"]![0]!["defaultRequest"]!["memory"]!);

        var policies = (await http.GetAsync($"apis/networking.k8s.io/v1/namespaces/{Ns}/networkpolicies")).Object;
        var names = ((JsonArray)policies["items"]!).Select(i => (string)i!["metadata"]!["name"]!).ToList();
        Assert.Equal(["allow-443", "default-deny-all"], names);
        var allow = ((JsonArray)policies["items"]!)[0]!;
        Assert.Equal(443, (int)allow["spec"]!["egress"]![0]!["ports"]![0]!["port"]!);
    }
}
