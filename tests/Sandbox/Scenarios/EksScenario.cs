namespace GuardDutyCoverage.Sandbox.Scenarios;

/// <summary>
/// The cluster the GuardDuty scenarios (integration tests, process tests, <c>make demo</c>) model: an EKS 1.31 cluster
/// running agent v1.17.1, which supports Kubernetes 1.31-1.36 (guardduty-eks-facts.md §b). The Kubernetes sandbox
/// itself reports the version it is checked against (v1.24, <see cref="KubeSandbox.Http.ServerVersion.Recorded"/>);
/// a scenario whose operator reads the cluster's version to judge the agent must say which cluster it models, so it
/// sets <see cref="KubeSandbox.SandboxOptions.KubernetesVersion"/> to this explicitly.
/// </summary>
public static class EksScenario
{
    /// <summary>The gitVersion an EKS 1.31 control plane reports on <c>/version</c>.</summary>
    public const string KubernetesVersion = "v1.31.4-eks-2d5f260";

    /// <summary>The EKS minor the local AWS side reports for the same cluster (DescribeCluster's <c>version</c>).</summary>
    public const string EksVersion = "1.31";
}
