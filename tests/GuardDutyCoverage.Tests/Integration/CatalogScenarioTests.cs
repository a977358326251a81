using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using KubeSandbox.Testing;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// Every locally detectable root cause of the catalog, end to end: a healthy cluster is broken through the API server,
/// the operator's status names the cause (from a watch event, not a poll), the cluster is fixed, and it recovers.
/// </summary>
public sealed class CatalogScenarioTests
{
    private const string Ns = "amazon-guardduty";
    private const string Image = "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1";

    public sealed record Scenario(string Reason, Action<OperatorUnderTest> Break, Action<OperatorUnderTest> Fix, string Severity = "Error")
    {
        public override string ToString() => Reason;
    }

    public static TheoryData<Scenario> Scenarios => new()
    {
        new(ReasonCodes.AgentNamespaceMissing,
            it => it.Api.DeleteAsync(GuardDutyCoverage.Runtime.KubeResources.Namespaces, Ns).GetAwaiter().GetResult(),
            RestoreAgent),
        new(ReasonCodes.AgentDaemonSetMissing,
            it => it.Sandbox.Cluster.Delete("apps/v1", "DaemonSet", Ns, "aws-guardduty-agent"),
            RestoreAgent),
        new(ReasonCodes.AgentPodsUnschedulable,
            it =>
            {
                DaemonSetAvailable(it, 2);
                Apply(it, PodYaml("aws-guardduty-agent-p3", node: null, """
                      phase: Pending
                      conditions:
                      - type: PodScheduled
                        status: "False"
                        reason: Unschedulable
                        message: '0/3 nodes are available: 3 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.'
                    """));
            },
            RestoreAgent),
        new(ReasonCodes.AgentPodsCrashLooping,
            it =>
            {
                DaemonSetAvailable(it, 2);
                Apply(it, PodYaml("aws-guardduty-agent-p2", "ip-10-0-1-22.ec2.internal", """
                      phase: Running
                      conditions:
                      - type: Ready
                        status: "False"
                      containerStatuses:
                      - name: aws-guardduty-agent
                        ready: false
                        restartCount: 7
                        image: IMAGE
                        imageID: ""
                        state:
                          waiting:
                            reason: CrashLoopBackOff
                            message: back-off 5m0s restarting failed container
                        lastState:
                          terminated:
                            exitCode: 1
                            reason: Error
                    """));
            },
            RestoreAgent),
        new(ReasonCodes.AgentImagePullFailed,
            it =>
            {
                DaemonSetAvailable(it, 2);
                Apply(it, PodYaml("aws-guardduty-agent-p1", "ip-10-0-1-11.ec2.internal", """
                      phase: Pending
                      conditions:
                      - type: Ready
                        status: "False"
                      containerStatuses:
                      - name: aws-guardduty-agent
                        ready: false
                        restartCount: 0
                        image: IMAGE
                        imageID: ""
                        state:
                          waiting:
                            reason: ImagePullBackOff
                            message: Back-off pulling image
                    """));
            },
            RestoreAgent),
        new(ReasonCodes.AgentPodsNotReady,
            it => DaemonSetAvailable(it, 1),
            RestoreAgent),
        new(ReasonCodes.PriorityClassMissing,
            it => it.Sandbox.Cluster.Delete("scheduling.k8s.io/v1", "PriorityClass", null, "aws-guardduty-agent.priorityclass"),
            RestoreClusterObjects),
        new(ReasonCodes.AddonManagerForbidden,
            it => it.Sandbox.Cluster.Delete("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", null, "eks:addon-cluster-admin"),
            RestoreClusterObjects),
        new(ReasonCodes.AgentImageRegistryUnexpected,
            it => SetImage(it, "registry.example.com/mirror/aws-guardduty-agent:v1.17.1"),
            RestoreAgent,
            Severity: "Warning"),
        new(ReasonCodes.AdmissionWebhookMayIntercept,
            // Fails closed and intercepts DaemonSets, but allows the agent's registry: a risk, not (yet) a denial.
            it => it.Sandbox.Cluster.Upsert(KyvernoLike.Install(it.Webhooks, ["602401143452.dkr.ecr.*.amazonaws.com/*"])),
            DeleteWebhooks,
            Severity: "Warning"),
        new(ReasonCodes.AdmissionWebhookDenied,
            it => it.Sandbox.Cluster.Upsert(KyvernoLike.Install(it.Webhooks, ["registry.example.com/*"])),
            DeleteWebhooks),
        new(ReasonCodes.AgentImageRegistryNotAllowed,
            it => it.Sandbox.Cluster.Upsert(GatekeeperLike.Install(it.Webhooks, "Fail", GatekeeperLike.AllowedContainerRegistries(["registry.example.com/"]))),
            DeleteWebhooks),
        new(ReasonCodes.NamespaceOwnerLabelRequired,
            it => it.Sandbox.Cluster.Upsert(GatekeeperLike.Install(it.Webhooks, "Fail", GatekeeperLike.NamespacesMustHaveOwnerLabel())),
            it => it.Api.PatchAsync(GuardDutyCoverage.Runtime.KubeResources.Namespaces, Ns, null,
                GuardDutyCoverage.Runtime.KubePatch.Merge(JsonNode.Parse("""{"metadata":{"labels":{"owner":"security-team"}}}""")!)).GetAwaiter().GetResult()),
        new(ReasonCodes.AgentImageFieldConflict,
            it =>
            {
                ApplyAsAddon(it, force: true);
                it.Api.PatchAsync(GuardDutyCoverage.Runtime.KubeResources.DaemonSets, "aws-guardduty-agent", Ns,
                    GuardDutyCoverage.Runtime.KubePatch.StrategicMerge(JsonNode.Parse("""{"spec":{"template":{"spec":{"containers":[{"name":"aws-guardduty-agent","image":"IMAGE"}]}}}}""".Replace("IMAGE", Image.Replace("v1.17.1", "v1.16.0", StringComparison.Ordinal), StringComparison.Ordinal))!),
                    new GuardDutyCoverage.Runtime.WriteOptions { FieldManager = "kubectl-edit" }).GetAwaiter().GetResult();
            },
            // What the catalog recommends: the add-on re-applies with OVERWRITE (a forced apply by its field manager),
            // and the DaemonSet controller rolls the change out.
            it =>
            {
                ApplyAsAddon(it, force: true);
                RolledOut(it);
            }),
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task BreakThenFix(Scenario scenario)
    {
        await using var it = await OperatorUnderTest.StartAsync(options: new Controller.OperatorOptions());
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);

        scenario.Break(it);
        var broken = await it.WaitForFindingAsync(scenario.Reason);
        var finding = broken.Findings!.Single(f => f.Reason == scenario.Reason);
        Assert.Equal(scenario.Severity, finding.Severity);
        Assert.Contains("Local", finding.Sources);
        Assert.NotEmpty(finding.Message);
        Assert.NotEmpty(finding.Remediation);
        if (scenario.Severity == "Error")
        {
            var ready = broken.Conditions.Find(ConditionTypes.Ready)!;
            Assert.Equal(ConditionStatus.False, ready.Status);
            Assert.Equal("Unhealthy", broken.Local);
        }

        scenario.Fix(it);
        var healed = await it.WaitForStatusAsync(
            s => s.Conditions.Find(ConditionTypes.Ready)?.Status == ConditionStatus.True && s.Findings?.All(f => f.Reason != scenario.Reason) == true,
            what: $"Ready=True without {scenario.Reason}");
        Assert.Equal("Healthy", healed.Local);
    }

