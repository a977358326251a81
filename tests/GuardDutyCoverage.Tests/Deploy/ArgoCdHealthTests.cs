using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Tests.Deploy;

public sealed partial class ArgoCdHealthTests
{
    public static TheoryData<StatusShape> Shapes => new(CoverageStatusShapes.All);

    [LuaTheory]
    [MemberData(nameof(Shapes))]
    public async Task HealthCheckReadsEveryStatusTheOperatorWrites(StatusShape shape)
    {
        foreach (var lua in ArgoCdHealth.Interpreters())
        {
            var (status, message) = await ArgoCdHealth.EvaluateAsync(lua, shape.Json);
            Assert.True(shape.ArgoHealth == status, $"{lua}, {shape.Name}: expected {shape.ArgoHealth}, got {status} ({message})");
            Assert.Equal(shape.ArgoMessage, message);
        }
    }

    [LuaTheory]
    [InlineData("""{"apiVersion":"coverage.guardduty.io/v1alpha1","kind":"GuardDutyCoverage","metadata":{"name":"x"},"spec":{"clusterName":"x"}}""", "Progressing", "Waiting for the operator to report status")]
    [InlineData("""{"metadata":{"generation":2},"status":{"observedGeneration":2}}""", "Progressing", "Waiting for the Ready condition")]
    [InlineData("""{"metadata":{"generation":1},"status":{"conditions":[{"type":"Ready","status":"True","reason":"R"}]}}""", "Progressing", "Waiting for the operator to observe generation 1")]
    [InlineData("""{"metadata":{"generation":2},"status":{"observedGeneration":2,"conditions":[{"type":"Ready","status":"False","reason":"AgentDaemonSetMissing","message":""}]}}""", "Degraded", "AgentDaemonSetMissing")]
    [InlineData("""{"metadata":{"generation":2},"status":{"observedGeneration":2,"conditions":[{"type":"Ready","status":"True","reason":"CoverageHealthy"},{"type":"Stalled","status":"True","reason":"Broken","message":"stalled wins"}]}}""", "Degraded", "stalled wins")]
    [InlineData("""{"metadata":{"generation":2},"status":{"observedGeneration":2,"conditions":[{"type":"Ready","status":"True","reason":"R","message":"ünïcode \"quoted\" \\ back\nslash"}]}}""", "Healthy", "ünïcode \"quoted\" \\ back\nslash")]
    public async Task HealthCheckHandlesPartialAndHostileStatuses(string json, string expectedStatus, string expectedMessage)
    {
        foreach (var lua in ArgoCdHealth.Interpreters())
        {
            var (status, message) = await ArgoCdHealth.EvaluateAsync(lua, JsonNode.Parse(json)!);
            Assert.Equal(expectedStatus, status);
            Assert.Equal(expectedMessage, message);
        }
    }

    [KubectlFact]
    public async Task KustomizeComponentPutsTheScriptIntoArgocdCm()
    {
        using var scratch = new TempDirectory();
        var install = Path.Combine(scratch.Path, "argocd");
        Directory.CreateDirectory(install);
        // Argo CD's upstream install.yaml leaves namespaces to the kustomization that installs it.
        await File.WriteAllTextAsync(Path.Combine(install, "argocd-cm.yaml"), """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: argocd-cm
            data:
              url: https://argocd.example.com
            """);
        var component = Path.GetRelativePath(install, Path.Combine(RepoPaths.Root, "config", "argocd"));
        await File.WriteAllTextAsync(Path.Combine(install, "kustomization.yaml"), $"""
            namespace: argocd
            resources:
              - argocd-cm.yaml
            components:
              - {component}
            """);

        var configMap = (await Kustomize.BuildAsync(install)).Single("ConfigMap");
        Assert.Equal("argocd", Manifests.Namespace(configMap));
        Assert.Equal("https://argocd.example.com", configMap["data"]!["url"]!.GetValue<string>());
        Assert.Equal(
            await File.ReadAllTextAsync(ArgoCdHealth.Script),
            configMap["data"]!["resource.customizations.health.coverage.guardduty.io_GuardDutyCoverage"]!.GetValue<string>());
    }

    [Fact]
    public async Task GitopsDocCarriesTheSameScript()
    {
        var doc = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "docs", "gitops.md"));
        var script = await File.ReadAllTextAsync(ArgoCdHealth.Script);
        var blocks = ArgoCdValuesBlock().Matches(doc);
        Assert.NotEmpty(blocks);
        foreach (Match block in blocks)
        {
            var values = YamlJson.Parse(block.Groups["yaml"].Value)!;
            var embedded = values["configs"]!["cm"]!["resource.customizations.health.coverage.guardduty.io_GuardDutyCoverage"]!.GetValue<string>();
            Assert.Equal(script, embedded);
        }
    }

    [GeneratedRegex("```yaml\\n(?<yaml># argo-cd chart values\\n.*?)```", RegexOptions.Singleline)]
    private static partial Regex ArgoCdValuesBlock();
}
