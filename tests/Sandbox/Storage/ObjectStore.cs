using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using GuardDutyCoverage.Sandbox.Json;

namespace GuardDutyCoverage.Sandbox.Storage;

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

/// <summary>The outcome of starting a watch: the subscription, or the RV the watch cache starts at when too old.</summary>
internal sealed record WatchStart(WatchSubscription? Subscription, long TooOldStart);

/// <summary>
/// The sandbox's etcd plus watch cache: objects as JSON under one global, monotonically increasing resourceVersion,
/// a bounded log of changes (for exact-RV reads and continue tokens, like etcd before compaction) and, per resource,
/// a bounded window of events that watches can start from (like the apiserver's watch cache).
/// </summary>
internal sealed class ObjectStore : IObjectReader
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ResourceKey, ResourceState> _resources = [];
    private readonly LinkedList<StoredEvent> _log = new();
    private readonly int _watchWindow;
    private readonly int _storageHistory;
    private long _rv;
    private long _sequence;
    private long _compactedRv;

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

    public void WithCurrentRv(Action<long> action)
    {
        lock (_gate)
        {
            action(_rv);
        }
    }

    /// <summary>Starts the watch cache of a resource at the current RV (a newly established CRD), unless it exists.</summary>
    public void EnsureResource(ResourceKey resource, bool startNow)
    {
        lock (_gate)
        {
            if (!_resources.ContainsKey(resource))
            {
                _resources[resource] = new ResourceState { StartRv = startNow ? _rv : 0 };
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

    /// <summary>The current objects matching the filter, in watch-cache order (creation order) or sorted by key.</summary>
    public (List<JsonObject> Items, long Rv) List(ResourceKey resource, ObjectFilter filter, bool sorted)
    {
        lock (_gate)
        {
            var state = State(resource);
            IEnumerable<StoredObject> objects = state.Objects.Values;
            objects = sorted
                ? objects.OrderBy(o => o.Namespace, StringComparer.Ordinal).ThenBy(o => o.Name, StringComparer.Ordinal)
                : objects.OrderBy(o => o.Sequence);
            return (objects.Where(o => filter.Matches(o.Parsed)).Select(o => Parse(o.Json)).ToList(), _rv);
        }
    }

    /// <summary>The objects as they were at <paramref name="rv"/>, sorted by key; null when the log no longer reaches back.</summary>
    public List<JsonObject>? ListAt(ResourceKey resource, ObjectFilter filter, long rv)
    {
        lock (_gate)
        {
            if (rv < _compactedRv || rv > _rv)
            {
                return null;
            }

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
                .OrderBy(p => p.Key.Namespace, StringComparer.Ordinal)
                .ThenBy(p => p.Key.Name, StringComparer.Ordinal)
                .Where(p => filter.Matches(p.Value))
                .Select(p => (JsonObject)p.Value.DeepClone())
                .ToList();
        }
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
                if (fromRv.Value < state.StartRv)
                {
                    return new WatchStart(null, state.StartRv);
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
    public void CompactStorage()
    {
        lock (_gate)
        {
            _log.Clear();
            _compactedRv = _rv;
        }
    }

    /// <summary>Empties every watch-cache window so that watches from any earlier RV get 410 Expired.</summary>
    public void ExpireWatchWindows()
    {
        lock (_gate)
        {
            foreach (var state in _resources.Values)
            {
                state.Window.Clear();
                state.StartRv = _rv;
            }
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

        state.Window.Enqueue(change);
        while (state.Window.Count > _watchWindow)
        {
            state.StartRv = state.Window.Dequeue().Rv;
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
            state = new ResourceState { StartRv = 0 };
            _resources[resource] = state;
        }

        return state;
    }

    private static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;

    private sealed record StoredObject(string Namespace, string Name, string Json, JsonObject Parsed, long Rv, long Sequence);

    private sealed class ResourceState
    {
        public Dictionary<(string Namespace, string Name), StoredObject> Objects { get; } = [];

        public Queue<StoredEvent> Window { get; } = new();

        public List<WatchSubscription> Watchers { get; } = [];

        /// <summary>Watches may start from this RV or later; earlier ones get 410 Expired.</summary>
        public long StartRv { get; set; }
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
