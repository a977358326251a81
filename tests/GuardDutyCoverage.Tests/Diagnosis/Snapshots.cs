using System.Text.Json.Nodes;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Util;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Diagnosis;

/// <summary>
/// Builds snapshots of a healthy cluster that tests then break one way at a time. Kubernetes objects come from the
/// real kube-apiserver recordings in tests/testdata/k8s-golden where one exists, else from YAML shaped like them.
/// </summary>
internal sealed class SnapshotBuilder
{
    public static readonly DateTimeOffset Now = new(2026, 11, 26, 17, 0, 0, TimeSpan.Zero);
    public const string Cluster = "prod-eks-1";
    public const string Region = "us-east-1";
    public const string Image = "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1";

    public DiagnosisTarget Target { get; set; } = new() { ClusterName = Cluster, Region = Region };

    public string? ServerVersion { get; set; } = "v1.33.5-eks-3025e55";

    public V1Namespace? Namespace { get; set; } = Golden<V1Namespace>("38-namespace-create.json");

    public V1DaemonSet? DaemonSet { get; set; } = HealthyDaemonSet();

    public List<V1Pod> Pods { get; set; } = [ReadyPod("aws-guardduty-agent-a1"), ReadyPod("aws-guardduty-agent-b2"), ReadyPod("aws-guardduty-agent-c3")];

    public V1PriorityClass? PriorityClass { get; set; } = Golden<V1PriorityClass>("39-priorityclass-create.json");

    public List<V1ClusterRoleBinding> Bindings { get; set; } = [Golden<V1ClusterRoleBinding>("48-clusterrolebinding-get.json")];

    public List<V1ValidatingWebhookConfiguration> Validating { get; set; } = [];

    public List<V1MutatingWebhookConfiguration> Mutating { get; set; } = [];

    public List<AccessReviewResult>? AccessReviews { get; set; }

    public DryRunResult? DaemonSetDryRun { get; set; }

    public DryRunResult? NamespaceDryRun { get; set; }

    public CoverageResource? Coverage { get; set; } = HealthyCoverage();

    public AwsObservation<CoverageResource>? CoverageObservation { get; set; }

    public EksAddon? Addon { get; set; } = new() { AddonName = "aws-guardduty-agent", ClusterName = Cluster, Status = "ACTIVE", AddonVersion = "v1.17.1-eksbuild.2", Health = new AddonHealth { Issues = [] } };

    public bool AddonNotFound { get; set; }

    public EksCluster? EksCluster { get; set; } = new()
    {
        Name = Cluster,
        Arn = $"arn:aws:eks:{Region}:111122223333:cluster/{Cluster}",
        Version = "1.33",
        ResourcesVpcConfig = new VpcConfigResponse { VpcId = "vpc-0a1b2c3d4e5f60718" },
    };

    public GetDetectorResponse? Detector { get; set; }

    public IReadOnlyList<AddonVersionInfo>? AddonVersions { get; set; }

    public VpcDnsAttributes? VpcDns { get; set; } = new("vpc-0a1b2c3d4e5f60718", true, true);

    public List<VpcEndpointInfo>? Endpoints { get; set; } =
    [
        new("vpce-0123456789abcdef0", "vpc-0a1b2c3d4e5f60718", "com.amazonaws.us-east-1.guardduty-data", "Interface", "available", true, "111122223333",
            new Dictionary<string, string> { ["GuardDutyManaged"] = "true" }),
    ];

    public DiagnosisMemory Memory { get; set; } = DiagnosisMemory.None;

    /// <summary>Null: Nodes not read (the node checks are skipped), as in every snapshot before catalog v2.</summary>
    public List<V1Node>? Nodes { get; set; }

    public List<ClusterEvent>? Events { get; set; }

    public List<V1ResourceQuota>? ResourceQuotas { get; set; }

    public List<V1LimitRange>? LimitRanges { get; set; }

    public List<V1NetworkPolicy>? NetworkPolicies { get; set; }

    public Dictionary<string, string>? AgentLogs { get; set; }

    public List<CoverageResource>? Ec2Coverage { get; set; }

    public VpcInfo? Vpc { get; set; }

    public bool KubernetesObserved { get; set; } = true;

    public SnapshotBuilder()
    {
        AccessReviews = LiveProbes.AccessReviews(Target).Select(p => new AccessReviewResult(p, true, "RBAC: allowed by ClusterRoleBinding \"eks:addon-cluster-admin\" of ClusterRole \"cluster-admin\" to User \"eks:addon-manager\"")).ToList();
        var probes = LiveProbes.DryRuns(Target);
        DaemonSetDryRun = DryRunResult.Passed(probes[0]);
        NamespaceDryRun = DryRunResult.Passed(probes[1]);
    }

    public DryRunProbe DaemonSetProbe => LiveProbes.DryRuns(Target)[0];

    public DryRunProbe NamespaceProbe => LiveProbes.DryRuns(Target)[1];

