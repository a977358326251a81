namespace GuardDutyCoverage.Tests;

/// <summary>Locates files of this repository from the test's output directory.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Crd => Path.Combine(Root, "crds", "coverage.guardduty.io_guarddutycoverages.yaml");

    public static string TestData(params string[] parts) => Path.Combine([Root, "tests", "testdata", .. parts]);

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
