using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;

namespace GuardDutyCoverage.Tests.Diagnosis.Checks;

/// <summary>Runs one condition check on its own, the way the engine runs it, and shows what it found and noted.</summary>
internal static class CheckHarness
{
    public static T Check<T>() where T : ConditionCheck => ConditionChecks.All.OfType<T>().Single();

    /// <summary>The context after running the given check alone (after the checks it reads from, when it reads any).</summary>
    public static DiagnosisContext Run<T>(SnapshotBuilder builder, params ConditionCheck[] before) where T : ConditionCheck
    {
        var context = new DiagnosisContext(builder.Build());
        foreach (var check in before)
        {
            check.Run(context);
        }

        Check<T>().Run(context);
        return context;
    }

    public static CheckNote SingleNote(DiagnosisContext context, string type) => Assert.Single(context.Notes, n => n.Check == type);

    public static IReadOnlyList<string> Reasons(DiagnosisContext context) => context.Observations.Select(o => o.Reason).Distinct().ToList();
}
