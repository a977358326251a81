using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed class ManagerTests : IAsyncLifetime
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);
    private const string WidgetsPath = "/apis/example.com/v1/widgets";
    private const string LeasePath = "/apis/coordination.k8s.io/v1/namespaces/default/leases/golden-operator-lock";
    private readonly ConcurrentQueue<string> reconciled = new();
    private readonly HttpClient http = new();
    private ScriptedApiServer server = null!;

    public async Task InitializeAsync() => server = await ScriptedApiServer.StartAsync();

    public async Task DisposeAsync()
    {
        http.Dispose();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task ServesProbesAndMetricsAndReconcilesWhatTheInformerSees()
    {
        var releaseList = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var list = Golden.Load("37");
        server.On(r => !r.IsWatch && r.Path == WidgetsPath, async (c, _) =>
        {
            await releaseList.Task;
            await ScriptedApiServer.RespondJsonAsync(c, 200, list.ResponseBody);
        });
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold);
        await using var manager = NewManager(new ManagerOptions { MetricsBindAddress = "127.0.0.1:0", HealthProbeBindAddress = "127.0.0.1:0" });
        var twoReconciled = WireWidgets(manager, expected: 2);

        using var stop = new CancellationTokenSource();
        var run = manager.RunAsync(stop.Token);
        await manager.Started.WaitAsync(Generous);

        var notReady = await GetAsync(manager.HealthProbeAddress!, "/readyz");
        Assert.Equal(HttpStatusCode.InternalServerError, notReady.Status);
        Assert.Contains("[-]informers failed: not synced: widgets.example.com", notReady.Body);
        Assert.Equal((HttpStatusCode.OK, "ok"), await GetAsync(manager.HealthProbeAddress!, "/healthz"));

        releaseList.SetResult();
        await twoReconciled.WaitAsync(Generous);
        Assert.Equal((HttpStatusCode.OK, "ok"), await GetAsync(manager.HealthProbeAddress!, "/readyz"));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(manager.HealthProbeAddress!, "/readyz/informers")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(manager.HealthProbeAddress!, "/nothing")).Status);

        var metrics = await GetAsync(manager.MetricsAddress!, "/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.Status);
        Assert.Contains("controller_runtime_reconcile_total{controller=\"widgets\",result=\"success\"} 2\n", metrics.Body);
        Assert.Contains("workqueue_adds_total{name=\"widgets\",controller=\"widgets\"} 2\n", metrics.Body);
        Assert.Contains("rest_client_requests_total{code=\"200\",method=\"GET\"", metrics.Body);
        Assert.Equal(["w2", "w4"], reconciled.Order());

        await stop.CancelAsync();
        Assert.Equal(ManagerExit.Stopped, await run.WaitAsync(Generous));
    }

    [Fact]
    public async Task AFollowerIsReadyButDoesNotReconcile()
    {
        server.OnGolden("37", r => !r.IsWatch);
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold);
        server.OnGolden("65", once: false);
        await using var manager = NewManager(new ManagerOptions
        {
            HealthProbeBindAddress = "127.0.0.1:0",
            LeaderElection = true,
            LeaderElectionId = "golden-operator-lock",
            LeaderElectionNamespace = "default",
            Identity = "operator-z",
            LeaseDuration = TimeSpan.FromSeconds(15),
            RenewDeadline = TimeSpan.FromSeconds(1),
            RetryPeriod = TimeSpan.FromMilliseconds(20),
        });
        _ = WireWidgets(manager, expected: 2);

        using var stop = new CancellationTokenSource();
        var run = manager.RunAsync(stop.Token);
        await server.WaitForAsync(r => r.Path == LeasePath, count: 3);

        Assert.Equal((HttpStatusCode.OK, "ok"), await GetAsync(manager.HealthProbeAddress!, "/readyz"));
        Assert.False(manager.LeaderElector!.IsLeader);
        Assert.Equal("operator-a", manager.LeaderElector.ObservedLeader);
        Assert.Empty(reconciled);
        Assert.DoesNotContain(server.Requests, r => r.Path == LeasePath && r.Method != "GET");

        await stop.CancelAsync();
        Assert.Equal(ManagerExit.Stopped, await run.WaitAsync(Generous));
    }

    [Fact]
    public async Task TheLeaderReconcilesAndExitsWhenLeadershipIsLost()
    {
        server.OnGolden("37", r => !r.IsWatch);
        server.OnWatch(WidgetsPath, [], WatchEnd.Hold);
        server.OnJson("GET", LeasePath, 404, Golden.Load("17").ResponseBody);
        server.OnGolden("62");
        server.OnJson("GET", LeasePath, 500, JsonNode.Parse("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcd down","reason":"InternalError","code":500}"""), once: false);
        await using var manager = NewManager(new ManagerOptions
        {
            LeaderElection = true,
            LeaderElectionId = "golden-operator-lock",
            LeaderElectionNamespace = "default",
            Identity = "operator-a",
            LeaseDuration = TimeSpan.FromSeconds(2),
            RenewDeadline = TimeSpan.FromMilliseconds(500),
            RetryPeriod = TimeSpan.FromMilliseconds(50),
        });
        var twoReconciled = WireWidgets(manager, expected: 2);

        var run = manager.RunAsync(CancellationToken.None);
        await twoReconciled.WaitAsync(Generous);

        Assert.Equal(ManagerExit.LeadershipLost, await run.WaitAsync(Generous));
        Assert.Equal(0, manager.RuntimeMetrics.LeaderElectionMasterStatus.Value("golden-operator-lock"));
        Assert.Single(server.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task AFailingRunnableStopsTheManager()
    {
        await using var manager = NewManager(new ManagerOptions());
        manager.AddRunnable("poller", _ => Task.FromException(new InvalidOperationException("poller broke")), needsLeaderElection: false);
        Assert.Equal(ManagerExit.Failed, await manager.RunAsync(CancellationToken.None).WaitAsync(Generous));
        await Assert.ThrowsAsync<InvalidOperationException>(() => manager.RunAsync(CancellationToken.None));
        Assert.Throws<InvalidOperationException>(() => manager.AddInformer(Widget.Type));
    }

    [Fact]
    public void BadOptionsAreClearErrors()
    {
        var config = server.Configuration;
        var error = Assert.Throws<ArgumentException>(() => new Manager(config, new ManagerOptions { MetricsBindAddress = "8080" }));
        Assert.Contains("--metrics-bind-address", error.Message);
        Assert.Throws<ArgumentException>(() => new Manager(config, new ManagerOptions { LeaderElection = true }));
    }

    private Manager NewManager(ManagerOptions options) => new(server.Configuration, options);

    private Task WireWidgets(Manager manager, int expected)
    {
        var informer = manager.AddInformer(Widget.Type, new InformerOptions { InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(5) });
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var controller = manager.AddController<string>("widgets", (name, _) =>
        {
            reconciled.Enqueue(name);
            if (reconciled.Count >= expected)
            {
                done.TrySetResult();
            }

            return Task.FromResult(ReconcileResult.Done);
        });
        informer.AddEventHandler(w => controller.Queue.Add(w.Metadata.Name), (_, w) => controller.Queue.Add(w.Metadata.Name), w => controller.Queue.Add(w.Metadata.Name));
        return done.Task;
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(Uri address, string path)
    {
        using var response = await http.GetAsync(new Uri(address, path));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
