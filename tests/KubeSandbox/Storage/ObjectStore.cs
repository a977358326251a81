using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using KubeSandbox.Json;

namespace KubeSandbox.Storage;

internal readonly record struct ResourceKey(string Group, string Resource);

internal readonly record struct ObjectKey(ResourceKey Resource, string Namespace, string Name);

/// <summary>One change, as etcd and the watch cache keep it: the object after the change and the one before.</summary>
internal sealed record StoredEvent(long Rv, WatchEventType Type, ObjectKey Key, string ObjectJson, JsonObject Object, JsonObject? Previous);

internal enum WatchEventType
{
    Added,
    Modified,
    Deleted,
}

internal enum CommitError
{
    None,
    AlreadyExists,
    NotFound,
    Conflict,
}

internal sealed record CommitResult(CommitError Error, JsonObject? Object, long Rv);

/// <summary>The outcome of starting a watch: the subscription, or the oldest RV the watch cache can start from when too old.</summary>
internal sealed record WatchStart(WatchSubscription? Subscription, long TooOldStart);

/// <summary>Why a read at an exact revision has no items: etcd compacted it, or it has not happened yet.</summary>
internal enum ReadAtError
{
    None,
    Compacted,
    Future,
}

/// <summary>What a read from "etcd" at one revision returns: the items sorted by key, and that revision.</summary>
internal sealed record RevisionRead(ReadAtError Error, List<JsonObject> Items, long Rv);

/// <summary>What a restart of the API server did to the watch caches.</summary>
internal sealed record WatchCacheRestart(long PreviousRv, long StartRv, IReadOnlyList<WatchSubscription> Watchers);

