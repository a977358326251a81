using System.Text.Json.Nodes;
using KubeSandbox.Semantics;

namespace GuardDutyCoverage.Tests.Sandbox.Semantics;

/// <summary>The fieldsV1 encoding and the path elements inside it.</summary>
public sealed class FieldsV1Tests
{
    public static TheoryData<string> GoldenFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RepoPaths.TestData("k8s-golden"), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public void EveryRecordedFieldsV1RoundTrips(string file)
    {
        var exchange = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.TestData("k8s-golden"), file)))!;
        foreach (var fieldsV1 in FindFieldsV1(exchange))
        {
            var set = FieldSet.FromFieldsV1(fieldsV1);

            Assert.True(JsonNode.DeepEquals(fieldsV1, set.ToFieldsV1()), $"{file}: {fieldsV1.ToJsonString()} became {set.ToFieldsV1().ToJsonString()}");
            Assert.Equal(fieldsV1.ToJsonString(), set.ToFieldsV1().ToJsonString());
        }
    }

    private static IEnumerable<JsonNode> FindFieldsV1(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "fieldsV1" && value is not null)
                    {
                        yield return value;
                    }
                    else
                    {
                        foreach (var found in FindFieldsV1(value))
                        {
                            yield return found;
                        }
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    foreach (var found in FindFieldsV1(item))
                    {
                        yield return found;
                    }
                }

                break;
        }
    }

    [Fact]
    public void ElementsSortFieldsThenKeysThenValuesThenIndexes()
    {
        var set = new FieldSet();
        set.Insert([PathElement.ForIndex(0)]);
        set.Insert([PathElement.ForValue(JsonValue.Create("b"))]);
        set.Insert([PathElement.ForValue(JsonValue.Create(2))]);
        set.Insert([PathElement.ForKey([KeyValuePair.Create<string, JsonNode?>("name", "x")])]);
        set.Insert([PathElement.Field("z")]);
        set.Insert([PathElement.Field("a"), PathElement.Field("b")]);
        set.Insert([PathElement.Field("a")]);

        Assert.Equal(
            ["f:a", "f:z", "k:{\"name\":\"x\"}", "v:2", "v:\"b\"", "i:0"],
            set.ToFieldsV1().Select(p => p.Key));
        Assert.Equal("{\".\":{},\"f:b\":{}}", set.ToFieldsV1()["f:a"]!.ToJsonString());
    }

    [Fact]
    public void KeysAreSortedCanonicalGoJson()
    {
        var pe = PathElement.ForKey([KeyValuePair.Create<string, JsonNode?>("protocol", "TCP"), KeyValuePair.Create<string, JsonNode?>("containerPort", 80)]);

        Assert.Equal("k:{\"containerPort\":80,\"protocol\":\"TCP\"}", pe.FieldsV1Key);
        Assert.Equal("[containerPort=80,protocol=\"TCP\"]", pe.ToString());
        Assert.Equal("k:{\"name\":\"a\\u003cb\\u0026c\"}", PathElement.ForKey([KeyValuePair.Create<string, JsonNode?>("name", "a<b&c")]).FieldsV1Key);
        Assert.Equal(pe, PathElement.Parse(pe.FieldsV1Key));
        Assert.Equal(PathElement.ForValue(JsonValue.Create(1)), PathElement.Parse("v:1.0"));
    }

    [Theory]
    [InlineData("x:1")]
    [InlineData("k:[1]")]
    [InlineData("i:-1")]
    [InlineData("v:{")]
    public void InvalidElementsAreFormatErrors(string text) => Assert.Throws<FormatException>(() => PathElement.Parse(text));

    [Fact]
    public void SetAlgebra()
    {
        static FieldSet Set(params string[][] paths)
        {
            var set = new FieldSet();
            foreach (var path in paths)
            {
                set.Insert(path.Select(PathElement.Field).ToList());
            }

            return set;
        }

        var a = Set(["spec"], ["spec", "x"], ["spec", "y"], ["status", "z"]);
        var b = Set(["spec"], ["spec", "y"], ["meta"]);

        Assert.Equal("""{"f:spec":{".":{},"f:x":{},"f:y":{}},"f:status":{"f:z":{}},"f:meta":{}}""".Length, a.Union(b).ToFieldsV1().ToJsonString().Length);
        Assert.Equal("""{"f:spec":{".":{},"f:y":{}}}""", a.Intersection(b).ToFieldsV1().ToJsonString());
        Assert.Equal("""{"f:spec":{"f:x":{}},"f:status":{"f:z":{}}}""", a.Difference(b).ToFieldsV1().ToJsonString());
        Assert.Equal("""{"f:status":{"f:z":{}}}""", a.RecursiveDifference(b).ToFieldsV1().ToJsonString());
        Assert.Equal([".spec", ".spec.x", ".spec.y", ".status.z"], a.Paths().Select(p => new FieldPath(p).ToString()).Order(StringComparer.Ordinal));
        Assert.True(a.Has([PathElement.Field("status"), PathElement.Field("z")]));
        Assert.False(a.Has([PathElement.Field("status")]));
        Assert.True(FieldSet.Empty.IsEmpty);
    }
}
