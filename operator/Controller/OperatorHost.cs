using System.Net;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Runtime;
using GuardDutyCoverage.Util;
using Microsoft.Extensions.Logging;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Controller;

/// <summary>Settings of one operator process (the <c>run</c> command's flags).</summary>
public sealed record RunSettings
{
    public required KubernetesClientConfiguration Kubernetes { get; init; }

    public OperatorOptions Operator { get; init; } = new();

    public bool LeaderElect { get; init; }

    public string LeaderElectionId { get; init; } = "guardduty-coverage-operator";

    public string? LeaderElectionNamespace { get; init; }

    public string MetricsBindAddress { get; init; } = ":8080";

    public string HealthProbeBindAddress { get; init; } = ":8081";

    /// <summary>How often free GC memory left by a burst is looked for and returned (<c>--memory-trim-period</c>); null: never.</summary>
    public TimeSpan? MemoryTrimPeriod { get; init; }

    /// <summary>AWS endpoint overrides every CR inherits (AWS_ENDPOINT_URL*).</summary>
    public AwsEndpointOverrides AwsEndpoints { get; init; } = AwsEndpointOverrides.None;

    /// <summary>The operator's own namespace (POD_NAMESPACE): where notification Secrets live.</summary>
    public string? OperatorNamespace { get; init; }

    /// <summary>AWS clients; null: the SDK's default credential chain over a process-wide HTTP client.</summary>
    public IAwsClientFactory? AwsClients { get; init; }

    /// <summary>How a CR without <c>spec.region</c> gets one; null: AWS_REGION, AWS_DEFAULT_REGION, instance metadata.</summary>
    public AwsRegionResolver? AwsRegions { get; init; }

    /// <summary>The clock of the manager, the queue and the poller (tests use a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Poller tuning (tests make jitter deterministic).</summary>
    public CoveragePollerOptions? Poller { get; init; }

    /// <summary>EventBridge clients per Region; null: from <see cref="AwsClients"/>' own factory (the real one only).</summary>
    public Func<string, IEventBridgeClient>? EventBridgeClients { get; init; }
}

/// <summary>
/// Wires the operator: runtime manager (informers, leader election, probes, metrics), the shared AWS poller and the
/// GuardDutyCoverage controller. Only the leader polls AWS and reconciles; every replica keeps warm caches.
/// </summary>
public static class OperatorHost
{
    public const string Name = "guardduty-coverage-operator";

