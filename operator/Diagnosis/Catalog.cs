using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>A fix the operator may apply on its own, only when <c>spec.remediation.mode: Apply</c> opts in.</summary>
public enum AutoFix
{
    None,

    /// <summary>Creates the <c>eks:addon-cluster-admin</c> ClusterRoleBinding (<see cref="Catalog.AddonClusterAdminBindingYaml"/>).</summary>
    CreateAddonClusterAdminBinding,

    /// <summary>Adds the label an admission policy requires to the agent namespace.</summary>
    LabelAgentNamespace,

    /// <summary>EKS UpdateAddon with <c>resolveConflicts=OVERWRITE</c>: needs AWS write access as well as the opt-in.</summary>
    UpdateAddonOverwrite,
}

/// <summary>One root cause: one row of CATALOG.md.</summary>
/// <param name="Reason">The stable reason code.</param>
/// <param name="Check">The check (condition type) the cause belongs to: one of <see cref="CheckTypes"/>.</param>
/// <param name="Sources">Every source that can see the cause.</param>
/// <param name="GuardDutyIssue">How GuardDuty phrases it (documented shape), for people; null when GuardDuty does not report it.</param>
/// <param name="AddonIssueCodes">The EKS <c>AddonIssue.code</c> values it surfaces as.</param>
/// <param name="Summary">One line: what is wrong.</param>
/// <param name="Steps">Recommended steps, with placeholders filled by <see cref="RemediationContext"/>.</param>
/// <param name="AutoFix">The safe automatic fix, if any.</param>
public sealed record CatalogEntry(
    string Reason,
    Severity Severity,
    string Check,
    IReadOnlyList<FindingSource> Sources,
    string? GuardDutyIssue,
    IReadOnlyList<string> AddonIssueCodes,
    string Summary,
    IReadOnlyList<string> Steps,
    AutoFix AutoFix = AutoFix.None)
{
    public bool LocallyDetectable => Sources.Contains(FindingSource.Local);
}

/// <summary>An issue type of GuardDuty (whitespace removed, lower-cased) and what its extra information must match.</summary>
public sealed record IssueTypeRule(string Reason, IReadOnlyList<string> NormalizedTypes, Regex? ExtraInformation);

/// <summary>An EKS add-on issue code and what its message must match (null: anything).</summary>
public sealed record AddonIssueRule(string Reason, string Code, Regex? Message);

/// <summary>
/// The root-cause catalog as one table of data. Adding a root cause is one row here (plus its matching rule when
/// GuardDuty or EKS phrase it) and one test.
/// </summary>
public static class Catalog
{
    public const string AddonName = "aws-guardduty-agent";
    public const string AgentContainerName = "aws-guardduty-agent";
    public const string AddonManagerUser = "eks:addon-manager";
    public const string AddonClusterAdminBinding = "eks:addon-cluster-admin";
    public const string AddonFieldManager = "eks";
    public const string HighPriorityClassName = "aws-guardduty-agent.priorityclass-high";
    public const string TroubleshootingUrl = "https://docs.aws.amazon.com/guardduty/latest/ug/eks-runtime-monitoring-coverage.html";

    public const string AddonClusterAdminBindingYaml = """
        kind: ClusterRoleBinding
        apiVersion: rbac.authorization.k8s.io/v1
        metadata:
          name: eks:addon-cluster-admin
        subjects:
        - kind: User
          name: eks:addon-manager
          apiGroup: rbac.authorization.k8s.io
        roleRef:
          kind: ClusterRole
          name: cluster-admin
          apiGroup: rbac.authorization.k8s.io
        """;

    private const string UpdateAddonOverwrite =
        "aws eks update-addon --region {region} --cluster-name {cluster} --addon-name aws-guardduty-agent{addonVersionArg} --resolve-conflicts OVERWRITE";

    private const string ToggleRuntimeMonitoring =
        "Turn EKS Runtime Monitoring off and on again (GuardDuty console > Runtime Monitoring, or aws guardduty update-detector --region {region} --detector-id <id> --features ...), then make sure the agent gets deployed: kubectl get daemonset -n {namespace} {daemonSet}";

