using KubeSandbox;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Sandbox;

/// <summary>The operator's Kubernetes client (KubernetesClient.Aot) against the sandbox through a written kubeconfig.</summary>
public sealed class ClientInteropTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sandbox-client-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task KubernetesClient_reads_writes_patches_status_and_sees_conflicts()
    {
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { AnonymousUser = null });
        var kubeconfig = Path.Combine(_directory, "kubeconfig");
        sandbox.WriteKubeconfig(kubeconfig);
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));

        var namespaces = await client.CoreV1.ListNamespaceAsync();
        Assert.Contains(namespaces.Items, n => n.Metadata.Name == "kube-system");

        var lease = await client.CoordinationV1.CreateNamespacedLeaseAsync(
            new V1Lease { Metadata = new V1ObjectMeta { Name = "lock" }, Spec = new V1LeaseSpec { HolderIdentity = "a", LeaseDurationSeconds = 15 } },
            "default");
        var stale = lease.Metadata.ResourceVersion;
        Assert.Equal("kubernetes-csharp", Assert.Single(lease.Metadata.ManagedFields).Manager); // the User-Agent's program name

        // KubernetesClient.Aot's serializer cannot write managedFields back (fieldsV1 is a JsonElement its context
        // lacks), as against a real cluster; an update without managedFields leaves the stored ones as they are.
        lease.Metadata.ManagedFields = null;
        lease.Spec.HolderIdentity = "b";
        var renewed = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "lock", "default");
        Assert.Equal("b", renewed.Spec.HolderIdentity);
        lease.Metadata.ResourceVersion = stale;
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "lock", "default"));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, conflict.Response.StatusCode);

        await client.AppsV1.CreateNamespacedDaemonSetAsync(
            new V1DaemonSet
            {
                Metadata = new V1ObjectMeta { Name = "agent" },
                Spec = new V1DaemonSetSpec
                {
                    Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["name"] = "agent" } },
                    Template = new V1PodTemplateSpec
                    {
                        Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["name"] = "agent" } },
                        Spec = new V1PodSpec { Containers = [new V1Container { Name = "agent", Image = "agent:1.0" }] },
                    },
                },
            },
            "default");
        var patched = await client.AppsV1.PatchNamespacedDaemonSetStatusAsync(
            new V1Patch("""{"status":{"desiredNumberScheduled":3,"numberReady":2}}""", V1Patch.PatchType.MergePatch), "agent", "default");
        Assert.Equal((3, 2, 1L), (patched.Status.DesiredNumberScheduled, patched.Status.NumberReady, patched.Metadata.Generation!.Value));
        Assert.Equal("IfNotPresent", patched.Spec.Template.Spec.Containers[0].ImagePullPolicy);

        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => client.AppsV1.ReadNamespacedDaemonSetAsync("nope", "default"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.True(missing.Response.Content.Contains("daemonsets.apps", StringComparison.Ordinal), "content: " + missing.Response.Content);
    }
}
