using System.Globalization;

namespace GuardDutyCoverage.Api;

/// <summary>
/// The one coverage percentage formula: healthy ÷ all × 100, rounded to two decimals; none when there is nothing to
/// cover. <c>coverage stats</c> (GuardDuty's resource counts) and the status (<c>status.nodes.percent</c>: nodes with
/// an agent of the eligible ones; <c>status.guardDuty.percent</c>: covered of compatible nodes) use it, so the same
/// counts always give the same number.
/// </summary>
public static class CoveragePercent
{
    public static double? Of(long healthy, long all) => all <= 0 ? null : Math.Round(healthy * 100.0 / all, 2);

    /// <summary>The percentage as the status writes it: invariant culture, up to two decimals ("75", "66.67").</summary>
    public static string? Format(long healthy, long all) => Of(healthy, all)?.ToString("0.##", CultureInfo.InvariantCulture);
}
