using System.CommandLine;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Cli;

/// <summary>
/// The two time thresholds of the catalog, one definition for <c>run</c> and <c>diagnose</c>:
/// <c>--addon-stuck-after</c> (AddonStuckInProgress) and <c>--coverage-stale-after</c> (GuardDutyCoverageStale).
/// </summary>
public sealed class ThresholdFlags
{
    public static readonly TimeSpan MinimumAddonStuckAfter = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaximumAddonStuckAfter = TimeSpan.FromHours(24);
    public static readonly TimeSpan MinimumCoverageStaleAfter = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan MaximumCoverageStaleAfter = TimeSpan.FromDays(7);

    public Option<string> AddonStuckAfter { get; } = new("--addon-stuck-after")
    {
        Description = "An EKS add-on CREATING, UPDATING or DELETING for longer is stuck (AddonStuckInProgress); 5m to 24h.",
        DefaultValueFactory = _ => "20m",
    };

    public Option<string> CoverageStaleAfter { get; } = new("--coverage-stale-after")
    {
        Description = "A GuardDuty coverage record older than this while the cluster changed is stale (GuardDutyCoverageStale); 30m to 168h.",
        DefaultValueFactory = _ => "2h",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(AddonStuckAfter);
        command.Options.Add(CoverageStaleAfter);
    }

    /// <summary>The parsed thresholds; a value that is not a duration in range is a usage error naming the flag.</summary>
    public (TimeSpan AddonStuckAfter, TimeSpan CoverageStaleAfter) Parse(ParseResult parse) =>
        (Parse(parse, AddonStuckAfter, MinimumAddonStuckAfter, MaximumAddonStuckAfter, "5m to 24h"),
         Parse(parse, CoverageStaleAfter, MinimumCoverageStaleAfter, MaximumCoverageStaleAfter, "30m to 168h"));

    /// <summary>The target with these thresholds.</summary>
    public static DiagnosisTarget Apply(DiagnosisTarget target, (TimeSpan AddonStuckAfter, TimeSpan CoverageStaleAfter) thresholds) =>
        target with { AddonStuckAfter = thresholds.AddonStuckAfter, CoverageStaleAfter = thresholds.CoverageStaleAfter };

    private static TimeSpan Parse(ParseResult parse, Option<string> option, TimeSpan minimum, TimeSpan maximum, string range)
    {
        var text = parse.GetValue(option) ?? "";
        if (!Durations.TryParse(text, out var value, out var error))
        {
            throw new CliException($"{option.Name}: {error}");
        }

        if (value < minimum || value > maximum)
        {
            throw new CliException($"{option.Name} \"{text}\" is outside {range}");
        }

        return value;
    }
}
