using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace GuardDutyCoverage.Tests.Docs;

/// <summary>
/// The compiler keeps each layer's code within the projects it references; this keeps the references themselves
/// within what docs/architecture.md allows, so a layer cannot gain a dependency by one added line in a project file.
/// </summary>
public sealed partial class LayerReferencesTests
{
    private const string Executable = "guardduty-coverage";

    /// <summary>Each project of the table, by the name the table gives it, and its project file.</summary>
    private static readonly Dictionary<string, string> ProjectFiles = new(StringComparer.Ordinal)
    {
        ["GuardDutyCoverage.Util"] = "operator/Util/GuardDutyCoverage.Util.csproj",
        ["GuardDutyCoverage.Api"] = "operator/Api/GuardDutyCoverage.Api.csproj",
        ["GuardDutyCoverage.Runtime"] = "operator/Runtime/GuardDutyCoverage.Runtime.csproj",
        ["GuardDutyCoverage.Diagnosis"] = "operator/Diagnosis/GuardDutyCoverage.Diagnosis.csproj",
        ["GuardDutyCoverage.Aws"] = "operator/Aws/GuardDutyCoverage.Aws.csproj",
        ["GuardDutyCoverage.Controller"] = "operator/Controller/GuardDutyCoverage.Controller.csproj",
        [Executable] = "operator/GuardDutyCoverage.Operator.csproj",
    };

    [Fact]
    public void EveryProjectReferencesExactlyTheLayersTheArchitectureAllows()
    {
        var allowed = AllowedByTheDocs();
        Assert.Equal(ProjectFiles.Keys.Order(StringComparer.Ordinal), allowed.Keys.Order(StringComparer.Ordinal));
        foreach (var (project, mayReference) in allowed)
        {
            var referenced = References(project);
            Assert.True(
                referenced.SetEquals(mayReference),
                $"{ProjectFiles[project]} references [{string.Join(", ", referenced.Order(StringComparer.Ordinal))}]; docs/architecture.md allows [{string.Join(", ", mayReference.Order(StringComparer.Ordinal))}]");
        }
    }

    [Fact]
    public void TheLowerLayersStayApart()
    {
        // Whatever the table says: these are the layering itself (issue 10), not a choice the table may revise.
        var allowed = AllowedByTheDocs();
        Assert.Empty(allowed["GuardDutyCoverage.Util"]);
        Assert.Equal(new[] { "GuardDutyCoverage.Util" }, allowed["GuardDutyCoverage.Runtime"].ToArray());
        Assert.Equal(new[] { "GuardDutyCoverage.Util" }, allowed["GuardDutyCoverage.Aws"].ToArray());
        Assert.DoesNotContain(allowed["GuardDutyCoverage.Diagnosis"], p => p is "GuardDutyCoverage.Aws" or "GuardDutyCoverage.Runtime" or "GuardDutyCoverage.Controller");
        Assert.All(allowed.Where(p => p.Key != Executable), p => Assert.DoesNotContain(Executable, p.Value));
    }

    [Fact]
    public void TheDiagnosisHasNoAwsClientAndNoServer()
    {
        var project = XDocument.Load(Path.Combine(RepoPaths.Root, ProjectFiles["GuardDutyCoverage.Diagnosis"]));
        var packages = project.Descendants("PackageReference").Select(p => (string?)p.Attribute("Include") ?? "").ToList();
        Assert.Contains("KubernetesClient.Aot", packages); // the scan reads the file it means to read
        Assert.DoesNotContain(packages, p => p.StartsWith("AWSSDK", StringComparison.Ordinal));
        Assert.Empty(project.Descendants("FrameworkReference"));
    }

    [Fact]
    public void TheInternalsOpenToTheTestsOnly()
    {
        foreach (var file in ProjectFiles.Values)
        {
            var visibleTo = XDocument.Load(Path.Combine(RepoPaths.Root, file)).Descendants("InternalsVisibleTo").Select(i => (string?)i.Attribute("Include")).ToList();
            Assert.True(visibleTo.All(name => name == "GuardDutyCoverage.Tests"), $"{file}: InternalsVisibleTo {string.Join(", ", visibleTo)}");
        }
    }

    private static HashSet<string> References(string project)
    {
        var file = Path.Combine(RepoPaths.Root, ProjectFiles[project]);
        var byFile = ProjectFiles.ToDictionary(p => Path.GetFullPath(Path.Combine(RepoPaths.Root, p.Value)), p => p.Key, StringComparer.Ordinal);
        return XDocument.Load(file).Descendants("ProjectReference")
            .Select(r => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, ((string?)r.Attribute("Include") ?? "").Replace('\\', '/'))))
            .Select(path => byFile.TryGetValue(path, out var name) ? name : $"(not a layer) {path}")
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The "may reference" column of the layer table in docs/architecture.md, by project.</summary>
    private static Dictionary<string, HashSet<string>> AllowedByTheDocs()
    {
        var rows = File.ReadAllLines(Path.Combine(RepoPaths.Root, "docs", "architecture.md"))
            .Select(line => LayerRow().Match(line))
            .Where(m => m.Success)
            .ToDictionary(
                m => m.Groups["project"].Value,
                m => m.Groups["allowed"].Value.Trim() is "–" or "-"
                    ? new HashSet<string>(StringComparer.Ordinal)
                    : m.Groups["allowed"].Value.Split(',', StringSplitOptions.TrimEntries).Select(layer => "GuardDutyCoverage." + layer).ToHashSet(StringComparer.Ordinal),
                StringComparer.Ordinal);
        Assert.True(rows.Count > 0, "docs/architecture.md has no layer table (| `project` | `folder` | may reference | ...)");
        return rows;
    }

    [GeneratedRegex(@"^\| `(?<project>GuardDutyCoverage\.\w+|guardduty-coverage)` \| `[^`]+`[^|]*\| (?<allowed>[^|]+) \|")]
    private static partial Regex LayerRow();
}