    private static readonly FindingSource[] LocalOnly = [FindingSource.Local];
    private static readonly FindingSource[] GuardDutyOnly = [FindingSource.GuardDuty];
    private static readonly FindingSource[] LocalGuardDutyEks = [FindingSource.Local, FindingSource.GuardDuty, FindingSource.EksAddon];
    private static readonly FindingSource[] GuardDutyEks = [FindingSource.GuardDuty, FindingSource.EksAddon];
    private static readonly FindingSource[] GuardDutyEc2 = [FindingSource.GuardDuty, FindingSource.Ec2];
    private static readonly string[] Replicas = ["InsufficientNumberOfReplicas"];

    /// <summary>Every row, in CATALOG.md order (then the proposed additions).</summary>
    public static IReadOnlyList<CatalogEntry> Entries { get; } =
    [
        new(ReasonCodes.AddonIncompatibleClusterVersion, Severity.Error, CheckTypes.AgentConfigurationValid, LocalGuardDutyEks,
            "Addon Creation Failed: Addon aws-guardduty-agent is not compatible with current cluster version of cluster <name>. Addon specified is not supported.",
            [],
            "The agent version does not support the cluster's Kubernetes version.",
            [
                "Upgrade the cluster to a Kubernetes version the aws-guardduty-agent add-on supports, or use an add-on version that supports this one: aws eks describe-addon-versions --region {region} --addon-name aws-guardduty-agent --kubernetes-version <version>",
            ]),
        new(ReasonCodes.AgentPodsUnschedulable, Severity.Error, CheckTypes.AgentReady, LocalGuardDutyEks,
            "Addon Status Unhealthy: EKS Addon issue - InsufficientNumberOfReplicas: ... one or more pods is not scheduled 0/x nodes are available: ... preemption: not eligible due to preemptionPolicy=Never",
            Replicas,
            "Agent pods cannot be scheduled.",
            [
                "Give the agent a priority class that may preempt: aws eks update-addon --region {region} --cluster-name {cluster} --addon-name aws-guardduty-agent --configuration-values '{\"priorityClassName\":\"aws-guardduty-agent.priorityclass-high\"}' --resolve-conflicts OVERWRITE",
                "Or add node capacity (CPU, memory, pods per node) so every node has room for the agent.",
                "kubectl describe pods -n {namespace} -l {podSelector}",
            ]),
        new(ReasonCodes.AgentPodsCrashLooping, Severity.Error, CheckTypes.AgentReady, LocalGuardDutyEks,
            "... InsufficientNumberOfReplicas: ... one or more pods have waiting containers CrashLoopBackOff: Completed|Error",
            Replicas,
            "Agent containers keep crashing.",
            [
                "Read the agent's logs: kubectl logs -n {namespace} daemonset/{daemonSet} --previous",
                "Check that Runtime Monitoring is enabled for the account and that the nodes meet the prerequisites (OS, kernel with BTF, Kubernetes version).",
                "Check that the VPC endpoint com.amazonaws.{region}.guardduty-data exists in the cluster's VPC: aws ec2 describe-vpc-endpoints --region {region} --filters Name=service-name,Values=com.amazonaws.{region}.guardduty-data",
                "Check that guardduty-data.{region}.amazonaws.com resolves to private addresses from a node or pod: nslookup guardduty-data.{region}.amazonaws.com",
                "Check that no SCP or VPC endpoint policy denies guardduty:SendSecurityTelemetry.",
            ]),
        new(ReasonCodes.AgentImagePullFailed, Severity.Error, CheckTypes.AgentReady, LocalGuardDutyEks,
            "(surfaces as InsufficientNumberOfReplicas)",
            Replicas,
            "Agent image cannot be pulled.",
            [
                "Check the nodes' network path to the region's agent registries: {registries}",
                "With private subnets, check the ECR VPC endpoints (com.amazonaws.{region}.ecr.api, com.amazonaws.{region}.ecr.dkr) and the S3 gateway endpoint.",
                "kubectl describe pods -n {namespace} -l {podSelector}",
            ]),
        new(ReasonCodes.AgentPodsNotReady, Severity.Error, CheckTypes.AgentReady, LocalGuardDutyEks,
            "... InsufficientNumberOfReplicas: The add-on is unhealthy because it doesn't have the desired number of replicas.",
            Replicas,
            "Fewer agent pods are available than desired.",
            [
                "Find the cause on the pods: kubectl describe pods -n {namespace} -l {podSelector}",
                "After fixing it, retry the add-on update: " + UpdateAddonOverwrite,
                "If it persists, validate the VPC endpoint configuration: aws ec2 describe-vpc-endpoints --region {region} --filters Name=service-name,Values=com.amazonaws.{region}.guardduty-data",
            ]),
        new(ReasonCodes.AdmissionWebhookDenied, Severity.Error, CheckTypes.AdmissionAllowed, LocalGuardDutyEks,
            "... EKS Addon issue - AdmissionRequestDenied: admission webhook \"validate.kyverno.svc-fail\" denied the request: policy DaemonSet/amazon-guardduty/aws-guardduty-agent ...",
            ["AdmissionRequestDenied", "AccessDenied"],
            "An admission webhook denies the add-on's requests.",
            [
                "The cluster's security admin reviews the policy behind {webhook}.",
                "Disable that webhook or policy, or let it accept requests from Amazon EKS: exclude namespace {namespace} (for example with a namespaceSelector on kubernetes.io/metadata.name), or the user eks:addon-manager.",
                "Then retry the add-on update: " + UpdateAddonOverwrite,
            ]),
        new(ReasonCodes.AgentImageFieldConflict, Severity.Error, CheckTypes.AgentConfigurationValid, LocalGuardDutyEks,
            "... EKS Addon issue - ConfigurationConflict: Conflicts found when trying to apply. Will not continue due to resolve conflicts mode. Conflicts: DaemonSet.apps aws-guardduty-agent - .spec.template.spec.containers[name=\"aws-guardduty-agent\"].image",
            ["ConfigurationConflict"],
            "Someone changed fields the add-on manages; EKS will not overwrite them.",
            [
                "Restore the add-on's configuration (this overwrites direct Kubernetes-API edits of {field}): " + UpdateAddonOverwrite,
                "Or remove and reinstall the add-on: aws eks delete-addon --region {region} --cluster-name {cluster} --addon-name aws-guardduty-agent, then aws eks create-addon --region {region} --cluster-name {cluster} --addon-name aws-guardduty-agent",
            ],
            AutoFix.UpdateAddonOverwrite),
        new(ReasonCodes.AddonManagerForbidden, Severity.Error, CheckTypes.AddonManagerAuthorized, LocalGuardDutyEks,
            "... EKS Addon issue - AccessDenied: priorityclasses.scheduling.k8s.io \"aws-guardduty-agent.priorityclass\" is forbidden: User \"eks:addon-manager\" cannot patch resource \"priorityclasses\" ...",
            ["AccessDenied"],
            "EKS's add-on manager is not allowed to manage the agent's objects.",
            [
                "Restore the eks:addon-cluster-admin ClusterRoleBinding:\nkubectl apply -f - <<'EOF'\n" + AddonClusterAdminBindingYaml + "\nEOF",
                "Verify: kubectl auth can-i patch priorityclasses.scheduling.k8s.io --as eks:addon-manager",
            ],
            AutoFix.CreateAddonClusterAdminBinding),
        new(ReasonCodes.NamespaceOwnerLabelRequired, Severity.Error, CheckTypes.AdmissionAllowed, LocalGuardDutyEks,
            "... EKS Addon issue - AccessDenied: admission webhook \"validation.gatekeeper.sh\" denied the request: [all-namespace-must-have-label-owner] All namespaces must have an owner label",
            ["AccessDenied", "AdmissionRequestDenied"],
            "An admission policy requires a label the agent namespace does not have.",
            [
                "Label the agent namespace before the add-on is created or updated: kubectl label namespace {namespace} {label}=<value>",
                "Or disable the policy behind {webhook}, or let it accept requests from Amazon EKS.",
            ],
            AutoFix.LabelAgentNamespace),
        new(ReasonCodes.AgentImageRegistryNotAllowed, Severity.Error, CheckTypes.AdmissionAllowed, LocalGuardDutyEks,
            "... EKS Addon issue - AccessDenied: admission webhook \"validation.gatekeeper.sh\" denied the request: [allowed-container-registries] container <aws-guardduty-agent> has an invalid image registry",
            ["AccessDenied", "AdmissionRequestDenied"],
            "An admission policy does not allow the agent's image registry.",
            [
                "Allow the region's GuardDuty agent registries (both accounts) in the policy behind {webhook}: {registries}",
            ]),
        new(ReasonCodes.AddonIssueOther, Severity.Error, CheckTypes.EksAddonHealthy, GuardDutyEks,
            "... EKS Addon issue - <InternalFailure|ClusterUnreachable|UnsupportedAddonModification|K8sResourceNotFound|AddonSubscriptionNeeded|AddonPermissionFailure>: ...",
            ["InternalFailure", "ClusterUnreachable", "UnsupportedAddonModification", "K8sResourceNotFound", "AddonSubscriptionNeeded", "AddonPermissionFailure"],
            "EKS reports another add-on issue.",
            [
                "Act on the add-on issue as EKS states it (message above); inspect it with: aws eks describe-addon --region {region} --cluster-name {cluster} --addon-name aws-guardduty-agent",
                "See " + TroubleshootingUrl,
            ]),
        new(ReasonCodes.VpcEndpointSharedVpcUnsupported, Severity.Error, CheckTypes.NetworkReady, GuardDutyOnly,
            "VPC Endpoint Creation Failed: VPC endpoint creation not supported for shared VPC <vpcId>",
            [],
            "GuardDuty cannot create its VPC endpoint in this shared VPC.",
            [
                "Shared VPCs are supported inside an AWS Organization: meet the shared-VPC prerequisites for GuardDuty Runtime Monitoring (owner and participant accounts in the same organization, Runtime Monitoring enabled in the owner account).",
            ]),
        new(ReasonCodes.VpcEndpointSharedVpcOwnerNotEnabled, Severity.Error, CheckTypes.NetworkReady, GuardDutyOnly,
            "VPC Endpoint Creation Failed: Owner account ID <id> for shared VPC <vpcId> doesn't have either Runtime Monitoring, automated agent configuration, or both, enabled.",
            [],
            "The shared VPC's owner account has not enabled Runtime Monitoring with automated agent configuration.",
            [
                "In the VPC owner account, enable Runtime Monitoring and automated agent configuration for at least one resource type (EKS or ECS-Fargate).",
            ]),
        new(ReasonCodes.VpcDnsAttributesDisabled, Severity.Error, CheckTypes.NetworkReady, GuardDutyEc2,
            "VPC Endpoint Creation Failed: Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for <vpcId> ...",
            [],
            "The VPC's DNS attributes prevent the private DNS of GuardDuty's endpoint.",
            [
                "aws ec2 modify-vpc-attribute --region {region} --vpc-id {vpcId} --enable-dns-support \"{\\\"Value\\\":true}\"",
                "aws ec2 modify-vpc-attribute --region {region} --vpc-id {vpcId} --enable-dns-hostnames \"{\\\"Value\\\":true}\"",
            ]),
        new(ReasonCodes.SharedVpcEndpointDeletionNotAllowed, Severity.Error, CheckTypes.NetworkReady, GuardDutyOnly,
            "Shared VPC Endpoint Deletion Failed: Shared VPC endpoint deletion not allowed for account ID <id>, shared VPC <vpcId>, owner account ID <id>.",
            [],
            "A participant account cannot delete the shared VPC's GuardDuty endpoint.",
            [
                "Only the VPC owner account can remove it: the owner disables Runtime Monitoring or automated agent configuration.",
            ]),
        new(ReasonCodes.LocalOutpostCluster, Severity.Error, CheckTypes.EksAddonHealthy, GuardDutyEks,
            "Local EKS clusters: EKS addons are not supported on local outpost clusters.",
            [],
            "EKS add-ons are not supported on local clusters on AWS Outposts.",
            [
                "Not actionable: GuardDuty cannot cover local Outposts clusters. Exclude the cluster (EKS tag GuardDutyManaged=false) to stop the report.",
            ]),
        new(ReasonCodes.EnablementPermissionNotGranted, Severity.Error, CheckTypes.GuardDutyCovered, GuardDutyOnly,
            "EKS Runtime Monitoring enablement permission not granted[: ...]",
            [],
            "GuardDuty was not permitted to enable EKS Runtime Monitoring for the cluster.",
            [
                "Fix the cause GuardDuty names in the extra information, if any.",
                ToggleRuntimeMonitoring,
            ]),
        new(ReasonCodes.EnablementProvisioningInProgress, Severity.Info, CheckTypes.GuardDutyCovered, GuardDutyOnly,
            "EKS Runtime Monitoring enablement resource provisioning in progress[: ...]",
            [],
            "GuardDuty is still provisioning Runtime Monitoring for the cluster (progress, not failure).",
            [
                "Not actionable: wait. GuardDuty re-checks the coverage status periodically.",
            ]),
        new(ReasonCodes.AuthorizationFailure, Severity.Error, CheckTypes.GuardDutyCovered, GuardDutyOnly,
            "<any issue type>: Error due to authorization failure",
            [],
            "GuardDuty hit an authorization failure.",
            [
                ToggleRuntimeMonitoring,
            ]),
        new(ReasonCodes.UnrecognizedIssue, Severity.Error, CheckTypes.GuardDutyCovered, GuardDutyEks,
            "anything else",
            [],
            "GuardDuty or EKS reports an issue this catalog does not know.",
            [
                "Read the issue as reported (message above) and see " + TroubleshootingUrl,
            ]),
        new(ReasonCodes.AgentNamespaceMissing, Severity.Error, CheckTypes.AgentReady, [FindingSource.Local, FindingSource.EksAddon],
            null,
            [],
            "The agent namespace does not exist: the add-on is not installed (yet).",
            [
                "With automated agent configuration: wait for GuardDuty to deploy the add-on, and check the cluster's GuardDutyManaged tag: aws eks describe-cluster --region {region} --name {cluster} --query cluster.tags",
                "With manual agent management: aws eks create-addon --region {region} --cluster-name {cluster} --addon-name aws-guardduty-agent",
            ]),
        new(ReasonCodes.AgentDaemonSetMissing, Severity.Error, CheckTypes.AgentReady, [FindingSource.Local, FindingSource.EksAddon],
            null,
            [],
            "The agent DaemonSet does not exist: nothing is covered.",
            [
                "With automated agent configuration: wait for GuardDuty to deploy the add-on, and check the cluster's GuardDutyManaged tag: aws eks describe-cluster --region {region} --name {cluster} --query cluster.tags",
                "With manual agent management: aws eks create-addon --region {region} --cluster-name {cluster} --addon-name aws-guardduty-agent (or " + UpdateAddonOverwrite + " when the add-on exists)",
            ]),
        new(ReasonCodes.PriorityClassMissing, Severity.Error, CheckTypes.PriorityClassReady, LocalOnly,
            null,
            [],
            "The agent's PriorityClass does not exist: new agent pods are rejected and add-on updates fail.",
            [
                "Restore it by updating or reinstalling the add-on: " + UpdateAddonOverwrite,
            ]),
        new(ReasonCodes.AdmissionWebhookMayIntercept, Severity.Warning, CheckTypes.AdmissionAllowed, LocalOnly,
            null,
            [],
            "An admission webhook that fails closed intercepts the add-on's objects; the next add-on update may be denied.",
            [
                "Exclude namespace {namespace} from {webhook} (namespaceSelector on kubernetes.io/metadata.name), or make its policies accept requests from Amazon EKS (user eks:addon-manager).",
            ]),
        new(ReasonCodes.AgentImageRegistryUnexpected, Severity.Warning, CheckTypes.AgentConfigurationValid, LocalOnly,
            null,
            [],
            "The agent image does not come from the region's GuardDuty registries: tampered or mirrored; registry policies may block updates.",
            [
                "Restore the add-on's image: " + UpdateAddonOverwrite,
                "The region's agent registries are: {registries}",
            ],
            AutoFix.UpdateAddonOverwrite),
        new(ReasonCodes.AgentVersionBelowMinimum, Severity.Error, CheckTypes.AgentConfigurationValid, LocalGuardDutyEks,
            null,
            [],
            "The agent is older than spec.agent.minimumVersion.",
            [
                "Update the add-on: aws eks update-addon --region {region} --cluster-name {cluster} --addon-name aws-guardduty-agent --addon-version <version at least {minimumVersion}>",
                "List the versions for this cluster: aws eks describe-addon-versions --region {region} --addon-name aws-guardduty-agent --kubernetes-version <cluster version>",
            ]),
        new(ReasonCodes.GuardDutyCoverageNotFound, Severity.Error, CheckTypes.GuardDutyCovered, GuardDutyOnly,
            null,
            [],
            "GuardDuty has no coverage record for the cluster: it is not covered.",
            [
                "Enable EKS Runtime Monitoring (with automated agent configuration, or install the add-on yourself): aws guardduty get-detector --region {region} --detector-id <id> --query Features",
                "Check the cluster's inclusion/exclusion tag GuardDutyManaged (tag sync can take time): aws eks describe-cluster --region {region} --name {cluster} --query cluster.tags",
            ]),
        new(ReasonCodes.ManagementTypeMismatch, Severity.Warning, CheckTypes.GuardDutyCovered, GuardDutyOnly,
            null,
            [],
            "GuardDuty manages the agent differently than declared (spec.expectedManagementType).",
            [
                "Change GuardDuty's automated agent configuration (EKS_ADDON_MANAGEMENT) or the declaration spec.expectedManagementType.",
            ]),
        new(ReasonCodes.GuardDutyDataEndpointMissing, Severity.Error, CheckTypes.NetworkReady, [FindingSource.Ec2],
            null,
            [],
            "The cluster's VPC has no usable GuardDuty data endpoint: the agent cannot send telemetry.",
            [
                "With automated agent configuration GuardDuty creates it: check the detector's EKS_ADDON_MANAGEMENT and the GuardDuty issue. Manually: aws ec2 create-vpc-endpoint --region {region} --vpc-id {vpcId} --vpc-endpoint-type Interface --service-name com.amazonaws.{region}.guardduty-data --private-dns-enabled --subnet-ids <subnets> --security-group-ids <sg allowing TCP 443 from the VPC CIDR>",
            ]),

        // The operator's own state, not the cluster's: the reason of Ready=Unknown, never a finding, seen by no source.
        new(ReasonCodes.ClusterViewStale, Severity.Warning, ReadinessOnlyCheck, [],
            null,
            [],
            "The operator's view of the cluster is stale: an informer it diagnoses from has not been current for longer than --cluster-view-stale-after.",
            [
                "See which informer and why: the Ready message names each one with the time and the last error; the operator's /readyz says the same (kubectl exec -n <operator namespace> deploy/guardduty-coverage-operator -- wget -qO- 'http://localhost:8081/readyz?verbose' or port-forward it), and informer_last_sync_age_seconds on /metrics counts the seconds.",
                "Make the API server reachable from the operator and let it list and watch what rbac.md grants: kubectl logs -n <operator namespace> deploy/guardduty-coverage-operator | grep -E 'failed|not current'; kubectl auth can-i watch clusterrolebindings --as=system:serviceaccount:<operator namespace>:guardduty-coverage-operator",
                "Nothing to fix in the agent: once the informers are current again the operator re-checks every GuardDutyCoverage by itself.",
            ]),
    ];

