namespace GuardDutyCoverage.Controller;

/// <summary>How this operator instance was started (the <c>run</c> command's flags).</summary>
public sealed record OperatorOptions
{
    /// <summary>The only namespaces whose DaemonSets and Pods are read (least privilege: RBAC is granted per namespace).</summary>
    public IReadOnlyList<string> AgentNamespaces { get; init; } = ["amazon-guardduty"];

    /// <summary>Whether <c>spec.remediation.mode: Apply</c> may act (the remediation RBAC is installed).</summary>
    public bool RemediationEnabled { get; init; }

    public int MaxConcurrentReconciles { get; init; } = 2;

    /// <summary>Region used when a CR names none (AWS_REGION / AWS_DEFAULT_REGION / instance metadata).</summary>
    public string? DefaultRegion { get; init; }

    /// <summary>
    /// How long a newly unhealthy state must hold before a Warning event and a notification go out (roll-outs and
    /// node churn pass within it); causes that cannot pass by themselves are announced at once.
    /// </summary>
    public TimeSpan UnhealthyConfirmation { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>EventBridge bus for every CR's coverage changes (a CR's <c>spec.notify.eventBusName</c> wins); null: off.</summary>
    public string? NotifyEventBus { get; init; }
}
