using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

/// <summary>The JSON kinds kube-apiserver distinguishes after decoding a body into unstructured Go values.</summary>
internal enum JsonKind
{
    Null,
    Boolean,

    /// <summary>A number written as an integer literal that fits int64 (Go decodes it to int64).</summary>
    Integer,

    /// <summary>Any other number (Go decodes it to float64).</summary>
    Float,
    String,
    Array,
    Object,
}

/// <summary>Classification, equality, ordering and canonical encoding of <see cref="JsonNode"/> values.</summary>
internal static class JsonValues
{
    public static JsonKind KindOf(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return JsonKind.Null;
            case JsonObject:
                return JsonKind.Object;
            case JsonArray:
                return JsonKind.Array;
        }

        var value = node.AsValue();
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                return JsonKind.String;
            case JsonValueKind.True:
            case JsonValueKind.False:
                return JsonKind.Boolean;
            case JsonValueKind.Null:
                return JsonKind.Null;
            case JsonValueKind.Number:
                return IsIntegerLiteral(value) ? JsonKind.Integer : JsonKind.Float;
            default:
                return JsonKind.Null;
        }
    }

    public static bool IsScalar(JsonNode? node) => node is not JsonObject and not JsonArray;

    /// <summary>Whether a number is an integer literal fitting int64, the way Go's json.Number.Int64 decides.</summary>
    private static bool IsIntegerLiteral(JsonValue value)
    {
        if (value.TryGetValue<long>(out _) && !value.TryGetValue<double>(out _))
        {
            return true;
        }

        var text = value.ToJsonString();
        return text.IndexOfAny(['.', 'e', 'E']) < 0 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
    }

    public static long AsInt64(JsonNode node) =>
        long.Parse(node.AsValue().ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    public static double AsDouble(JsonNode node) =>
        double.Parse(node.AsValue().ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    public static string AsString(JsonNode node) => node.GetValue<string>();

    public static bool AsBoolean(JsonNode node) => node.AsValue().GetValueKind() == JsonValueKind.True;

    /// <summary>Deep equality with numeric comparison of numbers (1 equals 1.0), as structured-merge-diff compares values.</summary>
    public static bool DeepEquals(JsonNode? left, JsonNode? right) => Compare(left, right) == 0;

    /// <summary>
    /// A total order over JSON values: numbers &lt; strings &lt; booleans &lt; arrays &lt; objects &lt; null
    /// (structured-merge-diff's value ordering, used to sort set members and keys).
    /// </summary>
    public static int Compare(JsonNode? left, JsonNode? right)
    {
        var lk = KindOf(left);
        var rk = KindOf(right);
        var lr = Rank(lk);
        var rr = Rank(rk);
        if (lr != rr)
        {
            return lr.CompareTo(rr);
        }

        switch (lk)
        {
            case JsonKind.Integer or JsonKind.Float:
                if (lk == JsonKind.Integer && rk == JsonKind.Integer)
                {
                    return AsInt64(left!).CompareTo(AsInt64(right!));
                }

                return AsDouble(left!).CompareTo(AsDouble(right!));
            case JsonKind.String:
                return CompareOrdinalUtf8(AsString(left!), AsString(right!));
            case JsonKind.Boolean:
                return AsBoolean(left!).CompareTo(AsBoolean(right!));
            case JsonKind.Array:
            {
                var la = (JsonArray)left!;
                var ra = (JsonArray)right!;
                for (var i = 0; i < Math.Min(la.Count, ra.Count); i++)
                {
                    var c = Compare(la[i], ra[i]);
                    if (c != 0)
                    {
                        return c;
                    }
                }

                return la.Count.CompareTo(ra.Count);
            }

            case JsonKind.Object:
            {
                var lo = (JsonObject)left!;
                var ro = (JsonObject)right!;
                var lkeys = lo.Select(p => p.Key).Order(Utf8Ordinal).ToList();
                var rkeys = ro.Select(p => p.Key).Order(Utf8Ordinal).ToList();
                for (var i = 0; i < Math.Min(lkeys.Count, rkeys.Count); i++)
                {
                    var c = CompareOrdinalUtf8(lkeys[i], rkeys[i]);
                    if (c != 0)
                    {
                        return c;
                    }

                    c = Compare(lo[lkeys[i]], ro[rkeys[i]]);
                    if (c != 0)
                    {
                        return c;
                    }
                }

                return lkeys.Count.CompareTo(rkeys.Count);
            }

            default:
                return 0;
        }
    }

    private static int Rank(JsonKind kind) => kind switch
    {
        JsonKind.Integer or JsonKind.Float => 0,
        JsonKind.String => 1,
        JsonKind.Boolean => 2,
        JsonKind.Array => 3,
        JsonKind.Object => 4,
        _ => 5,
    };

    /// <summary>Orders strings by Unicode code point, which is the byte order of their UTF-8 encodings (Go's string order).</summary>
    public static readonly IComparer<string> Utf8Ordinal = Comparer<string>.Create(CompareOrdinalUtf8);

    public static int CompareOrdinalUtf8(string left, string right)
    {
        var i = 0;
        var j = 0;
        while (i < left.Length && j < right.Length)
        {
            var a = CodePointAt(left, i, out var na);
            var b = CodePointAt(right, j, out var nb);
            if (a != b)
            {
                return a.CompareTo(b);
            }

            i += na;
            j += nb;
        }

        return (left.Length - i).CompareTo(right.Length - j);
    }

    private static int CodePointAt(string s, int index, out int length)
    {
        if (char.IsHighSurrogate(s[index]) && index + 1 < s.Length && char.IsLowSurrogate(s[index + 1]))
        {
            length = 2;
            return char.ConvertToUtf32(s[index], s[index + 1]);
        }

        length = 1;
        return s[index];
    }

    /// <summary>
    /// The JSON text structured-merge-diff writes for a value inside a fieldsV1 key (<c>k:</c>, <c>v:</c>): compact,
    /// object members sorted, integers without a fraction, and HTML-sensitive characters escaped as Go does.
    /// </summary>
    public static string Canonical(JsonNode? node)
    {
        var builder = new StringBuilder();
        WriteCanonical(builder, node);
        return builder.ToString();
    }

    public static void WriteCanonical(StringBuilder builder, JsonNode? node)
    {
        switch (KindOf(node))
        {
            case JsonKind.Null:
                builder.Append("null");
                break;
            case JsonKind.Boolean:
                builder.Append(AsBoolean(node!) ? "true" : "false");
                break;
            case JsonKind.Integer:
                builder.Append(AsInt64(node!).ToString(CultureInfo.InvariantCulture));
                break;
            case JsonKind.Float:
                builder.Append(GoFormat.JsonFloat(AsDouble(node!)));
                break;
            case JsonKind.String:
                WriteGoJsonString(builder, AsString(node!));
                break;
            case JsonKind.Array:
                builder.Append('[');
                var first = true;
                foreach (var item in (JsonArray)node!)
                {
                    if (!first)
                    {
                        builder.Append(',');
                    }

                    first = false;
                    WriteCanonical(builder, item);
                }

                builder.Append(']');
                break;
            case JsonKind.Object:
                builder.Append('{');
                var firstMember = true;
                foreach (var (key, value) in ((JsonObject)node!).OrderBy(p => p.Key, Utf8Ordinal))
                {
                    if (!firstMember)
                    {
                        builder.Append(',');
                    }

                    firstMember = false;
                    WriteGoJsonString(builder, key);
                    builder.Append(':');
                    WriteCanonical(builder, value);
                }

                builder.Append('}');
                break;
        }
    }

    /// <summary>A JSON string literal as Go's encoding/json writes it (HTML characters and U+2028/U+2029 escaped).</summary>
    public static void WriteGoJsonString(StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                case '<' or '>' or '&' or '\u2028' or '\u2029':
                    builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (c < 0x20)
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
    }
}
