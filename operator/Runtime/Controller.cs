using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardDutyCoverage.Runtime;

public enum ReconcileOutcome
{
    /// <summary>Nothing more to do until something changes.</summary>
    Done,

    /// <summary>Come back after <see cref="ReconcileResult.After"/> (periodic re-check), without counting a failure.</summary>
    RequeueAfter,

    /// <summary>Try again after the key's rate-limited delay (e.g. a conflict), without counting an error.</summary>
    Requeue,

    /// <summary>Failed: retried after the key's exponentially growing delay, counted as an error.</summary>
    Error,
}

/// <summary>What a reconcile asks of its controller.</summary>
public sealed record ReconcileResult
{
    private ReconcileResult(ReconcileOutcome outcome, TimeSpan after, string? error)
    {
        Outcome = outcome;
        After = after;
        ErrorMessage = error;
    }

    public static ReconcileResult Done { get; } = new(ReconcileOutcome.Done, TimeSpan.Zero, null);

    public static ReconcileResult Requeue { get; } = new(ReconcileOutcome.Requeue, TimeSpan.Zero, null);

    public ReconcileOutcome Outcome { get; }

    public TimeSpan After { get; }

    public string? ErrorMessage { get; }

    public static ReconcileResult RequeueAfter(TimeSpan after) =>
        after > TimeSpan.Zero ? new(ReconcileOutcome.RequeueAfter, after, null) : Requeue;

    public static ReconcileResult Error(string message) => new(ReconcileOutcome.Error, TimeSpan.Zero, message);
}

public sealed record ControllerOptions
{
    /// <summary>Concurrent reconciles (controller-runtime's MaxConcurrentReconciles). Never two for the same key.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Retry delays per key; default 5 ms doubling to 1000 s.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(1000);
}

/// <summary>
/// N workers over a <see cref="WorkQueue{TKey}"/> calling one reconcile function. An exception from the reconcile is
/// caught, logged, counted and retried with backoff: it never takes the process down.
/// </summary>
public sealed class Controller<TKey>
    where TKey : notnull
{
    private readonly Func<TKey, CancellationToken, Task<ReconcileResult>> reconcile;
    private readonly TimeProvider time;
    private readonly RuntimeMetrics? metrics;
    private readonly ILogger logger;
    private readonly int workers;

    public Controller(
        string name,
        Func<TKey, CancellationToken, Task<ReconcileResult>> reconcile,
        ControllerOptions? options = null,
        TimeProvider? timeProvider = null,
        RuntimeMetrics? metrics = null,
        ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= new ControllerOptions();
        if (options.Workers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "a controller needs at least one worker");
        }

        Name = name;
        this.reconcile = reconcile;
        time = timeProvider ?? TimeProvider.System;
        this.metrics = metrics;
        this.logger = logger ?? NullLogger.Instance;
        workers = options.Workers;
        Queue = new WorkQueue<TKey>(name, time, new ExponentialFailureRateLimiter<TKey>(options.RetryBaseDelay, options.RetryMaxDelay), metrics);
    }

    public string Name { get; }

    /// <summary>Add keys here (from informer handlers, timers, other controllers).</summary>
    public WorkQueue<TKey> Queue { get; }

    /// <summary>Runs the workers until <paramref name="cancellationToken"/> is cancelled, then waits for the reconciles in flight.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        metrics?.MaxConcurrentReconciles.Set(workers, Name);
        metrics?.ActiveWorkers.Set(0, Name);
        logger.LogInformation("Starting controller {Controller} with {Workers} workers", Name, workers);
        using var stop = cancellationToken.Register(Queue.ShutDown);
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None)).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        logger.LogInformation("Stopped controller {Controller}", Name);
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            WorkItem<TKey>? item;
            try
            {
                item = await Queue.GetAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (item is null || cancellationToken.IsCancellationRequested)
            {
                if (item is not null)
                {
                    Queue.Done(item.Key);
                }

                return;
            }

            await ProcessAsync(item.Key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One reconcile of <paramref name="key"/> with its bookkeeping. Public for tests and one-shot callers.</summary>
    public async Task ProcessAsync(TKey key, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        metrics?.ActiveWorkers.Add(1, Name);
        try
        {
            ReconcileResult result;
            try
            {
                result = await reconcile(key, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Shutting down: not a failure, and nobody is left to retry it.
                return;
            }
            catch (Exception e)
            {
                metrics?.ReconcilePanics.Inc(Name);
                metrics?.ReconcileErrors.Inc(Name);
                metrics?.ReconcileTotal.Inc(Name, "error");
                logger.LogError(e, "Reconciler {Controller} failed for {Key} (attempt {Attempt}); retrying with backoff", Name, key, Queue.NumRequeues(key) + 1);
                Queue.AddRateLimited(key);
                return;
            }

            switch (result.Outcome)
            {
                case ReconcileOutcome.Done:
                    metrics?.ReconcileTotal.Inc(Name, "success");
                    Queue.Forget(key);
                    break;
                case ReconcileOutcome.RequeueAfter:
                    metrics?.ReconcileTotal.Inc(Name, "requeue_after");
                    Queue.Forget(key);
                    Queue.AddAfter(key, result.After);
                    break;
                case ReconcileOutcome.Requeue:
                    metrics?.ReconcileTotal.Inc(Name, "requeue");
                    Queue.AddRateLimited(key);
                    break;
                default:
                    metrics?.ReconcileErrors.Inc(Name);
                    metrics?.ReconcileTotal.Inc(Name, "error");
                    logger.LogWarning("Reconciler {Controller} reported an error for {Key} (attempt {Attempt}): {Error}", Name, key, Queue.NumRequeues(key) + 1, result.ErrorMessage);
                    Queue.AddRateLimited(key);
                    break;
            }
        }
        finally
        {
            metrics?.ReconcileTime.Observe(time.GetElapsedTime(started).TotalSeconds, Name);
            metrics?.ActiveWorkers.Add(-1, Name);
            Queue.Done(key);
        }
    }
}
