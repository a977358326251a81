using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Runtime;

public sealed record ManagerOptions
{
    /// <summary>Take part in leader election: controllers and leader-only runnables run only while leading.</summary>
    public bool LeaderElection { get; init; }

    /// <summary>Name of the Lease.</summary>
    public string LeaderElectionId { get; init; } = "";

    /// <summary>Namespace of the Lease; default: the pod's namespace (service account), else the kubeconfig's, else "default".</summary>
    public string? LeaderElectionNamespace { get; init; }

    /// <summary>Holder identity; default: host name + "_" + a random UUID, as client-go does.</summary>
    public string? Identity { get; init; }

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    public bool LeaderElectionReleaseOnCancel { get; init; } = true;

    /// <summary><c>:8080</c>, <c>127.0.0.1:8080</c>, or <c>0</c> to disable.</summary>
    public string MetricsBindAddress { get; init; } = "0";

    /// <summary><c>:8081</c>, <c>127.0.0.1:8081</c>, or <c>0</c> to disable.</summary>
    public string HealthProbeBindAddress { get; init; } = "0";

    /// <summary>How long stopping waits for reconciles in flight.</summary>
    public TimeSpan GracefulShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Field manager of the manager's status patches.</summary>
    public string? FieldManager { get; init; }

    /// <summary>
    /// An informer not current (synced and watching) for longer than this makes the view stale: <c>/readyz</c> fails and
    /// <see cref="Manager.InformerMonitor"/> reports it.
    /// </summary>
    public TimeSpan InformerStaleAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How often <see cref="MemoryTrimmer"/> looks whether a burst left the GC's free memory committed; null: never
    /// (the default for embedding, tests; the <c>run</c> command sets it).
    /// </summary>
    public TimeSpan? MemoryTrimPeriod { get; init; }
}

public enum ManagerExit
{
    /// <summary>Cancelled: stopped in order.</summary>
    Stopped,

    /// <summary>Leadership was lost: the process must exit (non-zero) so a fresh one can campaign.</summary>
    LeadershipLost,

    /// <summary>A runnable failed; the manager stopped everything.</summary>
    Failed,
}

/// <summary>
/// Owns the shared client, informers, leader election, controllers and the metrics/health endpoints, and runs them
/// the way controller-runtime's manager does: endpoints first, then caches (leader or not), then — once caches are
/// synced and, with leader election, leadership is held — controllers and leader-only runnables. Stopping reverses it.
/// </summary>
public sealed class Manager : IAsyncDisposable
{
    private readonly Kubernetes kubernetes;
    private readonly ManagerOptions options;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly List<IInformer> informers = [];
    private readonly List<Runnable> runnables = [];
    private readonly List<Func<string>> queueStates = [];
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IPEndPoint? metricsBind;
    private readonly IPEndPoint? probeBind;
    private HttpEndpoint? metricsEndpoint;
    private HttpEndpoint? probeEndpoint;
    private int running;

    public Manager(KubernetesClientConfiguration configuration, ManagerOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        this.options = options ?? new ManagerOptions();
        if (!HttpEndpoint.TryParseBindAddress(this.options.MetricsBindAddress, out metricsBind, out var metricsError))
        {
            throw new ArgumentException("--metrics-bind-address: " + metricsError, nameof(options));
        }

        if (!HttpEndpoint.TryParseBindAddress(this.options.HealthProbeBindAddress, out probeBind, out var probeError))
        {
            throw new ArgumentException("--health-probe-bind-address: " + probeError, nameof(options));
        }

        if (this.options.LeaderElection && string.IsNullOrWhiteSpace(this.options.LeaderElectionId))
        {
            throw new ArgumentException("leader election needs a lease name (LeaderElectionId)", nameof(options));
        }

        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        logger = this.loggerFactory.CreateLogger("GuardDutyCoverage.Runtime.Manager");
        Time = timeProvider ?? TimeProvider.System;
        kubernetes = new Kubernetes(configuration);
        Metrics = new MetricsRegistry();
        RuntimeMetrics = new RuntimeMetrics(Metrics);
        _ = new ProcessMetrics(Metrics);
        Client = new KubeApiClient(kubernetes, RuntimeMetrics);
        Health = new HealthChecks();
        Identity = this.options.Identity is { Length: > 0 } identity ? identity : Environment.MachineName + "_" + Guid.NewGuid().ToString("D");
        StatusPatcher = new StatusPatcher(Client, this.options.FieldManager);
        InformerMonitor = new InformerMonitor(() => Informers, this.options.InformerStaleAfter, Time, RuntimeMetrics, this.loggerFactory.CreateLogger("GuardDutyCoverage.Runtime.InformerMonitor"));
        Health.AddReadinessCheck("informers", () =>
        {
            var pending = Informers.Where(i => !i.HasSynced).Select(i => i.Name).ToList();
            if (pending.Count > 0)
            {
                return HealthCheckResult.Fail("not synced: " + string.Join(", ", pending));
            }

            var stale = InformerMonitor.Stale();
            return stale.Count == 0
                ? HealthCheckResult.Ok
                : HealthCheckResult.Fail("not current: " + string.Join(", ", stale.Select(s => $"{s.Name} since {s.Since.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}")));
        });

        if (this.options.LeaderElection)
        {
            var leaseNamespace = this.options.LeaderElectionNamespace ?? InClusterNamespace() ?? configuration.Namespace ?? "default";
            LeaderElector = new LeaderElector(
                Client,
                new LeaderElectionOptions
                {
                    LeaseName = this.options.LeaderElectionId,
                    LeaseNamespace = leaseNamespace,
                    Identity = Identity,
                    LeaseDuration = this.options.LeaseDuration,
                    RenewDeadline = this.options.RenewDeadline,
                    RetryPeriod = this.options.RetryPeriod,
                    ReleaseOnCancel = this.options.LeaderElectionReleaseOnCancel,
                },
                Time,
                RuntimeMetrics,
                this.loggerFactory.CreateLogger("GuardDutyCoverage.Runtime.LeaderElector"));
        }
    }

