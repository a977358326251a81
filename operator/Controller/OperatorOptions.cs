namespace GuardDutyCoverage.Controller;

/// <summary>How this operator instance was started (the <c>run</c> command's flags).</summary>
public sealed record OperatorOptions
{
    /// <summary>The only namespaces whose DaemonSets and Pods are read (least privilege: RBAC is granted per namespace).</summary>
    public IReadOnlyList<string> AgentNamespaces { get; init; } = ["amazon-guardduty"];

    /// <summary>Whether <c>spec.remediation.mode: Apply</c> may act (the remediation RBAC is installed).</summary>
    public bool RemediationEnabled { get; init; }

    /// <summary>Read the previous logs of crash-looping agent containers (the opt-in pods/log Role is installed).</summary>
    public bool ReadAgentLogs { get; init; }

    public int MaxConcurrentReconciles { get; init; } = 2;

    /// <summary>Region used when a CR names none (AWS_REGION / AWS_DEFAULT_REGION / instance metadata).</summary>
    public string? DefaultRegion { get; init; }
}
