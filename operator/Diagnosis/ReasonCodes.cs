namespace GuardDutyCoverage.Diagnosis;

/// <summary>
/// The stable reason codes of <c>tests/testdata/reference/CATALOG.md</c>. They are a public contract (CR status,
/// <c>diagnose -o json</c>, Events, metric labels): never rename one.
/// </summary>
public static class ReasonCodes
{
    // Reported by GuardDuty (the seed's troubleshooting table).
    public const string AddonIncompatibleClusterVersion = nameof(AddonIncompatibleClusterVersion);
    public const string AgentPodsUnschedulable = nameof(AgentPodsUnschedulable);
    public const string AgentPodsCrashLooping = nameof(AgentPodsCrashLooping);
    public const string AgentImagePullFailed = nameof(AgentImagePullFailed);
    public const string AgentPodsNotReady = nameof(AgentPodsNotReady);
    public const string AdmissionWebhookDenied = nameof(AdmissionWebhookDenied);
    public const string AgentImageFieldConflict = nameof(AgentImageFieldConflict);
    public const string AddonManagerForbidden = nameof(AddonManagerForbidden);
    public const string NamespaceOwnerLabelRequired = nameof(NamespaceOwnerLabelRequired);
    public const string AgentImageRegistryNotAllowed = nameof(AgentImageRegistryNotAllowed);
    public const string AddonIssueOther = nameof(AddonIssueOther);
    public const string VpcEndpointSharedVpcUnsupported = nameof(VpcEndpointSharedVpcUnsupported);
    public const string VpcEndpointSharedVpcOwnerNotEnabled = nameof(VpcEndpointSharedVpcOwnerNotEnabled);
    public const string VpcDnsAttributesDisabled = nameof(VpcDnsAttributesDisabled);
    public const string SharedVpcEndpointDeletionNotAllowed = nameof(SharedVpcEndpointDeletionNotAllowed);
    public const string LocalOutpostCluster = nameof(LocalOutpostCluster);
    public const string EnablementPermissionNotGranted = nameof(EnablementPermissionNotGranted);
    public const string EnablementProvisioningInProgress = nameof(EnablementProvisioningInProgress);
    public const string AuthorizationFailure = nameof(AuthorizationFailure);
    public const string UnrecognizedIssue = nameof(UnrecognizedIssue);

    // Seen only by the cluster (before GuardDuty reports anything) or by GuardDuty's own records.
    public const string AgentNamespaceMissing = nameof(AgentNamespaceMissing);
    public const string AgentDaemonSetMissing = nameof(AgentDaemonSetMissing);
    public const string PriorityClassMissing = nameof(PriorityClassMissing);
    public const string AdmissionWebhookMayIntercept = nameof(AdmissionWebhookMayIntercept);
    public const string AgentImageRegistryUnexpected = nameof(AgentImageRegistryUnexpected);
    public const string AgentVersionBelowMinimum = nameof(AgentVersionBelowMinimum);
    public const string GuardDutyCoverageNotFound = nameof(GuardDutyCoverageNotFound);
    public const string ManagementTypeMismatch = nameof(ManagementTypeMismatch);

    /// <summary>
    /// Not in CATALOG.md yet (proposed): EC2 shows no usable <c>com.amazonaws.&lt;region&gt;.guardduty-data</c>
    /// interface endpoint in the cluster's VPC, the agent's path to GuardDuty.
    /// </summary>
    public const string GuardDutyDataEndpointMissing = nameof(GuardDutyDataEndpointMissing);