    [Fact]
    public async Task AgentTooNewForTheClusterVersionRecoversWhenTheAgentIsDowngraded()
    {
        // Agent v1.17.1 supports Kubernetes 1.31-1.36 (facts §b); this cluster runs 1.30.
        await using var it = await OperatorUnderTest.StartAsync(sandboxOptions: new KubeSandbox.SandboxOptions { KubernetesVersion = "v1.30.4" });
        it.ApplyCoverage();
        var status = await it.WaitForFindingAsync(ReasonCodes.AddonIncompatibleClusterVersion);
        Assert.Contains("1.30", status.Findings!.Single(f => f.Reason == ReasonCodes.AddonIncompatibleClusterVersion).Message);

        SetImage(it, Image.Replace("v1.17.1", "v1.16.0", StringComparison.Ordinal));
        RolledOut(it);
        var healed = await it.WaitForStatusAsync(s => s.Findings?.All(f => f.Reason != ReasonCodes.AddonIncompatibleClusterVersion) == true, what: "compatible agent");
        Assert.Equal("v1.16.0", healed.Agent?.Version);
    }

    [Fact]
    public async Task MinimumVersionIsASpecChangeAndRecoversWhenLowered()
    {
        await using var it = await OperatorUnderTest.StartAsync();
        it.ApplyCoverage(spec: s => s["agent"] = new JsonObject { ["minimumVersion"] = "1.18.0" });
        var status = await it.WaitForFindingAsync(ReasonCodes.AgentVersionBelowMinimum);
        Assert.Contains("1.18.0", status.Findings!.Single(f => f.Reason == ReasonCodes.AgentVersionBelowMinimum).Message);

        it.ApplyCoverage(spec: s => s["agent"] = new JsonObject { ["minimumVersion"] = "1.8.1" });
        await it.WaitForReadyAsync(ConditionStatus.True);
    }

