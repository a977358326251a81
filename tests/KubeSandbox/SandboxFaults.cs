using System.Text.Json.Nodes;
using KubeSandbox.Http;
using KubeSandbox.Storage;

namespace KubeSandbox;

/// <summary>A registered fault; <see cref="Remaining"/> counts down as it fires.</summary>
public sealed class FaultRule
{
    private int _remaining;

    internal FaultRule(Func<SandboxRequest, bool> match, int count, int statusCode, TimeSpan? retryAfter, TimeSpan delay)
    {
        Match = match;
        _remaining = count;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
        Delay = delay;
    }

    internal Func<SandboxRequest, bool> Match { get; }

    /// <summary>The injected status code, or 0 for a pure delay.</summary>
    public int StatusCode { get; }

    public TimeSpan? RetryAfter { get; }

    public TimeSpan Delay { get; }

    public int Remaining => Volatile.Read(ref _remaining);

    private int _fired;

    public int Fired => Volatile.Read(ref _fired);

    internal bool TryTake()
    {
        while (true)
        {
            var current = Volatile.Read(ref _remaining);
            if (current <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _remaining, current - 1, current) == current)
            {
                Interlocked.Increment(ref _fired);
                return true;
            }
        }
    }
}

/// <summary>What an API server restart did: the revision before it, the revision every watch cache now starts at, the watches it broke.</summary>
public sealed record ApiServerRestart(long PreviousRevision, long WatchCacheRevision, int BrokenWatches);

/// <summary>
/// The watch cache of one resource: the revision it was initialised at, the oldest resourceVersion a watch may start
/// from (older ones get the 410 ERROR event), and its own resourceVersion (lists from the cache and bookmarks carry it).
/// </summary>
public sealed record WatchCacheInfo(long StartRevision, long OldestWatchableRevision, long ResourceVersion);

/// <summary>
/// Fault injection for tests of clients (informers, retries, leader election): failing or slow requests, dropped and
/// expired watches, etcd compaction, the watch cache's window, API server restarts and outages. Every fault is
/// explicit and counted. The same faults are reachable over HTTP at <c>/_sandbox/...</c> (tests/KubeSandbox/README.md).
/// </summary>
public sealed class SandboxFaults
{
    private readonly Lock _gate = new();
    private readonly List<FaultRule> _rules = [];
    private readonly ObjectStore _store;
    private int _stopped;
    private int _restarts;

    internal SandboxFaults(ObjectStore store) => _store = store;

    /// <summary>The next <paramref name="count"/> requests matching <paramref name="match"/> fail with <paramref name="statusCode"/> (429 carries Retry-After).</summary>
    public FaultRule FailNext(int count, Func<SandboxRequest, bool> match, int statusCode, TimeSpan? retryAfter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentNullException.ThrowIfNull(match);
        if (statusCode is < 400 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "an error status code (4xx or 5xx) is required");
        }