    /// <summary>The check of catalog rows that are reasons of the Ready condition only (the operator's own state).</summary>
    public const string ReadinessOnlyCheck = "Ready";

    private static readonly FrozenDictionary<string, CatalogEntry> ByReason = Entries.ToFrozenDictionary(e => e.Reason, StringComparer.Ordinal);

    public static CatalogEntry Get(string reason) =>
        ByReason.TryGetValue(reason, out var entry) ? entry : throw new KeyNotFoundException($"reason {reason} is not in the catalog");

    public static bool Contains(string reason) => ByReason.ContainsKey(reason);

    // Issue strings come from outside: the non-backtracking engine matches in linear time whatever the input.
    private const RegexOptions Matching = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking;
    private static readonly TimeSpan RegexBudget = TimeSpan.FromSeconds(1);

    private static Regex Rx(string pattern) => new(pattern, Matching, RegexBudget);

    /// <summary>The add-on issue types GuardDuty uses (normalized), in all documented spellings.</summary>
    public static IReadOnlyList<string> AddonIssueTypes { get; } =
        ["addoncreationfailed", "addonupdatefailed", "addonupdationfailed", "addonstatusunhealthy"];

    /// <summary>GuardDuty issue types without an add-on issue code, in match order (first match wins).</summary>
    public static IReadOnlyList<IssueTypeRule> IssueTypeRules { get; } =
    [
        new(ReasonCodes.AddonIncompatibleClusterVersion, AddonIssueTypes, Rx(@"not\s*compatible\s*with\s*(the\s*)?current\s*cluster\s*version")),
        new(ReasonCodes.VpcEndpointSharedVpcOwnerNotEnabled, ["vpcendpointcreationfailed"], Rx(@"owner\s*account\s*id.*shared\s*vpc")),
        new(ReasonCodes.VpcEndpointSharedVpcUnsupported, ["vpcendpointcreationfailed"], Rx(@"not\s*supported\s*for\s*shared\s*vpc")),
        new(ReasonCodes.VpcDnsAttributesDisabled, ["vpcendpointcreationfailed"], Rx(@"enable\s*dns\s*(support|hostnames)|private\s*dns")),
        new(ReasonCodes.SharedVpcEndpointDeletionNotAllowed, ["sharedvpcendpointdeletionfailed"], null),
        new(ReasonCodes.LocalOutpostCluster, ["localeksclusters"], null),
        new(ReasonCodes.EnablementPermissionNotGranted, ["eksruntimemonitoringenablementpermissionnotgranted"], null),
        new(ReasonCodes.EnablementProvisioningInProgress, ["eksruntimemonitoringenablementresourceprovisioninginprogress"], null),
    ];