    public ClusterSnapshot Build() => new()
    {
        Target = Target,
        Now = Now,
        KubernetesObserved = KubernetesObserved,
        ServerVersion = ServerVersion,
        AgentNamespace = Namespace,
        AgentDaemonSet = DaemonSet,
        AgentPods = Pods,
        PriorityClass = PriorityClass,
        ClusterRoleBindings = Bindings,
        ValidatingWebhooks = Validating,
        MutatingWebhooks = Mutating,
        AccessReviews = AccessReviews,
        DaemonSetDryRun = DaemonSetDryRun,
        NamespaceDryRun = NamespaceDryRun,
        Memory = Memory,
        Nodes = Nodes,
        Events = Events,
        ResourceQuotas = ResourceQuotas,
        LimitRanges = LimitRanges,
        NetworkPolicies = NetworkPolicies,
        AgentLogs = AgentLogs,
        Aws = new AwsSnapshot
        {
            Region = Region,
            Coverage = CoverageObservation ?? AwsObservation<CoverageResource>.Success(Coverage, Now.AddMinutes(-1)),
            Addon = AddonNotFound ? AwsObservation<EksAddon>.Success(null, Now) : Addon is null ? null : AwsObservation<EksAddon>.Success(Addon, Now),
            Cluster = EksCluster is null ? null : AwsObservation<EksCluster>.Success(EksCluster, Now),
            Detector = Detector is null ? null : AwsObservation<GetDetectorResponse>.Success(Detector, Now),
            AddonVersions = AddonVersions is null ? null : AwsObservation<IReadOnlyList<AddonVersionInfo>>.Success(AddonVersions, Now),
            VpcDns = VpcDns is null ? null : AwsObservation<VpcDnsAttributes>.Success(VpcDns, Now),
            GuardDutyDataEndpoints = Endpoints is null ? null : AwsObservation<IReadOnlyList<VpcEndpointInfo>>.Success(Endpoints, Now),
            Ec2Coverage = Ec2Coverage is null ? null : AwsObservation<IReadOnlyList<CoverageResource>>.Success(Ec2Coverage, Now),
            Vpc = Vpc is null ? null : AwsObservation<VpcInfo>.Success(Vpc, Now),
        },
    };

    public DiagnosisReport Diagnose() => DiagnosisEngine.Diagnose(Build());

    /// <summary>GuardDuty reports the cluster UNHEALTHY with this issue string.</summary>
    public SnapshotBuilder GuardDutyIssue(string issue, DateTimeOffset? updatedAt = null)
    {
        Coverage = HealthyCoverage() with { CoverageStatus = "UNHEALTHY", Issue = issue, UpdatedAt = updatedAt ?? Now.AddMinutes(-10) };
        return this;
    }

    /// <summary>EKS reports the add-on DEGRADED with this health issue.</summary>
    public SnapshotBuilder AddonIssue(string code, string message)
    {
        Addon = Addon! with { Status = "DEGRADED", Health = new AddonHealth { Issues = [new AddonIssue { Code = code, Message = message, ResourceIds = [] }] } };
        return this;
    }

    public static CoverageResource HealthyCoverage() => new()
    {
        ResourceId = Cluster,
        DetectorId = "12abc34d567e8fa901bc2d34e56789f0",
        AccountId = "111122223333",
        CoverageStatus = "HEALTHY",
        UpdatedAt = Now.AddMinutes(-30),
        ResourceDetails = new CoverageResourceDetails
        {
            ResourceType = "EKS",
            EksClusterDetails = new CoverageEksClusterDetails
            {
                ClusterName = Cluster,
                CoveredNodes = 3,
                CompatibleNodes = 3,
                ManagementType = "AUTO_MANAGED",
                AddonDetails = new AddonDetails { AddonVersion = "v1.17.1-eksbuild.2", AddonStatus = "ACTIVE" },
            },
        },
    };

    /// <summary>The recorded DaemonSet (45: eks owns every applied field) with a healthy 3/3 status.</summary>
    public static V1DaemonSet HealthyDaemonSet()
    {
        var daemonSet = Golden<V1DaemonSet>("45-daemonset-patch-status.json");
        daemonSet.Status.DesiredNumberScheduled = 3;
        daemonSet.Status.CurrentNumberScheduled = 3;
        daemonSet.Status.NumberReady = 3;
        daemonSet.Status.NumberAvailable = 3;
        daemonSet.Status.UpdatedNumberScheduled = 3;
        daemonSet.Status.ObservedGeneration = daemonSet.Metadata.Generation;
        return daemonSet;
    }

    public static V1Pod ReadyPod(string name) => Yaml<V1Pod>(PodYaml(name, "Running", """
          - type: PodScheduled
            status: "True"
            lastTransitionTime: "2026-11-26T16:00:00Z"
          - type: Ready
            status: "True"
            lastTransitionTime: "2026-11-26T16:01:00Z"
        """, """
          - name: aws-guardduty-agent
            image: IMAGE
            imageID: ""
            ready: true
            restartCount: 0
            state:
              running:
                startedAt: "2026-11-26T16:00:30Z"
        """));

