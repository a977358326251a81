using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace GuardDutyCoverage.Tests.Fuzz;

/// <summary>Generators of hostile text, bytes and JSON, seeded by FsCheck.</summary>
public static class Mutations
{
    /// <summary>Mostly printable ASCII, some of any UTF-16 code unit, and the characters parsers trip on.</summary>
    public static readonly Gen<char> AnyChar = Gen.Frequency(
        (6, Gen.Choose(32, 126).Select(i => (char)i)),
        (2, Gen.Choose(0, 0xFFFF).Select(i => (char)i)),
        (2, Gen.Elements('\0', '\n', '\r', '\t', ':', '`', '"', '\\', '{', '[', '&', '*', '!', '|', '>', '-', '#', '\u200b', '\u202e', '\ufeff', '\ud800', '\udfff', '\u2026', '\u00e9')));

    public static Gen<string> AnyString(int maxLength) =>
        Gen.Choose(0, maxLength).SelectMany(n => Gen.ArrayOf(AnyChar, n)).Select(chars => new string(chars));

    /// <summary>A seed and the number to drive a deterministic <see cref="Random"/> that mutates it.</summary>
    public static Gen<(T Seed, int Mutation)> Seeded<T>(IReadOnlyList<T> seeds) =>
        Gen.Elements(seeds.ToArray()).SelectMany(seed => Gen.Choose(0, int.MaxValue).Select(mutation => (seed, mutation)));

    /// <summary>1 to 4 text edits: insertions of hostile text, deletions, repetitions, truncation, case flips.</summary>
    public static string MutateText(string text, Random random)
    {
        var builder = new StringBuilder(text);
        var edits = random.Next(1, 5);
        for (var i = 0; i < edits; i++)
        {
            var at = builder.Length == 0 ? 0 : random.Next(builder.Length + 1);
            switch (random.Next(7))
            {
                case 0:
                    builder.Insert(at, RandomText(random, random.Next(1, 20)));
                    break;
                case 1 when builder.Length > 0:
                    var start = random.Next(builder.Length);
                    builder.Remove(start, random.Next(1, Math.Min(40, builder.Length - start) + 1));
                    break;
                case 2 when builder.Length > 0:
                    var from = random.Next(builder.Length);
                    var piece = builder.ToString(from, Math.Min(random.Next(1, 30), builder.Length - from));
                    builder.Insert(from, string.Concat(Enumerable.Repeat(piece, random.Next(2, random.Next(2) == 0 ? 10 : 2000))));
                    break;
                case 3:
                    builder.Length = at;
                    break;
                case 4 when builder.Length > 0:
                    var flip = random.Next(builder.Length);
                    builder[flip] = char.IsUpper(builder[flip]) ? char.ToLowerInvariant(builder[flip]) : char.ToUpperInvariant(builder[flip]);
                    break;
                case 5 when builder.Length > 0:
                    builder[random.Next(builder.Length)] = (char)random.Next(0x10000);
                    break;
                default:
                    builder.Insert(at, random.Next(4) switch { 0 => ":", 1 => "\n", 2 => "  ", _ => "`" });
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>Byte-level damage, as a bad disk or copy does: truncation and bit flips (which make invalid UTF-8).</summary>
    public static byte[] MutateBytes(byte[] bytes, Random random)
    {
        var result = (byte[])bytes.Clone();
        if (random.Next(3) == 0 && result.Length > 0)
        {
            result = result[..random.Next(result.Length)];
        }

        var flips = random.Next(0, 9);
        for (var i = 0; i < flips && result.Length > 0; i++)
        {
            result[random.Next(result.Length)] ^= (byte)(1 << random.Next(8));
        }

        return result;
    }

    /// <summary>Structural damage to JSON: values of the wrong type, removed and added members, long strings, deep nesting, big arrays.</summary>
    public static JsonNode? MutateJson(JsonNode? node, Random random)
    {
        var root = node?.DeepClone();
        var edits = random.Next(1, 4);
        for (var i = 0; i < edits; i++)
        {
            var all = Walk(root).ToList();
            if (all.Count == 0)
            {
                return Replacement(random);
            }

            var target = all[random.Next(all.Count)];
            if (target.Parent is null)
            {
                root = random.Next(2) == 0 ? Replacement(random) : root;
                continue;
            }

            switch (random.Next(4))
            {
                case 0 when target.Parent is JsonObject parentObject:
                    parentObject.Remove(target.GetPropertyName());
                    break;
                case 1 when target is JsonArray array && array.Count > 0:
                    var copies = random.Next(2) == 0 ? random.Next(2, 10) : random.Next(100, 1000);
                    var first = array[0];
                    for (var c = 0; c < copies; c++)
                    {
                        array.Add(first?.DeepClone());
                    }

                    break;
                case 2 when target is JsonObject obj:
                    obj[RandomText(random, random.Next(1, 12))] = Replacement(random);
                    break;
                default:
                    Replace(target, Replacement(random));
                    break;
            }
        }

        return root;
    }

    private static void Replace(JsonNode target, JsonNode? replacement)
    {
        switch (target.Parent)
        {
            case JsonObject obj:
                obj[target.GetPropertyName()] = replacement;
                break;
            case JsonArray array:
                array[target.GetElementIndex()] = replacement;
                break;
        }
    }

    private static JsonNode? Replacement(Random random) => random.Next(10) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next() - (int.MaxValue / 2)),
        2 => JsonValue.Create(random.NextDouble() * 1e300),
        3 => JsonValue.Create(random.Next(2) == 0),
        4 => JsonValue.Create(RandomText(random, random.Next(0, 40))),
        5 => JsonValue.Create(new string('x', random.Next(10_000, 100_000))),
        6 => new JsonArray(JsonValue.Create(1), JsonValue.Create("two"), null, new JsonObject()),
        7 => new JsonObject { ["unexpected"] = JsonValue.Create(true) },
        8 => Nest(random.Next(10, 200)),
        _ => JsonValue.Create(long.MaxValue),
    };

    private static JsonNode Nest(int depth)
    {
        JsonNode node = new JsonArray();
        for (var i = 0; i < depth; i++)
        {
            node = i % 2 == 0 ? new JsonObject { ["a"] = node } : new JsonArray(node);
        }

        return node;
    }

    private static IEnumerable<JsonNode> Walk(JsonNode? node)
    {
        if (node is null)
        {
            yield break;
        }

        yield return node;
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj.ToList())
                {
                    foreach (var inner in Walk(child))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array.ToList().Take(20))
                {
                    foreach (var inner in Walk(child))
                    {
                        yield return inner;
                    }
                }

                break;
        }
    }

    public static string RandomText(Random random, int length)
    {
        const string specials = ":`\"\\{}[]&*!|>-#\n\r\t\0\u200b\u202e\ufeff\u2026é";
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = random.Next(4) switch
            {
                0 => specials[random.Next(specials.Length)],
                1 => (char)random.Next(0x10000),
                _ => (char)random.Next(32, 127),
            };
        }

        return new string(chars);
    }
}
