namespace GuardDutyCoverage.Api;

/// <summary>Condition types and statuses with kstatus meaning (see https://github.com/kubernetes-sigs/cli-utils/tree/master/pkg/kstatus).</summary>
public static class ConditionTypes
{
    /// <summary>Always present; True only when the declared coverage is in place.</summary>
    public const string Ready = "Ready";

    /// <summary>Present only while true: the operator or the cluster is still converging (a roll-out, provisioning).</summary>
    public const string Reconciling = "Reconciling";

    /// <summary>Present only while true: progress is impossible until someone changes something (invalid spec, missing permission).</summary>
    public const string Stalled = "Stalled";
}

public static class ConditionStatus
{
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";
}

/// <summary>A condition the reconciler wants, before bookkeeping (transition times, generation).</summary>
public sealed record DesiredCondition(string Type, string Status, string Reason, string Message);

/// <summary>
/// Builds status conditions the kstatus way: <c>Ready</c> always present, <c>Reconciling</c> and <c>Stalled</c> only
/// while true and never both, <c>lastTransitionTime</c> kept when the status did not change (so an unchanged status
/// writes nothing), a stable order so equal inputs give equal lists.
/// </summary>
public static class ConditionSet
{
    public static IReadOnlyList<Condition> Build(
        IReadOnlyList<Condition>? previous,
        IEnumerable<DesiredCondition> desired,
        long generation,
        DateTimeOffset now)
    {
        var byType = new Dictionary<string, DesiredCondition>(StringComparer.Ordinal);
        foreach (var condition in desired)
        {
            byType[condition.Type] = condition;
        }

        if (!byType.ContainsKey(ConditionTypes.Ready))
        {
            throw new ArgumentException("the Ready condition is always required", nameof(desired));
        }

        if (Is(byType, ConditionTypes.Stalled) && Is(byType, ConditionTypes.Reconciling))
        {
            // kstatus: never both. Stalled wins: nothing converges until someone acts.
            byType.Remove(ConditionTypes.Reconciling);
        }

        foreach (var abnormal in new[] { ConditionTypes.Reconciling, ConditionTypes.Stalled })
        {
            if (byType.TryGetValue(abnormal, out var c) && c.Status != ConditionStatus.True)
            {
                byType.Remove(abnormal);
            }
        }

        var stamp = Rfc3339TimeConverter.Truncate(now);
        var result = new List<Condition>(byType.Count);
        foreach (var type in Order(byType.Keys))
        {
            var want = byType[type];
            var old = previous?.FirstOrDefault(p => p.Type == type);
            result.Add(new Condition
            {
                Type = type,
                Status = want.Status,
                Reason = want.Reason,
                Message = Truncate(want.Message, 32768),
                ObservedGeneration = generation,
                LastTransitionTime = old is not null && old.Status == want.Status ? old.LastTransitionTime : stamp,
            });
        }

        return result;
    }

    private static bool Is(Dictionary<string, DesiredCondition> byType, string type) =>
        byType.TryGetValue(type, out var c) && c.Status == ConditionStatus.True;

    private static IEnumerable<string> Order(IEnumerable<string> types)
    {
        static int Rank(string type) => type switch
        {
            ConditionTypes.Ready => 0,
            ConditionTypes.Reconciling => 1,
            ConditionTypes.Stalled => 2,
            _ => 3,
        };

        return types.OrderBy(Rank).ThenBy(t => t, StringComparer.Ordinal);
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    /// <summary>Finds a condition by type.</summary>
    public static Condition? Find(this IReadOnlyList<Condition>? conditions, string type) =>
        conditions?.FirstOrDefault(c => c.Type == type);
}