    public static V1Pod PendingPod(string name, string schedulerMessage) => Yaml<V1Pod>(PodYaml(name, "Pending", $"""
          - type: PodScheduled
            status: "False"
            reason: Unschedulable
            message: "{schedulerMessage}"
            lastTransitionTime: "2026-11-26T16:00:00Z"
        """, null));

    public static V1Pod WaitingPod(string name, string reason, string? message = null, int restarts = 0, int? lastExit = null)
    {
        var messageLine = message is null ? "" : $"\n        message: \"{message}\"";
        var lastState = lastExit is null ? "" : $"\n    lastState:\n      terminated:\n        exitCode: {lastExit}\n        reason: Error";
        return Yaml<V1Pod>(PodYaml(name, reason == "ContainerCreating" ? "Pending" : "Running", """
          - type: PodScheduled
            status: "True"
          - type: Ready
            status: "False"
            reason: ContainersNotReady
        """, $"""
          - name: aws-guardduty-agent
            image: IMAGE
            imageID: ""
            ready: false
            restartCount: {restarts}
            state:
              waiting:
                reason: {reason}
        """ + messageLine + lastState));
    }

    private static string PodYaml(string name, string phase, string conditions, string? containerStatuses) => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          namespace: amazon-guardduty
          labels:
            name: aws-guardduty-agent
          ownerReferences:
          - apiVersion: apps/v1
            kind: DaemonSet
            name: aws-guardduty-agent
            uid: 84a3839b-d49a-4136-a5bb-634eae9af530
            controller: true
        spec:
          priorityClassName: aws-guardduty-agent.priorityclass
          containers:
          - name: aws-guardduty-agent
            image: IMAGE
        status:
          phase: {phase}
          conditions:

        """.Replace("IMAGE", Image, StringComparison.Ordinal) + conditions.Replace("IMAGE", Image, StringComparison.Ordinal) + "\n"
        + (containerStatuses is null ? "" : "  containerStatuses:\n" + containerStatuses.Replace("IMAGE", Image, StringComparison.Ordinal) + "\n");

    /// <summary>
    /// Gives the snapshot Nodes: one Ready Linux EC2 node per agent pod (ip-10-0-1-1.ec2.internal, ...), each pod
    /// bound to its node, as the DaemonSet controller and scheduler leave them.
    /// </summary>
    public SnapshotBuilder WithNodes()
    {
        Nodes = [];
        for (var i = 0; i < Pods.Count; i++)
        {
            var name = $"ip-10-0-1-{i + 1}.ec2.internal";
            Pods[i].Spec.NodeName = name;
            Nodes.Add(Node(name, $"i-0{i + 1:D16}"));
        }

        return this;
    }

    /// <summary>A Ready Linux amd64 EC2 node created a day before <see cref="Now"/>; <paramref name="labels"/> and <paramref name="spec"/> are extra YAML lines.</summary>
    public static V1Node Node(string name, string instanceId = "i-0abcdef1234567890", string labels = "", string spec = "", string os = "linux", string created = "2026-11-25T17:00:00Z") =>
        Yaml<V1Node>($$"""
            apiVersion: v1
            kind: Node
            metadata:
              name: {{name}}
              creationTimestamp: "{{created}}"
              labels:
                kubernetes.io/os: {{os}}
                kubernetes.io/arch: amd64
                kubernetes.io/hostname: {{name}}
                node.kubernetes.io/instance-type: m6i.large
            {{labels}}
            spec:
              providerID: aws:///us-east-1a/{{instanceId}}
            {{spec}}
            status:
              conditions:
              - type: Ready
                status: "True"
                reason: KubeletReady
              nodeInfo:
                architecture: amd64
                operatingSystem: {{os}}
                osImage: Amazon Linux 2023.6.20241212
                kernelVersion: 6.1.119-129.201.amzn2023.x86_64
                kubeletVersion: v1.33.5-eks-3025e55
                containerRuntimeVersion: containerd://1.7.23
                bootID: ""
                machineID: ""
                systemUUID: ""
                kubeProxyVersion: ""
            """);

    /// <summary>The response body of a k8s-golden recording as a typed object.</summary>
    public static T Golden<T>(string file)
    {
        var recording = JsonNode.Parse(File.ReadAllText(RepoPaths.TestData("k8s-golden", file)))!;
        return KubernetesJson.Deserialize<T>(recording["response"]!["body"]!);
    }

    public static JsonNode GoldenResponse(string file) =>
        JsonNode.Parse(File.ReadAllText(RepoPaths.TestData("k8s-golden", file)))!["response"]!;

    public static T Yaml<T>(string yaml) => KubernetesJson.Deserialize<T>(YamlJson.Parse(yaml)!);
}
