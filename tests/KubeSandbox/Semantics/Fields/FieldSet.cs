using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

/// <summary>
/// A set of field paths stored as a trie, with the set algebra of structured-merge-diff's fieldpath.Set and its
/// fieldsV1 encoding. A path is a member when it was inserted itself; the children hold longer paths.
/// Not thread-safe: each operation builds its sets and does not share them.
/// </summary>
internal sealed class FieldSet
{
    private readonly SortedSet<PathElement> members = [];
    private readonly SortedDictionary<PathElement, FieldSet> children = [];

    public static FieldSet Empty => new();

    public bool IsEmpty => members.Count == 0 && children.Values.All(c => c.IsEmpty);

    public IEnumerable<PathElement> Members => members;

    public IEnumerable<KeyValuePair<PathElement, FieldSet>> Children => children;

    public void Insert(IReadOnlyList<PathElement> path)
    {
        if (path.Count == 0)
        {
            return;
        }

        var node = this;
        for (var i = 0; i < path.Count - 1; i++)
        {
            node = node.Child(path[i]);
        }

        node.members.Add(path[^1]);
    }

    public void InsertMember(PathElement element) => members.Add(element);

    /// <summary>The child set for <paramref name="element"/>, created when missing.</summary>
    public FieldSet Child(PathElement element)
    {
        if (!children.TryGetValue(element, out var child))
        {
            child = new FieldSet();
            children[element] = child;
        }

        return child;
    }

    public bool HasMember(PathElement element) => members.Contains(element);

    public bool Has(IReadOnlyList<PathElement> path)
    {
        var node = this;
        for (var i = 0; i < path.Count - 1; i++)
        {
            if (!node.children.TryGetValue(path[i], out node))
            {
                return false;
            }
        }

        return path.Count > 0 && node.members.Contains(path[^1]);
    }

    /// <summary>The paths below <paramref name="element"/> (empty when there are none); shares no state with this set.</summary>
    public FieldSet WithPrefix(PathElement element) => children.TryGetValue(element, out var child) ? child.Copy() : new FieldSet();

    public FieldSet Copy()
    {
        var copy = new FieldSet();
        copy.members.UnionWith(members);
        foreach (var (pe, child) in children)
        {
            copy.children[pe] = child.Copy();
        }

        return copy;
    }

    public FieldSet Union(FieldSet other)
    {
        var result = Copy();
        result.UnionInPlace(other);
        return result;
    }

    private void UnionInPlace(FieldSet other)
    {
        members.UnionWith(other.members);
        foreach (var (pe, child) in other.children)
        {
            Child(pe).UnionInPlace(child);
        }
    }

    public FieldSet Intersection(FieldSet other)
    {
        var result = new FieldSet();
        foreach (var pe in members)
        {
            if (other.members.Contains(pe))
            {
                result.members.Add(pe);
            }
        }

        foreach (var (pe, child) in children)
        {
            if (other.children.TryGetValue(pe, out var otherChild))
            {
                var intersection = child.Intersection(otherChild);
                if (!intersection.IsEmpty)
                {
                    result.children[pe] = intersection;
                }
            }
        }

        return result;
    }

    /// <summary>The paths of this set that are not paths of <paramref name="other"/> (exact paths only).</summary>
    public FieldSet Difference(FieldSet other)
    {
        var result = new FieldSet();
        foreach (var pe in members)
        {
            if (!other.members.Contains(pe))
            {
                result.members.Add(pe);
            }
        }

        foreach (var (pe, child) in children)
        {
            var remaining = other.children.TryGetValue(pe, out var otherChild) ? child.Difference(otherChild) : child.Copy();
            if (!remaining.IsEmpty)
            {
                result.children[pe] = remaining;
            }
        }

        return result;
    }

    /// <summary>Like <see cref="Difference"/>, but a member of <paramref name="other"/> also removes everything below it.</summary>
    public FieldSet RecursiveDifference(FieldSet other)
    {
        var result = new FieldSet();
        foreach (var pe in members)
        {
            if (!other.members.Contains(pe))
            {
                result.members.Add(pe);
            }
        }

        foreach (var (pe, child) in children)
        {
            if (other.members.Contains(pe))
            {
                continue;
            }

            var remaining = other.children.TryGetValue(pe, out var otherChild) ? child.RecursiveDifference(otherChild) : child.Copy();
            if (!remaining.IsEmpty)
            {
                result.children[pe] = remaining;
            }
        }

        return result;
    }

    /// <summary>Every member path: the members of a level first, then the levels below, in element order.</summary>
    public IEnumerable<IReadOnlyList<PathElement>> Paths() => PathsWithPrefix([]);

    private IEnumerable<IReadOnlyList<PathElement>> PathsWithPrefix(List<PathElement> prefix)
    {
        foreach (var pe in members)
        {
            yield return [.. prefix, pe];
        }

        foreach (var (pe, child) in children)
        {
            foreach (var path in child.PathsWithPrefix([.. prefix, pe]))
            {
                yield return path;
            }
        }
    }

    /// <summary>The fieldsV1 object: one member per element, <c>"."</c> first where a path is both a member and a prefix.</summary>
    public JsonObject ToFieldsV1()
    {
        var result = new JsonObject();
        WriteFieldsV1(result);
        return result;
    }

    private void WriteFieldsV1(JsonObject target)
    {
        var elements = new SortedSet<PathElement>(members);
        foreach (var (pe, child) in children)
        {
            if (!child.IsEmpty)
            {
                elements.Add(pe);
            }
        }

        foreach (var pe in elements)
        {
            var entry = new JsonObject();
            if (children.TryGetValue(pe, out var child) && !child.IsEmpty)
            {
                if (members.Contains(pe))
                {
                    entry["."] = new JsonObject();
                }

                child.WriteFieldsV1(entry);
            }

            target[pe.FieldsV1Key] = entry;
        }
    }

    /// <summary>Reads a fieldsV1 object.</summary>
    /// <exception cref="FormatException">The object is not valid fieldsV1.</exception>
    public static FieldSet FromFieldsV1(JsonNode? fieldsV1)
    {
        if (fieldsV1 is not JsonObject obj)
        {
            throw new FormatException("fieldsV1 must be an object");
        }

        var set = new FieldSet();
        set.ReadFieldsV1(obj);
        return set;
    }

    private void ReadFieldsV1(JsonObject obj)
    {
        foreach (var (name, value) in obj)
        {
            if (name == ".")
            {
                continue;
            }

            var pe = PathElement.Parse(name);
            if (value is not JsonObject inner)
            {
                throw new FormatException($"fieldsV1 member {name} must be an object");
            }

            if (inner.Count == 0 || inner.ContainsKey("."))
            {
                members.Add(pe);
            }

            if (inner.Count > (inner.ContainsKey(".") ? 1 : 0))
            {
                Child(pe).ReadFieldsV1(inner);
            }
        }
    }
}
