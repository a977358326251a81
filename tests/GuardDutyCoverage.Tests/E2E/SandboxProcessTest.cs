using GuardDutyCoverage.Sandbox.Scenarios;
using KubeSandbox;
using GuardDutyCoverage.Sandbox.Aws;
using GuardDutyCoverage.Tests.Aws;

namespace GuardDutyCoverage.Tests.E2E;

/// <summary>
/// Base of the tests that run the operator binary as a process against a sandbox API server of their own: a temporary
/// directory with the sandbox's kubeconfig, the healthy prod-eks-1 install of the demo with its AWS side, and a poll
/// that fails with what was awaited.
/// </summary>
public abstract class SandboxProcessTest(string directoryPrefix) : IAsyncLifetime
{
    protected string WorkDirectory { get; } = Directory.CreateTempSubdirectory(directoryPrefix).FullName;

    protected SandboxServer Sandbox { get; private set; } = null!;

    protected string Kubeconfig => Path.Combine(WorkDirectory, "kubeconfig");

    public async Task InitializeAsync()
    {
        Sandbox = await SandboxServer.StartAsync(new SandboxOptions { KubernetesVersion = EksScenario.KubernetesVersion });
        Sandbox.WriteKubeconfig(Kubeconfig);
    }

    public async Task DisposeAsync()
    {
        await Sandbox.DisposeAsync();
        Directory.Delete(WorkDirectory, recursive: true);
    }

    /// <summary>
    /// Loads the CRD and the demo's healthy prod-eks-1 agent install into the sandbox, a GuardDutyCoverage for it, and
    /// starts local AWS endpoints that report it as the demo does.
    /// </summary>
    protected async Task<LocalAws> SeedHealthyDemoClusterAsync()
    {
        Sandbox.Cluster.LoadYaml(await File.ReadAllTextAsync(RepoPaths.Crd));
        foreach (var file in new[] { "00-cluster.yaml", "10-healthy-agent.yaml" })
        {
            Sandbox.Cluster.LoadYaml(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "tests", "scenarios", "demo", file)));
        }

        var aws = await LocalAws.StartAsync();
        aws.State.RemoveDetector(LocalAws.DetectorId);
        LocalAwsSeed.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "tests", "scenarios", "demo-aws.yaml")), aws.Server.GuardDutyModel, aws.Server.EksModel)
            .ApplyTo(aws.State);
        Sandbox.Cluster.LoadYaml("""
            apiVersion: coverage.guardduty.io/v1alpha1
            kind: GuardDutyCoverage
            metadata: {name: prod-eks-1}
            spec: {clusterName: prod-eks-1, accountId: "111122223333"}
            """);
        return aws;
    }

    protected static async Task PollAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "never reached: " + what);
            await Task.Delay(50);
        }
    }
}
