using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Tests.Runtime;

/// <summary>
/// A test class against its own <see cref="ScriptedApiServer"/>: a KubernetesClient and a <see cref="KubeApiClient"/>
/// with metrics pointed at it, and a token that stops whatever the test started when the test ends.
/// </summary>
public abstract class ScriptedApiServerTest : IAsyncLifetime
{
    protected readonly CancellationTokenSource stop = new();
    protected ScriptedApiServer server = null!;
    protected k8s.Kubernetes kubernetes = null!;
    protected KubeApiClient client = null!;
    protected MetricsRegistry registry = null!;

    public async Task InitializeAsync()
    {
        server = await ScriptedApiServer.StartAsync();
        kubernetes = server.CreateKubernetes();
        registry = new MetricsRegistry();
        client = new KubeApiClient(kubernetes, new RuntimeMetrics(registry));
    }

    public async Task DisposeAsync()
    {
        await stop.CancelAsync();
        stop.Dispose();
        kubernetes.Dispose();
        await server.DisposeAsync();
    }
}