    /// <summary>The catch-all row: any issue type whose extra information says this.</summary>
    public static Regex AuthorizationFailurePattern { get; } = Rx(@"error\s*due\s*to\s*authori[sz]ation\s*failure");

    /// <summary><c>EKS Addon issue - &lt;Code&gt;: &lt;message&gt;</c> in any documented spelling.</summary>
    public static Regex AddonIssuePattern { get; } = Rx(@"EKS\s*Addon\s*Issue\s*-\s*([A-Za-z0-9]+)\s*(?::\s*(.*))?$");

    private static readonly Regex AdmissionDenial = Rx(@"admission\s*webhook.*denied|denied\s*the\s*request|admission\s*policy.*denied|admission\s*webhook.*failed\s*calling|failed\s*calling\s*webhook");
    private static readonly Regex RegistryDenial = Rx(@"invalid\s*image\s*(registry|repo)|allowed[-\s]*container[-\s]*registr|allowed\s*repos|registry\s*(is\s*)?not\s*allowed|not\s*an?\s*allowed\s*registry|untrusted\s*registry");
    private static readonly Regex LabelDenial = Rx(@"(admission\s*webhook|admission\s*policy|denied).*\blabels?\b|must[-\s]*have[-\s]*label");
    private static readonly Regex NamespaceLabelDenial = Rx(@"namespaces?\b.*\blabels?\b|\blabels?\b.*\bnamespaces?\b");

