using System.Diagnostics;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Cli;
using GuardDutyCoverage.Sandbox.Scenarios;
using KubeSandbox;
using GuardDutyCoverage.Tests.Deploy;
using GuardDutyCoverage.Util;
using Microsoft.Extensions.Time.Testing;
using CommandTree = GuardDutyCoverage.Cli.CommandLine;

namespace GuardDutyCoverage.Tests.Docs;

/// <summary>
/// The bundle collection commands of docs/cli.md, run as written by bash with the real kubectl against the in-process
/// API server holding the healthy fixture's objects; <c>diagnose --bundle</c> must recognise every file they wrote.
/// </summary>
public sealed class BundleRecipeTests
{
    private static CodeBlock Block(string marker) =>
        DocPage.Load("cli.md").Blocks.Single(b => b.Language == "sh" && b.Body.Contains(marker, StringComparison.Ordinal));

    private static async Task<SandboxServer> SandboxWithTheHealthyClusterAsync(bool withCoverage)
    {
        var sandbox = await SandboxServer.StartAsync(new SandboxOptions { KubernetesVersion = EksScenario.KubernetesVersion });
        var objects = new List<JsonObject>();
        foreach (var file in Directory.EnumerateFiles(RepoPaths.TestData("bundles", "healthy", "kubectl")).Where(f => !f.EndsWith("version.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            foreach (var document in YamlJson.ParseAll(await File.ReadAllTextAsync(file)))
            {
                objects.AddRange(document["items"] is JsonArray items ? items.Select(i => (JsonObject)i!.DeepClone()) : [(JsonObject)document.DeepClone()]);
            }
        }

        // Namespaces first, as the API server wants them.
        foreach (var obj in objects.OrderBy(o => (string?)o["kind"] == "Namespace" ? 0 : 1))
        {
            sandbox.Cluster.Upsert(obj);
        }

        if (withCoverage)
        {
            sandbox.Cluster.Upsert(YamlJson.Parse(await File.ReadAllTextAsync(RepoPaths.Crd))!.AsObject());
            sandbox.Cluster.Upsert(new JsonObject
            {
                ["apiVersion"] = "coverage.guardduty.io/v1alpha1",
                ["kind"] = "GuardDutyCoverage",
                ["metadata"] = new JsonObject { ["name"] = "prod" },
                ["spec"] = new JsonObject { ["clusterName"] = "prod-eks-1", ["region"] = "us-east-1" },
            });
        }

        return sandbox;
    }

    private static async Task RunScriptAsync(string script, string kubeconfig, string directory)
    {
        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["KUBECONFIG"] = kubeconfig;
        start.Environment["KUBECACHEDIR"] = Path.Combine(directory, ".kube-cache");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"the collection commands failed ({process.ExitCode}):\n{await stderr}\n{await stdout}");
    }

    private static async Task<(int Exit, JsonNode Report, string Error)> DiagnoseAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = CommandTree.Build(new DiagnoseEnvironment(new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 17, 0, 0, TimeSpan.Zero)), () => false, _ => null));
        var exit = await CommandTree.InvokeAsync(root, ["diagnose", .. args, "-o", "json"], output, error);
        return (exit, JsonNode.Parse(output.ToString())!, error.ToString());
    }

    private static Dictionary<string, (string Status, string Reason)> Checks(JsonNode report) =>
        report["checks"]!.AsArray().ToDictionary(c => (string)c!["type"]!, c => ((string)c!["status"]!, (string)c["reason"]!));

    [KubectlFact]
    public async Task TheKubernetesCommandsCollectEveryKindTheDiagnosisReads()
    {
        await using var sandbox = await SandboxWithTheHealthyClusterAsync(withCoverage: false);
        using var scratch = new TempDirectory();
        var kubeconfig = Path.Combine(scratch.Path, "kubeconfig");
        sandbox.WriteKubeconfig(kubeconfig);

        await RunScriptAsync(Block("kubectl get --raw").Body, kubeconfig, scratch.Path);

        var bundle = Path.Combine(scratch.Path, "guardduty-bundle");
        Assert.Equal(
            ["clusterrolebindings.json", "daemonsets.json", "events.json", "limitranges.json", "mutatingwebhookconfigurations.json", "namespaces.json", "networkpolicies.json", "nodes.json", "pods.json", "priorityclasses.json", "resourcequotas.json", "subjectaccessreviews.json", "validatingwebhookconfigurations.json", "version.json"],
            Directory.EnumerateFiles(bundle).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var (exit, report, error) = await DiagnoseAsync("--bundle", bundle, "--cluster-name", "prod-eks-1", "--region", "us-east-1");
        Assert.Equal("", error);
        Assert.Empty(report["inputErrors"]!.AsArray());
        Assert.Equal(0, exit);
        Assert.Equal("Healthy", (string)report["local"]!);
        Assert.Equal("NotChecked", (string)report["guardDuty"]!["coverageStatus"]!);

        // Nothing the Kubernetes side decides is left NotObserved: the typed lists say "collected, none there".
        var checks = Checks(report);
        Assert.Equal(("True", "AgentAvailable"), checks["AgentReady"]);
        Assert.Equal(("True", "PriorityClassPresent"), checks["PriorityClassReady"]);
        Assert.Equal(("True", "AddonManagerAllowed"), checks["AddonManagerAuthorized"]);
        Assert.Equal(("True", "NoBlockingWebhooks"), checks["AdmissionAllowed"]);
        Assert.Equal(("True", "ConfigurationAsDeployed"), checks["AgentConfigurationValid"]);
        Assert.Contains("SubjectAccessReview", report["checks"]!.AsArray().Single(c => (string)c!["type"]! == "AddonManagerAuthorized")!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [KubectlFact]
    public async Task WithTheDeclarationAddedTheClusterNameAndRegionComeFromIt()
    {
        await using var sandbox = await SandboxWithTheHealthyClusterAsync(withCoverage: true);
        using var scratch = new TempDirectory();
        var kubeconfig = Path.Combine(scratch.Path, "kubeconfig");
        sandbox.WriteKubeconfig(kubeconfig);

        await RunScriptAsync(Block("kubectl get --raw").Body + "\n" + Block("kubectl get guarddutycoverages").Body, kubeconfig, scratch.Path);

        var (exit, report, error) = await DiagnoseAsync("--bundle", Path.Combine(scratch.Path, "guardduty-bundle"));
        Assert.Equal("", error);
        Assert.Equal(0, exit);
        Assert.Equal("prod-eks-1", (string)report["cluster"]!);
        Assert.Equal("us-east-1", (string)report["region"]!);
    }
}