    /// <summary>The GC the process runs with (the image fixes it; the csproj says why): what a memory report starts from.</summary>
    internal static string GcMode() =>
        (System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")
        + (GC.GetConfigurationVariables().TryGetValue("ConcurrentGC", out var concurrent) && concurrent is true ? " concurrent" : " non-concurrent");

    /// <summary>Exit codes: 0 stopped on request, 1 leadership lost or a component failed (restart me), 2 bad setup.</summary>
    public static async Task<int> RunAsync(RunSettings settings, ILoggerFactory loggerFactory, CancellationToken cancellationToken, Action<Manager>? started = null)
    {
        var logger = loggerFactory.CreateLogger(Name);
        var build = BuildInfo.Current;
        logger.LogInformation(
            "guardduty-coverage {Version} starting (commit {Revision}, {Platform}, {Runtime}, NativeAOT {NativeAot}, {GcMode} GC)",
            build.Version, build.Revision, build.Platform, build.Runtime, build.NativeAot, GcMode());
        await using var manager = new Manager(
            settings.Kubernetes,
            new ManagerOptions
            {
                LeaderElection = settings.LeaderElect,
                LeaderElectionId = settings.LeaderElectionId,
                LeaderElectionNamespace = settings.LeaderElectionNamespace,
                MetricsBindAddress = settings.MetricsBindAddress,
                HealthProbeBindAddress = settings.HealthProbeBindAddress,
                FieldManager = Name,
                InformerStaleAfter = settings.Operator.ClusterViewStaleAfter,
                MemoryTrimPeriod = settings.MemoryTrimPeriod,
            },
            loggerFactory,
            settings.Time);

        RegisterBuildInfo(manager.Metrics, build);
        await PreflightAsync(manager.Client, settings.Kubernetes.Host, cancellationToken).ConfigureAwait(false);

        // A signed AWS request is never replayed to wherever a redirect points (the session token would go along).
        using var awsHttp = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
        using var notifyTransport = new NotificationTransport(settings.Operator.AllowedNotificationUrls);
        using var ownAwsClients = settings.AwsClients is null ? new AwsClientFactory(awsHttp, AwsCredentialsSource.DefaultChain(), new AwsClientOptions()) : null;
        var coverageMetrics = new CoverageMetrics(manager.Metrics);
        var poller = new CoveragePoller(
            settings.AwsClients ?? ownAwsClients!,
            settings.AwsRegions ?? AwsRegionResolver.FromProcess(awsHttp),
            manager.Time,
            settings.Poller)
        {
            Logger = loggerFactory.CreateLogger<CoveragePoller>(),
            Failures = coverageMetrics.AwsError,
        };

        var view = ClusterView.Register(manager, settings.Operator.AgentNamespaces);
        var probes = new ProbeRunner(manager.Client, manager.Time, loggerFactory.CreateLogger<ProbeRunner>());
        var reconciler = new CoverageReconciler(
            name => view.Coverages.Cache.Get(name),
            view,
            probes,
            poller,
            new ServerVersionSource(manager.Client, manager.Time),
            manager.StatusPatcher,
            manager.CreateEventRecorder(Name),
            new Remediator(manager.Client),
            coverageMetrics,
            settings.Operator,
            manager.Time,
            loggerFactory.CreateLogger<CoverageReconciler>())
        {
            DefaultEndpoints = settings.AwsEndpoints,
            EventBridge = (settings.EventBridgeClients ?? (ownAwsClients is null ? null : (Func<string, IEventBridgeClient>)(region => ownAwsClients.EventBridge(region, settings.AwsEndpoints.Events)))) is { } eventBridge
                ? new EventBridgeNotifier(eventBridge, settings.Operator.NotifyEventBus, settings.Operator.DefaultRegion)
                : null,
            Notifier = new Notifier(manager.Client, notifyTransport, settings.OperatorNamespace),
            StaleView = target => manager.InformerMonitor.Stale(view.DependenciesOf(target.AgentNamespace)),
            AgentLogs = settings.Operator.ReadAgentLogs ? new AgentLogReader(manager.Client, loggerFactory.CreateLogger<AgentLogReader>()) : null,
        };

        var controller = manager.AddController<string>(
            CoverageReconciler.ControllerName,
            reconciler.ReconcileAsync,
            new ControllerOptions { Workers = settings.Operator.MaxConcurrentReconciles });
        Wire(view, controller.Queue);
        probes.RefreshCompleted = controller.Queue.Add;

        // An informer turning stale, or current again after being stale, changes what every GuardDutyCoverage may say.
        manager.InformerMonitor.Changed += () =>
        {
            foreach (var coverage in view.Coverages.Cache.List())
            {
                controller.Queue.Add(coverage.Metadata.Name);
            }
        };
        manager.AddRunnable("aws-coverage-poller", poller.RunAsync, needsLeaderElection: true);
        manager.AddRunnable("aws-coverage-changes", async ct =>
        {
            await foreach (var key in poller.Changes.ReadAllAsync(ct).ConfigureAwait(false))
            {
                controller.Queue.Add(key);
            }
        }, needsLeaderElection: true);

        started?.Invoke(manager);
        var exit = await manager.RunAsync(cancellationToken).ConfigureAwait(false);
        switch (exit)
        {
            case ManagerExit.Stopped:
                return 0;
            case ManagerExit.LeadershipLost:
                logger.LogError("leadership lost: exiting so a fresh process can campaign again");
                return 1;
            default:
                logger.LogError("a component failed: exiting");
                return 1;
        }
    }

    /// <summary>
    /// <c>guardduty_coverage_build_info{version,revision,arch,runtime} 1</c>: which build each replica runs, the usual
    /// Prometheus build-info gauge (join on it; alert on two versions side by side after a rollout).
    /// </summary>
    public static void RegisterBuildInfo(MetricsRegistry metrics, BuildInfo build) =>
        metrics.Gauge("guardduty_coverage_build_info", "The operator build: version, git revision, CPU architecture and .NET runtime; always 1.", "version", "revision", "arch", "runtime")
            .Set(1, build.Version, build.Revision, build.Arch, build.Runtime);

    /// <summary>Every change enqueues the GuardDutyCoverages it concerns (typically one per cluster).</summary>
    public static void Wire(ClusterView view, WorkQueue<string> queue)
    {
        view.Coverages.AddEventHandler(
            onAdd: c => queue.Add(c.Metadata.Name),
            onUpdate: (before, after) =>
            {
                // Our own status writes come back as updates: only spec changes (generation) and lost status matter.
                if (before.Metadata.Generation != after.Metadata.Generation || after.Status is null || after.Metadata.DeletionTimestamp is not null)
                {
                    queue.Add(after.Metadata.Name);
                }
            },
            onDelete: c => queue.Add(c.Metadata.Name));
        view.OnChange(agentNamespace =>
        {
            foreach (var coverage in view.Coverages.Cache.List())
            {
                if (agentNamespace is null || coverage.Spec.Agent.Namespace == agentNamespace)
                {
                    queue.Add(coverage.Metadata.Name);
                }
            }
        });
    }

    /// <summary>Fails fast with one actionable line when the API server is unreachable, rejects us, or lacks the CRD.</summary>
    public static async Task PreflightAsync(KubeApiClient client, string? host, CancellationToken cancellationToken)
    {
        try
        {
            _ = await client.GetPathAsync("/version", KubeJson.TypeInfo<VersionInfo>(), cancellationToken).ConfigureAwait(false);
            V1APIResourceList? resources;
            try
            {
                resources = await client.GetPathAsync($"/apis/{V1Alpha1GuardDutyCoverage.Group}/{V1Alpha1GuardDutyCoverage.Version}", KubeJson.TypeInfo<V1APIResourceList>(), cancellationToken).ConfigureAwait(false);
            }
            catch (KubeApiException e) when (e.IsNotFound)
            {
                // kube-apiserver answers "404 page not found" for a group/version no CRD serves: the CRD is missing.
                resources = null;
            }

            if (resources?.Resources?.Any(r => r.Name == V1Alpha1GuardDutyCoverage.Plural) != true)
            {
                throw new PreflightException(
                    $"the GuardDutyCoverage CRD ({V1Alpha1GuardDutyCoverage.Plural}.{V1Alpha1GuardDutyCoverage.Group}/{V1Alpha1GuardDutyCoverage.Version}) is not installed in the cluster at {host}: " +
                    "kubectl apply -f crds/ (or install the Helm chart with crds.enabled=true)");
            }
        }
        catch (KubeApiException e) when (e.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new PreflightException($"the Kubernetes API server at {host} rejected our credentials ({(int)e.StatusCode}): {e.ServerMessage}", e);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException)
        {
            throw new PreflightException($"cannot reach the Kubernetes API server at {host}: {e.Message}", e);
        }
    }
}

/// <summary>The operator cannot start in this environment; the message says why and what to do.</summary>
public sealed class PreflightException(string message, Exception? inner = null) : Exception(message, inner);
