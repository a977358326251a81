using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// The catalog v2 causes that live in the cluster's own objects (Nodes, namespace labels, quotas, NetworkPolicies, pod
/// status), end to end: a healthy cluster with Nodes is broken through the API server, the operator's status names the
/// cause from a watch event, the cluster is fixed, and it recovers. And the healthy-but-unusual cluster stays Ready.
/// </summary>
public sealed class CatalogV2ScenarioTests
{
    private const string Ns = "amazon-guardduty";

    public static IReadOnlyList<string> HealthyClusterWithNodes { get; } = [.. OperatorUnderTest.HealthyCluster, "catalog-v2/00-nodes.yaml"];

    public sealed record Scenario(string Reason, Action<OperatorUnderTest> Break, Action<OperatorUnderTest> Fix)
    {
        public override string ToString() => Reason;
    }

    public static TheoryData<Scenario> Scenarios => new()
    {
        new(ReasonCodes.NodesWithoutAgent,
            it => it.Sandbox.Cluster.LoadYaml(TaintedNode),
            it => it.Sandbox.Cluster.Delete("v1", "Node", null, "ip-10-0-4-44.ec2.internal")),
        new(ReasonCodes.PodSecurityBlocksAgent,
            it =>
            {
                Patch(it, "apps/v1", "DaemonSet", Ns, "aws-guardduty-agent", ds =>
                {
                    var spec = ds["spec"]!["template"]!["spec"]!.AsObject();
                    spec["volumes"] = new JsonArray(new JsonObject { ["name"] = "host-proc", ["hostPath"] = new JsonObject { ["path"] = "/proc" } });
                });
                Patch(it, "v1", "Namespace", null, Ns, n => Labels(n)["pod-security.kubernetes.io/enforce"] = "baseline");
            },
            it => Patch(it, "v1", "Namespace", null, Ns, n => Labels(n)["pod-security.kubernetes.io/enforce"] = "privileged")),
        new(ReasonCodes.ResourceQuotaBlocksAgent,
            it => it.Sandbox.Cluster.LoadYaml("""
                apiVersion: v1
                kind: ResourceQuota
                metadata: {name: namespace-quota, namespace: amazon-guardduty}
                spec: {hard: {pods: "2"}}
                """),
            it => it.Sandbox.Cluster.Delete("v1", "ResourceQuota", Ns, "namespace-quota")),
        new(ReasonCodes.NetworkPolicyBlocksAgent,
            it => it.Sandbox.Cluster.LoadYaml("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: default-deny-egress, namespace: amazon-guardduty}
                spec: {podSelector: {}, policyTypes: [Egress]}
                """),
            it => it.Sandbox.Cluster.Delete("networking.k8s.io/v1", "NetworkPolicy", Ns, "default-deny-egress")),
        new(ReasonCodes.AgentOOMKilled,
            it =>
            {
                Patch(it, "v1", "Pod", Ns, "aws-guardduty-agent-p2", pod =>
                {
                    var status = pod["status"]!["containerStatuses"]![0]!.AsObject();
                    status["ready"] = false;
                    status["restartCount"] = 4;
                    status["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "CrashLoopBackOff" } };
                    status["lastState"] = new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 137, ["reason"] = "OOMKilled" } };
                    pod["status"]!["conditions"]![1]!["status"] = "False";
                });
            },
            it => it.Sandbox.Cluster.LoadYaml(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "scenarios", "demo", "10-healthy-agent.yaml")))),
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task BreakThenFix(Scenario scenario)
    {
        await using var it = await OperatorUnderTest.StartAsync(HealthyClusterWithNodes);
        it.ApplyCoverage();
        var healthy = await it.WaitForReadyAsync(ConditionStatus.True);
        Assert.Equal(3, healthy.Nodes?.Eligible);
        Assert.Equal(3, healthy.Nodes?.WithAgent);

        scenario.Break(it);
        var broken = await it.WaitForFindingAsync(scenario.Reason);
        var finding = broken.Findings!.Single(f => f.Reason == scenario.Reason);
        Assert.Equal("Error", finding.Severity);
        Assert.Contains("Local", finding.Sources);
        Assert.NotEmpty(finding.Remediation);
        Assert.Equal(ConditionStatus.False, broken.Conditions.Find(ConditionTypes.Ready)!.Status);
        Assert.Equal("Unhealthy", broken.Local);

        scenario.Fix(it);
        var healed = await it.WaitForStatusAsync(
            s => s.Conditions.Find(ConditionTypes.Ready)?.Status == ConditionStatus.True && s.Findings?.All(f => f.Reason != scenario.Reason) == true,
            what: $"Ready=True without {scenario.Reason}");
        Assert.Equal("Healthy", healed.Local);
    }

    [Fact]
    public async Task NodesWithoutAgentNamesTheNodeTheTaintAndThePool()
    {
        await using var it = await OperatorUnderTest.StartAsync(HealthyClusterWithNodes);
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);

        it.Sandbox.Cluster.LoadYaml(TaintedNode);
        var status = await it.WaitForFindingAsync(ReasonCodes.NodesWithoutAgent);
        var message = status.Findings!.Single(f => f.Reason == ReasonCodes.NodesWithoutAgent).Message;
        Assert.Contains("1 of 4 eligible nodes run no agent pod: ip-10-0-4-44.ec2.internal (NodeTaintNotTolerated: dedicated=batch:NoSchedule)", message);
        Assert.Contains("karpenter.sh/nodepool=batch (1)", message);
        Assert.Equal(4, status.Nodes?.Eligible);
        Assert.Equal(3, status.Nodes?.WithAgent);
        Assert.Equal("3/4", status.Nodes?.Summary);
        Assert.Equal("75", status.Nodes?.Percent);
    }

    [Fact]
    public async Task AHealthyButUnusualClusterIsReadyWithNothingAboveInfo()
    {
        await using var it = await OperatorUnderTest.StartAsync([.. HealthyClusterWithNodes, "catalog-v2/10-healthy-unusual.yaml"]);
        // The agent tolerates the GPU taint and runs on the GPU node too: 4 pods for 4 eligible nodes.
        Patch(it, "apps/v1", "DaemonSet", Ns, "aws-guardduty-agent", ds =>
        {
            ds["spec"]!["template"]!["spec"]!["tolerations"] = new JsonArray(new JsonObject { ["key"] = "nvidia.com/gpu", ["operator"] = "Exists", ["effect"] = "NoSchedule" });
            var status = ds["status"]!.AsObject();
            foreach (var field in new[] { "currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberReady", "updatedNumberScheduled" })
            {
                status[field] = 4;
            }

            status["observedGeneration"] = ds["metadata"]!["generation"]!.GetValue<long>();
        });
        it.ApplyCoverage();

        var status = await it.WaitForStatusAsync(
            s => s.Conditions.Find(ConditionTypes.Ready)?.Status == ConditionStatus.True && s.Nodes?.NotCoverable == 2,
            what: "Ready=True with the Fargate and Windows nodes counted apart");
        Assert.All(status.Findings ?? [], f => Assert.Equal("Info", f.Severity));
        Assert.Equal(ReasonCodes.NodesNotCoverable, Assert.Single(status.Findings!).Reason);
        Assert.Equal(4, status.Nodes!.Eligible);
        Assert.Equal(4, status.Nodes.WithAgent);
        Assert.Equal("Healthy", status.Local);
    }

    private const string TaintedNode = """
        apiVersion: v1
        kind: Node
        metadata:
          name: ip-10-0-4-44.ec2.internal
          labels: {kubernetes.io/os: linux, kubernetes.io/arch: amd64, karpenter.sh/nodepool: batch}
        spec:
          providerID: aws:///us-east-1a/i-0a1b2c3d4e5f60044
          taints:
          - {key: dedicated, value: batch, effect: NoSchedule}
        status:
          conditions:
          - {type: Ready, status: "True", reason: KubeletReady}
        """;

    private static JsonObject Labels(JsonObject obj)
    {
        var metadata = obj["metadata"]!.AsObject();
        if (metadata["labels"] is not JsonObject labels)
        {
            labels = new JsonObject();
            metadata["labels"] = labels;
        }

        return labels;
    }

    private static void Patch(OperatorUnderTest it, string apiVersion, string kind, string? ns, string name, Action<JsonObject> change)
    {
        var obj = it.Sandbox.Cluster.Get(apiVersion, kind, ns, name)!.AsObject();
        change(obj);
        it.Sandbox.Cluster.Upsert(obj);
    }
}
