using GuardDutyCoverage.Api;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>
/// A root status derived from named dependents, the way operatorpkg's ConditionSet derives Ready: <c>False</c> when
/// any dependent is <c>False</c> (a cause outweighs a blind spot), else <c>Unknown</c> when any is <c>Unknown</c> or
/// was never set (a blind spot is never healthy), else <c>True</c>. The rules of which condition feeds which dependent
/// are in docs/architecture.md ("How Ready is derived").
/// </summary>
public sealed class RootConditionSet
{
    public RootConditionSet(string root, params string[] dependents)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (dependents.Length == 0 || dependents.Distinct(StringComparer.Ordinal).Count() != dependents.Length)
        {
            throw new ArgumentException($"{root}: the dependents must be distinct and at least one", nameof(dependents));
        }

        Root = root;
        Dependents = dependents;
    }

    public string Root { get; }

    public IReadOnlyList<string> Dependents { get; }

    /// <summary>The root's status from the dependents' (<see cref="ConditionStatus"/> values); a dependent left out counts as Unknown.</summary>
    public string Derive(IReadOnlyDictionary<string, string> statuses)
    {
        var unknown = false;
        foreach (var dependent in Dependents)
        {
            var status = statuses.TryGetValue(dependent, out var value) ? value : ConditionStatus.Unknown;
            switch (status)
            {
                case ConditionStatus.False:
                    return ConditionStatus.False;
                case ConditionStatus.True:
                    break;
                default:
                    unknown = true;
                    break;
            }
        }

        foreach (var name in statuses.Keys)
        {
            if (!Dependents.Contains(name, StringComparer.Ordinal))
            {
                throw new ArgumentException($"{Root} has no dependent {name}", nameof(statuses));
            }
        }

        return unknown ? ConditionStatus.Unknown : ConditionStatus.True;
    }

    /// <summary>A dependent's status: True, False, or Unknown when it cannot be decided.</summary>
    public static string Status(bool? healthy) => healthy switch
    {
        true => ConditionStatus.True,
        false => ConditionStatus.False,
        null => ConditionStatus.Unknown,
    };
}
