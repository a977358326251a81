using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace KubeSandbox.Semantics;

/// <summary>
/// Go RE2 patterns (what CRD <c>pattern</c>s are written in) on .NET: the syntax is translated where the two differ
/// (<c>$</c> is end of text, <c>\d \w \s</c> and POSIX classes are ASCII, <c>\pL</c>, <c>\x{...}</c>, <c>\Q...\E</c>,
/// octal escapes, <c>(?P&lt;name&gt;</c>, the U flag) and the result runs on the non-backtracking engine, which like RE2
/// matches in linear time and has no backreferences or lookaround.
/// </summary>
internal static class Re2Pattern
{
    private static readonly FrozenDictionary<string, string> PosixClasses = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["alnum"] = "0-9A-Za-z",
        ["alpha"] = "A-Za-z",
        ["ascii"] = @"\x00-\x7F",
        ["blank"] = @"\t ",
        ["cntrl"] = @"\x00-\x1F\x7F",
        ["digit"] = "0-9",
        ["graph"] = @"!-~",
        ["lower"] = "a-z",
        ["print"] = @" -~",
        ["punct"] = @"!-/:-@\[-`{-~",
        ["space"] = @"\t\n\v\f\r ",
        ["upper"] = "A-Z",
        ["word"] = "0-9A-Za-z_",
        ["xdigit"] = "0-9A-Fa-f",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Compiles an RE2 pattern for unanchored matching (Go's regexp.MatchString).</summary>
    /// <exception cref="ArgumentException">The pattern is not valid RE2 or uses something this translation does not support.</exception>
    public static Regex Compile(string pattern)
    {
        var translated = Translate(pattern);
        try
        {
            return new Regex(translated, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new ArgumentException($"invalid RE2 pattern {GoFormat.Quote(pattern)}: {e.Message}", nameof(pattern), e);
        }
    }

    public static string Translate(string pattern)
    {
        var output = new StringBuilder(pattern.Length + 16);
        // Whether (?m) is in force, per open group, so that $ keeps its multi-line meaning only where RE2 gives it one.
        var multiline = new Stack<bool>();
        multiline.Push(false);
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            switch (c)
            {
                case '\\':
                    i = TranslateEscape(pattern, i, output, inClass: false);
                    continue;
                case '[':
                    i = TranslateClass(pattern, i, output);
                    continue;
                case '$':
                    output.Append(multiline.Peek() ? "$" : @"\z");
                    i++;
                    continue;
                case '(':
                    i = TranslateGroupStart(pattern, i, output, multiline);
                    continue;
                case ')':
                    if (multiline.Count > 1)
                    {
                        multiline.Pop();
                    }

                    output.Append(')');
                    i++;
                    continue;
                default:
                    output.Append(c);
                    i++;
                    continue;
            }
        }

        return output.ToString();
    }

    private static int TranslateGroupStart(string pattern, int i, StringBuilder output, Stack<bool> multiline)
    {
        var inherited = multiline.Peek();
        if (i + 1 >= pattern.Length || pattern[i + 1] != '?')
        {
            multiline.Push(inherited);
            output.Append('(');
            return i + 1;
        }

        if (pattern.AsSpan(i).StartsWith("(?P<"))
        {
            multiline.Push(inherited);
            output.Append("(?<");
            return i + 4;
        }

        if (pattern.AsSpan(i).StartsWith("(?<"))
        {
            multiline.Push(inherited);
            output.Append("(?<");
            return i + 3;
        }

        // Flag groups: (?flags) and (?flags:...), flags among i, m, s, U with an optional '-'.
        var j = i + 2;
        var flags = new StringBuilder();
        var negate = false;
        var state = inherited;
        while (j < pattern.Length && pattern[j] is not (')' or ':'))
        {
            var flag = pattern[j];
            switch (flag)
            {
                case '-':
                    negate = true;
                    flags.Append('-');
                    break;
                case 'i' or 's':
                    flags.Append(flag);
                    break;
                case 'm':
                    flags.Append('m');
                    state = !negate;
                    break;
                case 'U':
                    // Ungreedy swaps which match is preferred, never whether the text matches.
                    break;
                default:
                    throw new ArgumentException($"invalid or unsupported Perl syntax in RE2 pattern {GoFormat.Quote(pattern)}", nameof(pattern));
            }

            j++;
        }

        if (j >= pattern.Length)
        {
            throw new ArgumentException($"missing closing ) in RE2 pattern {GoFormat.Quote(pattern)}", nameof(pattern));
        }

        var flagText = flags.ToString().TrimEnd('-');
        if (pattern[j] == ')')
        {
            // (?flags) applies to the rest of the enclosing group.
            multiline.Pop();
            multiline.Push(state);
            if (flagText.Length > 0)
            {
                output.Append("(?").Append(flagText).Append(')');
            }

            return j + 1;
        }

        multiline.Push(state);
        output.Append("(?").Append(flagText).Append(':');
        return j + 1;
    }

    private static int TranslateClass(string pattern, int i, StringBuilder output)
    {
        output.Append('[');
        i++;
        if (i < pattern.Length && pattern[i] == '^')
        {
            output.Append('^');
            i++;
        }

        var first = true;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (c == ']' && !first)
            {
                output.Append(']');
                return i + 1;
            }

            first = false;
            if (c == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':')
            {
                var end = pattern.IndexOf(":]", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    output.Append(@"\[");
                    i++;
                    continue;
                }

                var name = pattern[(i + 2)..end];
                if (name.StartsWith('^') || !PosixClasses.TryGetValue(name, out var ranges))
                {
                    throw new ArgumentException($"unsupported character class [:{name}:] in RE2 pattern {GoFormat.Quote(pattern)}", nameof(pattern));
                }

                output.Append(ranges);
                i = end + 2;
                continue;
            }

            switch (c)
            {
                case '\\':
                    i = TranslateEscape(pattern, i, output, inClass: true);
                    continue;
                case '[':
                    output.Append(@"\[");
                    i++;
                    continue;
                default:
                    output.Append(c);
                    i++;
                    continue;
            }
        }

        throw new ArgumentException($"missing closing ] in RE2 pattern {GoFormat.Quote(pattern)}", nameof(pattern));
    }

