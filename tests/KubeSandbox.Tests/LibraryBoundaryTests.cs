namespace KubeSandbox.Tests;

/// <summary>The library is generic: it must not come to depend on the product or on the GuardDuty side of the sandbox.</summary>
public sealed class LibraryBoundaryTests
{
    [Fact]
    public void TheLibraryReferencesNeitherTheOperatorNorTheGuardDutySandbox()
    {
        var library = typeof(SandboxServer).Assembly;

        var references = library.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Contains("YamlDotNet", references);
        Assert.DoesNotContain(references, name => name.StartsWith("GuardDutyCoverage", StringComparison.Ordinal) || name == "guardduty-sandbox");
        Assert.DoesNotContain(library.GetTypes(), type => type.Namespace is { } ns && !ns.StartsWith("KubeSandbox", StringComparison.Ordinal) && !ns.StartsWith("System", StringComparison.Ordinal) && !ns.StartsWith("Microsoft", StringComparison.Ordinal));
    }
}
