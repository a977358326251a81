namespace GuardDutyCoverage.Runtime;

/// <summary>
/// The standard metrics of the runtime, named as controller-runtime and client-go name them so existing dashboards
/// and alerts work unchanged.
/// </summary>
public sealed class RuntimeMetrics
{
    /// <summary>controller-runtime's reconcile_time_seconds buckets.</summary>
    private static readonly double[] ReconcileBuckets =
    [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
        1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
    ];

    public RuntimeMetrics(MetricsRegistry registry)
    {
        Registry = registry;
        ReconcileTotal = registry.Counter("controller_runtime_reconcile_total", "Total number of reconciliations per controller", "controller", "result");
        ReconcileErrors = registry.Counter("controller_runtime_reconcile_errors_total", "Total number of reconciliation errors per controller", "controller");
        ReconcilePanics = registry.Counter("controller_runtime_reconcile_panics_total", "Total number of reconciliation panics (unhandled exceptions) per controller", "controller");
        ReconcileTime = registry.Histogram("controller_runtime_reconcile_time_seconds", "Length of time per reconciliation per controller", ReconcileBuckets, "controller");
        ActiveWorkers = registry.Gauge("controller_runtime_active_workers", "Number of currently used workers per controller", "controller");
        MaxConcurrentReconciles = registry.Gauge("controller_runtime_max_concurrent_reconciles", "Maximum number of concurrent reconciles per controller", "controller");
        QueueDepth = registry.Gauge("workqueue_depth", "Current depth of workqueue", "name", "controller");
        QueueAdds = registry.Counter("workqueue_adds_total", "Total number of adds handled by workqueue", "name", "controller");
        QueueRetries = registry.Counter("workqueue_retries_total", "Total number of retries handled by workqueue", "name", "controller");
        QueueDuration = registry.Histogram("workqueue_queue_duration_seconds", "How long in seconds an item stays in workqueue before being requested", Histogram.ExponentialBuckets(10e-9, 10, 12), "name", "controller");
        WorkDuration = registry.Histogram("workqueue_work_duration_seconds", "How long in seconds processing an item from workqueue takes", Histogram.ExponentialBuckets(10e-9, 10, 12), "name", "controller");
        LeaderElectionMasterStatus = registry.Gauge("leader_election_master_status", "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease.", "name");
        RestClientRequests = registry.Counter("rest_client_requests_total", "Number of HTTP requests, partitioned by status code, method, and host.", "code", "method", "host");
        InformerEvents = registry.Counter("informer_events_total", "Watch and re-list events applied to informer caches, by resource and type.", "resource", "type");
        InformerRelists = registry.Counter("informer_relists_total", "Full re-lists of an informer, by resource and reason (initial, expired, error).", "resource", "reason");
        InformerLastSyncAge = registry.Gauge("informer_last_sync_age_seconds", "Seconds since the informer was last current (synced and watching); 0 while it is. informer names the informer when several watch one resource.", "resource", "informer");
    }

    public MetricsRegistry Registry { get; }

    public Counter ReconcileTotal { get; }

    public Counter ReconcileErrors { get; }

    public Counter ReconcilePanics { get; }

    public Histogram ReconcileTime { get; }

    public Gauge ActiveWorkers { get; }

    public Gauge MaxConcurrentReconciles { get; }

    public Gauge QueueDepth { get; }

    public Counter QueueAdds { get; }

    public Counter QueueRetries { get; }

    public Histogram QueueDuration { get; }

    public Histogram WorkDuration { get; }

    public Gauge LeaderElectionMasterStatus { get; }

    public Counter RestClientRequests { get; }

    public Counter InformerEvents { get; }

    public Counter InformerRelists { get; }

    public Gauge InformerLastSyncAge { get; }
}
