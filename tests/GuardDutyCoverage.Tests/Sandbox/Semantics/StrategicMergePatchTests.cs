using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Semantics;

namespace GuardDutyCoverage.Tests.Sandbox.Semantics;

/// <summary>Strategic merge patch on built-in kinds: merge keys, directives, and the server's error statuses.</summary>
public sealed class StrategicMergePatchTests
{
    private readonly FieldManager fields = new();

    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    private JsonObject Patch(string live, string patch, ResourceInfo? resource = null) =>
        fields.StrategicMergePatch(Json(live), Json(patch), resource ?? Golden.Deployment);

    private static string Containers(JsonObject obj) => obj["spec"]!["template"]!["spec"]!["containers"]!.ToJsonString();

    private const string TwoContainers = """
        {"spec":{"template":{"spec":{"containers":[
          {"name":"a","image":"a:1","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],"ports":[{"containerPort":80,"protocol":"TCP"}]},
          {"name":"b","image":"b:1"}]}}}}
        """;

    [Fact]
    public void ContainersMergeByNameAndNewOnesComeFirst()
    {
        var result = Patch(TwoContainers, """{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:2"},{"name":"c","image":"c:1"}]}}}}""");

        // Patch items keep their order; a live-only item goes before a patch item only when the live list ordered them so.
        Assert.Equal(
            """[{"name":"a","image":"a:1","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],"ports":[{"containerPort":80,"protocol":"TCP"}]},{"name":"b","image":"b:2"},{"name":"c","image":"c:1"}]""",
            Containers(result));
    }

    [Fact]
    public void ANewItemAheadOfTheLiveOnesIsPlacedFirst()
    {
        var result = Patch("""{"metadata":{"finalizers":["a","b"]}}""", """{"metadata":{"finalizers":["c"]}}""");

        Assert.Equal("""["c","a","b"]""", result["metadata"]!["finalizers"]!.ToJsonString());
    }