    public KubeApiClient Client { get; }

    public MetricsRegistry Metrics { get; }

    public RuntimeMetrics RuntimeMetrics { get; }

    public HealthChecks Health { get; }

    public TimeProvider Time { get; }

    public string Identity { get; }

    public StatusPatcher StatusPatcher { get; }

    /// <summary>Null unless leader election is on.</summary>
    public LeaderElector? LeaderElector { get; }

    /// <summary>Which informers are current; runs with the caches on every replica.</summary>
    public InformerMonitor InformerMonitor { get; }

    /// <summary>Each controller's work queue in one line (<see cref="WorkQueue{TKey}.Describe"/>), for diagnostics.</summary>
    public IReadOnlyList<string> QueueStates
    {
        get
        {
            lock (queueStates)
            {
                return [.. queueStates.Select(describe => describe())];
            }
        }
    }

    public IReadOnlyList<IInformer> Informers
    {
        get
        {
            lock (informers)
            {
                return [.. informers];
            }
        }
    }

    /// <summary>Where /metrics is served once started (null when disabled).</summary>
    public Uri? MetricsAddress => metricsEndpoint?.Address;

    /// <summary>Where /healthz and /readyz are served once started (null when disabled).</summary>
    public Uri? HealthProbeAddress => probeEndpoint?.Address;

    /// <summary>Completes once the endpoints listen and the informers have been started.</summary>
    public Task Started => started.Task;

    /// <summary>An informer whose cache starts with the manager, leader or not.</summary>
    public Informer<T> AddInformer<T>(ResourceType<T> type, InformerOptions? informerOptions = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        EnsureNotStarted();
        var informer = new Informer<T>(Client, type, informerOptions, Time, RuntimeMetrics, loggerFactory.CreateLogger("GuardDutyCoverage.Runtime.Informer"));
        lock (informers)
        {
            informers.Add(informer);
        }

        return informer;
    }

    /// <summary>A controller whose workers run once caches are synced and (with leader election) while leading.</summary>
    public Controller<TKey> AddController<TKey>(string name, Func<TKey, CancellationToken, Task<ReconcileResult>> reconcile, ControllerOptions? controllerOptions = null)
        where TKey : notnull
    {
        EnsureNotStarted();
        var controller = new Controller<TKey>(name, reconcile, controllerOptions, Time, RuntimeMetrics, loggerFactory.CreateLogger("GuardDutyCoverage.Runtime.Controller"));
        lock (queueStates)
        {
            queueStates.Add(controller.Queue.Describe);
        }

        AddRunnable("controller " + name, controller.RunAsync, needsLeaderElection: true);
        return controller;
    }

    /// <summary>Any long-running task (e.g. a poller). It must return when its token is cancelled.</summary>
    public void AddRunnable(string name, Func<CancellationToken, Task> run, bool needsLeaderElection)
    {
        EnsureNotStarted();
        lock (runnables)
        {
            runnables.Add(new Runnable(name, run, needsLeaderElection));
        }
    }

    public EventRecorder CreateEventRecorder(string reportingController) =>
        new(Client, new EventRecorderOptions { ReportingController = reportingController, ReportingInstance = Identity }, Time, loggerFactory.CreateLogger("GuardDutyCoverage.Runtime.EventRecorder"));

