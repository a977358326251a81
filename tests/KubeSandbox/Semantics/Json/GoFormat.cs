using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

/// <summary>
/// Go's fmt verbs for the values kube-apiserver prints into error messages (%v, %q, %#v), so that messages built
/// here are byte-identical to the real server's.
/// </summary>
internal static class GoFormat
{
    /// <summary>%v of a float64 (strconv 'g' with the shortest precision).</summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "+Inf" : "-Inf";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0" : "0";
        }

        var (negative, digits, pointPosition) = ShortestDigits(value);
        var exponent = pointPosition - 1;
        var builder = new StringBuilder();
        if (negative)
        {
            builder.Append('-');
        }

        // strconv.FormatFloat(f, 'g', -1, 64): the exponent form when exp < -4 || exp >= 6 (6 is the precision Go
        // uses for this decision with the shortest representation, so 1e6 prints as 1e+06).
        if (exponent < -4 || exponent >= 6)
        {
            AppendExponentForm(builder, digits, exponent);
        }
        else
        {
            AppendFixedForm(builder, digits, pointPosition);
        }

        return builder.ToString();
    }

    /// <summary>A float64 as Go's encoding/json writes it ('f' format, 'e' below 1e-6 or from 1e21).</summary>
    public static string JsonFloat(double value)
    {
        if (value == 0)
        {
            return "0";
        }

        var (negative, digits, pointPosition) = ShortestDigits(value);
        var abs = Math.Abs(value);
        var builder = new StringBuilder();
        if (negative)
        {
            builder.Append('-');
        }

        if (abs < 1e-6 || abs >= 1e21)
        {
            AppendExponentForm(builder, digits, pointPosition - 1);
            var text = builder.ToString();
            var n = text.Length;
            if (n >= 4 && text[n - 4] == 'e' && text[n - 3] == '-' && text[n - 2] == '0')
            {
                return text[..(n - 2)] + text[n - 1];
            }

            return text;
        }

        AppendFixedForm(builder, digits, pointPosition);
        return builder.ToString();
    }

    private static void AppendExponentForm(StringBuilder builder, string digits, int exponent)
    {
        builder.Append(digits[0]);
        if (digits.Length > 1)
        {
            builder.Append('.').Append(digits, 1, digits.Length - 1);
        }

        builder.Append('e').Append(exponent < 0 ? '-' : '+');
        var abs = Math.Abs(exponent);
        builder.Append(abs < 10 ? "0" + abs.ToString(CultureInfo.InvariantCulture) : abs.ToString(CultureInfo.InvariantCulture));
    }

    private static void AppendFixedForm(StringBuilder builder, string digits, int pointPosition)
    {
        if (pointPosition <= 0)
        {
            builder.Append("0.").Append('0', -pointPosition).Append(digits);
        }
        else if (pointPosition >= digits.Length)
        {
            builder.Append(digits).Append('0', pointPosition - digits.Length);
        }
        else
        {
            builder.Append(digits, 0, pointPosition).Append('.').Append(digits, pointPosition, digits.Length - pointPosition);
        }
    }

    /// <summary>The shortest round-tripping decimal digits of a finite non-zero double and the position of the decimal point.</summary>
    private static (bool Negative, string Digits, int PointPosition) ShortestDigits(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = text.StartsWith('-');
        if (negative)
        {
            text = text[1..];
        }

        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var integerPart = dot >= 0 ? text[..dot] : text;
        var fraction = dot >= 0 ? text[(dot + 1)..] : "";
        var digits = integerPart + fraction;
        var pointPosition = integerPart.Length + exponent;
        var leading = 0;
        while (leading < digits.Length - 1 && digits[leading] == '0')
        {
            leading++;
        }

        digits = digits[leading..];
        pointPosition -= leading;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        return (negative, digits, pointPosition);
    }

    /// <summary>%q of a string (strconv.Quote).</summary>
    public static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            int codePoint = c;
            var width = 1;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                codePoint = char.ConvertToUtf32(c, value[i + 1]);
                width = 2;
            }

            switch (codePoint)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\a':
                    builder.Append("\\a");
                    break;
                case '\b':
                    builder.Append("\\b");
                    break;
                case '\f':
                    builder.Append("\\f");
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
                case '\v':
                    builder.Append("\\v");
                    break;
                default:
                    if (char.IsSurrogate(c) && width == 1)
                    {
                        // An unpaired surrogate cannot be encoded in UTF-8; Go sees the replacement character.
                        builder.Append('\uFFFD');
                    }
                    else if (IsPrint(codePoint))
                    {
                        builder.Append(value, i, width);
                    }
                    else if (codePoint < 0x80)
                    {
                        builder.Append("\\x").Append(codePoint.ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (codePoint < 0x10000)
                    {
                        builder.Append("\\u").Append(codePoint.ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append("\\U").Append(codePoint.ToString("x8", CultureInfo.InvariantCulture));
                    }

                    break;
            }

            i += width - 1;
        }

        builder.Append('"');
        return builder.ToString();
    }

    /// <summary>Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.</summary>
    private static bool IsPrint(int codePoint)
    {
        if (codePoint == ' ')
        {
            return true;
        }

        var category = CharUnicodeInfo.GetUnicodeCategory(codePoint);
        return category switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
                or UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation
                or UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
                or UnicodeCategory.OtherSymbol => true,
            _ => false,
        };
    }

    /// <summary>
    /// How field.Error prints a bad value decoded from JSON: int64, float64 and bool with %v, strings with %q,
    /// null as <c>null</c>, maps and slices with %#v.
    /// </summary>
    public static string BadValue(JsonNode? value) => JsonValues.KindOf(value) switch
    {
        JsonKind.Null => "null",
        JsonKind.String => Quote(JsonValues.AsString(value!)),
        JsonKind.Object or JsonKind.Array => GoSyntax(value),
        _ => Value(value),
    };

    /// <summary>%v of a JSON value decoded into Go (int64, float64, string, bool, map, slice).</summary>
    public static string Value(JsonNode? value)
    {
        switch (JsonValues.KindOf(value))
        {
            case JsonKind.Null:
                return "<nil>";
            case JsonKind.Boolean:
                return JsonValues.AsBoolean(value!) ? "true" : "false";
            case JsonKind.Integer:
                return JsonValues.AsInt64(value!).ToString(CultureInfo.InvariantCulture);
            case JsonKind.Float:
                return Float(JsonValues.AsDouble(value!));
            case JsonKind.String:
                return JsonValues.AsString(value!);
            case JsonKind.Array:
                return "[" + string.Join(" ", ((JsonArray)value!).Select(Value)) + "]";
            default:
                return "map[" + string.Join(" ", ((JsonObject)value!).OrderBy(p => p.Key, JsonValues.Utf8Ordinal).Select(p => p.Key + ":" + Value(p.Value))) + "]";
        }
    }

    /// <summary>%#v of a JSON value decoded into Go's interface{} types.</summary>
    public static string GoSyntax(JsonNode? value)
    {
        switch (JsonValues.KindOf(value))
        {
            case JsonKind.Null:
                return "interface {}(nil)";
            case JsonKind.String:
                return Quote(JsonValues.AsString(value!));
            case JsonKind.Array:
                return "[]interface {}{" + string.Join(", ", ((JsonArray)value!).Select(GoSyntax)) + "}";
            case JsonKind.Object:
                return "map[string]interface {}{" + string.Join(", ", ((JsonObject)value!)
                    .OrderBy(p => p.Key, JsonValues.Utf8Ordinal)
                    .Select(p => Quote(p.Key) + ":" + GoSyntax(p.Value))) + "}";
            default:
                return Value(value);
        }
    }
}
