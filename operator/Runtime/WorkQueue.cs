namespace GuardDutyCoverage.Runtime;

/// <summary>Per-item retry delays (client-go's rate limiter contract).</summary>
public interface IRateLimiter<TKey>
    where TKey : notnull
{
    /// <summary>How long to wait before retrying <paramref name="key"/>; counts one more failure.</summary>
    TimeSpan When(TKey key);

    /// <summary>Stops tracking <paramref name="key"/> (it succeeded).</summary>
    void Forget(TKey key);

    int NumRequeues(TKey key);
}

/// <summary>
/// client-go's ItemExponentialFailureRateLimiter: base × 2^failures, capped; per key, so one failing item does not slow
/// down the others. Defaults 5 ms → 1000 s.
/// </summary>
public sealed class ExponentialFailureRateLimiter<TKey> : IRateLimiter<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, int> failures = [];
    private readonly Lock gate = new();

    public ExponentialFailureRateLimiter(TimeSpan? baseDelay = null, TimeSpan? maxDelay = null)
    {
        BaseDelay = baseDelay ?? TimeSpan.FromMilliseconds(5);
        MaxDelay = maxDelay ?? TimeSpan.FromSeconds(1000);
        if (BaseDelay <= TimeSpan.Zero || MaxDelay < BaseDelay)
        {
            throw new ArgumentException("need 0 < base delay <= max delay");
        }
    }

    public TimeSpan BaseDelay { get; }

    public TimeSpan MaxDelay { get; }

    public TimeSpan When(TKey key)
    {
        int exponent;
        lock (gate)
        {
            failures.TryGetValue(key, out exponent);
            failures[key] = exponent + 1;
        }

        // 2^exponent overflows long ticks long before the cap matters; compare in double and clamp.
        var ticks = BaseDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    public void Forget(TKey key)
    {
        lock (gate)
        {
            failures.Remove(key);
        }
    }

    public int NumRequeues(TKey key)
    {
        lock (gate)
        {
            return failures.GetValueOrDefault(key);
        }
    }
}

/// <summary>A key handed out by <see cref="WorkQueue{TKey}.GetAsync"/>; call <see cref="WorkQueue{TKey}.Done"/> with it.</summary>
public sealed record WorkItem<TKey>(TKey Key)
    where TKey : notnull;

