using System.Text.RegularExpressions;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>What a release is made of, read from the files that define it: VERSION and the Makefile.</summary>
public static partial class ReleaseInfo
{
    public const string ImageRepository = "ghcr.io/guardduty-coverage/guardduty-coverage-operator";

    /// <summary>The one version (the VERSION file, trimmed).</summary>
    public static string Version => File.ReadAllText(Path.Combine(RepoPaths.Root, "VERSION")).Trim();

    /// <summary>The architectures `make release` builds (the Makefile's ARCHS), as kubernetes.io/arch names them.</summary>
    public static string[] Architectures
    {
        get
        {
            var match = MakeArchs().Match(File.ReadAllText(Path.Combine(RepoPaths.Root, "Makefile")));
            return match.Success
                ? match.Groups["archs"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                : throw new InvalidOperationException("the Makefile has no `ARCHS :=` line");
        }
    }

    [GeneratedRegex(@"^ARCHS := (?<archs>.+)$", RegexOptions.Multiline)]
    private static partial Regex MakeArchs();
}
