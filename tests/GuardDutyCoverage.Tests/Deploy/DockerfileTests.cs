using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>
/// There is no Docker engine here, so the Dockerfile is checked for what can go wrong without one: the publish command
/// drifting from `make publish-aot`, the binary name, the base images, the user, and a .dockerignore that hides a file
/// the build copies.
/// </summary>
public sealed partial class DockerfileTests
{
    private const string Publish = "publish operator -c Release -r linux-x64 -p:PublishAot=true";

    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(RepoPaths.Root, "Dockerfile"));

    [Fact]
    public void DockerfileAndMakePublishTheSameWay()
    {
        Assert.Contains("dotnet " + Publish, Dockerfile, StringComparison.Ordinal);
        var makefile = File.ReadAllText(Path.Combine(RepoPaths.Root, "Makefile"));
        Assert.Contains("$(DOTNET) " + Publish, makefile, StringComparison.Ordinal);
        Assert.Contains("clang zlib1g-dev", Dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void ImageRunsTheOperatorBinaryAsNonRootOnChiseledRuntimeDeps()
    {
        var assemblyName = XDocument.Load(Path.Combine(RepoPaths.Root, "operator", "GuardDutyCoverage.Operator.csproj"))
            .Descendants("AssemblyName").Single().Value;
        var stages = From().Matches(Dockerfile).Select(m => m.Groups["image"].Value).ToArray();
        Assert.Equal(["mcr.microsoft.com/dotnet/sdk:10.0", "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled"], stages);

        var final = Dockerfile[Dockerfile.LastIndexOf("FROM ", StringComparison.Ordinal)..];
        Assert.Contains($"COPY --from=build /out/{assemblyName} /{assemblyName}", final, StringComparison.Ordinal);
        Assert.Contains("USER 65532:65532", final, StringComparison.Ordinal);
        Assert.Contains($"ENTRYPOINT [\"/{assemblyName}\"]", final, StringComparison.Ordinal);
        Assert.Contains("CMD [\"run\"]", final, StringComparison.Ordinal);
        Assert.DoesNotContain("RUN ", final, StringComparison.Ordinal);
    }

    [Fact]
    public void DockerignoreLetsThroughEverythingTheBuildCopies()
    {
        var rules = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".dockerignore"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToArray();
        var sources = CopySource().Matches(Dockerfile)
            .SelectMany(m => m.Groups["sources"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
            .ToArray();
        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            var files = Directory.Exists(Path.Combine(RepoPaths.Root, source))
                ? Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, source), "*", SearchOption.AllDirectories)
                    .Select(f => Path.GetRelativePath(RepoPaths.Root, f))
                    .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
                : [source];
            foreach (var file in files)
            {
                Assert.True(File.Exists(Path.Combine(RepoPaths.Root, file)), $"the Dockerfile copies {file}, which does not exist");
                Assert.False(Ignored(rules, file), $".dockerignore hides {file}, which the Dockerfile copies");
            }
        }

        Assert.True(Ignored(rules, "tests/GuardDutyCoverage.Tests/RepoPaths.cs"));
        Assert.True(Ignored(rules, "operator/obj/project.assets.json"));
        Assert.True(Ignored(rules, ".tools/bin/helm"));
    }

    /// <summary>.dockerignore semantics for the patterns used here: the last matching rule wins; "!" re-includes.</summary>
    private static bool Ignored(IEnumerable<string> rules, string path)
    {
        var ignored = false;
        foreach (var rule in rules)
        {
            var negated = rule.StartsWith('!');
            var pattern = negated ? rule[1..] : rule;
            var matches = pattern == "*"
                || (pattern.EndsWith('/') ? path.StartsWith(pattern, StringComparison.Ordinal) : path == pattern || path.StartsWith(pattern + "/", StringComparison.Ordinal));
            if (matches)
            {
                ignored = !negated;
            }
        }

        return ignored;
    }

    [GeneratedRegex(@"^FROM (?<image>\S+)", RegexOptions.Multiline)]
    private static partial Regex From();

    [GeneratedRegex(@"^COPY (?!--from)(?<sources>.+)$", RegexOptions.Multiline)]
    private static partial Regex CopySource();
}
