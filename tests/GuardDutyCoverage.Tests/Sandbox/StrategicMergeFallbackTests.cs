using System.Text.Json.Nodes;
using GuardDutyCoverage.Sandbox.Json;

namespace GuardDutyCoverage.Tests.Sandbox;

public sealed class StrategicMergeFallbackTests
{
    private static void AssertPatch(string live, string patch, string expected) =>
        Assert.Equal(JsonNode.Parse(expected), StrategicMergeFallback.Apply(JsonNode.Parse(live), JsonNode.Parse(patch)), JsonNode.DeepEquals);

    [Fact]
    public void Kubectl_apply_patches_merge_lists_by_the_key_their_setElementOrder_names_and_drop_directives() => AssertPatch(
        """{"containers":[{"name":"agent","image":"a:1","env":[{"name":"A","value":"1"}]},{"name":"sidecar","image":"s:1"}]}""",
        """{"$setElementOrder/containers":[{"name":"agent"},{"name":"sidecar"}],"containers":[{"$setElementOrder/env":[{"name":"A"}],"env":[{"name":"A","value":"2"}],"image":"a:2","name":"agent"}]}""",
        """{"containers":[{"name":"agent","image":"a:2","env":[{"name":"A","value":"2"}]},{"name":"sidecar","image":"s:1"}]}""");

    [Fact]
    public void Known_list_fields_merge_by_name_without_directives_and_patch_delete_removes_items() => AssertPatch(
        """{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}],"args":["x","y"]}""",
        """{"containers":[{"name":"b","$patch":"delete"},{"name":"c","image":"c:1"},{"name":"a","image":"a:2"}],"args":["z"]}""",
        """{"containers":[{"name":"a","image":"a:2"},{"name":"c","image":"c:1"}],"args":["z"]}""");

    [Fact]
    public void Replace_retainKeys_and_deleteFromPrimitiveList_directives_are_honoured() => AssertPatch(
        """{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},"finalizers":["a","b","c"],"keep":1}""",
        """{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null},"$deleteFromPrimitiveList/finalizers":["b"],"selector":{"$patch":"replace","matchLabels":{"x":"y"}}}""",
        """{"strategy":{"type":"Recreate"},"finalizers":["a","c"],"keep":1,"selector":{"matchLabels":{"x":"y"}}}""");
}
