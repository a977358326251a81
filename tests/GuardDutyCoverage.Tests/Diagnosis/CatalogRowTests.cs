using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Diagnosis;

/// <summary>Every catalog row, seen from every source that can see it: one case per (reason, source).</summary>
public sealed class CatalogRowTests
{
    private const string Replicas = "EKS Addon issue - InsufficientNumberOfReplicas: ";
    private const string Unschedulable = "The add-on is unhealthy because one or more pods is not scheduled 0/3 nodes are available: 3 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.";
    private const string Kyverno = "admission webhook \"validate.kyverno.svc-fail\" denied the request: policy DaemonSet/amazon-guardduty/aws-guardduty-agent for resource violation: restrict-image-registries";
    private const string GatekeeperLabel = "admission webhook \"validation.gatekeeper.sh\" denied the request: [all-namespace-must-have-label-owner] All namespaces must have an `owner` label";
    private const string GatekeeperRegistry = "admission webhook \"validation.gatekeeper.sh\" denied the request: [allowed-container-registries] container <aws-guardduty-agent> has an invalid image registry";
    private const string Forbidden = "priorityclasses.scheduling.k8s.io \"aws-guardduty-agent.priorityclass\" is forbidden: User \"eks:addon-manager\" cannot patch resource \"priorityclasses\" in API group \"scheduling.k8s.io\" at the cluster scope";
    private const string Conflict = "Conflicts found when trying to apply. Will not continue due to resolve conflicts mode. Conflicts: DaemonSet.apps aws-guardduty-agent - .spec.template.spec.containers[name=\"aws-guardduty-agent\"].image";

