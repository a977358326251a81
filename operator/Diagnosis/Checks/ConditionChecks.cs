namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>
/// The one list of conditions: a new condition is a <see cref="ConditionCheck"/> file in this folder and a line here.
/// The order is the order the checks run in and the order of <see cref="CheckTypes.All"/> (the conditions' order
/// in the status): the agent's checks first, whose results later checks read (node counts, the roll-out).
/// </summary>
public static class ConditionChecks
{
    public static IReadOnlyList<ConditionCheck> All { get; } =
    [
        new AgentReadyCheck(),
        new PriorityClassReadyCheck(),
        new AddonManagerAuthorizedCheck(),
        new AdmissionAllowedCheck(),
        new AgentConfigurationValidCheck(),
        new GuardDutyCoveredCheck(),
        new EksAddonHealthyCheck(),
        new NetworkReadyCheck(),
    ];

    public static ConditionDefinition Get(string type) =>
        All.FirstOrDefault(c => c.Condition.Type == type)?.Condition ?? throw new KeyNotFoundException($"condition {type} is not defined");
}
