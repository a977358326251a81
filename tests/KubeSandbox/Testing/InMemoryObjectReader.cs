using System.Text.Json.Nodes;
using KubeSandbox.Authorization;

namespace KubeSandbox.Testing;

/// <summary>
/// A small <see cref="IObjectReader"/> over a list of objects, for testing modules without the server: the resource
/// of an object is guessed from its kind as apimachinery's UnsafeGuessKindToResource does (DaemonSet → daemonsets,
/// PriorityClass → priorityclasses, Policy → policies). Objects are stored as given (not copied) and returned as
/// stored; <see cref="Upsert"/> replaces an object with the same group, resource, namespace and name.
/// </summary>
public sealed class InMemoryObjectReader : IObjectReader
{
    private readonly Lock gate = new();
    private readonly Dictionary<(string Group, string Resource), List<JsonObject>> byResource = [];

    public InMemoryObjectReader(IEnumerable<JsonObject>? objects = null)
    {
        foreach (var obj in objects ?? [])
        {
            Upsert(obj);
        }
    }

    public IReadOnlyList<JsonObject> List(string group, string resource, string? @namespace = null)
    {
        lock (gate)
        {
            if (!byResource.TryGetValue((group, resource), out var objects))
            {
                return [];
            }

            return @namespace is null ? [.. objects] : [.. objects.Where(o => JsonRead.Namespace(o) == @namespace)];
        }
    }

    public JsonObject? Get(string group, string resource, string? @namespace, string name)
    {
        lock (gate)
        {
            return byResource.TryGetValue((group, resource), out var objects)
                ? objects.Find(o => SameKey(o, @namespace, name))
                : null;
        }
    }

    public void Upsert(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var key = ResourceOf(obj);
        lock (gate)
        {
            if (!byResource.TryGetValue(key, out var objects))
            {
                byResource[key] = objects = [];
            }

            var index = objects.FindIndex(o => SameKey(o, JsonRead.Namespace(obj), JsonRead.Name(obj)));
            if (index >= 0)
            {
                objects[index] = obj;
            }
            else
            {
                objects.Add(obj);
            }
        }
    }

    public bool Remove(string group, string resource, string? @namespace, string name)
    {
        lock (gate)
        {
            return byResource.TryGetValue((group, resource), out var objects) && objects.RemoveAll(o => SameKey(o, @namespace, name)) > 0;
        }
    }

    /// <summary>apimachinery's UnsafeGuessKindToResource plus the group of the object's apiVersion.</summary>
    public static (string Group, string Resource) ResourceOf(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var apiVersion = JsonRead.String(obj["apiVersion"]) ?? "";
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? "" : apiVersion[..slash];
        var kind = (JsonRead.String(obj["kind"]) ?? "").ToLowerInvariant();
        var resource = kind switch
        {
            "endpoints" => kind,
            _ when kind.EndsWith('s') => kind + "es",
            _ when kind.EndsWith('y') => kind[..^1] + "ies",
            _ => kind + "s",
        };
        return (group, resource);
    }

    private static bool SameKey(JsonObject obj, string? @namespace, string name) =>
        JsonRead.Namespace(obj) == (string.IsNullOrEmpty(@namespace) ? null : @namespace) && JsonRead.Name(obj) == name;
}
