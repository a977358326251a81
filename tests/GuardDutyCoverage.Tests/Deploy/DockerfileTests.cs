using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>
/// There is no Docker engine here, so the Dockerfile is checked for what can go wrong without one: the publish command
/// drifting from `make publish-aot`, the binary name, the base images, the user, and a .dockerignore that hides a file
/// the build copies. The multi-platform build (`docker buildx build --platform linux/amd64,linux/arm64`) is checked the
/// same way: the build stage runs on the builder's platform and cross-compiles for TARGETARCH with the toolchain that
/// `make publish-aot ARCH=...` uses here.
/// </summary>
public sealed partial class DockerfileTests
{
    /// <summary>The publish (and restore) arguments; {0} is the architecture variable of each side.</summary>
    private const string Publish = "publish operator -c Release --os linux -a {0} -p:PublishAot=true";

    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(RepoPaths.Root, "Dockerfile"));

    private static readonly string Makefile = File.ReadAllText(Path.Combine(RepoPaths.Root, "Makefile"));

    [Fact]
    public void DockerfileAndMakePublishTheSameWay()
    {
        Assert.Contains("dotnet " + string.Format(CultureInfo.InvariantCulture, Publish, "$TARGETARCH"), Dockerfile, StringComparison.Ordinal);
        Assert.Contains("$(DOTNET) " + string.Format(CultureInfo.InvariantCulture, Publish, "$(ARCH)"), Makefile, StringComparison.Ordinal);
        // The restore layer restores exactly what the publish needs (the RID-specific ILCompiler package).
        Assert.Contains("dotnet restore operator --os linux -a $TARGETARCH -p:PublishAot=true", Dockerfile, StringComparison.Ordinal);
        Assert.Contains("--no-restore -o /out", Dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildStageRunsOnTheBuildPlatformAndCrossCompilesForTheTargetArchitecture()
    {
        var stages = From().Matches(Dockerfile).ToArray();
        Assert.Equal(2, stages.Length);
        Assert.Equal("$BUILDPLATFORM", stages[0].Groups["platform"].Value);
        // The runtime stage is pulled per target platform: no --platform pin.
        Assert.False(stages[1].Groups["platform"].Success, "the runtime stage must not pin --platform");

        var build = Dockerfile[stages[0].Index..stages[1].Index];
        Assert.Matches(@"(?m)^ARG TARGETARCH$", build);
        Assert.Matches(@"(?m)^ARG BUILDARCH$", build);

        // Both architectures the Makefile releases, and nothing else, are accepted; each maps to its GNU triple.
        Assert.Equal(["amd64", "arm64"], ReleaseInfo.Architectures);
        Assert.Contains("amd64) triple=x86_64-linux-gnu ;;", build, StringComparison.Ordinal);
        Assert.Contains("arm64) triple=aarch64-linux-gnu ;;", build, StringComparison.Ordinal);
        Assert.Contains("unsupported TARGETARCH", build, StringComparison.Ordinal);

        // The same toolchain as `make tools` installs here: native (clang, llvm, zlib1g-dev) and, for the other
        // architecture, binutils and gcc for its triple and its zlib.
        Assert.Contains("packages=\"clang llvm zlib1g-dev\"", build, StringComparison.Ordinal);
        Assert.Contains("binutils-$triple gcc-$triple zlib1g-dev:$TARGETARCH", build, StringComparison.Ordinal);
        Assert.Contains("dpkg --add-architecture \"$TARGETARCH\"", build, StringComparison.Ordinal);
        var installTools = File.ReadAllText(Path.Combine(RepoPaths.Root, "hack", "install-tools.sh"));
        Assert.Contains("apt_install clang zlib1g-dev", installTools, StringComparison.Ordinal);
        Assert.Contains("llvm binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu zlib1g-dev:arm64", installTools, StringComparison.Ordinal);

        // The cross packages come only when the architectures differ; a native build installs the native set.
        Assert.Contains("if [ \"$TARGETARCH\" != \"$BUILDARCH\" ]", build, StringComparison.Ordinal);
    }

    [Fact]
    public void ImageRunsTheOperatorBinaryAsNonRootOnChiseledRuntimeDeps()
    {
        var assemblyName = XDocument.Load(Path.Combine(RepoPaths.Root, "operator", "GuardDutyCoverage.Operator.csproj"))
            .Descendants("AssemblyName").Single().Value;
        var stages = From().Matches(Dockerfile).Select(m => m.Groups["image"].Value).ToArray();
        Assert.Equal(["mcr.microsoft.com/dotnet/sdk:10.0-noble", "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled"], stages);

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

    [GeneratedRegex(@"^FROM (?:--platform=(?<platform>\S+) )?(?<image>\S+)", RegexOptions.Multiline)]
    private static partial Regex From();

    [GeneratedRegex(@"^COPY (?!--from)(?<sources>.+)$", RegexOptions.Multiline)]
    private static partial Regex CopySource();
}