    [Fact]
    public async Task AnIntervalTheSchemaAcceptsButTheOperatorCannotUseStallsWithWhatToChange()
    {
        await using var it = await OperatorUnderTest.StartAsync();
        it.ApplyCoverage();
        var healthy = await it.WaitForReadyAsync(ConditionStatus.True);

        it.ApplyCoverage(spec: s => s["interval"] = "9999h");
        var stalled = await it.WaitForStatusAsync(s => s.Conditions.Find(ConditionTypes.Stalled)?.Status == ConditionStatus.True, what: "Stalled");
        var ready = stalled.Conditions.Find(ConditionTypes.Ready)!;
        Assert.Equal(ConditionStatus.False, ready.Status);
        Assert.Equal("InvalidSpec", ready.Reason);
        Assert.Contains("spec.interval", ready.Message);
        Assert.Null(stalled.Conditions.Find(ConditionTypes.Reconciling));
        // What was observed before stays: a status that cannot be refreshed is never blanked.
        Assert.Equal(healthy.Agent, stalled.Agent);
        Assert.Equal(healthy.GuardDuty?.CoverageStatus, stalled.GuardDuty?.CoverageStatus);

        it.ApplyCoverage(spec: s => s["interval"] = "10m");
        var recovered = await it.WaitForReadyAsync(ConditionStatus.True);
        Assert.Null(recovered.Conditions.Find(ConditionTypes.Stalled));
    }

    /// <summary>What the DaemonSet controller does once a new template is out: observedGeneration catches up.</summary>
    private static void RolledOut(OperatorUnderTest it)
    {
        var ds = it.Sandbox.Cluster.Get("apps/v1", "DaemonSet", Ns, "aws-guardduty-agent")!;
        var generation = ds["metadata"]!["generation"]!.GetValue<long>();
        it.Api.PatchStatusAsync(GuardDutyCoverage.Runtime.KubeResources.DaemonSets, "aws-guardduty-agent", Ns,
            GuardDutyCoverage.Runtime.KubePatch.Merge(new JsonObject { ["status"] = new JsonObject { ["observedGeneration"] = generation } })).GetAwaiter().GetResult();
    }

    private static void DeleteWebhooks(OperatorUnderTest it)
    {
        foreach (var name in new[] { KyvernoLike.ConfigurationName, GatekeeperLike.ConfigurationName })
        {
            it.Sandbox.Cluster.Delete("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", null, name);
        }
    }

    /// <summary>Server-side apply of the agent DaemonSet as the EKS add-on does it (field manager "eks").</summary>
    private static void ApplyAsAddon(OperatorUnderTest it, bool force) =>
        it.Api.PatchAsync(
            GuardDutyCoverage.Runtime.KubeResources.DaemonSets,
            "aws-guardduty-agent",
            Ns,
            GuardDutyCoverage.Runtime.KubePatch.ApplyYaml($"""
                apiVersion: apps/v1
                kind: DaemonSet
                metadata:
                  name: aws-guardduty-agent
                  namespace: {Ns}
                spec:
                  selector:
                    matchLabels:
                      name: aws-guardduty-agent
                  template:
                    metadata:
                      labels:
                        name: aws-guardduty-agent
                    spec:
                      priorityClassName: aws-guardduty-agent.priorityclass
                      containers:
                      - name: aws-guardduty-agent
                        image: {Image}
                """, force),
            new GuardDutyCoverage.Runtime.WriteOptions { FieldManager = "eks" }).GetAwaiter().GetResult();

    private static void Apply(OperatorUnderTest it, string yaml) =>
        it.Sandbox.Cluster.LoadYaml(yaml.Replace("IMAGE", Image, StringComparison.Ordinal));

    private static void RestoreAgent(OperatorUnderTest it)
    {
        it.Sandbox.Cluster.LoadYaml(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "scenarios", "demo", "10-healthy-agent.yaml")));
    }

    private static void RestoreClusterObjects(OperatorUnderTest it) =>
        it.Sandbox.Cluster.LoadYaml(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "scenarios", "demo", "00-cluster.yaml")));

    private static void DaemonSetAvailable(OperatorUnderTest it, int available)
    {
        var ds = it.Sandbox.Cluster.Get("apps/v1", "DaemonSet", Ns, "aws-guardduty-agent")!;
        var status = ds["status"]!.AsObject();
        status["numberAvailable"] = available;
        status["numberReady"] = available;
        status["numberUnavailable"] = 3 - available;
        it.Sandbox.Cluster.Upsert(ds);
    }

    private static void SetImage(OperatorUnderTest it, string image)
    {
        var ds = it.Sandbox.Cluster.Get("apps/v1", "DaemonSet", Ns, "aws-guardduty-agent")!;
        ds["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = image;
        it.Sandbox.Cluster.Upsert(ds);
    }

    private static string PodYaml(string name, string? node, string status) => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          namespace: {Ns}
          labels:
            name: aws-guardduty-agent
        spec:
        {(node is null ? "" : $"  nodeName: {node}\n")}  priorityClassName: aws-guardduty-agent.priorityclass
          preemptionPolicy: Never
          containers:
          - name: aws-guardduty-agent
            image: IMAGE
        status:
        {status}
        """;
}
