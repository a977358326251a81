using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace GuardDutyCoverage.Util;

/// <summary>
/// YAML to <see cref="JsonNode"/> and back, the way kubectl treats YAML: a YAML document is a JSON document written
/// differently. Plain scalars are typed with YAML 1.1 rules (as sigs.k8s.io/yaml does: yes/no/on/off are booleans);
/// quoted scalars are always strings. No reflection: safe for NativeAOT.
/// </summary>
public static class YamlJson
{
    /// <summary>Deepest nesting of mappings and sequences accepted (Kubernetes objects stay far below it).</summary>
    public const int MaxDepth = 128;

    /// <summary>Reads every non-empty document of a (multi-document) YAML text.</summary>
    /// <exception cref="FormatException">
    /// The text is not valid YAML, nests deeper than <see cref="MaxDepth"/>, or uses aliases (<c>*name</c>: refused, so
    /// a "billion laughs" document cannot expand); the message has the line and column.
    /// </exception>
    /// <remarks>
    /// Built from the parser's events with an explicit stack rather than YamlDotNet's recursive representation model, so
    /// hostile nesting is an error, not a stack overflow.
    /// </remarks>
    public static IReadOnlyList<JsonNode> ParseAll(string yaml)
    {
        var documents = new List<JsonNode>();
        var parser = new Parser(new StringReader(yaml));
        var stack = new Stack<Frame>();
        JsonNode? root = null;
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case DocumentStart:
                        root = null;
                        stack.Clear();
                        break;
                    case DocumentEnd:
                        if (root is not null)
                        {
                            documents.Add(root);
                        }

                        break;
                    case AnchorAlias alias:
                        throw new FormatException($"line {alias.Start.Line}: YAML aliases (*{alias.Value}) are not supported");
                    case Scalar scalar:
                        if (stack.Count > 0 && stack.Peek() is { Object: { } obj } frame && frame.Key is null)
                        {
                            var key = scalar.Value ?? "";
                            if (obj.ContainsKey(key))
                            {
                                throw new FormatException($"line {scalar.Start.Line}: duplicate key \"{key}\"");
                            }

                            frame.Key = key;
                        }
                        else
                        {
                            Attach(stack, ref root, ScalarToJson(scalar.Value, scalar.Style, scalar.Tag), scalar.Start);
                        }

                        break;
                    case MappingStart mapping:
                        var newObject = new JsonObject();
                        Attach(stack, ref root, newObject, mapping.Start);
                        Push(stack, new Frame { Object = newObject }, mapping.Start);
                        break;
                    case SequenceStart sequence:
                        var newArray = new JsonArray();
                        Attach(stack, ref root, newArray, sequence.Start);
                        Push(stack, new Frame { Array = newArray }, sequence.Start);
                        break;
                    case MappingEnd or SequenceEnd:
                        stack.Pop();
                        break;
                }
            }
        }
        catch (YamlException e)
        {
            throw new FormatException($"invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's parser reports some malformed streams this way instead of with a YamlException.
            throw new FormatException($"invalid YAML at line {parser.Current?.Start.Line ?? 0}: {e.Message}", e);
        }

        return documents;
    }

    private sealed class Frame
    {
        public JsonObject? Object { get; init; }

        public JsonArray? Array { get; init; }

        /// <summary>In a mapping: the key whose value comes next; null while a key is expected.</summary>
        public string? Key { get; set; }
    }

    private static void Push(Stack<Frame> stack, Frame frame, Mark start)
    {
        if (stack.Count >= MaxDepth)
        {
            throw new FormatException($"line {start.Line}: nested deeper than {MaxDepth} levels");
        }

        stack.Push(frame);
    }

    private static void Attach(Stack<Frame> stack, ref JsonNode? root, JsonNode? value, Mark start)
    {
        if (stack.Count == 0)
        {
            root = value;
            return;
        }

        var parent = stack.Peek();
        if (parent.Array is { } array)
        {
            array.Add(value);
        }
        else if (parent.Key is { } key)
        {
            parent.Object![key] = value;
            parent.Key = null;
        }
        else
        {
            throw new FormatException($"line {start.Line}: only scalar mapping keys are supported");
        }
    }

    /// <summary>Reads exactly one YAML (or JSON) document.</summary>
    public static JsonNode? Parse(string yaml)
    {
        var all = ParseAll(yaml);
        return all.Count switch
        {
            0 => null,
            1 => all[0],
            _ => throw new FormatException($"expected one YAML document, found {all.Count}"),
        };
    }

    private static JsonNode? ScalarToJson(string? value, ScalarStyle style, TagName tag)
    {
        var text = value ?? "";
        if (style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(text);
        }

        if (!tag.IsEmpty && !tag.IsNonSpecific && tag.Value is "tag:yaml.org,2002:str")
        {
            return JsonValue.Create(text);
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N":
                return JsonValue.Create(false);
        }

        if (LooksLikeInteger(text) && long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (text.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }

        if (LooksLikeFloat(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
        {
            return JsonValue.Create(real);
        }

        return JsonValue.Create(text);
    }

    private static bool LooksLikeInteger(string text)
    {
        var span = text.AsSpan();
        if (span.Length > 0 && (span[0] == '-' || span[0] == '+'))
        {
            span = span[1..];
        }

        if (span.Length == 0 || !char.IsAsciiDigit(span[0]))
        {
            return false;
        }

        // "0755" is octal in YAML 1.1; kubectl manifests rarely use it, so keep it a decimal-looking string only when plain digits.
        foreach (var c in span)
        {
            if (!char.IsAsciiDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    private static bool LooksLikeFloat(string text)
    {
        var hasDigit = false;
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c))
            {
                hasDigit = true;
            }
            else if (c is not ('.' or 'e' or 'E' or '-' or '+'))
            {
                return false;
            }
        }

        return hasDigit && (text.Contains('.') || text.Contains('e') || text.Contains('E'));
    }

    /// <summary>Writes a JSON document as block-style YAML (two-space indent, list items at the parent key's indentation, like kubectl).</summary>
    public static string Serialize(JsonNode? node)
    {
        var builder = new StringBuilder();
        WriteValue(builder, node, 0, inSequence: false);
        return builder.ToString();
    }

    /// <summary>Writes several documents separated by <c>---</c>.</summary>
    public static string SerializeAll(IEnumerable<JsonNode?> nodes) =>
        string.Join("---\n", nodes.Select(Serialize));

    private static void WriteValue(StringBuilder builder, JsonNode? node, int indent, bool inSequence)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                var first = true;
                foreach (var (key, value) in obj)
                {
                    if (!(first && inSequence))
                    {
                        builder.Append(' ', indent);
                    }

                    first = false;
                    builder.Append(Scalar(key)).Append(':');
                    WriteNested(builder, value, indent);
                }

                break;
            case JsonArray array when array.Count > 0:
                var firstItem = true;
                foreach (var item in array)
                {
                    if (!(firstItem && inSequence))
                    {
                        builder.Append(' ', indent);
                    }

                    firstItem = false;
                    builder.Append("- ");
                    if (item is JsonObject { Count: > 0 } or JsonArray { Count: > 0 })
                    {
                        WriteValue(builder, item, indent + 2, inSequence: true);
                    }
                    else
                    {
                        builder.Append(Inline(item)).Append('\n');
                    }
                }

                break;
            default:
                builder.Append(Inline(node)).Append('\n');
                break;
        }
    }

    private static void WriteNested(StringBuilder builder, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 }:
                builder.Append('\n');
                WriteValue(builder, value, indent + 2, inSequence: false);
                break;
            case JsonArray { Count: > 0 }:
                builder.Append('\n');
                WriteValue(builder, value, indent, inSequence: false);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Contains('\n'):
                WriteBlockLiteral(builder, v.GetValue<string>(), indent + 2);
                break;
            default:
                builder.Append(' ').Append(Inline(value)).Append('\n');
                break;
        }
    }

    private static void WriteBlockLiteral(StringBuilder builder, string text, int indent)
    {
        // A literal block keeps multi-line strings readable; fall back to a quoted scalar when it cannot represent the text exactly.
        var lines = text.Split('\n');
        var representable = !text.Contains('\r') && !text.Contains('\t') && lines.All(l => l.Length == 0 || l[0] != ' ') && text.Length > 0 && text[0] != ' ';
        if (!representable)
        {
            builder.Append(' ').Append(DoubleQuoted(text)).Append('\n');
            return;
        }

        var chomp = text.EndsWith('\n') ? (text.EndsWith("\n\n", StringComparison.Ordinal) ? "+" : "") : "-";
        builder.Append(" |").Append(chomp).Append('\n');
        var body = text.EndsWith('\n') ? lines[..^1] : lines;
        foreach (var line in body)
        {
            if (line.Length > 0)
            {
                builder.Append(' ', indent).Append(line);
            }

            builder.Append('\n');
        }
    }

    private static string Inline(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Scalar(v.GetValue<string>()),
        _ => node.ToJsonString(),
    };

    /// <summary>A string scalar, quoted only when a plain scalar would be read back as something else.</summary>
    public static string Scalar(string text)
    {
        if (!NeedsQuotes(text))
        {
            return text;
        }

        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return DoubleQuoted(text);
            }
        }

        return "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    private static string DoubleQuoted(string text) => JsonSerializer.Serialize(text, YamlJsonContext.Default.String);

    private static bool NeedsQuotes(string text)
    {
        if (text.Length == 0 || text != text.Trim())
        {
            return true;
        }

        if ("-?:,[]{}#&*!|>'\"%@`".Contains(text[0]))
        {
            return true;
        }

        if (text.Contains(": ", StringComparison.Ordinal) || text.Contains(" #", StringComparison.Ordinal) || text.EndsWith(':'))
        {
            return true;
        }

        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        // Anything that would be read back as null, a boolean or a number stays a string only when quoted.
        var reread = ScalarToJson(text, ScalarStyle.Any, TagName.Empty);
        return reread is null || reread.GetValueKind() != JsonValueKind.String;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class YamlJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
