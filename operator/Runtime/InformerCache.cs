using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Runtime;

/// <summary>
/// The thread-safe local copy of one kind kept by an <see cref="Informer{T}"/> (client-go's indexer), keyed
/// <c>namespace/name</c> (or <c>name</c> for cluster-scoped objects), with a namespace index and optional custom indexes.
/// Objects are shared with every reader: treat them as read-only. Lists handed out are built once and reused until
/// the objects they hold change, so many readers of the same slice in one burst (20 CRs over one namespace's 5,000
/// pods) share one sorted list instead of sorting it each.
/// </summary>
public sealed class InformerCache<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public const string NamespaceIndex = "namespace";

    private readonly Lock gate = new();
    private readonly Dictionary<string, T> items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<T, IEnumerable<string>>> indexers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> indices = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Index, string Value), IReadOnlyList<T>> builtLists = [];
    private IReadOnlyList<T>? builtAll;
    private readonly List<Action<T?, T?>> observers = [];
    private long generation;

    internal InformerCache()
    {
        AddIndex(NamespaceIndex, obj => obj.Metadata?.NamespaceProperty is { Length: > 0 } ns ? [ns] : []);
    }

    public int Count
    {
        get
        {
            lock (gate)
            {
                return items.Count;
            }
        }
    }

    /// <summary>
    /// Counts the changes stored so far: equal generations mean equal contents, so derived data (a snapshot built
    /// from this cache) can be reused until it moves.
    /// </summary>
    public long Generation
    {
        get
        {
            lock (gate)
            {
                return generation;
            }
        }
    }

    /// <summary>
    /// Calls <paramref name="changed"/> with (before, after) for every change, under the cache's lock, so state
    /// derived from it (per-owner aggregates) is never behind the cache: (null, obj) added, (old, obj) replaced,
    /// (old, null) removed. Existing objects are delivered as adds at once. Must be quick and must not read the cache.
    /// </summary>
    public void AddObserver(Action<T?, T?> changed)
    {
        lock (gate)
        {
            observers.Add(changed);
            foreach (var obj in items.Values)
            {
                changed(null, obj);
            }
        }
    }

    /// <summary>client-go's MetaNamespaceKeyFunc.</summary>
    public static string KeyOf(T obj) => KeyOf(obj.Metadata?.Name ?? "", obj.Metadata?.NamespaceProperty);

    public static string KeyOf(string name, string? namespaceName) =>
        string.IsNullOrEmpty(namespaceName) ? name : namespaceName + "/" + name;

    public T? Get(string name, string? namespaceName = null) => GetByKey(KeyOf(name, namespaceName));

    public T? GetByKey(string key)
    {
        lock (gate)
        {
            return items.GetValueOrDefault(key);
        }
    }

    /// <summary>Every object, ordered by key.</summary>
    public IReadOnlyList<T> List()
    {
        lock (gate)
        {
            return builtAll ??= [.. items.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value)];
        }
    }

    public IReadOnlyList<T> List(string namespaceName) => ByIndex(NamespaceIndex, namespaceName);

    public IReadOnlyList<string> Keys()
    {
        lock (gate)
        {
            return [.. items.Keys.Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>Objects whose index function returned <paramref name="value"/>, ordered by key.</summary>
    public IReadOnlyList<T> ByIndex(string indexName, string value)
    {
        lock (gate)
        {
            if (!indices.TryGetValue(indexName, out var index))
            {
                throw new ArgumentException($"no index named \"{indexName}\"", nameof(indexName));
            }

            if (!index.TryGetValue(value, out var keys))
            {
                return [];
            }

            if (!builtLists.TryGetValue((indexName, value), out var list))
            {
                list = [.. keys.Order(StringComparer.Ordinal).Select(k => items[k])];
                builtLists[(indexName, value)] = list;
            }

            return list;
        }
    }

    /// <summary>Adds an index (e.g. pods by node, bindings by role); existing objects are indexed at once.</summary>
    public void AddIndex(string indexName, Func<T, IEnumerable<string>> indexFunc)
    {
        lock (gate)
        {
            if (!indexers.TryAdd(indexName, indexFunc))
            {
                throw new ArgumentException($"index \"{indexName}\" already exists", nameof(indexName));
            }

            var index = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            indices[indexName] = index;
            foreach (var (key, obj) in items)
            {
                foreach (var value in indexFunc(obj))
                {
                    Add(index, value, key);
                }
            }
        }
    }

    /// <summary>Stores <paramref name="obj"/>; returns the object it replaced, if any.</summary>
    internal T? Upsert(T obj)
    {
        var key = KeyOf(obj);
        lock (gate)
        {
            items.TryGetValue(key, out var old);
            List<((string Index, string Value) List, IReadOnlyList<T> Replaced)>? carried = null;
            if (old is not null)
            {
                // A list that held the old object under a value the new one keeps stays in key order with the new object
                // at the old one's place: it is carried over as a copy, not rebuilt (re-sorted) on the next read, so a
                // pod that changes costs a copy of its owner's list, not a sort of 5,000 keys.
                foreach (var (name, indexFunc) in indexers)
                {
                    foreach (var value in indexFunc(old))
                    {
                        if (builtLists.TryGetValue((name, value), out var list) && indexFunc(obj).Contains(value, StringComparer.Ordinal)
                            && Replaced(list, key, obj) is { } replaced)
                        {
                            (carried ??= []).Add(((name, value), replaced));
                        }
                    }
                }

                Unindex(key, old);
            }

            items[key] = obj;
            builtAll = null;
            generation++;
            foreach (var observer in observers)
            {
                observer(old, obj);
            }

            foreach (var (name, indexFunc) in indexers)
            {
                foreach (var value in indexFunc(obj))
                {
                    Add(indices[name], value, key);
                    builtLists.Remove((name, value));
                }
            }

            foreach (var (list, replaced) in carried ?? [])
            {
                builtLists[list] = replaced;
            }

            return old;
        }
    }

    /// <summary>A copy of <paramref name="list"/> (ordered by key) with the object at <paramref name="key"/> replaced; null when it is not there.</summary>
    private static T[]? Replaced(IReadOnlyList<T> list, string key, T obj)
    {
        int low = 0, high = list.Count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var order = string.CompareOrdinal(KeyOf(list[middle]), key);
            if (order == 0)
            {
                var copy = list.ToArray();
                copy[middle] = obj;
                return copy;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return null;
    }

    internal T? Remove(string key)
    {
        lock (gate)
        {
            if (!items.Remove(key, out var old))
            {
                return null;
            }

            builtAll = null;
            generation++;
            Unindex(key, old);
            foreach (var observer in observers)
            {
                observer(old, null);
            }

            return old;
        }
    }

    private void Unindex(string key, T obj)
    {
        foreach (var (name, indexFunc) in indexers)
        {
            var index = indices[name];
            foreach (var value in indexFunc(obj))
            {
                builtLists.Remove((name, value));
                if (index.TryGetValue(value, out var keys) && keys.Remove(key) && keys.Count == 0)
                {
                    index.Remove(value);
                }
            }
        }
    }

    private static void Add(Dictionary<string, HashSet<string>> index, string value, string key)
    {
        if (!index.TryGetValue(value, out var keys))
        {
            keys = new HashSet<string>(StringComparer.Ordinal);
            index[value] = keys;
        }

        keys.Add(key);
    }
}
