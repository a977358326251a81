namespace GuardDutyCoverage.Tests;

/// <summary>Locates files of this repository from the test's output directory.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Crd => Path.Combine(Root, "crds", "coverage.guardduty.io_guarddutycoverages.yaml");

    public static string TestData(params string[] parts) => Path.Combine([Root, "tests", "testdata", .. parts]);

    /// <summary>The operator's C# source files (operator/ and its layer projects), without build output (bin/, obj/).</summary>
    public static IEnumerable<string> OperatorSources() =>
        Directory.EnumerateFiles(Path.Combine(Root, "operator"), "*.cs", SearchOption.AllDirectories)
            .Where(f => Path.GetRelativePath(Root, f).Split(Path.DirectorySeparatorChar) is var parts && !parts.Contains("bin") && !parts.Contains("obj"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GuardDutyCoverage.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (GuardDutyCoverage.slnx) above " + AppContext.BaseDirectory);
    }
}
