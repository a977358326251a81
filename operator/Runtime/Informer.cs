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
    /// what no reader uses (managedFields, images, volumes...) so that large clusters do not double the memory.
    /// </summary>
    public Action<IKubernetesObject<V1ObjectMeta>>? Transform { get; init; }

    /// <summary>Page size of the LIST (<c>limit</c>).</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>Each watch asks the server to close it after a random time in [min, 2×min] (client-go: 5 min).</summary>
    public TimeSpan MinWatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Grace on top of the watch's server-side timeout before the client gives up on a silent connection.</summary>
    public TimeSpan WatchStallGrace { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(800);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Source of jitter (watch timeouts, backoff); seed it in tests.</summary>
    public Random? Random { get; init; }
}

/// <summary>The non-generic face of an informer, for the manager and readiness checks.</summary>
public interface IInformer
{
    string Name { get; }

    bool HasSynced { get; }

    Task WaitForSyncAsync(CancellationToken cancellationToken);

    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>
/// client-go's reflector + indexer + processor for one kind: LIST, then WATCH from the list's resourceVersion with
/// bookmarks and a server-side timeout; the last resourceVersion seen (bookmarks included) is where the next watch
/// resumes. A 410 — an ERROR event carrying an Expired Status, or an HTTP 410 — makes it re-list; other failures
/// reconnect after jittered exponential backoff. A re-list reconciles the cache: adds for new objects, updates for
/// changed ones, deletes for those that vanished. Handlers run one event at a time, in order.
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
    private string? lastResourceVersion;

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
        Name = type.GroupResource + (this.options.Namespace is { } ns ? " in " + ns : "");
    }

    public string Name { get; }

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
        var needList = true;
        var listFromStorage = false;
        var listReason = "initial";
        while (!cancellationToken.IsCancellationRequested)
        {
            var listing = needList;
            try
            {
                if (needList)
                {
                    metrics?.InformerRelists.Inc(Type.GroupResource, listReason);
                    await ListAndReplaceAsync(listFromStorage, cancellationToken).ConfigureAwait(false);
                    needList = false;
                    listFromStorage = false;
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
                        await DelayAsync(backoff.Next(), cancellationToken).ConfigureAwait(false);
                        break;
                    default:
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
                // A LIST at a resourceVersion the server no longer has: the next one reads the latest state from storage.
                // A WATCH refused with HTTP 410: re-list (from the cache first, like client-go, then from storage).
                logger.LogInformation("{Informer}: {Message}; re-listing", Name, e.Message);
                listFromStorage = listing;
                needList = true;
                listReason = "expired";
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var delay = backoff.Next();
                logger.LogWarning("{Informer}: {Phase} failed: {Message}; retrying in {Delay}", Name, listing ? "list" : "watch", e.Message, delay);
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

    private async Task ListAndReplaceAsync(bool fromStorage, CancellationToken cancellationToken)
    {
        // client-go: the first LIST may be served from the watch cache ("0"); a re-list asks for state not older than
        // what was seen; after "too old", the latest state from storage ("").
        var resourceVersion = fromStorage ? null : LastSyncResourceVersion ?? "0";
        var list = await client.ListAllAsync(
            Type,
            options.Namespace,
            new ListOptions
            {
                LabelSelector = options.LabelSelector,
                FieldSelector = options.FieldSelector,
                Limit = options.PageSize,
                ResourceVersion = resourceVersion,
            },
            cancellationToken).ConfigureAwait(false);
        Replace(list.Items, list.ResourceVersion);
        logger.LogDebug("{Informer}: listed {Count} objects at resourceVersion {ResourceVersion}", Name, list.Items.Count, list.ResourceVersion);
    }

    private async Task<WatchEnd> WatchOnceAsync(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromTicks((long)(options.MinWatchTimeout.Ticks * (1 + random.NextDouble())));
        var timeoutSeconds = Math.Max(1, (int)timeout.TotalSeconds);

        // The server closes the watch after timeoutSeconds; if the connection died silently, nothing would ever arrive.
        using var stall = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds) + options.WatchStallGrace, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stall.Token);
        var started = time.GetTimestamp();
        var events = 0;
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
            await foreach (var e in client.WatchAsync(Type, options.Namespace, watchOptions, linked.Token).ConfigureAwait(false))
            {
                events++;
                if (e.Type == WatchEventType.Error)
                {
                    if (e.Status?.Code == 410)
                    {
                        logger.LogInformation("{Informer}: watch expired ({Message}); re-listing", Name, e.Status.Message);
                        return WatchEnd.Expired;
                    }

                    throw new WatchErrorException($"watch ended with an error: {e.Status?.Code} {e.Status?.Reason}: {e.Status?.Message}");
                }

                Apply(e);
            }
        }
        catch (OperationCanceledException) when (stall.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("{Informer}: no data for {Timeout}s on a watch the server should have closed; reconnecting", Name, timeoutSeconds);
            return WatchEnd.Closed;
        }

        // A server closing a watch at once with nothing to say would otherwise be hammered in a tight loop.
        return events == 0 && time.GetElapsedTime(started) < TimeSpan.FromSeconds(1) ? WatchEnd.ClosedEarly : WatchEnd.Closed;
    }

    private void Apply(WatchEvent<T> e)
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
                options.Transform?.Invoke(obj);
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
