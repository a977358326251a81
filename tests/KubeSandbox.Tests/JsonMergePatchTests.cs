using System.Text.Json.Nodes;
using KubeSandbox.Json;

namespace KubeSandbox.Tests;

/// <summary>
/// The sandbox's merge patch against tests/testdata/merge-patch/vectors.json (RFC 7386's examples and kube-apiserver
/// v1.24 exchanges); the operator's own implementation is checked against the same file (MergePatchVectorTests).
/// </summary>
public sealed class JsonMergePatchTests
{
    public static TheoryData<string> Vectors()
    {
        var names = new TheoryData<string>();
        foreach (var vector in TestData.Json("merge-patch", "vectors.json")["vectors"]!.AsArray())
        {
            names.Add(vector!["name"]!.GetValue<string>());
        }

        return names;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void AppliesTheVector(string name)
    {
        var vector = TestData.Json("merge-patch", "vectors.json")["vectors"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == name)!;
        var target = vector["target"]?.DeepClone();
        var before = target?.DeepClone();

        var result = JsonMergePatch.Apply(target, vector["patch"]);

        Assert.True(JsonNode.DeepEquals(vector["result"], result), $"{name}: expected {vector["result"]?.ToJsonString()}, got {result?.ToJsonString()}");
        Assert.True(JsonNode.DeepEquals(before, target), "the target must not be changed");
    }

    [Fact]
    public void VectorsIncludeTheRfcExamplesAndRecordedExchanges()
    {
        var names = TestData.Json("merge-patch", "vectors.json")["vectors"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(15, names.Count(n => n.StartsWith("rfc7386-appendix-a-", StringComparison.Ordinal)));
        Assert.Contains(names, n => n.StartsWith("k8s-golden-", StringComparison.Ordinal));
    }

    [Fact]
    public void KeepsTheTargetsMemberOrderAndAddsNewMembersLast()
    {
        var result = JsonMergePatch.Apply(JsonNode.Parse("""{"a":1,"b":2,"c":3}"""), JsonNode.Parse("""{"d":4,"a":9,"b":null}"""));

        Assert.Equal("""{"a":9,"c":3,"d":4}""", result!.ToJsonString());
    }
}
