using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GuardDutyCoverage.Util;

/// <summary>
/// YAML to <see cref="JsonNode"/> and back, the way kubectl treats YAML: a YAML document is a JSON document written
/// differently. Plain scalars are typed with YAML 1.1 rules (as sigs.k8s.io/yaml does: yes/no/on/off are booleans);
/// quoted scalars are always strings. No reflection: safe for NativeAOT.
/// </summary>
public static class YamlJson
{
    /// <summary>Reads every non-empty document of a (multi-document) YAML text.</summary>
    /// <exception cref="FormatException">The text is not valid YAML; the message has the line and column.</exception>
    public static IReadOnlyList<JsonNode> ParseAll(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new FormatException($"invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}", e);
        }

        var documents = new List<JsonNode>();
        foreach (var document in stream.Documents)
        {
            var node = ToJson(document.RootNode);
            if (node is not null)
            {
                documents.Add(node);
            }
        }

        return documents;
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

    private static JsonNode? ToJson(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    var key = keyNode is YamlScalarNode scalarKey
                        ? scalarKey.Value ?? ""
                        : throw new FormatException($"line {keyNode.Start.Line}: only scalar mapping keys are supported");
                    if (obj.ContainsKey(key))
                    {
                        throw new FormatException($"line {keyNode.Start.Line}: duplicate key \"{key}\"");
                    }

                    obj[key] = ToJson(valueNode);
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                foreach (var item in sequence.Children)
                {
                    array.Add(ToJson(item));
                }

                return array;
            case YamlScalarNode scalar:
                return ScalarToJson(scalar);
            default:
                throw new FormatException($"line {node.Start.Line}: unsupported YAML node {node.NodeType}");
        }
    }

    private static JsonNode? ScalarToJson(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(text);
        }

        if (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value is "tag:yaml.org,2002:str")
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
        var reread = ScalarToJson(new YamlScalarNode(text));
        return reread is null || reread.GetValueKind() != JsonValueKind.String;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class YamlJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
