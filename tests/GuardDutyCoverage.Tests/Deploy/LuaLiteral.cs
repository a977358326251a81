using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>
/// Writes a JSON document as a Lua table constructor, the way Argo CD hands an object to a health check: objects
/// become string-keyed tables, arrays 1-based sequences, JSON null nil (the key is absent).
/// </summary>
public static class LuaLiteral
{
    public static string From(JsonNode? node)
    {
        var builder = new StringBuilder();
        Write(builder, node);
        return builder.ToString();
    }

    private static void Write(StringBuilder builder, JsonNode? node)
    {
        switch (node)
        {
            case null:
                builder.Append("nil");
                break;
            case JsonObject obj:
                builder.Append('{');
                foreach (var (key, member) in obj)
                {
                    if (member is null)
                    {
                        continue;
                    }

                    builder.Append('[');
                    String(builder, key);
                    builder.Append("]=");
                    Write(builder, member);
                    builder.Append(',');
                }

                builder.Append('}');
                break;
            case JsonArray array:
                builder.Append('{');
                foreach (var item in array)
                {
                    Write(builder, item);
                    builder.Append(',');
                }

                builder.Append('}');
                break;
            default:
                var value = node.AsValue();
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        String(builder, value.GetValue<string>());
                        break;
                    case JsonValueKind.True:
                        builder.Append("true");
                        break;
                    case JsonValueKind.False:
                        builder.Append("false");
                        break;
                    case JsonValueKind.Number:
                        builder.Append(value.ToJsonString());
                        break;
                    default:
                        throw new NotSupportedException($"JSON value of kind {value.GetValueKind()}");
                }

                break;
        }
    }

    /// <summary>A quoted Lua string; every byte that is not printable ASCII is a decimal escape, valid in Lua 5.1 to 5.4.</summary>
    private static void String(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= 0x20 and < 0x7f && b != '"' && b != '\\')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('\\').Append(b.ToString("D3", CultureInfo.InvariantCulture));
            }
        }

        builder.Append('"');
    }
}
