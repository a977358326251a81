using System.Globalization;
using System.Text.Json.Nodes;
using KubeSandbox.Json;

namespace KubeSandbox.Tables;

/// <summary>
/// The JSONPath subset CRD printer columns use: field steps (<c>.a.b</c>, <c>['a.b']</c>), indexes (<c>[0]</c>),
/// wildcards (<c>[*]</c>) and equality filters (<c>[?(@.type=="Ready")]</c>, <c>!=</c>).
/// </summary>
internal sealed class JsonPathLite
{
    private readonly List<Func<JsonNode?, IEnumerable<JsonNode?>>> _steps;

    private JsonPathLite(List<Func<JsonNode?, IEnumerable<JsonNode?>>> steps) => _steps = steps;

    public static JsonPathLite Parse(string path)
    {
        var text = path.Trim();
        if (text.StartsWith('{') && text.EndsWith('}'))
        {
            text = text[1..^1];
        }

        if (text.StartsWith('$'))
        {
            text = text[1..];
        }

        var steps = new List<Func<JsonNode?, IEnumerable<JsonNode?>>>();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '.')
            {
                var end = i + 1;
                while (end < text.Length && text[end] != '.' && text[end] != '[')
                {
                    end++;
                }

                var name = text[(i + 1)..end];
                if (name.Length > 0)
                {
                    steps.Add(Field(name));
                }

                i = end;
            }
            else if (text[i] == '[')
            {
                var end = FindClosingBracket(text, i);
                steps.Add(Bracket(text[(i + 1)..end].Trim()));
                i = end + 1;
            }
            else
            {
                var end = i;
                while (end < text.Length && text[end] != '.' && text[end] != '[')
                {
                    end++;
                }

                steps.Add(Field(text[i..end]));
                i = end;
            }
        }

        return new JsonPathLite(steps);
    }

    /// <summary>All matches, in document order; missing keys yield no match rather than an error.</summary>
    public IReadOnlyList<JsonNode?> Find(JsonNode? root)
    {
        IEnumerable<JsonNode?> current = [root];
        foreach (var step in _steps)
        {
            current = current.SelectMany(step).ToList();
        }

        return current.ToList();
    }

    private static int FindClosingBracket(string text, int open)
    {
        var inQuote = '\0';
        for (var i = open + 1; i < text.Length; i++)
        {
            var c = text[i];
            if (inQuote != '\0')
            {
                if (c == inQuote)
                {
                    inQuote = '\0';
                }
            }
            else if (c is '"' or '\'')
            {
                inQuote = c;
            }
            else if (c == ']')
            {
                return i;
            }
        }

        throw new FormatException($"unclosed [ in JSONPath {text}");
    }

    private static Func<JsonNode?, IEnumerable<JsonNode?>> Field(string name) => node =>
        node is JsonObject obj && obj.TryGetPropertyValue(name, out var value) ? [value] : [];

    private static Func<JsonNode?, IEnumerable<JsonNode?>> Bracket(string inner)
    {
        if (inner == "*")
        {
            return node => node switch
            {
                JsonArray array => array.ToList(),
                JsonObject obj => obj.Select(p => p.Value).ToList(),
                _ => [],
            };
        }

        if ((inner.StartsWith('\'') && inner.EndsWith('\'')) || (inner.StartsWith('"') && inner.EndsWith('"')))
        {
            return Field(inner[1..^1]);
        }

        if (int.TryParse(inner, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
        {
            return node => node is JsonArray array && (index >= 0 ? index < array.Count : -index <= array.Count)
                ? [array[index >= 0 ? index : array.Count + index]]
                : [];
        }

        if (inner.StartsWith("?(", StringComparison.Ordinal) && inner.EndsWith(')'))
        {
            return Filter(inner[2..^1].Trim());
        }

        throw new FormatException($"unsupported JSONPath step [{inner}]");
    }

    private static Func<JsonNode?, IEnumerable<JsonNode?>> Filter(string expression)
    {
        var op = expression.Contains("!=", StringComparison.Ordinal) ? "!=" : "==";
        var parts = expression.Split(op, 2);
        if (parts.Length != 2 || !parts[0].TrimStart().StartsWith('@'))
        {
            // Existence filter: [?(@.field)]
            var existence = Parse(expression.Trim().TrimStart('@'));
            return node => Items(node).Where(item => existence.Find(item).Count > 0).ToList();
        }

        var left = Parse(parts[0].Trim()[1..]);
        var literal = parts[1].Trim();
        string? expected = (literal.StartsWith('"') && literal.EndsWith('"')) || (literal.StartsWith('\'') && literal.EndsWith('\''))
            ? literal[1..^1]
            : literal;
        return node => Items(node)
            .Where(item =>
            {
                var values = left.Find(item);
                var matches = values.Count > 0 && JsonUtil.ScalarText(values[0]) == expected;
                return op == "==" ? matches : !matches && values.Count > 0;
            })
            .ToList();
    }

    private static IEnumerable<JsonNode?> Items(JsonNode? node) => node switch
    {
        JsonArray array => array,
        JsonObject obj => obj.Select(p => p.Value),
        _ => [],
    };
}