/// <summary>
/// A rate-limited, delaying work queue with client-go semantics:
/// adds of a key already waiting coalesce; a key being processed is never handed out twice — a re-add while it is
/// processed is deferred until <see cref="Done"/>; failed keys come back after a per-key exponential delay and are
/// never dropped; <see cref="ShutDown"/> stops new adds while waiting keys are still handed out (drain).
/// </summary>
public sealed class WorkQueue<TKey> : IDisposable
    where TKey : notnull
{
    private readonly Lock gate = new();
    private readonly LinkedList<TKey> queue = new();
    private readonly HashSet<TKey> dirty = [];
    private readonly HashSet<TKey> processing = [];
    private readonly Dictionary<TKey, long> addedAt = [];
    private readonly Dictionary<TKey, long> processingSince = [];
    private readonly Dictionary<TKey, DateTimeOffset> waiting = [];
    private readonly PriorityQueue<TKey, DateTimeOffset> waitingByTime = new();
    private readonly LinkedList<TaskCompletionSource<WorkItem<TKey>?>> getters = new();
    private readonly TimeProvider time;
    private readonly IRateLimiter<TKey> rateLimiter;
    private readonly RuntimeMetrics? metrics;
    private readonly string[] metricLabels;
    private ITimer? timer;
    private DateTimeOffset? timerDue;
    private TaskCompletionSource? drained;
    private bool shuttingDown;

    public WorkQueue(string name, TimeProvider? timeProvider = null, IRateLimiter<TKey>? rateLimiter = null, RuntimeMetrics? metrics = null)
    {
        Name = name;
        time = timeProvider ?? TimeProvider.System;
        this.rateLimiter = rateLimiter ?? new ExponentialFailureRateLimiter<TKey>();
        this.metrics = metrics;
        metricLabels = [name, name];
    }

    public string Name { get; }

    /// <summary>
    /// One line for diagnostics: how many keys are queued, being processed, and waiting for a delay, and when the
    /// earliest delay ends (on this queue's clock: with a fake clock a retry waits until the test moves time).
    /// </summary>
    public string Describe()
    {
        lock (gate)
        {
            var next = waitingByTime.TryPeek(out _, out var due) ? due.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : "-";
            return $"{Name}: {queue.Count} queued, {processing.Count} processing, {waiting.Count} delayed (next due {next}, clock {time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture)})";
        }
    }

    /// <summary>Keys waiting to be handed out (not those being processed or delayed).</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return queue.Count;
            }
        }
    }

    /// <summary>Keys waiting for a delay (AddAfter / rate-limited retry).</summary>
    public int DelayedCount
    {
        get
        {
            lock (gate)
            {
                return waiting.Count;
            }
        }
    }

    public bool IsShuttingDown
    {
        get
        {
            lock (gate)
            {
                return shuttingDown;
            }
        }
    }

    public void Add(TKey key)
    {
        lock (gate)
        {
            AddLocked(key);
        }
    }

    /// <summary>Adds <paramref name="key"/> once <paramref name="delay"/> has passed (the earliest of several requests wins).</summary>
    public void AddAfter(TKey key, TimeSpan delay)
    {
        lock (gate)
        {
            if (shuttingDown)
            {
                return;
            }

            if (delay <= TimeSpan.Zero)
            {
                AddLocked(key);
                return;
            }

            var due = time.GetUtcNow() + delay;
            if (waiting.TryGetValue(key, out var existing) && existing <= due)
            {
                return;
            }

            waiting[key] = due;
            waitingByTime.Enqueue(key, due);
            ArmTimerLocked();
        }
    }

    /// <summary>Re-adds <paramref name="key"/> after its rate limiter's delay (a failed attempt).</summary>
    public void AddRateLimited(TKey key)
    {
        if (IsShuttingDown)
        {
            return;
        }

        metrics?.QueueRetries.Inc(metricLabels);
        AddAfter(key, rateLimiter.When(key));
    }

    /// <summary>Resets <paramref name="key"/>'s failure count (it succeeded).</summary>
    public void Forget(TKey key) => rateLimiter.Forget(key);

    public int NumRequeues(TKey key) => rateLimiter.NumRequeues(key);

    /// <summary>
    /// The next key to process, waiting for one if needed; null once the queue is shut down and drained.
    /// The caller owns the key until it calls <see cref="Done"/>.
    /// </summary>
    public Task<WorkItem<TKey>?> GetAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource<WorkItem<TKey>?> getter;
        LinkedListNode<TaskCompletionSource<WorkItem<TKey>?>> node;
        lock (gate)
        {
            if (queue.Count > 0)
            {
                return Task.FromResult<WorkItem<TKey>?>(TakeLocked());
            }

            if (shuttingDown)
            {
                return Task.FromResult<WorkItem<TKey>?>(null);
            }

            getter = new TaskCompletionSource<WorkItem<TKey>?>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = getters.AddLast(getter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() =>
            {
                lock (gate)
                {
                    if (node.List is null)
                    {
                        return;
                    }

                    getters.Remove(node);
                }

                getter.TrySetCanceled(cancellationToken);
            });
            getter.Task.ContinueWith(static (_, state) => ((CancellationTokenRegistration)state!).Dispose(), registration, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return getter.Task;
    }

    /// <summary>Marks <paramref name="key"/> processed; if it was re-added meanwhile it is queued again now.</summary>
    public void Done(TKey key)
    {
        lock (gate)
        {
            if (!processing.Remove(key))
            {
                return;
            }

            if (processingSince.Remove(key, out var started))
            {
                metrics?.WorkDuration.Observe(time.GetElapsedTime(started).TotalSeconds, metricLabels);
            }

            if (dirty.Contains(key))
            {
                EnqueueLocked(key);
            }
            else if (shuttingDown && processing.Count == 0)
            {
                drained?.TrySetResult();
            }
        }
    }

    /// <summary>Stops accepting keys; waiting keys are still handed out, then <see cref="GetAsync"/> returns null.</summary>
    public void ShutDown()
    {
        List<TaskCompletionSource<WorkItem<TKey>?>> idle;
        lock (gate)
        {
            if (shuttingDown)
            {
                return;
            }

            shuttingDown = true;
            timer?.Dispose();
            timer = null;
            waiting.Clear();
            waitingByTime.Clear();
            idle = [.. getters];
            getters.Clear();
        }

        foreach (var getter in idle)
        {
            getter.TrySetResult(null);
        }
    }

    /// <summary>Shuts down and waits until every key handed out has been marked <see cref="Done"/>.</summary>
    public Task ShutDownWithDrainAsync(CancellationToken cancellationToken = default)
    {
        ShutDown();
        Task wait;
        lock (gate)
        {
            if (processing.Count == 0)
            {
                return Task.CompletedTask;
            }

            drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = drained.Task;
        }

        return wait.WaitAsync(cancellationToken);
    }

    public void Dispose()
    {
        ShutDown();
    }

    private void AddLocked(TKey key)
    {
        if (shuttingDown || !dirty.Add(key))
        {
            return;
        }

        metrics?.QueueAdds.Inc(metricLabels);
        addedAt[key] = time.GetTimestamp();

        // A key being processed waits in "dirty" and is queued by Done, so two workers never hold it at once.
        if (!processing.Contains(key))
        {
            EnqueueLocked(key);
        }
    }

    private void EnqueueLocked(TKey key)
    {
        queue.AddLast(key);

        // Getters wait only while the queue is empty, so the key just added is the one handed to the first waiter.
        // A cancelled getter is removed from the list under the lock before it completes, so SetResult cannot fail.
        if (getters.First is { } first)
        {
            getters.RemoveFirst();
            first.Value.SetResult(TakeLocked());
            return;
        }

        metrics?.QueueDepth.Set(queue.Count, metricLabels);
    }

    private WorkItem<TKey> TakeLocked()
    {
        var key = queue.First!.Value;
        queue.RemoveFirst();
        dirty.Remove(key);
        processing.Add(key);
        processingSince[key] = time.GetTimestamp();
        if (addedAt.Remove(key, out var added))
        {
            metrics?.QueueDuration.Observe(time.GetElapsedTime(added).TotalSeconds, metricLabels);
        }

        metrics?.QueueDepth.Set(queue.Count, metricLabels);
        return new WorkItem<TKey>(key);
    }

    private void ArmTimerLocked()
    {
        if (!waitingByTime.TryPeek(out _, out var due))
        {
            timerDue = null;
            return;
        }

        if (timer is not null && timerDue is { } current && current <= due)
        {
            return;
        }

        var delay = due - time.GetUtcNow();
        if (delay < TimeSpan.Zero)
        {
            delay = TimeSpan.Zero;
        }

        timerDue = due;
        if (timer is null)
        {
            timer = time.CreateTimer(static state => ((WorkQueue<TKey>)state!).OnTimer(), this, delay, Timeout.InfiniteTimeSpan);
        }
        else
        {
            timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimer()
    {
        lock (gate)
        {
            if (shuttingDown)
            {
                return;
            }

            var now = time.GetUtcNow();
            while (waitingByTime.TryPeek(out var key, out var due) && due <= now)
            {
                waitingByTime.Dequeue();

                // Lazy deletion: an entry superseded by an earlier AddAfter of the same key is stale.
                if (waiting.TryGetValue(key, out var current) && current == due)
                {
                    waiting.Remove(key);
                    AddLocked(key);
                }
            }

            timerDue = null;
            ArmTimerLocked();
        }
    }
}