/// <summary>
/// The sandbox's etcd plus watch cache: objects as JSON under one global, monotonically increasing resourceVersion
/// (etcd's revision), a log of changes down to the compacted revision (for exact-RV reads and continue tokens, like
/// etcd's MVCC history) and, per resource, a watch cache as kube-apiserver v1.24 keeps one: the revision it was
/// initialised at, a bounded window of events that watches can start from, and the latest revision it has seen.
/// A restart of the API server keeps storage and initialises every watch cache anew at the current revision.
/// </summary>
internal sealed class ObjectStore : IObjectReader
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ResourceKey, ResourceState> _resources = [];
    private readonly LinkedList<StoredEvent> _log = new();
    private readonly int _storageHistory;
    private int _watchWindow;
    private long _rv;
    private long _sequence;
    private long _compactedRv;

    /// <summary>The revision the compactor read on its last tick: the next tick compacts there.</summary>
    private long _lastCompactorRv;

    /// <summary>The revision at which the running API server initialised its watch caches (0: the first start).</summary>
    private long _cacheStartRv;

    public ObjectStore(int watchWindow, int storageHistory)
    {
        _watchWindow = Math.Max(1, watchWindow);
        _storageHistory = Math.Max(1, storageHistory);
    }

    public long CurrentRv
    {
        get
        {
            lock (_gate)
            {
                return _rv;
            }
        }
    }

    /// <summary>Reads before this revision get 410: etcd compacted their history (0: nothing compacted).</summary>
    public long CompactedRv
    {
        get
        {
            lock (_gate)
            {
                return _compactedRv;
            }
        }
    }

    /// <summary>How many events of each resource the watch caches keep.</summary>
    public int WatchWindow
    {
        get
        {
            lock (_gate)
            {
                return _watchWindow;
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> with the watch cache's current RV of a resource, under the store's lock.</summary>
    public void WithCacheRv(ResourceKey resource, Action<long> action)
    {
        lock (_gate)
        {
            action(State(resource).CacheRv);
        }
    }

    /// <summary>
    /// The API server has started (after the sandbox's bootstrap objects): watch caches of resources not written so far
    /// are initialised at the current revision, as kube-apiserver's are by their first LIST from etcd.
    /// </summary>
    public void MarkApiServerStarted()
    {
        lock (_gate)
        {
            _cacheStartRv = _rv;
        }
    }

    /// <summary>Completes when the watch cache of the resource has seen <paramref name="rv"/> (an event, a restart or a re-initialisation).</summary>
    public Task WaitForCacheRv(ResourceKey resource, long rv)
    {
        lock (_gate)
        {
            var state = State(resource);
            if (state.CacheRv >= rv)
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            state.FreshnessWaiters.Add((rv, waiter));
            return waiter.Task;
        }
    }

    /// <summary>
    /// Registers a custom resource (its CRD is established). Its watch cache starts with the first request for it, as
    /// apiextensions-apiserver creates a custom resource's storage on first use (<see cref="StartWatchCache"/>).
    /// </summary>
    public void RegisterCustomResource(ResourceKey resource)
    {
        lock (_gate)
        {
            if (!_resources.ContainsKey(resource))
            {
                _resources[resource] = new ResourceState(_rv) { StartsOnFirstRequest = true, Started = false };
            }
        }
    }

    /// <summary>
    /// One tick of kube-apiserver's compactor (<c>--etcd-compaction-interval</c>): it writes its compact-revision key
    /// (the revision moves; no resource sees it) and compacts at the revision it read on the previous tick, so history
    /// lives between one and two intervals. Returns the revision compacted at, or 0 on the first tick.
    /// </summary>
    public long CompactorTick()
    {
        lock (_gate)
        {
            var previous = _lastCompactorRv;
            _rv++;
            _lastCompactorRv = _rv;
            if (previous > _compactedRv)
            {
                while (_log.First is { } first && first.Value.Rv <= previous)
                {
                    _log.RemoveFirst();
                }

                _compactedRv = previous;
            }

            return previous;
        }
    }

    /// <summary>Drops a finished wait (served or timed out).</summary>
    public void ForgetCacheWait(ResourceKey resource, Task wait)
    {
        lock (_gate)
        {
            State(resource).FreshnessWaiters.RemoveAll(w => w.Waiter.Task == wait);
        }
    }

    /// <summary>How many LISTs wait for a watch cache to become fresh enough (for tests that move the clock).</summary>
    internal int PendingCacheWaits
    {
        get
        {
            lock (_gate)
            {
                return _resources.Values.Sum(s => s.FreshnessWaiters.Count);
            }
        }
    }

    /// <summary>
    /// Detaches every open watch from the watch caches (the API server is going down) and returns them for the caller
    /// to break; nothing more is delivered to them.
    /// </summary>
    public List<WatchSubscription> DetachWatchers()
    {
        lock (_gate)
        {
            var watchers = new List<WatchSubscription>();
            foreach (var state in _resources.Values)
            {
                watchers.AddRange(state.Watchers);
                state.Watchers.Clear();
            }

            return watchers;
        }
    }

    /// <summary>Starts the watch cache of a custom resource at the current revision, unless it runs already.</summary>
    public void StartWatchCache(ResourceKey resource)
    {
        lock (_gate)
        {
            var state = State(resource);
            if (!state.Started)
            {
                state.Reset(_rv);
                state.Started = true;
            }
        }
    }

    public JsonObject? Get(ObjectKey key)
    {
        lock (_gate)
        {
            return State(key.Resource).Objects.TryGetValue((key.Namespace, key.Name), out var stored) ? Parse(stored.Json) : null;
        }
    }

    public (JsonObject? Object, long Rv) GetWithRv(ObjectKey key)
    {
        lock (_gate)
        {
            return State(key.Resource).Objects.TryGetValue((key.Namespace, key.Name), out var stored) ? (Parse(stored.Json), stored.Rv) : (null, 0);
        }
    }

    /// <summary>
    /// The current objects matching the filter: sorted by key with the current revision, as a consistent read from
    /// etcd; or in watch-cache order (creation order) with the watch cache's RV of the resource.
    /// </summary>
    public (List<JsonObject> Items, long Rv) List(ResourceKey resource, ObjectFilter filter, bool sorted)
    {
        lock (_gate)
        {
            var state = State(resource);
            IEnumerable<StoredObject> objects = state.Objects.Values;
            objects = sorted
                ? objects.OrderBy(o => StorageKey(o.Namespace, o.Name), StringComparer.Ordinal)
                : objects.OrderBy(o => o.Sequence);
            return (objects.Where(o => filter.Matches(o.Parsed)).Select(o => Parse(o.Json)).ToList(), sorted ? _rv : state.CacheRv);
        }
    }

    /// <summary>
    /// A read from "etcd" at revision <paramref name="rv"/> (0: the current one): the objects as they were then, sorted
    /// by key; <see cref="ReadAtError.Compacted"/> before the compacted revision, <see cref="ReadAtError.Future"/> after
    /// the current one (etcd's ErrCompacted and ErrFutureRev).
    /// </summary>
    public RevisionRead ReadAt(ResourceKey resource, ObjectFilter filter, long rv)
    {
        lock (_gate)
        {
            if (rv == 0)
            {
                return new RevisionRead(ReadAtError.None, List(resource, filter, sorted: true).Items, _rv);
            }

            if (rv > _rv)
            {
                return new RevisionRead(ReadAtError.Future, [], _rv);
            }

            if (rv < _compactedRv)
            {
                return new RevisionRead(ReadAtError.Compacted, [], _rv);
            }

            return new RevisionRead(ReadAtError.None, ListAtLocked(resource, filter, rv), rv);
        }
    }

    private List<JsonObject> ListAtLocked(ResourceKey resource, ObjectFilter filter, long rv)
    {
        var state = State(resource);
        var objects = state.Objects.ToDictionary(p => p.Key, p => p.Value.Parsed);
        for (var node = _log.Last; node is not null && node.Value.Rv > rv; node = node.Previous)
        {
            var change = node.Value;
            if (change.Key.Resource != resource)
            {
                continue;
            }

            var key = (change.Key.Namespace, change.Key.Name);
            if (change.Previous is null)
            {
                objects.Remove(key);
            }
            else
            {
                objects[key] = change.Previous;
            }
        }

        return objects
            .OrderBy(p => StorageKey(p.Key.Namespace, p.Key.Name), StringComparer.Ordinal)
            .Where(p => filter.Matches(p.Value))
            .Select(p => (JsonObject)p.Value.DeepClone())
            .ToList();
    }

    public CommitResult Create(ObjectKey key, JsonObject obj)
    {
        lock (_gate)
        {
            var state = State(key.Resource);
            if (state.Objects.ContainsKey((key.Namespace, key.Name)))
            {
                return new CommitResult(CommitError.AlreadyExists, null, 0);
            }

            return CommitLocked(state, key, obj, WatchEventType.Added, null);
        }
    }

    /// <summary>Replaces the object if its stored RV is still <paramref name="expectedRv"/> (0: any).</summary>
    public CommitResult Update(ObjectKey key, JsonObject obj, long expectedRv)
    {
        lock (_gate)
        {
            var state = State(key.Resource);
            if (!state.Objects.TryGetValue((key.Namespace, key.Name), out var current))
            {
                return new CommitResult(CommitError.NotFound, null, 0);
            }

            if (expectedRv != 0 && current.Rv != expectedRv)
            {
                return new CommitResult(CommitError.Conflict, null, 0);
            }

            return CommitLocked(state, key, obj, WatchEventType.Modified, current);
        }
    }

    /// <summary>Removes the object if its stored RV is still <paramref name="expectedRv"/> (0: any).</summary>
    public CommitResult Delete(ObjectKey key, long expectedRv)
    {
        lock (_gate)
        {
            var state = State(key.Resource);
            if (!state.Objects.TryGetValue((key.Namespace, key.Name), out var current))
            {
                return new CommitResult(CommitError.NotFound, null, 0);
            }

            if (expectedRv != 0 && current.Rv != expectedRv)
            {
                return new CommitResult(CommitError.Conflict, null, 0);
            }

            return CommitLocked(state, key, (JsonObject)current.Parsed.DeepClone(), WatchEventType.Deleted, current);
        }
    }

    /// <summary>Upsert for seeding: writes the object as given (status included), emitting ADDED or MODIFIED.</summary>
    public CommitResult Put(ObjectKey key, JsonObject obj)
    {
        lock (_gate)
        {
            var state = State(key.Resource);
            state.Objects.TryGetValue((key.Namespace, key.Name), out var current);
            return CommitLocked(state, key, obj, current is null ? WatchEventType.Added : WatchEventType.Modified, current);
        }
    }

    public List<ObjectKey> Keys(ResourceKey resource, string? @namespace = null)
    {
        lock (_gate)
        {
            return State(resource).Objects.Values
                .Where(o => @namespace is null || o.Namespace == @namespace)
                .Select(o => new ObjectKey(resource, o.Namespace, o.Name))
                .ToList();
        }
    }

    public List<ResourceKey> Resources()
    {
        lock (_gate)
        {
            return _resources.Keys.ToList();
        }
    }

    /// <summary>Starts a watch: replays the window from <paramref name="fromRv"/>, or sends the current state as ADDED when null.</summary>
    public WatchStart Watch(ResourceKey resource, ObjectFilter filter, long? fromRv, string apiVersion, string kind, Func<string, string>? present = null)
    {
        lock (_gate)
        {
            var state = State(resource);
            var subscription = new WatchSubscription(this, resource, filter, apiVersion, kind, present);
            if (fromRv is null)
            {
                foreach (var stored in state.Objects.Values.OrderBy(o => o.Sequence))
                {
                    if (filter.Matches(stored.Parsed))
                    {
                        subscription.Enqueue(subscription.Event("ADDED", stored.Json));
                    }
                }
            }
            else
            {
                // kube-apiserver's watchCache.GetAllEventsSinceThreadUnsafe: the oldest event it can deliver is one
                // past the revision it was initialised at while nothing has been evicted, else the first one it holds.
                var oldest = state.Evicted && state.Window.Count > 0 ? state.Window.Peek().Rv : state.ListRv + 1;
                if (fromRv.Value < oldest - 1)
                {
                    return new WatchStart(null, oldest - 1);
                }

                foreach (var change in state.Window)
                {
                    if (change.Rv > fromRv.Value)
                    {
                        subscription.Deliver(change);
                    }
                }
            }

            state.Watchers.Add(subscription);
            return new WatchStart(subscription, 0);
        }
    }

    internal void Unsubscribe(WatchSubscription subscription)
    {
        lock (_gate)
        {
            if (_resources.TryGetValue(subscription.Resource, out var state))
            {
                state.Watchers.Remove(subscription);
            }
        }
    }

    public List<WatchSubscription> Watchers(ResourceKey? resource = null)
    {
        lock (_gate)
        {
            return _resources.Where(p => resource is null || p.Key == resource.Value).SelectMany(p => p.Value.Watchers).ToList();
        }
    }

    /// <summary>Forgets all changes up to now for exact-RV reads and continue tokens (like <c>etcdctl compact</c>).</summary>
    public void CompactStorage() => CompactStorage(null);

    /// <summary>
    /// Compacts the history at <paramref name="revision"/> (default: the current one), like <c>etcdctl compact REV</c>:
    /// reads before it get 410 Expired, a read at it still works. Returns the compacted revision.
    /// </summary>
    public long CompactStorage(long? revision)
    {
        lock (_gate)
        {
            var target = revision ?? _rv;
            if (target < 1 || target > _rv)
            {
                throw new ArgumentOutOfRangeException(nameof(revision), revision, $"the revision to compact at must be between 1 and the current revision {_rv}");
            }

            if (target <= _compactedRv)
            {
                // etcd: "mvcc: required revision has been compacted"; nothing changes.
                return _compactedRv;
            }

            // A read at revision r undoes the changes after r; those up to the target are no longer needed.
            while (_log.First is { } first && first.Value.Rv <= target)
            {
                _log.RemoveFirst();
            }

            _compactedRv = target;
            return target;
        }
    }

    /// <summary>
    /// Re-initialises every watch cache at the current revision with an empty window (what the apiserver's cacher does
    /// when its own etcd watch falls behind compaction): watches from any earlier RV get 410 Expired.
    /// </summary>
    public void ExpireWatchWindows()
    {
        lock (_gate)
        {
            foreach (var state in _resources.Values)
            {
                state.Reset(_rv);
            }
        }
    }

    /// <summary>Sets how many events of each resource the watch caches keep; a smaller window evicts the oldest now.</summary>
    public void SetWatchWindow(int events)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(events);
        lock (_gate)
        {
            _watchWindow = events;
            foreach (var state in _resources.Values)
            {
                state.Trim(_watchWindow);
            }
        }
    }

    /// <summary>
    /// An API server restart with etcd kept: storage and its history stay; the starting server writes to etcd once
    /// (kube-apiserver's master lease, a key no resource serves: the revision moves, no watch sees it), and every watch
    /// cache is initialised anew, empty, at that revision (k8s-golden 91, 95). Open watches are returned, detached, for
    /// the caller to break.
    /// </summary>
    public WatchCacheRestart RestartWatchCaches()
    {
        lock (_gate)
        {
            var previous = _rv;
            _rv++;
            _cacheStartRv = _rv;
            var watchers = new List<WatchSubscription>();
            foreach (var state in _resources.Values)
            {
                watchers.AddRange(state.Watchers);
                state.Watchers.Clear();
                state.Reset(_rv);

                // Custom resources get their storage, and so their cache, again on first use.
                state.Started = !state.StartsOnFirstRequest;
            }

            return new WatchCacheRestart(previous, _rv, watchers);
        }
    }

    /// <summary>The revision the watch cache of a resource was initialised at, the oldest RV a watch may start from, and its current RV.</summary>
    public (long ListRv, long OldestWatchableRv, long CacheRv) WatchCacheState(ResourceKey resource)
    {
        lock (_gate)
        {
            var state = State(resource);
            var oldest = state.Evicted && state.Window.Count > 0 ? state.Window.Peek().Rv : state.ListRv + 1;
            return (state.ListRv, oldest - 1, state.CacheRv);
        }
    }

    /// <summary>Drops a resource entirely (its CRD is gone); its watchers are ended.</summary>
    public void DropResource(ResourceKey resource)
    {
        List<WatchSubscription> watchers;
        lock (_gate)
        {
            if (!_resources.TryGetValue(resource, out var state))
            {
                return;
            }

            watchers = state.Watchers.ToList();
            _resources.Remove(resource);
        }

        foreach (var watcher in watchers)
        {
            watcher.Complete();
        }
    }

    IReadOnlyList<JsonObject> IObjectReader.List(string group, string resource, string? @namespace) =>
        List(new ResourceKey(group, resource), @namespace is null ? ObjectFilter.All : ObjectFilter.All with { Namespace = @namespace }, sorted: true).Items;

    JsonObject? IObjectReader.Get(string group, string resource, string? @namespace, string name) =>
        Get(new ObjectKey(new ResourceKey(group, resource), @namespace ?? string.Empty, name));

    private CommitResult CommitLocked(ResourceState state, ObjectKey key, JsonObject obj, WatchEventType type, StoredObject? previous)
    {
        var rv = ++_rv;
        JsonUtil.Metadata(obj)["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        var json = JsonUtil.Serialize(obj);
        var parsed = Parse(json);
        if (type == WatchEventType.Deleted)
        {
            state.Objects.Remove((key.Namespace, key.Name));
        }
        else
        {
            state.Objects[(key.Namespace, key.Name)] = new StoredObject(key.Namespace, key.Name, json, parsed, rv, previous?.Sequence ?? ++_sequence);
        }

        var change = new StoredEvent(rv, type, key, json, parsed, previous?.Parsed);
        _log.AddLast(change);
        while (_log.Count > _storageHistory)
        {
            _compactedRv = _log.First!.Value.Rv;
            _log.RemoveFirst();
        }

        if (state.Started)
        {
            state.Window.Enqueue(change);
            state.Advance(rv);
            state.Trim(_watchWindow);
        }

        foreach (var watcher in state.Watchers)
        {
            watcher.Deliver(change);
        }

        return new CommitResult(CommitError.None, Parse(json), rv);
    }

    private ResourceState State(ResourceKey resource)
    {
        if (!_resources.TryGetValue(resource, out var state))
        {
            // Every watch cache starts with the API server; one first touched now has seen no event since.
            state = new ResourceState(_cacheStartRv);
            _resources[resource] = state;
        }

        return state;
    }

    private static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;

    /// <summary>The object's etcd key below the resource's prefix, which orders etcd reads and continue tokens.</summary>
    internal static string StorageKey(string @namespace, string name) => @namespace.Length == 0 ? name : $"{@namespace}/{name}";

    private sealed record StoredObject(string Namespace, string Name, string Json, JsonObject Parsed, long Rv, long Sequence);

    private sealed class ResourceState(long listRv)
    {
        public Dictionary<(string Namespace, string Name), StoredObject> Objects { get; } = [];

        public Queue<StoredEvent> Window { get; } = new();

        public List<WatchSubscription> Watchers { get; } = [];

        /// <summary>The revision the watch cache was initialised at (its initial LIST from etcd).</summary>
        public long ListRv { get; private set; } = listRv;

        /// <summary>Whether an event has been evicted from the window since then: watches may then start only from the first one kept.</summary>
        public bool Evicted { get; private set; }

        /// <summary>The latest revision the watch cache has seen: its initial LIST or its latest event.</summary>
        public long CacheRv { get; private set; } = listRv;

        /// <summary>Whether the cache runs: always for built-in resources; for custom resources from their first request.</summary>
        public bool Started { get; set; } = true;

        /// <summary>A custom resource: its cache starts with the first request after each API server start.</summary>
        public bool StartsOnFirstRequest { get; init; }

        /// <summary>LISTs waiting for the cache to reach a resourceVersion (completed under the store's lock, run asynchronously).</summary>
        public List<(long Rv, TaskCompletionSource Waiter)> FreshnessWaiters { get; } = [];

        public void Reset(long rv)
        {
            Window.Clear();
            ListRv = rv;
            Evicted = false;
            Advance(rv);
        }

        public void Advance(long rv)
        {
            CacheRv = rv;
            if (FreshnessWaiters.Count == 0)
            {
                return;
            }

            foreach (var (wanted, waiter) in FreshnessWaiters.Where(w => w.Rv <= rv).ToList())
            {
                waiter.TrySetResult();
                FreshnessWaiters.Remove((wanted, waiter));
            }
        }

        public void Trim(int capacity)
        {
            while (Window.Count > capacity)
            {
                Window.Dequeue();
                Evicted = true;
            }
        }
    }
}

/// <summary>A line of a watch stream, already serialized, or the end of the stream.</summary>
internal sealed record WatchMessage(string? Line, bool End, bool Abort)
{
    public static WatchMessage Event(string type, string objectJson) => new($"{{\"type\":\"{type}\",\"object\":{objectJson}}}", false, false);

    public static WatchMessage Close { get; } = new(null, true, false);

    public static WatchMessage Drop { get; } = new(null, true, true);
}

/// <summary>One open watch: events are filtered and queued under the store's lock, in commit order.</summary>
internal sealed class WatchSubscription : IDisposable
{
    private readonly ObjectStore _store;
    private readonly Channel<WatchMessage> _channel = Channel.CreateUnbounded<WatchMessage>(new UnboundedChannelOptions { SingleReader = true });

    private readonly Func<string, string>? _present;

    public WatchSubscription(ObjectStore store, ResourceKey resource, ObjectFilter filter, string apiVersion, string kind, Func<string, string>? present)
    {
        _store = store;
        _present = present;
        Resource = resource;
        Filter = filter;
        ApiVersion = apiVersion;
        Kind = kind;
    }

    public ResourceKey Resource { get; }

    public ObjectFilter Filter { get; }

    public string ApiVersion { get; }

    public string Kind { get; }

    public ChannelReader<WatchMessage> Reader => _channel.Reader;

    public void Enqueue(WatchMessage message) => _channel.Writer.TryWrite(message);

    /// <summary>An object event as this watcher's resource version presents the stored object.</summary>
    public WatchMessage Event(string type, string storedJson) => WatchMessage.Event(type, _present?.Invoke(storedJson) ?? storedJson);

    /// <summary>Turns a change into what this watcher sees, as the watch cache does with selectors.</summary>
    public void Deliver(StoredEvent change)
    {
        var current = change.Type != WatchEventType.Deleted && Filter.Matches(change.Object);
        var previous = change.Previous is not null && Filter.Matches(change.Previous);
        if (current && !previous)
        {
            Enqueue(Event("ADDED", change.ObjectJson));
        }
        else if (current)
        {
            Enqueue(Event("MODIFIED", change.ObjectJson));
        }
        else if (previous)
        {
            // The previous content with the RV of the change, as kube-apiserver's watch cache sends it.
            var old = (JsonObject)change.Previous!.DeepClone();
            JsonUtil.Metadata(old)["resourceVersion"] = change.Rv.ToString(CultureInfo.InvariantCulture);
            Enqueue(Event("DELETED", JsonUtil.Serialize(old)));
        }
    }

    public void Complete()
    {
        _channel.Writer.TryWrite(WatchMessage.Close);
        _channel.Writer.TryComplete();
    }

    public void Abort()
    {
        _channel.Writer.TryWrite(WatchMessage.Drop);
        _channel.Writer.TryComplete();
    }

    public void Dispose()
    {
        _store.Unsubscribe(this);
        _channel.Writer.TryComplete();
    }
}
