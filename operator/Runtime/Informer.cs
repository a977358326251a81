using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Runtime;

/// <summary>What an informer watches and how it recovers.</summary>
public sealed record InformerOptions
{
    /// <summary>Only this namespace (namespaced kinds); null for all.</summary>
    public string? Namespace { get; init; }

    public string? LabelSelector { get; init; }

    public string? FieldSelector { get; init; }

    /// <summary>
    /// Applied in place to every object before it is cached and handed to handlers (client-go's TransformFunc): drop
    /// what no reader uses (managedFields, images, volumes...) so that large clusters do not double the memory. A LIST
    /// applies it to each item as it is read from the response, before the next one is read.
    /// </summary>
    public Action<IKubernetesObject<V1ObjectMeta>>? Transform { get; init; }

    /// <summary>Page size of the LIST (<c>limit</c>).</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>Each watch asks the server to close it after a random time in [min, 2×min] (client-go: 5 min).</summary>
    public TimeSpan MinWatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Grace on top of the watch's server-side timeout before the client gives up on a silent connection.</summary>
    public TimeSpan WatchStallGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First reconnect delay after a failed LIST or WATCH (client-go: 800 ms), doubling up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(800);

    /// <summary>
    /// Cap of the reconnect delay before jitter (client-go: 30 s). 8 s, so that with jitter (up to 2×) the first
    /// attempt after an outage comes within 16 s: a change made then is in the status within the lease duration + 5 s.
    /// </summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>
    /// Re-list pacing (client-go's reflector backoff, 800 ms doubling, jitter 1.0): LIST starts are at least this far
    /// apart, growing while lists follow each other, so no server behaviour can make a re-list loop hot: at most 11
    /// LISTs in any minute per informer, 8 a minute while it lasts (docs/architecture.md).
    /// </summary>
    public TimeSpan RelistInitialBackoff { get; init; } = TimeSpan.FromMilliseconds(800);

