using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Util;
using CommandTree = GuardDutyCoverage.Cli.CommandLine;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>
/// One version everywhere: VERSION is the source; the binary (version command, build-info metric, User-Agent), the
/// chart's version and appVersion, the image tag the chart and install.yaml deploy, and the pinned tag of the CI values
/// all say the same. hack/set-version.sh changes them together.
/// </summary>
public sealed partial class VersionConsistencyTests
{
    private static string ChartField(string key) =>
        File.ReadLines(Path.Combine(Chart.Dir, "Chart.yaml"))
            .Single(l => l.StartsWith(key + ":", StringComparison.Ordinal))[(key.Length + 1)..].Trim().Trim('"');

    [Fact]
    public void VersionFileIsOneSemanticVersion()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "VERSION"));
        Assert.Matches(SemVerLine(), text);
    }

    [Fact]
    public void TheBinaryCarriesTheVersionFile()
    {
        Assert.Equal(ReleaseInfo.Version, BuildInfo.Current.Version);
        Assert.Equal("guardduty-coverage/" + ReleaseInfo.Version, AwsRestJsonClient.UserAgent);
    }

    [Fact]
    public void ChartVersionAndAppVersionAreTheVersion()
    {
        Assert.Equal(ReleaseInfo.Version, ChartField("version"));
        Assert.Equal(ReleaseInfo.Version, ChartField("appVersion"));
    }

    [Fact]
    public void EveryImageTagWrittenDownIsTheVersion()
    {
        var kustomization = File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "manager", "kustomization.yaml"));
        Assert.Equal(ReleaseInfo.Version, NewTag().Match(kustomization).Groups["tag"].Value);

        // values.yaml leaves the tag empty, which means appVersion (checked above); a tag written there would be a
        // second place to bump.
        var values = File.ReadAllText(Path.Combine(Chart.Dir, "values.yaml"));
        Assert.Equal("\"\"", ValuesTag().Match(values).Groups["tag"].Value);
        var allFeatures = File.ReadAllText(Chart.AllFeaturesValues);
        Assert.Equal($"\"{ReleaseInfo.Version}\"", ValuesTag().Match(allFeatures).Groups["tag"].Value);

        var makefile = File.ReadAllText(Path.Combine(RepoPaths.Root, "Makefile"));
        Assert.Contains("VERSION := $(shell cat VERSION)", makefile, StringComparison.Ordinal);
        Assert.Contains($"IMAGE_REPO ?= {ReleaseInfo.ImageRepository}\nIMG ?= $(IMAGE_REPO):$(VERSION)\n", makefile, StringComparison.Ordinal);
    }

    [HelmFact]
    public async Task TheChartDeploysTheImageOfTheVersion()
    {
        var manifests = await Chart.RenderAsync();
        Assert.Equal($"{ReleaseInfo.ImageRepository}:{ReleaseInfo.Version}", manifests.OperatorContainer()["image"]!.GetValue<string>());
        var deployment = manifests.Single("Deployment");
        Assert.Equal(ReleaseInfo.Version, deployment["metadata"]!["labels"]!["app.kubernetes.io/version"]!.GetValue<string>());
        Assert.Equal(ReleaseInfo.Version, deployment["spec"]!["template"]!["metadata"]!["labels"]!["app.kubernetes.io/version"]!.GetValue<string>());
    }

    [Fact]
    public async Task VersionCommandPrintsTheBuildAsTextAndJson()
    {
        var build = new BuildInfo("9.8.7", "0123456789abcdef0123456789abcdef01234567", "linux", "arm64", ".NET 10.0.0", NativeAot: true);
        var root = new System.CommandLine.RootCommand { CommandTree.VersionCommand(build) };

        var text = new StringWriter();
        Assert.Equal(0, await CommandTree.InvokeAsync(root, ["version"], text, TextWriter.Null));
        Assert.Equal(
            "guardduty-coverage 9.8.7\ncommit:   0123456789abcdef0123456789abcdef01234567\nplatform: linux/arm64\nruntime:  .NET 10.0.0 (NativeAOT)\n",
            text.ToString());

        var json = new StringWriter();
        Assert.Equal(0, await CommandTree.InvokeAsync(root, ["version", "-o", "json"], json, TextWriter.Null));
        var parsed = JsonNode.Parse(json.ToString())!.AsObject();
        Assert.Equal(["version", "revision", "os", "arch", "runtime", "nativeAot"], parsed.Select(p => p.Key));
        Assert.Equal("9.8.7", parsed["version"]!.GetValue<string>());
        Assert.Equal("arm64", parsed["arch"]!.GetValue<string>());
        Assert.True(parsed["nativeAot"]!.GetValue<bool>());

        var refused = new StringWriter();
        Assert.Equal(2, await CommandTree.InvokeAsync(root, ["version", "-o", "xml"], TextWriter.Null, refused));
        Assert.StartsWith("error: ", refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheShippedVersionCommandReportsThisBuild()
    {
        var output = new StringWriter();
        Assert.Equal(0, await CommandTree.InvokeAsync(CommandTree.Build(), ["version", "-o", "json"], output, TextWriter.Null));
        var parsed = JsonNode.Parse(output.ToString())!;
        Assert.Equal(ReleaseInfo.Version, parsed["version"]!.GetValue<string>());
        Assert.Equal(BuildInfo.KubernetesArch(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture), parsed["arch"]!.GetValue<string>());
        // The tests run JIT-compiled: only the published binary is NativeAOT (hack/check-arch.sh checks that one).
        Assert.False(parsed["nativeAot"]!.GetValue<bool>());
    }

    [Fact]
    public void BuildInfoSplitsTheInformationalVersion()
    {
        var build = BuildInfo.Current;
        // The SDK appends +<commit> when it builds from a git checkout; without one the revision says so.
        Assert.True(build.Revision == BuildInfo.UnknownRevision || CommitSha().IsMatch(build.Revision), build.Revision);
        Assert.DoesNotContain("+", build.Version, StringComparison.Ordinal);
        Assert.StartsWith(build.Version + " (commit ", build.Summary, StringComparison.Ordinal);
        Assert.Equal("amd64", BuildInfo.KubernetesArch(System.Runtime.InteropServices.Architecture.X64));
        Assert.Equal("arm64", BuildInfo.KubernetesArch(System.Runtime.InteropServices.Architecture.Arm64));
    }

    [Fact]
    public void BuildInfoGaugeCarriesTheBuild()
    {
        var metrics = new GuardDutyCoverage.Runtime.MetricsRegistry();
        var build = new BuildInfo("9.8.7", "abc1234", "linux", "arm64", ".NET 10.0.0", NativeAot: true);
        GuardDutyCoverage.Controller.OperatorHost.RegisterBuildInfo(metrics, build);
        Assert.Contains(
            "guardduty_coverage_build_info{version=\"9.8.7\",revision=\"abc1234\",arch=\"arm64\",runtime=\".NET 10.0.0\"} 1\n",
            metrics.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetVersionChangesEveryPlaceAndRefusesANonSemanticVersion()
    {
        using var scratch = new TempDirectory();
        foreach (var file in new[] { "VERSION", "charts/guardduty-coverage-operator/Chart.yaml", "charts/guardduty-coverage-operator/ci/all-features-values.yaml", "config/manager/kustomization.yaml" })
        {
            var target = Path.Combine(scratch.Path, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(RepoPaths.Root, file), target);
        }

        var script = Path.Combine(RepoPaths.Root, "hack", "set-version.sh");
        (await DeployTools.RunAsync("env", ["REPO_ROOT=" + scratch.Path, "bash", script, "1.2.3-rc.1"])).Ok("set-version.sh 1.2.3-rc.1");
        Assert.Equal("1.2.3-rc.1\n", File.ReadAllText(Path.Combine(scratch.Path, "VERSION")));
        var chart = File.ReadAllLines(Path.Combine(scratch.Path, "charts/guardduty-coverage-operator/Chart.yaml"));
        Assert.Contains("version: 1.2.3-rc.1", chart);
        Assert.Contains("appVersion: \"1.2.3-rc.1\"", chart);
        Assert.Contains("  tag: \"1.2.3-rc.1\"", File.ReadAllLines(Path.Combine(scratch.Path, "charts/guardduty-coverage-operator/ci/all-features-values.yaml")));
        Assert.Contains("    newTag: 1.2.3-rc.1", File.ReadAllLines(Path.Combine(scratch.Path, "config/manager/kustomization.yaml")));
        // Nothing else in those files changed: the same number of lines.
        Assert.Equal(File.ReadAllLines(Path.Combine(Chart.Dir, "Chart.yaml")).Length, chart.Length);

        var refused = await DeployTools.RunAsync("env", ["REPO_ROOT=" + scratch.Path, "bash", script, "v1.2"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("not a semantic version", refused.StandardError, StringComparison.Ordinal);
        Assert.Equal("1.2.3-rc.1\n", File.ReadAllText(Path.Combine(scratch.Path, "VERSION")));
    }

    [GeneratedRegex(@"\A[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?\n?\z")]
    private static partial Regex SemVerLine();

    [GeneratedRegex(@"^    newTag: (?<tag>\S+)$", RegexOptions.Multiline)]
    private static partial Regex NewTag();

    [GeneratedRegex(@"^  tag: (?<tag>\S+)", RegexOptions.Multiline)]
    private static partial Regex ValuesTag();

    [GeneratedRegex(@"\A[0-9a-f]{7,40}\z")]
    private static partial Regex CommitSha();
}