    [Fact]
    public void NestedListsMergeByTheirOwnKeys()
    {
        var result = Patch(TwoContainers, """
            {"spec":{"template":{"spec":{"containers":[{"name":"a","env":[{"name":"Y","value":"3"},{"name":"X","$patch":"delete"}],"ports":[{"containerPort":443}]}]}}}}
            """);

        var a = result["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("""[{"name":"Y","value":"3"}]""", a["env"]!.ToJsonString());
        Assert.Equal("""[{"containerPort":443},{"containerPort":80,"protocol":"TCP"}]""", a["ports"]!.ToJsonString());
    }

    [Fact]
    public void NullDeletesAndNewMembersLoseTheirNulls()
    {
        var result = Patch(
            """{"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"paused":true}}""",
            """{"metadata":{"labels":{"a":null,"c":"3"}},"spec":{"paused":null,"strategy":{"type":"Recreate","rollingUpdate":null}}}""");

        Assert.Equal("""{"b":"2","c":"3"}""", result["metadata"]!["labels"]!.ToJsonString());
        Assert.Equal("""{"strategy":{"type":"Recreate"}}""", result["spec"]!.ToJsonString());
    }

    [Fact]
    public void ListsWithoutMergeStrategyAreReplaced()
    {
        var result = Patch(
            """{"spec":{"template":{"spec":{"tolerations":[{"key":"a"},{"key":"b"}],"containers":[{"name":"a","args":["x","y"]}]}}}}""",
            """{"spec":{"template":{"spec":{"tolerations":[{"key":"c"}],"containers":[{"name":"a","args":["z"]}]}}}}""");

        Assert.Equal("""[{"key":"c"}]""", result["spec"]!["template"]!["spec"]!["tolerations"]!.ToJsonString());
        Assert.Equal("""[{"name":"a","args":["z"]}]""", Containers(result));
    }

    [Fact]
    public void PatchReplaceDirectives()
    {
        var list = Patch(TwoContainers, """{"spec":{"template":{"spec":{"containers":[{"name":"z","image":"z:1"},{"$patch":"replace"}]}}}}""");
        var map = Patch("""{"metadata":{"labels":{"a":"1","b":"2"}}}""", """{"metadata":{"labels":{"$patch":"replace","c":"3"}}}""");
        var deleted = Patch("""{"metadata":{"labels":{"a":"1"}},"spec":{"paused":true}}""", """{"metadata":{"labels":{"$patch":"delete"}}}""");

        Assert.Equal("""[{"name":"z","image":"z:1"}]""", Containers(list));
        Assert.Equal("""{"c":"3"}""", map["metadata"]!["labels"]!.ToJsonString());
        Assert.Equal("""{}""", deleted["metadata"]!["labels"]!.ToJsonString());
    }

    [Fact]
    public void RetainKeysClearsTheOtherMembers()
    {
        var result = Patch(
            """{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}""",
            """{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}""");

        Assert.Equal("""{"type":"Recreate"}""", result["spec"]!["strategy"]!.ToJsonString());
    }

    [Fact]
    public void SetElementOrderOrdersTheMergedList()
    {
        var result = Patch(TwoContainers, """
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}],"containers":[{"name":"a","image":"a:2"}]}}}}
            """);

        Assert.Equal(["b", "a"], result["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("a:2", result["spec"]!["template"]!["spec"]!["containers"]![1]!["image"]!.GetValue<string>());
    }

    [Fact]
    public void DeleteFromPrimitiveListRemovesFinalizers()
    {
        var result = Patch(
            """{"metadata":{"finalizers":["a","b","c"]}}""",
            """{"metadata":{"$deleteFromPrimitiveList/finalizers":["b"],"$setElementOrder/finalizers":["c","a"]}}""");

        Assert.Equal("""["c","a"]""", result["metadata"]!["finalizers"]!.ToJsonString());
    }

    [Fact]
    public void VolumesMergeByNameWithRetainKeys()
    {
        var result = Patch(
            """{"spec":{"template":{"spec":{"volumes":[{"name":"v","emptyDir":{}},{"name":"w","hostPath":{"path":"/w"}}]}}}}""",
            """{"spec":{"template":{"spec":{"volumes":[{"name":"v","configMap":{"name":"cm"},"$retainKeys":["configMap","name"]}]}}}}""");

        Assert.Equal(
            """[{"name":"v","configMap":{"name":"cm"}},{"name":"w","hostPath":{"path":"/w"}}]""",
            result["spec"]!["template"]!["spec"]!["volumes"]!.ToJsonString());
    }

    [Fact]
    public void TheLiveObjectIsNotModified()
    {
        var live = Json(TwoContainers);
        var before = live.ToJsonString();

        fields.StrategicMergePatch(live, Json("""{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"}]}}}}"""), Golden.Deployment);

        Assert.Equal(before, live.ToJsonString());
    }

    [Fact]
    public void CustomResourcesAreUnsupportedMediaType()
    {
        var e = Assert.Throws<ApiStatusException>(() => fields.StrategicMergePatch(Json("{}"), Json("{}"), Golden.Widget));
        Assert.Equal(415, e.StatusCode);
        Assert.Equal("UnsupportedMediaType", e.Status["reason"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}""", 500, "map: map[image:x] does not contain declared merge key: name")]
    [InlineData("""{"metadata":{"labels":{"$patch":"explode"}}}""", 500, "unknown patch type: explode in map: map[$patch:explode]")]
    [InlineData("""{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}}""", 400, "invalid patch format of retainKeys")]
    [InlineData("""{"metadata":{"$deleteFromPrimitiveList":["a"]}}""", 400, "invalid patch format of primitive list")]
    [InlineData("""{"metadata":{"ownerReferences":[["a"]]}}""", 422, "lists of lists are not supported")]
    [InlineData("""{"metadata":{"finalizers":[["a"]]}}""", 500, "list element types are not identical: [[x] [[a]]]")]
    public void MalformedPatchesGetTheServersStatus(string patch, int code, string message)
    {
        var e = Assert.Throws<ApiStatusException>(() =>
            Patch("""{"metadata":{"labels":{"a":"1"},"finalizers":["x"],"ownerReferences":[]},"spec":{"strategy":{"type":"Recreate"},"template":{"spec":{"containers":[{"name":"a"}]}}}}""", patch));

        Assert.Equal(code, e.StatusCode);
        Assert.Equal(message, e.Status["message"]!.GetValue<string>());
    }
}