    /// <summary>Runs everything until cancelled, leadership is lost, or a runnable fails. Runs once.</summary>
    public async Task<ManagerExit> RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref running, 1) != 0)
        {
            throw new InvalidOperationException("the manager is already running");
        }

        using var cachesStop = new CancellationTokenSource();
        using var othersStop = new CancellationTokenSource();
        using var leaderStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var electionStop = new CancellationTokenSource();
        var failure = new TaskCompletionSource<ManagerExit>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cacheTasks = new List<Task>();
        var otherTasks = new List<Task>();
        var leaderTasks = new List<Task>();
        Task<LeaderElectionResult>? election = null;
        var leadershipRegistration = default(CancellationTokenRegistration);
        try
        {
            await StartEndpointsAsync(cancellationToken).ConfigureAwait(false);
            foreach (var informer in Informers)
            {
                cacheTasks.Add(Watch("informer " + informer.Name, informer.RunAsync(cachesStop.Token), failure));
            }

            cacheTasks.Add(Watch("informer monitor", InformerMonitor.RunAsync(cachesStop.Token), failure));
            if (options.MemoryTrimPeriod is { } trimPeriod)
            {
                var trimmer = new MemoryTrimmer(trimPeriod, Time, Metrics, loggerFactory.CreateLogger("GuardDutyCoverage.Runtime.MemoryTrimmer"));
                cacheTasks.Add(Watch("memory trimmer", trimmer.RunAsync(cachesStop.Token), failure));
            }

            started.TrySetResult();
            logger.LogInformation("Manager started: {Informers} informers, identity {Identity}", Informers.Count, Identity);

            var stopped = Task.Delay(Timeout.Infinite, cancellationToken);
            var synced = Task.WhenAll(Informers.Select(i => i.WaitForSyncAsync(cancellationToken)));
            if (await Task.WhenAny(synced, stopped, failure.Task).ConfigureAwait(false) != synced)
            {
                return failure.Task.IsCompleted ? failure.Task.Result : ManagerExit.Stopped;
            }

            logger.LogInformation("Caches synced");
            foreach (var runnable in Runnables.Where(r => !r.NeedsLeaderElection))
            {
                otherTasks.Add(Watch(runnable.Name, Task.Run(() => runnable.Run(othersStop.Token), CancellationToken.None), failure));
            }

            if (LeaderElector is { } elector)
            {
                election = elector.RunAsync(electionStop.Token);
                var leading = elector.WaitForLeadershipAsync(cancellationToken);
                var first = await Task.WhenAny(leading, stopped, failure.Task, election).ConfigureAwait(false);
                if (first == election && election.Result == LeaderElectionResult.Lost)
                {
                    return ManagerExit.LeadershipLost;
                }

                if (first != leading)
                {
                    return failure.Task.IsCompleted ? failure.Task.Result : ManagerExit.Stopped;
                }

                // Leader-only work stops the moment leadership ends, without waiting for the manager to be cancelled.
                leadershipRegistration = elector.LeadershipEnded.Register(leaderStop.Cancel);
            }

            foreach (var runnable in Runnables.Where(r => r.NeedsLeaderElection))
            {
                leaderTasks.Add(Watch(runnable.Name, Task.Run(() => runnable.Run(leaderStop.Token), CancellationToken.None), failure));
            }

            var waits = new List<Task> { stopped, failure.Task };
            if (election is not null)
            {
                waits.Add(election);
            }

            var ended = await Task.WhenAny(waits).ConfigureAwait(false);
            if (ended == failure.Task)
            {
                return failure.Task.Result;
            }

            if (election is not null && ended == election && election.Result == LeaderElectionResult.Lost)
            {
                logger.LogError("Leadership lost: stopping so a new process can campaign");
                return ManagerExit.LeadershipLost;
            }

            return ManagerExit.Stopped;
        }
        finally
        {
            await StopAsync(leaderStop, leaderTasks, electionStop, election, othersStop, otherTasks, cachesStop, cacheTasks).ConfigureAwait(false);
            await leadershipRegistration.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (metricsEndpoint is not null)
        {
            await metricsEndpoint.DisposeAsync().ConfigureAwait(false);
        }

        if (probeEndpoint is not null)
        {
            await probeEndpoint.DisposeAsync().ConfigureAwait(false);
        }

        LeaderElector?.Dispose();
        kubernetes.Dispose();
    }

    private IReadOnlyList<Runnable> Runnables
    {
        get
        {
            lock (runnables)
            {
                return [.. runnables];
            }
        }
    }

    private async Task StopAsync(
        CancellationTokenSource leaderStop,
        List<Task> leaderTasks,
        CancellationTokenSource electionStop,
        Task<LeaderElectionResult>? election,
        CancellationTokenSource othersStop,
        List<Task> otherTasks,
        CancellationTokenSource cachesStop,
        List<Task> cacheTasks)
    {
        // Reconciles in flight finish (or see cancellation) before the lease is released, so two leaders never overlap.
        await leaderStop.CancelAsync().ConfigureAwait(false);
        await othersStop.CancelAsync().ConfigureAwait(false);
        await WaitAsync("runnables", [.. leaderTasks, .. otherTasks]).ConfigureAwait(false);
        await electionStop.CancelAsync().ConfigureAwait(false);
        if (election is not null)
        {
            await WaitAsync("leader election", [election]).ConfigureAwait(false);
        }

        await cachesStop.CancelAsync().ConfigureAwait(false);
        await WaitAsync("informers", cacheTasks).ConfigureAwait(false);
        using var endpointsStop = new CancellationTokenSource(options.GracefulShutdownTimeout, Time);
        foreach (var endpoint in new[] { metricsEndpoint, probeEndpoint })
        {
            if (endpoint is not null)
            {
                try
                {
                    await endpoint.StopAsync(endpointsStop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    logger.LogWarning("HTTP endpoint {Address} did not stop in time", endpoint.Address);
                }
            }
        }

        logger.LogInformation("Manager stopped");
    }

    private async Task WaitAsync(string what, IReadOnlyList<Task> tasks)
    {
        if (tasks.Count == 0)
        {
            return;
        }

        try
        {
            await Task.WhenAll(tasks).WaitAsync(options.GracefulShutdownTimeout, Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("{What} did not stop within {Timeout}", what, options.GracefulShutdownTimeout);
        }
        catch (Exception)
        {
            // Failures were logged when they happened (Watch).
        }
    }

    private Task Watch(string name, Task task, TaskCompletionSource<ManagerExit> failure) =>
        task.ContinueWith(
            t =>
            {
                if (t.IsFaulted)
                {
                    logger.LogError(t.Exception?.GetBaseException(), "{Runnable} failed; stopping the manager", name);
                    failure.TrySetResult(ManagerExit.Failed);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private async Task StartEndpointsAsync(CancellationToken cancellationToken)
    {
        var metricsRoutes = new Dictionary<string, HttpHandler>(StringComparer.Ordinal) { ["/metrics"] = ServeMetricsAsync };
        var probeRoutes = new Dictionary<string, HttpHandler>(StringComparer.Ordinal)
        {
            ["/healthz"] = context => ServeHealthAsync(context, liveness: true, null),
            ["/readyz"] = context => ServeHealthAsync(context, liveness: false, null),
        };
        Func<HttpExchange, HttpHandler?> namedCheck = context =>
        {
            var path = context.Request.Path;
            foreach (var (prefix, liveness) in new[] { ("/healthz/", true), ("/readyz/", false) })
            {
                if (path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length)
                {
                    return c => ServeHealthAsync(c, liveness, path[prefix.Length..]);
                }
            }

            return null;
        };

        if (metricsBind is not null && probeBind is not null && metricsBind.Equals(probeBind) && metricsBind.Port != 0)
        {
            foreach (var (path, handler) in metricsRoutes)
            {
                probeRoutes[path] = handler;
            }

            metricsRoutes.Clear();
        }

        if (probeBind is not null)
        {
            probeEndpoint = new HttpEndpoint(probeBind, probeRoutes, namedCheck);
            await probeEndpoint.StartAsync(cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Serving health probes on {Address}", probeEndpoint.Address);
        }

        if (metricsBind is not null && metricsRoutes.Count > 0)
        {
            metricsEndpoint = new HttpEndpoint(metricsBind, metricsRoutes);
            await metricsEndpoint.StartAsync(cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Serving metrics on {Address}", metricsEndpoint.Address);
        }
    }

    private async Task ServeMetricsAsync(HttpExchange context)
    {
        context.Response.ContentType = MetricsRegistry.ContentType;
        InformerMonitor.Refresh();
        await context.Response.WriteAsync(Metrics.Render(), context.RequestAborted).ConfigureAwait(false);
    }

    private Task ServeHealthAsync(HttpExchange context, bool liveness, string? only)
    {
        var verbose = context.Request.HasQuery("verbose");
        var exclude = context.Request.QueryValues("exclude").Where(v => v.Length > 0).ToList();
        var report = liveness ? Health.CheckLiveness(verbose, exclude, only) : Health.CheckReadiness(verbose, exclude, only);
        context.Response.StatusCode = report.StatusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        return context.Response.WriteAsync(report.Body, context.RequestAborted);
    }

    private void EnsureNotStarted()
    {
        if (Volatile.Read(ref running) != 0)
        {
            throw new InvalidOperationException("add informers, controllers and runnables before the manager runs");
        }
    }

    private static string? InClusterNamespace()
    {
        const string path = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() is { Length: > 0 } ns ? ns : null : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private sealed record Runnable(string Name, Func<CancellationToken, Task> Run, bool NeedsLeaderElection);
}