    /// <summary>Each case breaks a healthy cluster so that exactly the named source sees the named cause.</summary>
    internal static readonly Dictionary<(string Reason, FindingSource Source), Action<SnapshotBuilder>> Cases = new()
    {
        [(ReasonCodes.AddonIncompatibleClusterVersion, FindingSource.Local)] = b =>
        {
            b.ServerVersion = "v1.29.10-eks-7f9249a";
            b.EksCluster = b.EksCluster! with { Version = "1.29" };
        },
        [(ReasonCodes.AddonIncompatibleClusterVersion, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Addon Creation Failed: Addon `aws-guardduty-agent` is not compatible with current cluster version of cluster prod-eks-1. Addon specified is not supported."),
        [(ReasonCodes.AddonIncompatibleClusterVersion, FindingSource.EksAddon)] = b =>
            b.AddonVersions = [new AddonVersionInfo { AddonVersion = "v1.17.1-eksbuild.2", Compatibilities = [new Compatibility { ClusterVersion = "1.34" }, new Compatibility { ClusterVersion = "1.35" }] }],

        [(ReasonCodes.AgentPodsUnschedulable, FindingSource.Local)] = b =>
        {
            b.Pods[2] = SnapshotBuilder.PendingPod("aws-guardduty-agent-c3", "0/3 nodes are available: 1 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.");
            b.DaemonSet!.Status.NumberAvailable = 2;
        },
        [(ReasonCodes.AgentPodsUnschedulable, FindingSource.GuardDuty)] = b => b.GuardDutyIssue("Addon Status Unhealthy: " + Replicas + Unschedulable),
        [(ReasonCodes.AgentPodsUnschedulable, FindingSource.EksAddon)] = b => b.AddonIssue("InsufficientNumberOfReplicas", Unschedulable),

        [(ReasonCodes.AgentPodsCrashLooping, FindingSource.Local)] = b =>
        {
            b.Pods[0] = SnapshotBuilder.WaitingPod("aws-guardduty-agent-a1", "CrashLoopBackOff", "back-off 5m0s restarting failed container", restarts: 12, lastExit: 1);
            b.DaemonSet!.Status.NumberAvailable = 2;
        },
        [(ReasonCodes.AgentPodsCrashLooping, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Addon Update Failed: EKS Addon Issue - `InsufficientNumberOfReplicas`: The add-on is unhealthy because one or more pods have waiting containers `CrashLoopBackOff: Error`"),
        [(ReasonCodes.AgentPodsCrashLooping, FindingSource.EksAddon)] = b =>
            b.AddonIssue("InsufficientNumberOfReplicas", "The add-on is unhealthy because one or more pods have waiting containers CrashLoopBackOff: Completed"),

        [(ReasonCodes.AgentImagePullFailed, FindingSource.Local)] = b =>
        {
            b.Pods[1] = SnapshotBuilder.WaitingPod("aws-guardduty-agent-b2", "ImagePullBackOff", "Back-off pulling image");
            b.DaemonSet!.Status.NumberAvailable = 2;
        },
        [(ReasonCodes.AgentImagePullFailed, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Addon Status Unhealthy: " + Replicas + "The add-on is unhealthy because one or more pods have waiting containers ImagePullBackOff"),
        [(ReasonCodes.AgentImagePullFailed, FindingSource.EksAddon)] = b =>
            b.AddonIssue("InsufficientNumberOfReplicas", "The add-on is unhealthy because one or more pods have waiting containers ErrImagePull"),

        [(ReasonCodes.AgentPodsNotReady, FindingSource.Local)] = b =>
        {
            b.Pods[1] = SnapshotBuilder.WaitingPod("aws-guardduty-agent-b2", "ContainerCreating");
            b.DaemonSet!.Status.NumberAvailable = 2;
        },
        [(ReasonCodes.AgentPodsNotReady, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Addon Status Unhealthy: EKS Addon Issue - `InsufficientNumberOfReplicas`: The add-on is unhealthy because it doesn't have the desired number of replicas."),
        [(ReasonCodes.AgentPodsNotReady, FindingSource.EksAddon)] = b =>
            b.AddonIssue("InsufficientNumberOfReplicas", "The add-on is unhealthy because it doesn't have the desired number of replicas."),

        [(ReasonCodes.AdmissionWebhookDenied, FindingSource.Local)] = b =>
        {
            // The recorded denial (54) of a dry-run PATCH of the agent DaemonSet.
            var body = SnapshotBuilder.GoldenResponse("54-daemonset-patch-webhook-denied-dryrun.json")["body"]!;
            b.DaemonSetDryRun = DryRunResult.Rejected(b.DaemonSetProbe, (int)body["code"]!, (string)body["message"]!);
        },
        [(ReasonCodes.AdmissionWebhookDenied, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Addon Update Failed: EKS Addon Issue - `AdmissionRequestDenied`: admission webhook `\"validate.kyverno.svc-fail\"` denied the request: policy `DaemonSet/amazon-guardduty/aws-guardduty-agent` for resource violation: restrict-image-registries: `autogen-validate-registries`: ..."),
        [(ReasonCodes.AdmissionWebhookDenied, FindingSource.EksAddon)] = b => b.AddonIssue("AdmissionRequestDenied", Kyverno),

        [(ReasonCodes.AgentImageFieldConflict, FindingSource.Local)] = b =>
        {
            var recorded = SnapshotBuilder.Golden<V1DaemonSet>("42-daemonset-get-managedfields.json");
            b.DaemonSet!.Metadata.ManagedFields = recorded.Metadata.ManagedFields;
        },
        [(ReasonCodes.AgentImageFieldConflict, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Addon Update Failed: EKS Addon Issue - `ConfigurationConflict`: " + Conflict),
        [(ReasonCodes.AgentImageFieldConflict, FindingSource.EksAddon)] = b => b.AddonIssue("ConfigurationConflict", Conflict),

        [(ReasonCodes.AddonManagerForbidden, FindingSource.Local)] = b =>
        {
            b.Bindings = [];
            var denied = SnapshotBuilder.GoldenResponse("46-sar-before-clusterrolebinding.json")["body"]!["status"]!;
            b.AccessReviews = LiveProbes.AccessReviews(b.Target).Select(p => new AccessReviewResult(p, (bool)denied["allowed"]!)).ToList();
        },
        [(ReasonCodes.AddonManagerForbidden, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Addon Update Failed: EKS Addon Issue - `AccessDenied: " + Forbidden + "`"),
        [(ReasonCodes.AddonManagerForbidden, FindingSource.EksAddon)] = b => b.AddonIssue("AccessDenied", Forbidden),

        [(ReasonCodes.NamespaceOwnerLabelRequired, FindingSource.Local)] = b =>
            b.NamespaceDryRun = DryRunResult.Rejected(b.NamespaceProbe, 403, GatekeeperLabel.Replace("`", "")),
        [(ReasonCodes.NamespaceOwnerLabelRequired, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Addon Creation Failed: EKS Addon Issue - `AccessDenied: " + GatekeeperLabel + "`"),
        [(ReasonCodes.NamespaceOwnerLabelRequired, FindingSource.EksAddon)] = b => b.AddonIssue("AccessDenied", GatekeeperLabel.Replace("`", "")),

        [(ReasonCodes.AgentImageRegistryNotAllowed, FindingSource.Local)] = b =>
            b.DaemonSetDryRun = DryRunResult.Rejected(b.DaemonSetProbe, 403, GatekeeperRegistry),
        [(ReasonCodes.AgentImageRegistryNotAllowed, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Addon Update Failed: EKS Addon Issue - `AccessDenied: " + GatekeeperRegistry + "`"),
        [(ReasonCodes.AgentImageRegistryNotAllowed, FindingSource.EksAddon)] = b => b.AddonIssue("AccessDenied", GatekeeperRegistry),

        [(ReasonCodes.AddonIssueOther, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Addon Status Unhealthy: EKS Addon issue - ClusterUnreachable: The cluster API server could not be reached."),
        [(ReasonCodes.AddonIssueOther, FindingSource.EksAddon)] = b => b.AddonIssue("K8sResourceNotFound", "serviceaccounts \"aws-guardduty-agent\" not found"),

        [(ReasonCodes.VpcEndpointSharedVpcUnsupported, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("VPC Endpoint Creation Failed: VPC endpoint creation not supported for shared VPC vpc-0a1b2c3d4e5f60718"),
        [(ReasonCodes.VpcEndpointSharedVpcOwnerNotEnabled, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("VPC Endpoint Creation Failed: Owner account ID 111122223333 for shared VPC vpc-0a1b2c3d4e5f60718 doesn't have either Runtime Monitoring, automated agent configuration, or both, enabled."),
        [(ReasonCodes.VpcDnsAttributesDisabled, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("VPC Endpoint Creation Failed: Enabling private DNS requires both `enableDnsSupport` and `enableDnsHostnames` VPC attributes set to `true` for vpc-0a1b2c3d4e5f60718 (Service: Ec2, Status Code:400, Request ID: a1b2c3d4-5678-90ab-cdef-EXAMPLE11111)."),
        [(ReasonCodes.VpcDnsAttributesDisabled, FindingSource.Ec2)] = b => b.VpcDns = new VpcDnsAttributes("vpc-0a1b2c3d4e5f60718", true, false),
        [(ReasonCodes.SharedVpcEndpointDeletionNotAllowed, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Shared VPC Endpoint Deletion Failed: Shared VPC endpoint deletion not allowed for account ID 111122223333, shared VPC vpc-0a1b2c3d4e5f60718, owner account ID 555555555555."),
        [(ReasonCodes.LocalOutpostCluster, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Local EKS clusters: EKS addons are not supported on local outpost clusters."),
        [(ReasonCodes.LocalOutpostCluster, FindingSource.EksAddon)] = b =>
            b.EksCluster = b.EksCluster! with { OutpostConfig = new OutpostConfigResponse { OutpostArns = ["arn:aws:outposts:us-east-1:111122223333:outpost/op-0abcdef1234567890"], ControlPlaneInstanceType = "m5.large" } },
        [(ReasonCodes.EnablementPermissionNotGranted, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("EKS Runtime Monitoring enablement permission not granted"),
        [(ReasonCodes.EnablementProvisioningInProgress, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("EKS Runtime Monitoring enablement resource provisioning in progress"),
        [(ReasonCodes.AuthorizationFailure, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Addon Creation Failed: Error due to authorization failure"),
        [(ReasonCodes.UnrecognizedIssue, FindingSource.GuardDuty)] = b =>
            b.GuardDutyIssue("Agent not reporting, for task(s) in TaskDefinition x"),
        [(ReasonCodes.UnrecognizedIssue, FindingSource.EksAddon)] = b => b.AddonIssue("", "something EKS says without a code"),

        [(ReasonCodes.AgentNamespaceMissing, FindingSource.Local)] = b =>
        {
            b.Namespace = null;
            b.DaemonSet = null;
            b.Pods = [];
        },
        [(ReasonCodes.AgentNamespaceMissing, FindingSource.EksAddon)] = b =>
        {
            b.Namespace = null;
            b.DaemonSet = null;
            b.Pods = [];
            b.AddonNotFound = true;
        },
        [(ReasonCodes.AgentDaemonSetMissing, FindingSource.Local)] = b =>
        {
            b.DaemonSet = null;
            b.Pods = [];
        },
        [(ReasonCodes.AgentDaemonSetMissing, FindingSource.EksAddon)] = b =>
        {
            b.DaemonSet = null;
            b.Pods = [];
            b.AddonNotFound = true;
        },
        [(ReasonCodes.PriorityClassMissing, FindingSource.Local)] = b => b.PriorityClass = null,
        [(ReasonCodes.AdmissionWebhookMayIntercept, FindingSource.Local)] = b =>
            b.Validating = [SnapshotBuilder.Golden<V1ValidatingWebhookConfiguration>("51-validatingwebhookconfiguration-get.json")],
        [(ReasonCodes.AgentImageRegistryUnexpected, FindingSource.Local)] = b =>
            b.DaemonSet!.Spec.Template.Spec.Containers[0].Image = "registry.example.com/mirror/aws-guardduty-agent:v1.17.1",
        [(ReasonCodes.AgentVersionBelowMinimum, FindingSource.Local)] = b =>
        {
            b.Target = b.Target with { MinimumVersion = "1.17.1" };
            b.DaemonSet!.Spec.Template.Spec.Containers[0].Image = "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.16.0";
            var coverage = SnapshotBuilder.HealthyCoverage();
            b.Coverage = coverage with { ResourceDetails = coverage.ResourceDetails! with { EksClusterDetails = coverage.ResourceDetails.EksClusterDetails! with { AddonDetails = null } } };
            b.Addon = null;
        },
        [(ReasonCodes.AgentVersionBelowMinimum, FindingSource.GuardDuty)] = b =>
        {
            b.Target = b.Target with { MinimumVersion = "1.17.1" };
            var coverage = SnapshotBuilder.HealthyCoverage();
            b.Coverage = coverage with
            {
                ResourceDetails = coverage.ResourceDetails! with
                {
                    EksClusterDetails = coverage.ResourceDetails.EksClusterDetails! with { AddonDetails = new AddonDetails { AddonVersion = "v1.12.2-eksbuild.2" } },
                },
            };
            b.Addon = null;
        },
        [(ReasonCodes.AgentVersionBelowMinimum, FindingSource.EksAddon)] = b =>
        {
            b.Target = b.Target with { MinimumVersion = "v1.17.1" };
            b.Addon = b.Addon! with { AddonVersion = "v1.15.0-eksbuild.2" };
        },
        [(ReasonCodes.GuardDutyCoverageNotFound, FindingSource.GuardDuty)] = b => b.Coverage = null,
        [(ReasonCodes.ManagementTypeMismatch, FindingSource.GuardDuty)] = b => b.Target = b.Target with { ExpectedManagementType = "MANUAL" },
        [(ReasonCodes.GuardDutyDataEndpointMissing, FindingSource.Ec2)] = b => b.Endpoints = [],

        // Catalog v2 (issue 9).
        [(ReasonCodes.NodesWithoutAgent, FindingSource.Local)] = b =>
        {
            b.WithNodes();
            b.Nodes!.Add(SnapshotBuilder.Node("ip-10-0-9-9.ec2.internal", labels: "    karpenter.sh/nodepool: gpu", spec: "  taints:\n  - {key: nvidia.com/gpu, value: \"true\", effect: NoSchedule}"));
        },
        [(ReasonCodes.NodesNotCoverable, FindingSource.Local)] = b =>
        {
            b.WithNodes();
            b.Nodes!.Add(SnapshotBuilder.Node("fargate-ip-10-0-5-5.ec2.internal", labels: "    eks.amazonaws.com/compute-type: fargate"));
            b.Nodes!.Add(SnapshotBuilder.Node("ip-10-0-6-6.ec2.internal", os: "windows"));
        },
        [(ReasonCodes.AgentKernelUnsupported, FindingSource.Local)] = b =>
        {
            b.WithNodes();
            b.Pods[0] = TerminatedPod("aws-guardduty-agent-a1", "ip-10-0-1-1.ec2.internal", "Error", "libbpf: failed to find valid kernel BTF\nlibbpf: failed to load BPF skeleton 'patrol_bpf': -3");
            b.DaemonSet!.Status.NumberAvailable = 2;
        },
        [(ReasonCodes.AgentOOMKilled, FindingSource.Local)] = b =>
        {
            b.WithNodes();
            b.Pods[1] = TerminatedPod("aws-guardduty-agent-b2", "ip-10-0-1-2.ec2.internal", "OOMKilled", null, exitCode: 137);
            b.DaemonSet!.Status.NumberAvailable = 2;
        },
        [(ReasonCodes.PodSecurityBlocksAgent, FindingSource.Local)] = b =>
        {
            b.Namespace!.Metadata.Labels["pod-security.kubernetes.io/enforce"] = "baseline";
            AgentNeeds(b.DaemonSet!);
        },
        [(ReasonCodes.AgentPodSpecMutated, FindingSource.Local)] = b =>
        {
            // A pod of the current template (generation 3) that a mutating policy rewrote on admission.
            b.Pods[2].Metadata.Labels["pod-template-generation"] = "3";
            b.Pods[2].Spec.Containers[0].SecurityContext = new V1SecurityContext { Capabilities = new V1Capabilities { Drop = ["ALL"] }, RunAsNonRoot = true };
        },
        [(ReasonCodes.ResourceQuotaBlocksAgent, FindingSource.Local)] = b =>
        {
            b.WithNodes();
            b.ResourceQuotas = [SnapshotBuilder.Yaml<V1ResourceQuota>("""
                apiVersion: v1
                kind: ResourceQuota
                metadata: {name: namespace-quota, namespace: amazon-guardduty}
                spec: {hard: {pods: "2"}}
                status: {hard: {pods: "2"}, used: {pods: "2"}}
                """)];
        },
        [(ReasonCodes.GitOpsOwnsAgentObjects, FindingSource.Local)] = b =>
            b.DaemonSet!.Metadata.Annotations = new Dictionary<string, string> { ["argocd.argoproj.io/tracking-id"] = "security:apps/DaemonSet:amazon-guardduty/aws-guardduty-agent" },
        [(ReasonCodes.NetworkPolicyBlocksAgent, FindingSource.Local)] = b =>
            b.NetworkPolicies = [SnapshotBuilder.Yaml<V1NetworkPolicy>("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: default-deny-egress, namespace: amazon-guardduty}
                spec:
                  podSelector: {}
                  policyTypes: [Egress]
                """)],
        [(ReasonCodes.AddonStuckInProgress, FindingSource.EksAddon)] = b =>
            b.Addon = b.Addon! with { Status = "UPDATING", ModifiedAt = SnapshotBuilder.Now.AddMinutes(-45) },
        [(ReasonCodes.GuardDutyFeatureMisconfigured, FindingSource.GuardDuty)] = b =>
            b.Detector = Detector(runtime: "DISABLED", addonManagement: "ENABLED"),
        [(ReasonCodes.CoverageHealthyButNodesUncovered, FindingSource.GuardDuty)] = b =>
        {
            var coverage = SnapshotBuilder.HealthyCoverage();
            b.Coverage = coverage with { ResourceDetails = coverage.ResourceDetails! with { EksClusterDetails = coverage.ResourceDetails.EksClusterDetails! with { CoveredNodes = 3, CompatibleNodes = 9 } } };
        },
        [(ReasonCodes.GuardDutyCoverageStale, FindingSource.GuardDuty)] = b =>
        {
            // Updated 30 h ago; the nodes joined 24 h ago, long enough for GuardDuty to have noticed.
            b.WithNodes();
            b.Coverage = SnapshotBuilder.HealthyCoverage() with { UpdatedAt = SnapshotBuilder.Now.AddHours(-30) };
        },
        [(ReasonCodes.DuplicateAgentOnNode, FindingSource.GuardDuty)] = b =>
        {
            b.WithNodes();
            b.Ec2Coverage = [Ec2Row("i-00000000000000002")];
        },
        [(ReasonCodes.VpcOwnedByAnotherAccount, FindingSource.Ec2)] = b => b.Vpc = new VpcInfo("vpc-0a1b2c3d4e5f60718", "999988887777"),
    };

    public static TheoryData<string, string> AllCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (reason, source) in Cases.Keys)
        {
            data.Add(reason, source.ToString());
        }

        return data;
    }

    [Fact]
    public void HealthyBaselineHasNoFindings()
    {
        var report = new SnapshotBuilder().Diagnose();
        Assert.Empty(report.Findings);
        Assert.Equal(Verdicts.Healthy, report.Coverage);
        Assert.All(report.Checks, c => Assert.Equal(ConditionStatus.True, c.Status));
    }

    [Fact]
    public void EveryCatalogRowIsTestedFromEverySourceThatCanSeeIt()
    {
        var expected = Catalog.Entries.SelectMany(e => e.Sources.Select(s => (Reason: e.Reason, Source: s))).ToHashSet();
        var missing = expected.Except(Cases.Keys).Select(c => $"{c.Reason}/{c.Source}").ToList();
        var extra = Cases.Keys.Except(expected).Select(c => $"{c.Reason}/{c.Source}").ToList();
        Assert.True(missing.Count == 0, "untested: " + string.Join(", ", missing));
        Assert.True(extra.Count == 0, "tested but not declared in the catalog: " + string.Join(", ", extra));
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void CatalogRowIsFoundFromSource(string reason, string source)
    {
        var builder = new SnapshotBuilder();
        Cases[(reason, Enum.Parse<FindingSource>(source))](builder);
        var report = builder.Diagnose();

        var entry = Catalog.Get(reason);
        var finding = Assert.Single(report.Findings, f => f.Reason == reason);
        Assert.Contains(source, finding.Sources);
        Assert.Equal(entry.Severity.ToString(), finding.Severity);
        Assert.Equal(entry.Check, finding.Check);
        Assert.NotEmpty(finding.Remediation);
        Assert.DoesNotContain(finding.Remediation, step => step.Contains("<cluster>", StringComparison.Ordinal) || step.Contains("<region>", StringComparison.Ordinal));
        Assert.False(string.IsNullOrWhiteSpace(finding.Message));

        // Only this cause (and no other) is reported, and each finding's reason is a catalog code.
        Assert.All(report.Findings, f => Assert.True(Catalog.Contains(f.Reason)));
        Assert.Single(report.Findings, f => f.Severity == "Error" || f.Reason == reason);

        // The finding's check reflects it when the check reads this source.
        var check = Assert.Single(report.Checks, c => c.Type == entry.Check);
        if (entry.Severity == Severity.Error && ReadsSource(entry.Check, source))
        {
            Assert.Equal(ConditionStatus.False, check.Status);
            Assert.Equal(reason, check.Reason);
        }

        if (entry.Severity == Severity.Error && source == nameof(FindingSource.Local))
        {
            Assert.Equal(Verdicts.Unhealthy, report.Local);
        }

        if (entry.Severity == Severity.Error)
        {
            Assert.Equal(Verdicts.Unhealthy, report.Coverage);
            Assert.NotEqual(ConditionStatus.True, report.Readiness.Ready);
        }
    }

    private static bool ReadsSource(string check, string source) => check switch
    {
        CheckTypes.GuardDutyCovered => source == "GuardDuty",
        CheckTypes.EksAddonHealthy => source == "EksAddon",
        CheckTypes.NetworkReady => source is "Ec2" or "GuardDuty" or "Local",
        _ => source == "Local",
    };

    [Fact]
    public void AGuardDutyStringIsTheSameFindingAsTheLocalCauseAndTheAddonIssue()
    {
        var builder = new SnapshotBuilder();
        Cases[(ReasonCodes.AgentPodsUnschedulable, FindingSource.Local)](builder);
        Cases[(ReasonCodes.AgentPodsUnschedulable, FindingSource.GuardDuty)](builder);
        Cases[(ReasonCodes.AgentPodsUnschedulable, FindingSource.EksAddon)](builder);
        var report = builder.Diagnose();

        var finding = Assert.Single(report.Findings);
        Assert.Equal(["Local", "GuardDuty", "EksAddon"], finding.Sources);
        Assert.Contains("preemptionPolicy Never", finding.Message);
        Assert.Contains("GuardDuty: Addon Status Unhealthy", finding.Message);
        Assert.Contains("EKS add-on issue InsufficientNumberOfReplicas", finding.Message);
        Assert.Equal(CrossCheckOutcomes.Agree, report.CrossCheck);
    }

    [Fact]
    public void RecordedFieldManagerConflictNamesTheManagerAndTheFieldAsTheApiServerDoes()
    {
        var builder = new SnapshotBuilder();
        Cases[(ReasonCodes.AgentImageFieldConflict, FindingSource.Local)](builder);
        var finding = Assert.Single(builder.Diagnose().Findings);

        // 43: the real apiserver's conflict for the same managedFields.
        var cause = SnapshotBuilder.GoldenResponse("43-daemonset-apply-eks-conflict.json")["body"]!["details"]!["causes"]![0]!;
        Assert.Contains((string)cause["field"]!, finding.Message);
        Assert.Contains("\"kubectl-edit\"", finding.Message);
        Assert.Equal("kubectl-edit", finding.Details!["manager"]);
        Assert.Equal("UpdateAddonOverwrite", finding.AutoFix);
        Assert.Contains(finding.Remediation, s => s.Contains("--resolve-conflicts OVERWRITE", StringComparison.Ordinal) && s.Contains("--cluster-name prod-eks-1", StringComparison.Ordinal) && s.Contains("--addon-version v1.17.1-eksbuild.2", StringComparison.Ordinal));
    }

    [Fact]
    public void ForcedReapplyByTheAddonClearsTheConflict()
    {
        var builder = new SnapshotBuilder();
        builder.DaemonSet!.Metadata.ManagedFields = SnapshotBuilder.Golden<V1DaemonSet>("44-daemonset-apply-eks-force.json").Metadata.ManagedFields;
        Assert.DoesNotContain(builder.Diagnose().Findings, f => f.Reason == ReasonCodes.AgentImageFieldConflict);
    }

    [Fact]
    public void MissingBindingGivesTheSeedYamlAndTheOptInFix()
    {
        var builder = new SnapshotBuilder();
        Cases[(ReasonCodes.AddonManagerForbidden, FindingSource.Local)](builder);
        var finding = Assert.Single(builder.Diagnose().Findings);
        Assert.Contains("ClusterRoleBinding eks:addon-cluster-admin does not exist", finding.Message);
        Assert.Contains("may not patch priorityclasses.scheduling.k8s.io \"aws-guardduty-agent.priorityclass\"", finding.Message);
        Assert.Contains(finding.Remediation, s => s.Contains(Catalog.AddonClusterAdminBindingYaml, StringComparison.Ordinal));
        Assert.Equal("CreateAddonClusterAdminBinding", finding.AutoFix);
    }

    [Fact]
    public void BindingToAnotherRoleIsReportedWhenNoAccessReviewRan()
    {
        var builder = new SnapshotBuilder { AccessReviews = null };
        var binding = SnapshotBuilder.Golden<V1ClusterRoleBinding>("48-clusterrolebinding-get.json");
        binding.RoleRef.Name = "view";
        builder.Bindings = [binding];
        var finding = Assert.Single(builder.Diagnose().Findings);
        Assert.Equal(ReasonCodes.AddonManagerForbidden, finding.Reason);
        Assert.Contains("roleRef is ClusterRole/view", finding.Message);
    }

    [Fact]
    public void AccessReviewsThatAllowOverrideAMissingBinding()
    {
        var builder = new SnapshotBuilder { Bindings = [] };
        var report = builder.Diagnose();
        Assert.Empty(report.Findings);
        var check = Assert.Single(report.Checks, c => c.Type == CheckTypes.AddonManagerAuthorized);
        Assert.Equal(ConditionStatus.True, check.Status);
        Assert.Contains("through other bindings", check.Message);
    }

    [Fact]
    public void LabelRequiredDenialNamesTheLabelInTheFix()
    {
        var builder = new SnapshotBuilder();
        Cases[(ReasonCodes.NamespaceOwnerLabelRequired, FindingSource.Local)](builder);
        var finding = Assert.Single(builder.Diagnose().Findings);
        Assert.Equal("owner", finding.Details!["label"]);
        Assert.Contains(finding.Remediation, s => s.StartsWith("Label the agent namespace before", StringComparison.Ordinal) && s.Contains("kubectl label namespace amazon-guardduty owner=<value>", StringComparison.Ordinal));
        Assert.Contains("webhook \"validation.gatekeeper.sh\"", finding.Remediation[1]);
    }

    [Fact]
    public void RegistryDenialListsBothAccountsOfTheRegion()
    {
        var builder = new SnapshotBuilder();
        Cases[(ReasonCodes.AgentImageRegistryNotAllowed, FindingSource.Local)](builder);
        var finding = Assert.Single(builder.Diagnose().Findings);
        Assert.Contains("602401143452.dkr.ecr.us-east-1.amazonaws.com, 031903291036.dkr.ecr.us-east-1.amazonaws.com", finding.Remediation[0]);
    }

    [Fact]
    public void UnschedulableRemediationUsesTheHighPriorityClassConfiguration()
    {
        var builder = new SnapshotBuilder();
        Cases[(ReasonCodes.AgentPodsUnschedulable, FindingSource.Local)](builder);
        var finding = Assert.Single(builder.Diagnose().Findings);
        Assert.Contains("--configuration-values '{\"priorityClassName\":\"aws-guardduty-agent.priorityclass-high\"}'", finding.Remediation[0]);
        Assert.Contains("kubectl describe pods -n amazon-guardduty -l name=aws-guardduty-agent", finding.Remediation[2]);
        Assert.Contains("1 of 3 agent pods cannot be scheduled (2/3 agent pods available)", finding.Message);
    }

    [Fact]
    public void CrashLoopMessageHasRestartsAndLastExit()
    {
        var builder = new SnapshotBuilder();
        Cases[(ReasonCodes.AgentPodsCrashLooping, FindingSource.Local)](builder);
        var finding = Assert.Single(builder.Diagnose().Findings);
        Assert.Contains("aws-guardduty-agent-a1: container aws-guardduty-agent restarted 12 times, last exit code 1 (Error)", finding.Message);
        Assert.Contains(finding.Remediation, s => s.Contains("com.amazonaws.us-east-1.guardduty-data", StringComparison.Ordinal));
    }

    [Fact]
    public void UnreachableWebhookThatFailsClosedIsADenial()
    {
        var builder = new SnapshotBuilder();
        var body = SnapshotBuilder.GoldenResponse("52-daemonset-patch-webhook-unreachable.json")["body"]!;
        builder.DaemonSetDryRun = DryRunResult.Rejected(builder.DaemonSetProbe, (int)body["code"]!, (string)body["message"]!, (string)body["reason"]!);
        var finding = Assert.Single(builder.Diagnose().Findings);
        Assert.Equal(ReasonCodes.AdmissionWebhookDenied, finding.Reason);
        Assert.Contains("cannot be reached", finding.Message);
        Assert.Equal("webhook \"validate.kyverno.svc-fail\"", finding.Details!["webhook"]);
    }

    [Fact]
    public void AConfirmedDenialReplacesTheStaticWarningForThatWebhook()
    {
        var builder = new SnapshotBuilder();
        Cases[(ReasonCodes.AdmissionWebhookMayIntercept, FindingSource.Local)](builder);
        Cases[(ReasonCodes.AdmissionWebhookDenied, FindingSource.Local)](builder);
        var finding = Assert.Single(builder.Diagnose().Findings);
        Assert.Equal(ReasonCodes.AdmissionWebhookDenied, finding.Reason);
        Assert.Equal("Error", finding.Severity);
    }

    [Fact]
    public void WebhookThatExcludesTheAgentNamespaceIsNotAWarning()
    {
        var builder = new SnapshotBuilder();
        var config = SnapshotBuilder.Golden<V1ValidatingWebhookConfiguration>("51-validatingwebhookconfiguration-get.json");
        config.Webhooks[0].NamespaceSelector = new V1LabelSelector
        {
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "kubernetes.io/metadata.name", OperatorProperty = "NotIn", Values = ["amazon-guardduty", "kube-system"] }],
        };
        builder.Validating = [config];
        Assert.Empty(builder.Diagnose().Findings);
    }

    [Fact]
    public void IgnoreFailurePolicyAndUnrelatedResourcesAreNotWarnings()
    {
        var builder = new SnapshotBuilder();
        var ignore = SnapshotBuilder.Golden<V1ValidatingWebhookConfiguration>("51-validatingwebhookconfiguration-get.json");
        ignore.Webhooks[0].FailurePolicy = "Ignore";
        var services = SnapshotBuilder.Golden<V1ValidatingWebhookConfiguration>("51-validatingwebhookconfiguration-get.json");
        services.Webhooks[0].Rules[0].ApiGroups = [""];
        services.Webhooks[0].Rules[0].Resources = ["services"];
        builder.Validating = [ignore, services];
        Assert.Empty(builder.Diagnose().Findings);
    }

    [Fact]
    public void GatekeeperMutatingWebhookOnNamespacesIsRecognisedByName()
    {
        var builder = new SnapshotBuilder();
        builder.Mutating = [SnapshotBuilder.Yaml<V1MutatingWebhookConfiguration>("""
            apiVersion: admissionregistration.k8s.io/v1
            kind: MutatingWebhookConfiguration
            metadata: {name: gatekeeper-mutating-webhook-configuration}
            webhooks:
            - name: mutation.gatekeeper.sh
              admissionReviewVersions: [v1]
              sideEffects: None
              clientConfig: {service: {name: gatekeeper-webhook-service, namespace: gatekeeper-system}}
              rules:
              - {operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"]}
              namespaceSelector:
                matchExpressions:
                - {key: admission.gatekeeper.sh/ignore, operator: DoesNotExist}
            """)];
        var finding = Assert.Single(builder.Diagnose().Findings);
        Assert.Equal(ReasonCodes.AdmissionWebhookMayIntercept, finding.Reason);
        Assert.Contains("(OPA Gatekeeper) on DaemonSet, Pod, Namespace, PriorityClass in amazon-guardduty", finding.Message);
        Assert.Equal("Warning", finding.Severity);
    }

    [Fact]
    public void DryRunRejectedWithoutAnAdmissionDecisionIsInconclusiveNotAFinding()
    {
        var builder = new SnapshotBuilder();
        builder.DaemonSetDryRun = DryRunResult.Rejected(builder.DaemonSetProbe, 403,
            "daemonsets.apps \"aws-guardduty-agent\" is forbidden: User \"system:serviceaccount:guardduty-coverage:operator\" cannot patch resource \"daemonsets\" in API group \"apps\" in the namespace \"amazon-guardduty\"", "Forbidden");
        var report = builder.Diagnose();
        Assert.Empty(report.Findings);
        var check = Assert.Single(report.Checks, c => c.Type == CheckTypes.AdmissionAllowed);
        Assert.Equal(ConditionStatus.Unknown, check.Status);
        Assert.Equal("DryRunInconclusive", check.Reason);
    }

    [Fact]
    public void DetectorFeaturesExplainAMissingCoverageRecord()
    {
        var builder = new SnapshotBuilder { Coverage = null, Target = new DiagnosisTarget { ClusterName = SnapshotBuilder.Cluster, Region = SnapshotBuilder.Region, ExpectedManagementType = "AUTO_MANAGED" } };
        builder.Detector = new GetDetectorResponse
        {
            Status = "ENABLED",
            Features =
            [
                new DetectorFeatureConfigurationResult
                {
                    Name = "RUNTIME_MONITORING",
                    Status = "ENABLED",
                    AdditionalConfiguration = [new DetectorAdditionalConfigurationResult { Name = "EKS_ADDON_MANAGEMENT", Status = "DISABLED" }],
                },
            ],
        };
        var report = builder.Diagnose();
        var notFound = Assert.Single(report.Findings, f => f.Reason == ReasonCodes.GuardDutyCoverageNotFound);
        Assert.Contains("EKS_ADDON_MANAGEMENT) is DISABLED", notFound.Message);
        Assert.Single(report.Findings, f => f.Reason == ReasonCodes.ManagementTypeMismatch);
        Assert.Equal(GuardDutyVerdicts.NotFound, report.GuardDuty.CoverageStatus);
    }

    [Fact]
    public void EndpointWithoutPrivateDnsIsReported()
    {
        var builder = new SnapshotBuilder();
        builder.Endpoints = [builder.Endpoints![0] with { PrivateDnsEnabled = false }];
        var finding = Assert.Single(builder.Diagnose().Findings);
        Assert.Equal(ReasonCodes.GuardDutyDataEndpointMissing, finding.Reason);
        Assert.Contains("private DNS disabled", finding.Message);
    }

    [Fact]
    public void TableKubernetesRangeDecidesCompatibility()
    {
        Assert.True(AgentVersions.SupportedKubernetes(new SemanticVersion(1, 17, 1))!.Contains(new SemanticVersion(1, 36, 2)));
        Assert.False(AgentVersions.SupportedKubernetes(new SemanticVersion(1, 17, 1))!.Contains(new SemanticVersion(1, 30, 0)));
        Assert.Equal("1.21 - 1.32", AgentVersions.SupportedKubernetes(new SemanticVersion(1, 8, 1))!.ToString());
        Assert.Null(AgentVersions.SupportedKubernetes(new SemanticVersion(1, 99, 0)));
        Assert.Equal(21, AgentVersions.Known.Count);
    }

    [Fact]
    public void RegistryTableHasBothAccountsWhereDocumented()
    {
        Assert.Equal(33, AgentRegistries.Regions.Count);
        Assert.Equal(["602401143452.dkr.ecr.eu-central-1.amazonaws.com", "409493279830.dkr.ecr.eu-central-1.amazonaws.com"], AgentRegistries.For("eu-central-1"));
        Assert.Equal(["761377655185.dkr.ecr.ca-west-1.amazonaws.com"], AgentRegistries.For("ca-west-1"));
        Assert.Empty(AgentRegistries.For("cn-north-1"));
        Assert.Empty(AgentRegistries.For(null));
    }

    [Fact]
    public void CatalogCodesAreUniqueAndEveryCheckHasRows()
    {
        Assert.Equal(Catalog.Entries.Count, Catalog.Entries.Select(e => e.Reason).Distinct().Count());
        // A row is a check's, or (the operator's own state, seen by no source) only a reason of Ready.
        Assert.All(Catalog.Entries, e => Assert.True(
            CheckTypes.All.Contains(e.Check) || (e.Check == Catalog.ReadinessOnlyCheck && e.Sources.Count == 0),
            $"{e.Reason}: check {e.Check}"));
        Assert.Equal([ReasonCodes.ClusterViewStale], Catalog.Entries.Where(e => e.Check == Catalog.ReadinessOnlyCheck).Select(e => e.Reason));
        Assert.All(CheckTypes.All, c => Assert.Contains(Catalog.Entries, e => e.Check == c));
        Assert.All(Catalog.Entries, e => Assert.NotEmpty(e.Steps));
    }

    [Fact]
    public void CatalogMatchesTheReasonCodesOfCatalogMd()
    {
        var markdown = File.ReadAllText(RepoPaths.TestData("reference", "CATALOG.md"));
        var documented = System.Text.RegularExpressions.Regex.Matches(markdown, @"^\| `([A-Za-z]+)` \|", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).Except(Enum.GetNames<FindingSource>()).ToHashSet();
        Assert.Equal(28, documented.Count);
        Assert.Subset(Catalog.Entries.Select(e => e.Reason).ToHashSet(), documented);
        Assert.Equal([ReasonCodes.GuardDutyDataEndpointMissing, ReasonCodes.ClusterViewStale, .. CatalogV2Codes], Catalog.Entries.Select(e => e.Reason).Except(documented));
    }

    /// <summary>An agent pod whose container last terminated (OOMKilled, or Error with a termination message) and now waits in CrashLoopBackOff.</summary>
    internal static V1Pod TerminatedPod(string name, string node, string reason, string? message, int exitCode = 1)
    {
        var pod = SnapshotBuilder.WaitingPod(name, "CrashLoopBackOff", "back-off 5m0s restarting failed container", restarts: 6, lastExit: exitCode);
        pod.Spec.NodeName = node;
        var last = pod.Status.ContainerStatuses[0].LastState.Terminated;
        last.Reason = reason;
        last.Message = message;
        last.FinishedAt = SnapshotBuilder.Now.AddMinutes(-3).UtcDateTime;
        return pod;
    }

    /// <summary>What the real agent's template holds (AWS workshop, v1.1.0): host mounts and two capabilities baseline forbids.</summary>
    internal static void AgentNeeds(V1DaemonSet daemonSet)
    {
        var spec = daemonSet.Spec.Template.Spec;
        spec.Volumes = [new V1Volume { Name = "host-proc", HostPath = new V1HostPathVolumeSource { Path = "/proc" } }];
        spec.Containers[0].SecurityContext = new V1SecurityContext { AllowPrivilegeEscalation = false, Capabilities = new V1Capabilities { Add = ["SYS_PTRACE", "SYS_ADMIN"] } };
    }

    internal static GetDetectorResponse Detector(string runtime, string addonManagement, string? legacy = null, string? legacyAddonManagement = null)
    {
        var features = new List<DetectorFeatureConfigurationResult>
        {
            new() { Name = "RUNTIME_MONITORING", Status = runtime, AdditionalConfiguration = [new DetectorAdditionalConfigurationResult { Name = "EKS_ADDON_MANAGEMENT", Status = addonManagement }] },
        };
        if (legacy is not null)
        {
            features.Add(new() { Name = "EKS_RUNTIME_MONITORING", Status = legacy, AdditionalConfiguration = [new DetectorAdditionalConfigurationResult { Name = "EKS_ADDON_MANAGEMENT", Status = legacyAddonManagement ?? addonManagement }] });
        }

        return new GetDetectorResponse { Status = "ENABLED", Features = features };
    }

    internal static CoverageResource Ec2Row(string instanceId) => new()
    {
        ResourceId = instanceId,
        AccountId = "111122223333",
        CoverageStatus = "HEALTHY",
        ResourceDetails = new CoverageResourceDetails
        {
            ResourceType = "EC2",
            Ec2InstanceDetails = new CoverageEc2InstanceDetails { InstanceId = instanceId, ManagementType = "AUTO_MANAGED", AgentDetails = new AgentDetails { Version = "1.0.0" } },
        },
    };

    /// <summary>The codes of issue 9 (catalog v2), beyond CATALOG.md, in catalog order.</summary>
    internal static readonly string[] CatalogV2Codes =
    [
        ReasonCodes.NodesWithoutAgent, ReasonCodes.NodesNotCoverable, ReasonCodes.AgentKernelUnsupported, ReasonCodes.AgentOOMKilled,
        ReasonCodes.PodSecurityBlocksAgent, ReasonCodes.AgentPodSpecMutated, ReasonCodes.ResourceQuotaBlocksAgent, ReasonCodes.GitOpsOwnsAgentObjects,
        ReasonCodes.NetworkPolicyBlocksAgent, ReasonCodes.AddonStuckInProgress, ReasonCodes.GuardDutyFeatureMisconfigured,
        ReasonCodes.CoverageHealthyButNodesUncovered, ReasonCodes.GuardDutyCoverageStale, ReasonCodes.DuplicateAgentOnNode, ReasonCodes.VpcOwnedByAnotherAccount,
    ];
}
