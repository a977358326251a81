using System.Collections.Frozen;
using System.Globalization;
using System.Text.RegularExpressions;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>A version like <c>v1.8.1-eksbuild.2</c>, <c>1.17.1</c> or a Kubernetes <c>v1.31.4-eks-a737599</c>: major.minor.patch is compared, the rest kept.</summary>
public readonly record struct SemanticVersion(int Major, int Minor, int Patch) : IComparable<SemanticVersion>
{
    private static readonly Regex Pattern = new(@"^\s*v?(\d{1,6})\.(\d{1,6})(?:\.(\d{1,6}))?", RegexOptions.CultureInvariant);

    public static bool TryParse(string? text, out SemanticVersion version)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var match = Pattern.Match(text);
        if (!match.Success)
        {
            return false;
        }

        version = new SemanticVersion(
            int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
            match.Groups[3].Success ? int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture) : 0);
        return true;
    }

    public int CompareTo(SemanticVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);

    public static bool operator <(SemanticVersion left, SemanticVersion right) => left.CompareTo(right) < 0;

    public static bool operator >(SemanticVersion left, SemanticVersion right) => left.CompareTo(right) > 0;

    public static bool operator <=(SemanticVersion left, SemanticVersion right) => left.CompareTo(right) <= 0;

    public static bool operator >=(SemanticVersion left, SemanticVersion right) => left.CompareTo(right) >= 0;

    /// <summary>Kubernetes minor as EKS writes it, e.g. "1.31".</summary>
    public string MinorString => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{Patch}");
}

/// <summary>Kubernetes minors an agent version supports (both ends inclusive).</summary>
public sealed record KubernetesRange(SemanticVersion Lowest, SemanticVersion Highest)
{
    public bool Contains(SemanticVersion kubernetes)
    {
        var minor = kubernetes with { Patch = 0 };
        return minor >= Lowest && minor <= Highest;
    }

    public override string ToString() => $"{Lowest.MinorString} - {Highest.MinorString}";
}

/// <summary>
/// Kubernetes versions supported per agent version (guardduty-eks-facts.md §b, newest copy). The table changes
/// often: EKS DescribeAddonVersions, when the snapshot has it, takes precedence.
/// </summary>
public static class AgentVersions
{
    private static readonly (string Agents, string Lowest, string Highest)[] Table =
    [
        ("1.17.1", "1.31", "1.36"),
        ("1.16.0", "1.28", "1.36"),
        ("1.15.0", "1.28", "1.36"),
        ("1.12.2", "1.28", "1.36"),
        ("1.12.1", "1.28", "1.35"),
        ("1.11.0", "1.28", "1.34"),
        ("1.10.0", "1.21", "1.33"),
        ("1.9.0 1.8.1", "1.21", "1.32"),
        ("1.7.1 1.7.0 1.6.1", "1.21", "1.31"),
        ("1.6.0 1.5.0 1.4.1 1.4.0 1.3.1", "1.21", "1.29"),
        ("1.3.0 1.2.0", "1.21", "1.28"),
        ("1.1.0", "1.21", "1.26"),
        ("1.0.0", "1.21", "1.25"),
    ];

    private static readonly FrozenDictionary<SemanticVersion, KubernetesRange> ByAgent = Build().ToFrozenDictionary();

    private static Dictionary<SemanticVersion, KubernetesRange> Build()
    {
        var map = new Dictionary<SemanticVersion, KubernetesRange>();
        foreach (var (agents, lowest, highest) in Table)
        {
            SemanticVersion.TryParse(lowest, out var low);
            SemanticVersion.TryParse(highest, out var high);
            foreach (var agent in agents.Split(' '))
            {
                SemanticVersion.TryParse(agent, out var version);
                map[version] = new KubernetesRange(low, high);
            }
        }

        return map;
    }

    /// <summary>Every agent version the table lists.</summary>
    public static IReadOnlyCollection<SemanticVersion> Known => ByAgent.Keys;

    /// <summary>The supported Kubernetes range of an agent version (build suffix ignored); null when the table does not list it.</summary>
    public static KubernetesRange? SupportedKubernetes(SemanticVersion agent) =>
        ByAgent.TryGetValue(agent, out var range) ? range : null;
}