    /// <summary>
    /// Not a root cause in the cluster (proposed): the operator's own view of it is stale. An informer a
    /// GuardDutyCoverage is diagnosed from has not been current (synced and watching) for longer than
    /// <c>--cluster-view-stale-after</c>, so Ready is Unknown with this reason instead of a verdict nobody can see.
    /// </summary>
    public const string ClusterViewStale = nameof(ClusterViewStale);
    // Catalog v2 (issue 9): failure modes real clusters hit (shared/reference/real-world-failures.md, FM-01..FM-22).
    public const string NodesWithoutAgent = nameof(NodesWithoutAgent);
    public const string NodesNotCoverable = nameof(NodesNotCoverable);
    public const string AgentKernelUnsupported = nameof(AgentKernelUnsupported);
    public const string AgentOOMKilled = nameof(AgentOOMKilled);
    public const string PodSecurityBlocksAgent = nameof(PodSecurityBlocksAgent);
    public const string AgentPodSpecMutated = nameof(AgentPodSpecMutated);
    public const string ResourceQuotaBlocksAgent = nameof(ResourceQuotaBlocksAgent);
    public const string GitOpsOwnsAgentObjects = nameof(GitOpsOwnsAgentObjects);
    public const string NetworkPolicyBlocksAgent = nameof(NetworkPolicyBlocksAgent);
    public const string AddonStuckInProgress = nameof(AddonStuckInProgress);
    public const string GuardDutyFeatureMisconfigured = nameof(GuardDutyFeatureMisconfigured);
    public const string CoverageHealthyButNodesUncovered = nameof(CoverageHealthyButNodesUncovered);
    public const string GuardDutyCoverageStale = nameof(GuardDutyCoverageStale);
    public const string DuplicateAgentOnNode = nameof(DuplicateAgentOnNode);
    public const string VpcOwnedByAnotherAccount = nameof(VpcOwnedByAnotherAccount);
    public const string AgentFrozenByExclusionTag = nameof(AgentFrozenByExclusionTag);
}

/// <summary>The checks of the diagnosis. Each is one status condition type of the custom resource.</summary>
public static class CheckTypes
{
    /// <summary>Namespace, DaemonSet, desired vs available, per-pod causes.</summary>
    public const string AgentReady = nameof(AgentReady);

    /// <summary>The agent's PriorityClass exists.</summary>
    public const string PriorityClassReady = nameof(PriorityClassReady);

    /// <summary>The <c>eks:addon-cluster-admin</c> binding and what <c>eks:addon-manager</c> may do.</summary>
    public const string AddonManagerAuthorized = nameof(AddonManagerAuthorized);

    /// <summary>Admission webhooks (static analysis and server-side dry-runs) let the add-on's requests through.</summary>
    public const string AdmissionAllowed = nameof(AdmissionAllowed);

    /// <summary>The DaemonSet is what the add-on deployed: field ownership, image registry, version.</summary>
    public const string AgentConfigurationValid = nameof(AgentConfigurationValid);

    /// <summary>GuardDuty ListCoverage reports the cluster HEALTHY.</summary>
    public const string GuardDutyCovered = nameof(GuardDutyCovered);

    /// <summary>EKS reports the aws-guardduty-agent add-on healthy.</summary>
    public const string EksAddonHealthy = nameof(EksAddonHealthy);

    /// <summary>The VPC lets the agent reach GuardDuty (DNS attributes, guardduty-data endpoint, VPC endpoint provisioning).</summary>
    public const string NetworkReady = nameof(NetworkReady);

    /// <summary>Every condition type, in the order of the one list of checks (<see cref="Checks.ConditionChecks.All"/>).</summary>
    public static IReadOnlyList<string> All { get; } = Checks.ConditionChecks.All.Select(c => c.Condition.Type).ToList();
}

/// <summary>Who saw a root cause.</summary>
public enum FindingSource
{
    /// <summary>The cluster's own objects, dry-runs and SubjectAccessReviews.</summary>
    Local,

    /// <summary>The issue string of GuardDuty ListCoverage.</summary>
    GuardDuty,

    /// <summary>EKS: the add-on's health.issues[] (DescribeAddon), DescribeCluster, DescribeAddonVersions.</summary>
    EksAddon,

    /// <summary>EC2: VPC attributes and endpoints.</summary>
    Ec2,
}

public enum Severity
{
    Error,
    Warning,
    Info,
}
