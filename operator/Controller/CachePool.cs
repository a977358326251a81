namespace GuardDutyCoverage.Controller;

/// <summary>
/// Shares what repeats across the objects of one cache (issue 11): a DaemonSet's 5,000 pods carry the same namespace,
/// labels, owner reference, image, resources and condition reasons; the deserializer makes a new copy of each for
/// every pod, this keeps one. One pool per informer (<see cref="CacheTransforms.For"/>), never static. Bounded: past
/// its limits it shares no more (what it holds stays valid), so odd inputs (a label unique per pod) cannot grow it
/// without end. What it hands out is shared between cached objects and must be treated as read-only, as everything
/// in an informer cache is.
/// </summary>
public sealed class CachePool
{
    /// <summary>Longer strings are rarely repeated (messages): not worth a lookup.</summary>
    public const int MaxStringLength = 256;

    private readonly Dictionary<string, string> strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object> objects = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    public CachePool(int maxStrings = 4096, int maxObjects = 1024)
    {
        MaxStrings = maxStrings;
        MaxObjects = maxObjects;
    }

    public int MaxStrings { get; }

    public int MaxObjects { get; }

    /// <summary>Strings held (for tests and bounds).</summary>
    public int StringCount
    {
        get
        {
            lock (gate)
            {
                return strings.Count;
            }
        }
    }

    /// <summary>Shared objects held.</summary>
    public int ObjectCount
    {
        get
        {
            lock (gate)
            {
                return objects.Count;
            }
        }
    }

    /// <summary>The pool's copy of <paramref name="value"/> (the value itself when new, or when the pool is full).</summary>
    public string? Intern(string? value)
    {
        if (value is null || value.Length > MaxStringLength)
        {
            return value;
        }

        if (value.Length == 0)
        {
            return "";
        }

        lock (gate)
        {
            if (strings.TryGetValue(value, out var shared))
            {
                return shared;
            }

            if (strings.Count < MaxStrings)
            {
                strings.Add(value, value);
            }

            return value;
        }
    }

    /// <summary>
    /// The object made for <paramref name="key"/> (the canonical text of its content) the first time, made by
    /// <paramref name="create"/>; past the bound a new object for each call.
    /// </summary>
    public T Share<T>(string key, Func<T> create)
        where T : class
    {
        lock (gate)
        {
            if (objects.TryGetValue(key, out var shared) && shared is T typed)
            {
                return typed;
            }
        }

        var made = create();
        lock (gate)
        {
            if (objects.TryGetValue(key, out var raced) && raced is T typed)
            {
                return typed;
            }

            if (objects.Count < MaxObjects)
            {
                objects[key] = made;
            }
        }

        return made;
    }
}