    /// <summary>Add-on issue codes and messages, in match order (first match wins). Local dry-run denials use the same message rules.</summary>
    public static IReadOnlyList<AddonIssueRule> AddonIssueRules { get; } =
    [
        new(ReasonCodes.AgentPodsCrashLooping, "InsufficientNumberOfReplicas", Rx(@"crash\s*loop\s*back\s*off")),
        new(ReasonCodes.AgentImagePullFailed, "InsufficientNumberOfReplicas", Rx(@"err\s*image\s*pull|image\s*pull\s*back\s*off")),
        new(ReasonCodes.AgentPodsUnschedulable, "InsufficientNumberOfReplicas", Rx(@"not\s*scheduled|nodes\s*are\s*available|unschedulable|preemption|insufficient\s*(cpu|memory)|too\s*many\s*pods")),
        new(ReasonCodes.AgentPodsNotReady, "InsufficientNumberOfReplicas", null),
        new(ReasonCodes.AgentImageRegistryNotAllowed, "AccessDenied", RegistryDenial),
        new(ReasonCodes.AgentImageRegistryNotAllowed, "AdmissionRequestDenied", RegistryDenial),
        new(ReasonCodes.NamespaceOwnerLabelRequired, "AccessDenied", NamespaceLabelDenial),
        new(ReasonCodes.NamespaceOwnerLabelRequired, "AdmissionRequestDenied", NamespaceLabelDenial),
        new(ReasonCodes.AdmissionWebhookDenied, "AdmissionRequestDenied", null),
        new(ReasonCodes.AdmissionWebhookDenied, "AccessDenied", AdmissionDenial),
        new(ReasonCodes.AddonManagerForbidden, "AccessDenied", Rx(@"forbidden|cannot\s*(patch|get|create|update|delete|list|watch)|eks:addon-manager")),
        new(ReasonCodes.AgentImageFieldConflict, "ConfigurationConflict", null),
        new(ReasonCodes.AddonIssueOther, "InternalFailure", null),
        new(ReasonCodes.AddonIssueOther, "ClusterUnreachable", null),
        new(ReasonCodes.AddonIssueOther, "UnsupportedAddonModification", null),
        new(ReasonCodes.AddonIssueOther, "K8sResourceNotFound", null),
        new(ReasonCodes.AddonIssueOther, "AddonSubscriptionNeeded", null),
        new(ReasonCodes.AddonIssueOther, "AddonPermissionFailure", null),
    ];

    /// <summary>Classifies the message of an admission denial the way EKS's add-on issues are classified.</summary>
    internal static string ClassifyAdmissionDenial(string message, bool namespaceRequest)
    {
        var text = message.Replace("`", "", StringComparison.Ordinal);
        if (SafeIsMatch(RegistryDenial, text))
        {
            return ReasonCodes.AgentImageRegistryNotAllowed;
        }

        if (SafeIsMatch(LabelDenial, text) && (namespaceRequest || text.Contains("namespace", StringComparison.OrdinalIgnoreCase)))
        {
            return ReasonCodes.NamespaceOwnerLabelRequired;
        }

        return ReasonCodes.AdmissionWebhookDenied;
    }

    internal static bool IsAdmissionDenial(string message) => SafeIsMatch(AdmissionDenial, message);

    /// <summary>A regex with a time budget: a pathological input counts as no match instead of hanging or throwing.</summary>
    internal static bool SafeIsMatch(Regex regex, string text)
    {
        try
        {
            return regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
