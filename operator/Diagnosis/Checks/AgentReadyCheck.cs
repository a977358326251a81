namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>AgentReady: the namespace, the DaemonSet, desired vs available, per-pod causes, nodes without an agent.</summary>
internal sealed class AgentReadyCheck : ConditionCheck
{
    public override ConditionDefinition Condition { get; } = new(
        CheckTypes.AgentReady,
        HealthyReason: "AgentAvailable",
        Sources: [FindingSource.Local],
        WholeSource: false,
        ReadsCluster: true,
        Reads: "the agent namespace, DaemonSet and its Pods, Nodes",
        TrueReasons: "`AgentAvailable`, `NoAgentPodsDesired`, `RolloutInProgress`",
        UnknownReasons: [ConditionReasons.NotObserved],
        CodesSuffix: "; `False` with `RolloutInProgress` while a roll-out leaves pods unavailable");

    internal override void Run(DiagnosisContext context)
    {
        // Pod causes first: the DaemonSet check counts only the pods no specific cause explains.
        NodeChecks.ExplainPodFailures(context);
        AgentChecks.Run(context);
        NodeChecks.Run(context);
    }
}
