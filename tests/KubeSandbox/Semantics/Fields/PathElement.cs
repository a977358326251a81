using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

internal enum PathElementKind
{
    // The order is structured-merge-diff's: fields sort before keys, keys before values, values before indexes.
    Field = 0,
    Key = 1,
    Value = 2,
    Index = 3,
}

/// <summary>
/// One step of a field path: a struct/map field (<c>f:name</c>), an associative-list item identified by its key
/// fields (<c>k:{"name":"x"}</c>), a set item identified by its value (<c>v:"x"</c>) or a list index (<c>i:0</c>).
/// Immutable; equality and hashing go through the canonical fieldsV1 text.
/// </summary>
internal sealed class PathElement : IEquatable<PathElement>, IComparable<PathElement>
{
    private PathElement(PathElementKind kind, string? fieldName, IReadOnlyList<KeyValuePair<string, JsonNode?>>? key, JsonNode? value, int index)
    {
        Kind = kind;
        FieldName = fieldName;
        Key = key;
        Value = value;
        Index = index;
        FieldsV1Key = kind switch
        {
            PathElementKind.Field => "f:" + fieldName,
            PathElementKind.Key => "k:" + KeyJson(key!),
            PathElementKind.Value => "v:" + JsonValues.Canonical(value),
            _ => "i:" + index.ToString(CultureInfo.InvariantCulture),
        };
    }

    public PathElementKind Kind { get; }

    public string? FieldName { get; }

    /// <summary>Key fields sorted by name.</summary>
    public IReadOnlyList<KeyValuePair<string, JsonNode?>>? Key { get; }

    public JsonNode? Value { get; }

    public int Index { get; }

    /// <summary>The member name this element has in a fieldsV1 object.</summary>
    public string FieldsV1Key { get; }

    public static PathElement Field(string name) => new(PathElementKind.Field, name, null, null, 0);

    public static PathElement ForKey(IEnumerable<KeyValuePair<string, JsonNode?>> fields) =>
        new(PathElementKind.Key, null, fields.OrderBy(f => f.Key, JsonValues.Utf8Ordinal).Select(f => KeyValuePair.Create(f.Key, f.Value?.DeepClone())).ToList(), null, 0);

    public static PathElement ForValue(JsonNode? value) => new(PathElementKind.Value, null, null, value?.DeepClone(), 0);

    public static PathElement ForIndex(int index) => new(PathElementKind.Index, null, null, null, index);

    /// <summary>Parses a fieldsV1 member name.</summary>
    /// <exception cref="FormatException">The name is not a valid path element.</exception>
    public static PathElement Parse(string text)
    {
        if (text.Length < 2 || text[1] != ':')
        {
            throw new FormatException($"invalid path element {JsonValues.Canonical(text)}");
        }

        var body = text[2..];
        switch (text[0])
        {
            case 'f':
                return Field(body);
            case 'k':
                if (ParseJson(body) is not JsonObject fields)
                {
                    throw new FormatException($"invalid key in path element {JsonValues.Canonical(text)}");
                }

                return ForKey(fields.Select(p => KeyValuePair.Create(p.Key, p.Value)));
            case 'v':
                return ForValue(ParseJson(body));
            case 'i':
                if (!int.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    throw new FormatException($"invalid index in path element {JsonValues.Canonical(text)}");
                }

                return ForIndex(index);
            default:
                throw new FormatException($"unknown path element prefix in {JsonValues.Canonical(text)}");
        }
    }

    private static JsonNode? ParseJson(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new FormatException($"invalid JSON in path element: {e.Message}", e);
        }
    }

    private static string KeyJson(IReadOnlyList<KeyValuePair<string, JsonNode?>> key)
    {
        var builder = new StringBuilder("{");
        for (var i = 0; i < key.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            JsonValues.WriteGoJsonString(builder, key[i].Key);
            builder.Append(':');
            JsonValues.WriteCanonical(builder, key[i].Value);
        }

        return builder.Append('}').ToString();
    }

    /// <summary>The path notation of conflict messages: <c>.name</c>, <c>[name="x"]</c>, <c>[="x"]</c>, <c>[0]</c>.</summary>
    public override string ToString() => Kind switch
    {
        PathElementKind.Field => "." + FieldName,
        PathElementKind.Key => "[" + string.Join(",", Key!.Select(k => k.Key + "=" + ValueToString(k.Value))) + "]",
        PathElementKind.Value => "[=" + ValueToString(Value) + "]",
        _ => "[" + Index.ToString(CultureInfo.InvariantCulture) + "]",
    };

    /// <summary>structured-merge-diff's value.ToString: strings quoted, numbers and booleans plain.</summary>
    private static string ValueToString(JsonNode? value) => JsonValues.KindOf(value) switch
    {
        JsonKind.Null => "null",
        JsonKind.String => GoFormat.Quote(JsonValues.AsString(value!)),
        JsonKind.Array => "[" + string.Join(",", ((JsonArray)value!).Select(ValueToString)) + "]",
        JsonKind.Object => "{" + string.Join(",", ((JsonObject)value!).OrderBy(p => p.Key, JsonValues.Utf8Ordinal).Select(p => p.Key + "=" + ValueToString(p.Value))) + "}",
        _ => GoFormat.Value(value),
    };

    public bool Equals(PathElement? other) => other is not null && Kind == other.Kind && FieldsV1Key == other.FieldsV1Key;

    public override bool Equals(object? obj) => Equals(obj as PathElement);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(FieldsV1Key);

    public int CompareTo(PathElement? other)
    {
        if (other is null)
        {
            return 1;
        }

        if (Kind != other.Kind)
        {
            return Kind.CompareTo(other.Kind);
        }

        switch (Kind)
        {
            case PathElementKind.Field:
                return JsonValues.CompareOrdinalUtf8(FieldName!, other.FieldName!);
            case PathElementKind.Key:
                for (var i = 0; i < Math.Min(Key!.Count, other.Key!.Count); i++)
                {
                    var c = JsonValues.CompareOrdinalUtf8(Key[i].Key, other.Key[i].Key);
                    if (c != 0)
                    {
                        return c;
                    }

                    c = JsonValues.Compare(Key[i].Value, other.Key[i].Value);
                    if (c != 0)
                    {
                        return c;
                    }
                }

                return Key.Count.CompareTo(other.Key.Count);
            case PathElementKind.Value:
                return JsonValues.Compare(Value, other.Value);
            default:
                return Index.CompareTo(other.Index);
        }
    }
}

/// <summary>A field path, printed as structured-merge-diff prints it: <c>.spec.template.spec.containers[name="x"].image</c>.</summary>
internal sealed class FieldPath
{
    public FieldPath(IReadOnlyList<PathElement> elements) => Elements = elements;

    public IReadOnlyList<PathElement> Elements { get; }

    public override string ToString() => string.Concat(Elements.Select(e => e.ToString()));
}