    private static int TranslateEscape(string pattern, int i, StringBuilder output, bool inClass)
    {
        if (i + 1 >= pattern.Length)
        {
            throw new ArgumentException($"trailing backslash at end of RE2 pattern {GoFormat.Quote(pattern)}", nameof(pattern));
        }

        var e = pattern[i + 1];
        switch (e)
        {
            case 'd':
                output.Append(inClass ? "0-9" : "[0-9]");
                return i + 2;
            case 'w':
                output.Append(inClass ? "0-9A-Za-z_" : "[0-9A-Za-z_]");
                return i + 2;
            case 's':
                output.Append(inClass ? @"\t\n\f\r " : @"[\t\n\f\r ]");
                return i + 2;
            case 'D':
                output.Append(inClass ? @"\D" : "[^0-9]");
                return i + 2;
            case 'W':
                output.Append(inClass ? @"\W" : "[^0-9A-Za-z_]");
                return i + 2;
            case 'S':
                output.Append(inClass ? @"\S" : @"[^\t\n\f\r ]");
                return i + 2;
            case 'p' or 'P':
                if (i + 2 < pattern.Length && pattern[i + 2] != '{')
                {
                    output.Append('\\').Append(e).Append('{').Append(pattern[i + 2]).Append('}');
                    return i + 3;
                }

                output.Append('\\').Append(e);
                return i + 2;
            case 'x':
                if (i + 2 < pattern.Length && pattern[i + 2] == '{')
                {
                    var end = pattern.IndexOf('}', i + 3);
                    if (end < 0 || !int.TryParse(pattern.AsSpan(i + 3, end - i - 3), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var codePoint) || codePoint > 0x10FFFF)
                    {
                        throw new ArgumentException($"invalid escape sequence in RE2 pattern {GoFormat.Quote(pattern)}", nameof(pattern));
                    }

                    AppendCodePoint(output, codePoint);
                    return end + 1;
                }

                output.Append(@"\x");
                return i + 2;
            case 'Q':
            {
                var end = pattern.IndexOf(@"\E", i + 2, StringComparison.Ordinal);
                var literal = end < 0 ? pattern[(i + 2)..] : pattern[(i + 2)..end];
                output.Append(inClass ? EscapeInClass(literal) : Regex.Escape(literal));
                return end < 0 ? pattern.Length : end + 2;
            }

            case >= '0' and <= '7':
            {
                // Octal: \0, \012; RE2 has no backreferences.
                if (e != '0' && !(i + 2 < pattern.Length && pattern[i + 2] is >= '0' and <= '7'))
                {
                    throw new ArgumentException($"invalid escape sequence (backreferences are not RE2) in pattern {GoFormat.Quote(pattern)}", nameof(pattern));
                }

                var j = i + 1;
                var value = 0;
                while (j < pattern.Length && j < i + 4 && pattern[j] is >= '0' and <= '7')
                {
                    value = (value * 8) + (pattern[j] - '0');
                    j++;
                }

                AppendCodePoint(output, value);
                return j;
            }

            case 'C':
                throw new ArgumentException($"\\C is not supported in RE2 pattern {GoFormat.Quote(pattern)}", nameof(pattern));
            default:
                output.Append('\\').Append(e);
                return i + 2;
        }
    }

    private static void AppendCodePoint(StringBuilder output, int codePoint)
    {
        foreach (var unit in char.ConvertFromUtf32(codePoint))
        {
            output.Append(@"\u").Append(((int)unit).ToString("X4", CultureInfo.InvariantCulture));
        }
    }

    private static string EscapeInClass(string literal)
    {
        var builder = new StringBuilder();
        foreach (var c in literal)
        {
            if (c is '\\' or ']' or '[' or '^' or '-')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
