namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>
/// One status condition of a GuardDutyCoverage and what it says about its documentation. Defined once, here; the
/// engine, <see cref="CheckTypes.All"/>, the condition table of docs/troubleshooting.md and the Ready derivation
/// (<see cref="RootConditionSet"/>) read it.
/// </summary>
/// <param name="Type">The condition type: one of <see cref="CheckTypes"/>.</param>
/// <param name="HealthyReason">The reason of <c>True</c> when nothing is found and no note says otherwise.</param>
/// <param name="Sources">Whose findings of this check's rows count for the condition.</param>
/// <param name="WholeSource">True: every finding of <see cref="Sources"/> counts, whatever its row's check (the condition reflects that source).</param>
/// <param name="ReadsCluster">True: it reads the cluster's objects, so it is <c>Unknown</c>/<see cref="ConditionReasons.NotObserved"/> when none were read.</param>
/// <param name="Reads">For the docs: what it reads (Markdown).</param>
/// <param name="TrueReasons">For the docs: the reasons of <c>True</c> (Markdown).</param>
/// <param name="UnknownReasons">The reasons of <c>Unknown</c> it may write.</param>
/// <param name="CodesPreamble">For the docs: what precedes its rows in the table (Markdown).</param>
/// <param name="CodesSuffix">For the docs: what follows its rows in the table (Markdown).</param>
public sealed record ConditionDefinition(
    string Type,
    string HealthyReason,
    IReadOnlyList<FindingSource> Sources,
    bool WholeSource,
    bool ReadsCluster,
    string Reads,
    string TrueReasons,
    IReadOnlyList<string> UnknownReasons,
    string CodesPreamble = "",
    string CodesSuffix = "");

/// <summary>Condition reasons that are not reason codes and that several checks write.</summary>
public static class ConditionReasons
{
    /// <summary><c>Unknown</c>: the check's inputs were not read (not permitted, not in the bundle, nothing to look at).</summary>
    public const string NotObserved = nameof(NotObserved);

    /// <summary><c>Unknown</c>: an AWS call failed (the message has AWS's error).</summary>
    public const string ReadFailed = nameof(ReadFailed);

    /// <summary>The message of <see cref="NotObserved"/> when no Kubernetes object at all was read.</summary>
    public const string ClusterNotReadMessage = "The cluster's objects were not read.";
}

/// <summary>
/// One unit per condition: its definition and the check that feeds it. A check adds findings (catalog rows) and
/// notes to the <see cref="DiagnosisContext"/>; the engine turns them into the condition. Registered in
/// <see cref="ConditionChecks.All"/>, which is also the order they run in.
/// </summary>
public abstract class ConditionCheck
{
    private protected ConditionCheck()
    {
    }

    public abstract ConditionDefinition Condition { get; }

    /// <summary>Runs the check; only called when the cluster was read, or when <see cref="ConditionDefinition.ReadsCluster"/> is false.</summary>
    internal abstract void Run(DiagnosisContext context);
}
