using System.Text.Json.Nodes;
using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Tests.Runtime;

/// <summary>
/// The operator's merge patch against tests/testdata/merge-patch/vectors.json (RFC 7386's examples and kube-apiserver
/// v1.24 exchanges), the same vectors the sandbox's independent implementation is checked against
/// (KubeSandbox.Tests/JsonMergePatchTests).
/// </summary>
public sealed class MergePatchVectorTests
{
    private static readonly JsonArray Vectors = JsonNode.Parse(File.ReadAllText(RepoPaths.TestData("merge-patch", "vectors.json")))!["vectors"]!.AsArray();

    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (var vector in Vectors)
        {
            names.Add((string)vector!["name"]!);
        }

        return names;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ApplyGivesTheVectorsResult(string name)
    {
        var vector = Vector(name);

        var result = MergePatch.Apply(vector["target"], vector["patch"]);

        Assert.True(JsonNode.DeepEquals(vector["result"], result), $"{name}: expected {vector["result"]?.ToJsonString()}, got {result?.ToJsonString()}");
    }

    /// <summary>The vectors whose target and result are objects: what <see cref="MergePatch.Create"/> diffs.</summary>
    public static TheoryData<string> ObjectNames()
    {
        var names = new TheoryData<string>();
        foreach (var vector in Vectors.Where(v => v!["target"] is JsonObject && v["result"] is JsonObject))
        {
            names.Add((string)vector!["name"]!);
        }

        return names;
    }

    [Theory]
    [MemberData(nameof(ObjectNames))]
    public void CreateGivesAPatchThatLeadsFromTargetToResult(string name)
    {
        var vector = Vector(name);
        var target = vector["target"]!.AsObject();
        var result = vector["result"]!.AsObject();

        var patch = MergePatch.Create(target, result);

        Assert.True(JsonNode.DeepEquals(result, MergePatch.Apply(target, patch)), $"{name}: the created patch {patch?.ToJsonString()} does not lead to the result");
    }

    private static JsonObject Vector(string name) => Vectors.Select(v => v!.AsObject()).Single(v => (string)v["name"]! == name);
}