        return Add(new FaultRule(match, count, statusCode, retryAfter, TimeSpan.Zero));
    }

    /// <summary>The next <paramref name="count"/> requests matching <paramref name="match"/> are answered after <paramref name="delay"/> (on the sandbox's clock).</summary>
    public FaultRule Delay(Func<SandboxRequest, bool> match, TimeSpan delay, int count = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(match);
        return Add(new FaultRule(match, count, 0, null, delay));
    }

    /// <summary>Removes all request faults.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    /// <summary>Aborts every open watch connection now (the client sees the connection break). Returns how many.</summary>
    public int DropWatches(string? group = null, string? resource = null) => ForWatches(group, resource, w => w.Abort());

    /// <summary>Ends every open watch stream cleanly now, as a server-side timeout does. Returns how many.</summary>
    public int CloseWatches(string? group = null, string? resource = null) => ForWatches(group, resource, w => w.Complete());

    /// <summary>Sends an ERROR event (Status 410 Expired) into every open watch and ends it. Returns how many.</summary>
    public int ExpireWatches(string? group = null, string? resource = null)
    {
        var rv = _store.CurrentRv;
        return ForWatches(group, resource, w =>
        {
            var status = ApiErrors.Status(410, "Expired", $"too old resource version: {rv} ({rv + 1})", null);
            w.Enqueue(WatchMessage.Event("ERROR", status.ToJsonString()));
            w.Complete();
        });
    }

    /// <summary>Compacts storage and empties the watch cache: lists at an exact older RV, continue tokens and watches from older RVs get 410.</summary>
    public void Compact()
    {
        _store.CompactStorage();
        _store.ExpireWatchWindows();
    }

    /// <summary>Compacts storage only (like <c>etcdctl compact</c>): exact-RV lists and continue tokens get 410; watches still replay from the watch cache.</summary>
    public void CompactStorage() => _store.CompactStorage();

    /// <summary>
    /// <c>etcdctl compact REVISION</c>: lists at an exact revision before it (resourceVersionMatch=Exact, or a limit
    /// with a resourceVersion) and continue tokens of such snapshots get 410 Expired; a read at the revision itself still
    /// works; watches still replay from the watch cache (k8s-golden 34). Returns the compacted revision.
    /// </summary>
    public long CompactStorage(long revision) => _store.CompactStorage(revision);

    /// <summary>Reads before this revision get 410 (0: nothing compacted).</summary>
    public long CompactedRevision => _store.CompactedRv;

    /// <summary>Re-initialises every watch cache at the current revision: watches from any earlier RV get 410 Expired.</summary>
    public void ExpireWatchCache() => _store.ExpireWatchWindows();

    /// <summary>How many events of each resource the watch caches keep (<see cref="SandboxOptions.WatchWindow"/>).</summary>
    public int WatchCacheWindow => _store.WatchWindow;

    /// <summary>Resizes every watch cache's window now; a smaller one evicts the oldest events, so watches from before them get 410.</summary>
    public void SetWatchCacheWindow(int events) => _store.SetWatchWindow(events);

    /// <summary>The watch cache of a resource (group "" for the core group; the plural resource name).</summary>
    public WatchCacheInfo WatchCache(string group, string resource)
    {
        var (start, oldest, rv) = _store.WatchCacheState(new ResourceKey(group, resource));
        return new WatchCacheInfo(start, oldest, rv);
    }

    /// <summary>Whether the API server is stopped (<see cref="StopApiServer"/>): every request's connection is then broken.</summary>
    public bool ApiServerStopped => Volatile.Read(ref _stopped) == 1;

    /// <summary>How many times the API server was restarted or started again after a stop.</summary>
    public int ApiServerRestarts => Volatile.Read(ref _restarts);

    /// <summary>
    /// Restarts kube-apiserver with etcd kept, as on a control-plane upgrade: every open watch connection breaks; the new
    /// process writes once to etcd, so the revision moves by one; every watch cache starts anew, empty, at that revision.
    /// Then a watch from an RV seen before the restart gets the 410 ERROR event (k8s-golden 91), a LIST with a limit at
    /// that RV reads etcd at exactly it and returns the stale state with the same RV (92), a LIST without a limit is
    /// served from the new cache with a fresh RV (93) from which watches work (94).
    /// </summary>
    public ApiServerRestart RestartApiServer() => StartWatchCaches();

    /// <summary>
    /// Stops kube-apiserver (etcd kept): open watches break, and until <see cref="StartApiServer"/> every request's
    /// connection is broken before any response (logged in <see cref="SandboxServer.Requests"/> with status 0), as a
    /// client sees a server that is down. Returns the number of watches broken.
    /// </summary>
    public int StopApiServer()
    {
        Interlocked.Exchange(ref _stopped, 1);
        return BreakWatches();
    }

    /// <summary>Starts kube-apiserver again after <see cref="StopApiServer"/>, with new watch caches as <see cref="RestartApiServer"/> describes.</summary>
    public ApiServerRestart StartApiServer()
    {
        var restart = StartWatchCaches();
        Interlocked.Exchange(ref _stopped, 0);
        return restart;
    }

    private int BreakWatches()
    {
        var watchers = _store.DetachWatchers();
        foreach (var watcher in watchers)
        {
            watcher.Abort();
        }

        return watchers.Count;
    }

    private ApiServerRestart StartWatchCaches()
    {
        var restart = _store.RestartWatchCaches();
        foreach (var watcher in restart.Watchers)
        {
            watcher.Abort();
        }

        Interlocked.Increment(ref _restarts);
        return new ApiServerRestart(restart.PreviousRv, restart.StartRv, restart.Watchers.Count);
    }

    internal FaultRule? Take(SandboxRequest request, bool delays)
    {
        lock (_gate)
        {
            foreach (var rule in _rules)
            {
                if ((rule.StatusCode == 0) == delays && rule.Remaining > 0 && rule.Match(request) && rule.TryTake())
                {
                    return rule;
                }
            }
        }

        return null;
    }

    internal static JsonObject FaultStatus(FaultRule rule, SandboxRequest request, out Dictionary<string, string> headers)
    {
        headers = [];
        var code = rule.StatusCode;
        var retryAfter = (int)Math.Ceiling((rule.RetryAfter ?? (code == 429 ? TimeSpan.FromSeconds(1) : TimeSpan.Zero)).TotalSeconds);
        if (retryAfter > 0)
        {
            headers["Retry-After"] = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var qualified = ApiErrors.Qualified(request.Group, request.Resource);
        var details = ApiErrors.Details(request.Name, request.Group, request.Resource);
        if (retryAfter > 0)
        {
            details["retryAfterSeconds"] = retryAfter;
        }

        return code switch
        {
            429 => ApiErrors.Status(429, "TooManyRequests", "Too many requests, please try again later.", details),
            409 => ApiErrors.Status(409, "Conflict", $"Operation cannot be fulfilled on {qualified} \"{request.Name}\": {ApiErrors.ModifiedMessage}", details),
            500 => ApiErrors.Status(500, "InternalError", "Internal error occurred: injected fault", new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = "injected fault" }) }),
            503 => ApiErrors.Status(503, "ServiceUnavailable", "The server is currently unable to handle the request", details),
            504 => ApiErrors.Status(504, "Timeout", "The server was unable to return a response in the time allotted, but may still be processing the request", details),
            404 => ApiErrors.Status(404, "NotFound", $"{qualified} \"{request.Name}\" not found", details),
            403 => ApiErrors.Status(403, "Forbidden", $"{qualified} \"{request.Name}\" is forbidden: injected fault", details),
            _ => ApiErrors.Status(code, null, $"injected fault (status {code})", details),
        };
    }

    private FaultRule Add(FaultRule rule)
    {
        lock (_gate)
        {
            _rules.Add(rule);
        }

        return rule;
    }

    private int ForWatches(string? group, string? resource, Action<WatchSubscription> action)
    {
        var count = 0;
        foreach (var watcher in _store.Watchers())
        {
            if ((group is null || watcher.Resource.Group == group) && (resource is null || watcher.Resource.Resource == resource))
            {
                action(watcher);
                count++;
            }
        }

        return count;
    }
}