    /// <summary>Cap of the re-list pacing before jitter (client-go: 30 s; 8 s here for the same reason as <see cref="MaxBackoff"/>).</summary>
    public TimeSpan RelistMaxBackoff { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>The re-list pacing starts over once no LIST was needed for this long (client-go: 2 min).</summary>
    public TimeSpan RelistBackoffReset { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A watch counts as established (the informer is current) once it delivered an event or stayed open this long:
    /// a server that accepts a watch only to end it at once with an ERROR never makes the informer look current.
    /// </summary>
    public TimeSpan WatchConfirmAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest Retry-After honoured from a throttled (429) or unavailable (503) answer.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Source of jitter (watch timeouts, backoff); seed it in tests.</summary>
    public Random? Random { get; init; }
}

/// <summary>The non-generic face of an informer, for the manager and readiness checks.</summary>
public interface IInformer
{
    string Name { get; }

    /// <summary>The resource (<c>group/resource</c> as in the metrics' <c>resource</c> label).</summary>
    string Resource { get; }

    bool HasSynced { get; }

    /// <summary>Synced and watching: the cache follows the server now.</summary>
    bool IsCurrent { get; }

    /// <summary>Since when the informer has not been current (null while it is): since it started, or since its watch ended.</summary>
    DateTimeOffset? NotCurrentSince { get; }

    /// <summary>The last failure of a LIST or WATCH (null when none since the informer was last current).</summary>
    string? LastError { get; }

    Task WaitForSyncAsync(CancellationToken cancellationToken);

    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>
/// client-go's reflector + indexer + processor for one kind: LIST, then WATCH from the list's resourceVersion with
/// bookmarks and a server-side timeout; the last resourceVersion seen (bookmarks included) is where the next watch
/// resumes. A 410 — an ERROR event carrying an Expired Status, or an HTTP 410 — makes it re-list; other failures
/// reconnect after jittered exponential backoff. A re-list reconciles the cache: adds for new objects, updates for
/// changed ones, deletes for those that vanished. Handlers run one event at a time, in order.
/// <para>
/// The LIST follows client-go's <c>relistResourceVersion</c> and pager rules (docs/architecture.md, "Informers: the
/// re-list rules"): the first LIST asks for "0" and may page; a re-list asks for the last resourceVersion seen and
/// never sends a <c>limit</c>, because a non-zero resourceVersion with a limit means Exact — etcd at that old revision,
/// the same stale list again after an API server restart (k8s-golden 92) — while without a limit it is served from the
/// watch cache, current (93); after a 410 on the LIST itself the next LIST asks for "" (a consistent read, paged).
/// LIST starts are paced by a jittered backoff, so whatever the server answers, an informer cannot loop hot.
/// </para>
/// </summary>
public sealed class Informer<T> : IInformer
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly KubeApiClient client;
    private readonly InformerOptions options;
    private readonly TimeProvider time;
    private readonly RuntimeMetrics? metrics;
    private readonly ILogger logger;
    private readonly Random random;
    private readonly Lock deliveryGate = new();
    private readonly List<Handler> handlers = [];
    private readonly TaskCompletionSource synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock stateGate = new();
    private string? lastResourceVersion;
    private bool lastResourceVersionUnavailable;
    private long? watchOpenedAt;
    private int watchEvents;
    private DateTimeOffset notCurrentSince;
    private string? lastError;

    public Informer(KubeApiClient client, ResourceType<T> type, InformerOptions? options = null, TimeProvider? timeProvider = null, RuntimeMetrics? metrics = null, ILogger? logger = null)
    {
        this.client = client;
        Type = type;
        this.options = options ?? new InformerOptions();
        if (!type.Namespaced && this.options.Namespace is not null)
        {
            throw new ArgumentException($"{type.GroupResource} is cluster-scoped: an informer for it cannot be limited to a namespace", nameof(options));
        }

        time = timeProvider ?? TimeProvider.System;
        this.metrics = metrics;
        this.logger = logger ?? NullLogger.Instance;
        random = this.options.Random ?? new Random();
        Name = type.GroupResource
            + (this.options.Namespace is { } ns ? " in " + ns : "")
            + (this.options.FieldSelector is { Length: > 0 } fields ? " (" + fields + ")" : "")
            + (this.options.LabelSelector is { Length: > 0 } labels ? " [" + labels + "]" : "");
        notCurrentSince = time.GetUtcNow();
    }

    public string Name { get; }

    public string Resource => Type.GroupResource;

    public ResourceType<T> Type { get; }

    public InformerCache<T> Cache { get; } = new();

    public bool HasSynced => synced.Task.IsCompleted;

    /// <summary>The resourceVersion the next watch resumes from (list, event or bookmark).</summary>
    public string? LastSyncResourceVersion
    {
        get
        {
            lock (deliveryGate)
            {
                return lastResourceVersion;
            }
        }
    }

    public bool IsCurrent
    {
        get
        {
            lock (stateGate)
            {
                return IsCurrentLocked();
            }
        }
    }

    public DateTimeOffset? NotCurrentSince
    {
        get
        {
            lock (stateGate)
            {
                return IsCurrentLocked() ? null : notCurrentSince;
            }
        }
    }

    public string? LastError
    {
        get
        {
            lock (stateGate)
            {
                return lastError;
            }
        }
    }

    /// <summary>Completes once the first LIST is in the cache and its events delivered.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken) => synced.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Registers handlers (each may be null). If the cache is already filled, the handler first receives an add for
    /// every cached object, as client-go does. Handlers must be quick (enqueue a key); exceptions are logged and ignored.
    /// </summary>
    public IDisposable AddEventHandler(Action<T>? onAdd = null, Action<T, T>? onUpdate = null, Action<T>? onDelete = null)
    {
        var handler = new Handler(this, onAdd, onUpdate, onDelete);
        lock (deliveryGate)
        {
            handlers.Add(handler);
            if (HasSynced)
            {
                foreach (var obj in Cache.List())
                {
                    handler.Add(obj);
                }
            }
        }

        return handler;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = new Backoff(options.InitialBackoff, options.MaxBackoff, random);
        var relistPacing = new Backoff(options.RelistInitialBackoff, options.RelistMaxBackoff, random);
        long? lastListStarted = null;
        var needList = true;
        var listReason = "initial";
        while (!cancellationToken.IsCancellationRequested)
        {
            var listing = needList;
            try
            {
                if (needList)
                {
                    if (lastListStarted is { } previous)
                    {
                        // LIST starts are paced whatever ended the last cycle (an expired watch, an error, a 410 LIST).
                        var since = time.GetElapsedTime(previous);
                        if (since >= options.RelistBackoffReset)
                        {
                            relistPacing.Reset();
                        }

                        var wait = relistPacing.Next() - since;
                        if (wait > TimeSpan.Zero)
                        {
                            await DelayAsync(wait, cancellationToken).ConfigureAwait(false);
                        }
                    }

                    lastListStarted = time.GetTimestamp();
                    metrics?.InformerRelists.Inc(Type.GroupResource, listReason);
                    await ListAndReplaceAsync(cancellationToken).ConfigureAwait(false);
                    needList = false;
                    listing = false;
                }

                var watch = await WatchOnceAsync(cancellationToken).ConfigureAwait(false);
                switch (watch)
                {
                    case WatchEnd.Expired:
                        needList = true;
                        listReason = "expired";
                        break;
                    case WatchEnd.ClosedEarly:
                        var pause = backoff.Next();
                        logger.LogDebug("{Informer}: the watch closed at once without an event; watching again in {Delay}", Name, pause);
                        await DelayAsync(pause, cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        logger.LogDebug("{Informer}: the watch closed; watching again from resourceVersion {ResourceVersion}", Name, LastSyncResourceVersion);
                        backoff.Reset();
                        break;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (KubeApiException e) when (e.IsGone)
            {
                // A WATCH refused with HTTP 410 re-lists from the last resourceVersion (client-go: the LIST's "not older
                // than" answers it from the watch cache). A LIST that got 410 twice (at its resourceVersion and at "")
                // lists again, paced.
                logger.LogInformation("{Informer}: {Message}; re-listing", Name, e.Message);
                RecordError((listing ? "list: " : "watch: ") + e.Message);
                needList = true;
                listReason = "expired";
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var delay = backoff.Next();
                if (e is KubeApiException { RetryAfter: { } retryAfter } && retryAfter > delay)
                {
                    // The server said when to come back (429, 503): never sooner, within reason.
                    delay = retryAfter < options.MaxRetryAfter ? retryAfter : options.MaxRetryAfter;
                }

                logger.LogWarning("{Informer}: {Phase} failed: {Message}; retrying in {Delay}", Name, listing ? "list" : "watch", e.Message, delay);
                RecordError((listing ? "list: " : "watch: ") + e.Message);
                if (e is WatchErrorException)
                {
                    needList = true;
                    listReason = "error";
                }

                try
                {
                    await DelayAsync(delay, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>client-go's <c>relistResourceVersion</c>.</summary>
    private string RelistResourceVersion()
    {
        lock (deliveryGate)
        {
            // After a 410 on a LIST: the latest state, a consistent read from etcd. First LIST: "0", from the watch
            // cache. Otherwise: not older than what was seen.
            return lastResourceVersionUnavailable ? "" : lastResourceVersion ?? "0";
        }
    }

    private async Task ListAndReplaceAsync(CancellationToken cancellationToken)
    {
        KubeList<T> list;
        try
        {
            list = await ListAsync(RelistResourceVersion(), cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.IsGone || IsTooLargeResourceVersion(e))
        {
            // The resourceVersion is compacted (k8s-golden 89) or ahead of this server: read the latest state instead,
            // at once, as client-go does. A second failure goes through the caller's pacing.
            logger.LogInformation("{Informer}: {Message}; listing the latest state", Name, e.Message);
            lock (deliveryGate)
            {
                lastResourceVersionUnavailable = true;
            }

            list = await ListAsync(RelistResourceVersion(), cancellationToken).ConfigureAwait(false);
        }

        Replace(list.Items, list.ResourceVersion);
        logger.LogDebug("{Informer}: listed {Count} objects at resourceVersion {ResourceVersion}", Name, list.Items.Count, list.ResourceVersion);
    }

    private Task<KubeList<T>> ListAsync(string resourceVersion, CancellationToken cancellationToken) =>
        client.ListAllAsync(
            Type,
            options.Namespace,
            new ListOptions
            {
                LabelSelector = options.LabelSelector,
                FieldSelector = options.FieldSelector,

                // client-go's pager rule: with a resourceVersion other than "" and "0" no limit, or the server reads etcd at
                // exactly that revision (k8s-golden 83, 92) instead of answering "not older than" from the watch cache (85, 93).
                Limit = resourceVersion is "" or "0" ? options.PageSize : null,
                ResourceVersion = resourceVersion.Length == 0 ? null : resourceVersion,
            },
            options.Transform is null ? null : obj => options.Transform(obj),
            cancellationToken);

    /// <summary>client-go's <c>isTooLargeResourceVersionError</c>: a 504 whose Status cause says so.</summary>
    private static bool IsTooLargeResourceVersion(KubeApiException e) =>
        e.Causes.Any(c => c.Reason == "ResourceVersionTooLarge" || c.Message == "Too large resource version")
        || e.ServerMessage.Contains("Too large resource version", StringComparison.Ordinal);

    private async Task<WatchEnd> WatchOnceAsync(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromTicks((long)(options.MinWatchTimeout.Ticks * (1 + random.NextDouble())));
        var timeoutSeconds = Math.Max(1, (int)timeout.TotalSeconds);

        // The server closes the watch after timeoutSeconds; if the connection died silently, nothing would ever arrive.
        using var stall = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds) + options.WatchStallGrace, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stall.Token);
        var started = time.GetTimestamp();
        var events = 0;
        var expired = false;
        var watchOptions = new WatchOptions
        {
            LabelSelector = options.LabelSelector,
            FieldSelector = options.FieldSelector,
            ResourceVersion = LastSyncResourceVersion,
            AllowWatchBookmarks = true,
            TimeoutSeconds = timeoutSeconds,
        };
        try
        {
            await foreach (var e in client.WatchAsync(Type, options.Namespace, watchOptions, linked.Token, WatchOpened).ConfigureAwait(false))
            {
                events++;
                if (e.Type == WatchEventType.Error)
                {
                    if (e.Status?.Code == 410)
                    {
                        logger.LogInformation("{Informer}: watch expired ({Message}); re-listing", Name, e.Status.Message);
                        RecordError($"watch: {e.Status.Code} {e.Status.Reason}: {e.Status.Message}");
                        expired = true;
                        return WatchEnd.Expired;
                    }

                    throw new WatchErrorException($"watch ended with an error: {e.Status?.Code} {e.Status?.Reason}: {e.Status?.Message}");
                }

                WatchEventReceived();
                Apply(e);
            }
        }
        catch (OperationCanceledException) when (stall.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("{Informer}: no data for {Timeout}s on a watch the server should have closed; reconnecting", Name, timeoutSeconds);
            return WatchEnd.Closed;
        }
        finally
        {
            WatchClosed(expired);
        }

        // A server closing a watch at once with nothing to say would otherwise be hammered in a tight loop.
        return events == 0 && time.GetElapsedTime(started) < TimeSpan.FromSeconds(1) ? WatchEnd.ClosedEarly : WatchEnd.Closed;
    }

    private bool IsCurrentLocked() =>
        HasSynced
        && watchOpenedAt is { } opened
        && (watchEvents > 0 || time.GetElapsedTime(opened) >= options.WatchConfirmAfter);

    private void WatchOpened()
    {
        lock (stateGate)
        {
            watchOpenedAt = time.GetTimestamp();
            watchEvents = 0;
        }
    }

    private void WatchEventReceived()
    {
        lock (stateGate)
        {
            if (watchEvents++ == 0 && HasSynced)
            {
                lastError = null;
            }
        }
    }

    private void WatchClosed(bool expired)
    {
        lock (stateGate)
        {
            // A watch that was never confirmed (ended at once, typically with a 410 ERROR) leaves the informer as it
            // was: not current since whenever it stopped being current.
            var wasCurrent = IsCurrentLocked();
            if (wasCurrent)
            {
                notCurrentSince = time.GetUtcNow();
                if (!expired)
                {
                    lastError = null;
                }
            }

            watchOpenedAt = null;
        }
    }

    private void RecordError(string message)
    {
        lock (stateGate)
        {
            lastError = message;
        }
    }

    /// <summary>One watch event into the cache and the handlers (internal: tests drive an informer deterministically).</summary>
    internal void Apply(WatchEvent<T> e)
    {
        var obj = e.Object!;
        lock (deliveryGate)
        {
            if (obj.Metadata?.ResourceVersion is { Length: > 0 } rv)
            {
                lastResourceVersion = rv;
            }

            if (e.Type == WatchEventType.Bookmark)
            {
                metrics?.InformerEvents.Inc(Type.GroupResource, "bookmark");
                return;
            }

            obj.ApiVersion ??= Type.ApiVersion;
            obj.Kind ??= Type.Kind;
            options.Transform?.Invoke(obj);
            if (e.Type == WatchEventType.Deleted)
            {
                // The DELETED event carries the final state (at the deletion's resourceVersion): hand out that one.
                Cache.Remove(InformerCache<T>.KeyOf(obj));
                metrics?.InformerEvents.Inc(Type.GroupResource, "delete");
                Deliver(h => h.Delete(obj));
                return;
            }

            var previous = Cache.Upsert(obj);
            if (previous is null)
            {
                metrics?.InformerEvents.Inc(Type.GroupResource, "add");
                Deliver(h => h.Add(obj));
            }
            else
            {
                metrics?.InformerEvents.Inc(Type.GroupResource, "update");
                Deliver(h => h.Update(previous, obj));
            }
        }
    }

    /// <summary>client-go's Replace: the list is the truth; the cache and the handlers catch up with it.</summary>
    private void Replace(IReadOnlyList<T> items, string resourceVersion)
    {
        lock (deliveryGate)
        {
            var listed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var obj in items)
            {
                // Transformed already, as the LIST was read (KubeApiClient.ListAllAsync).
                listed.Add(InformerCache<T>.KeyOf(obj));
            }

            foreach (var key in Cache.Keys())
            {
                if (!listed.Contains(key) && Cache.Remove(key) is { } gone)
                {
                    metrics?.InformerEvents.Inc(Type.GroupResource, "delete");
                    Deliver(h => h.Delete(gone));
                }
            }

            foreach (var obj in items)
            {
                var previous = Cache.Upsert(obj);
                if (previous is null)
                {
                    metrics?.InformerEvents.Inc(Type.GroupResource, "add");
                    Deliver(h => h.Add(obj));
                }
                else if (previous.Metadata?.ResourceVersion != obj.Metadata?.ResourceVersion)
                {
                    metrics?.InformerEvents.Inc(Type.GroupResource, "update");
                    Deliver(h => h.Update(previous, obj));
                }
            }

            lastResourceVersion = string.IsNullOrEmpty(resourceVersion) ? lastResourceVersion : resourceVersion;
            lastResourceVersionUnavailable = false;
            synced.TrySetResult();
        }
    }

    private void Deliver(Action<Handler> action)
    {
        foreach (var handler in handlers)
        {
            action(handler);
        }
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, time, cancellationToken);

    private enum WatchEnd
    {
        Closed,
        ClosedEarly,
        Expired,
    }

    private sealed class WatchErrorException(string message) : Exception(message);

    private sealed class Handler(Informer<T> owner, Action<T>? onAdd, Action<T, T>? onUpdate, Action<T>? onDelete) : IDisposable
    {
        public void Add(T obj) => Invoke(() => onAdd?.Invoke(obj), "add", obj);

        public void Update(T old, T obj) => Invoke(() => onUpdate?.Invoke(old, obj), "update", obj);

        public void Delete(T obj) => Invoke(() => onDelete?.Invoke(obj), "delete", obj);

        public void Dispose()
        {
            lock (owner.deliveryGate)
            {
                owner.handlers.Remove(this);
            }
        }

        private void Invoke(Action action, string what, T obj)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                owner.logger.LogError(e, "{Informer}: {Event} handler failed for {Key}", owner.Name, what, InformerCache<T>.KeyOf(obj));
            }
        }
    }
}
