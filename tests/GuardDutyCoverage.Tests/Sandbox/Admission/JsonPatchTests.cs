using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Admission;
using GuardDutyCoverage.Tests.Sandbox.Authorization;

namespace GuardDutyCoverage.Tests.Sandbox.Admission;

public sealed class JsonPatchTests
{
    private const string Document = """{"metadata":{"name":"a","labels":{"x":"1"}},"spec":{"containers":[{"name":"c","image":"i:1"}]}}""";

    [Theory]
    [InlineData("""[{"op":"add","path":"/metadata/labels/y","value":"2"}]""", """{"metadata":{"name":"a","labels":{"x":"1","y":"2"}},"spec":{"containers":[{"name":"c","image":"i:1"}]}}""")]
    [InlineData("""[{"op":"add","path":"/metadata/labels/a~1b","value":"slash"}]""", """{"metadata":{"name":"a","labels":{"x":"1","a/b":"slash"}},"spec":{"containers":[{"name":"c","image":"i:1"}]}}""")]
    [InlineData("""[{"op":"add","path":"/spec/containers/-","value":{"name":"d"}}]""", """{"metadata":{"name":"a","labels":{"x":"1"}},"spec":{"containers":[{"name":"c","image":"i:1"},{"name":"d"}]}}""")]
    [InlineData("""[{"op":"add","path":"/spec/containers/0","value":{"name":"first"}}]""", """{"metadata":{"name":"a","labels":{"x":"1"}},"spec":{"containers":[{"name":"first"},{"name":"c","image":"i:1"}]}}""")]
    [InlineData("""[{"op":"replace","path":"/spec/containers/0/image","value":"i:2"}]""", """{"metadata":{"name":"a","labels":{"x":"1"}},"spec":{"containers":[{"name":"c","image":"i:2"}]}}""")]
    [InlineData("""[{"op":"remove","path":"/metadata/labels"}]""", """{"metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"i:1"}]}}""")]
    [InlineData("""[{"op":"move","from":"/metadata/labels/x","path":"/metadata/labels/z"}]""", """{"metadata":{"name":"a","labels":{"z":"1"}},"spec":{"containers":[{"name":"c","image":"i:1"}]}}""")]
    [InlineData("""[{"op":"copy","from":"/metadata/name","path":"/metadata/labels/name"}]""", """{"metadata":{"name":"a","labels":{"x":"1","name":"a"}},"spec":{"containers":[{"name":"c","image":"i:1"}]}}""")]
    [InlineData("""[{"op":"test","path":"/metadata/name","value":"a"},{"op":"replace","path":"/metadata/name","value":"b"}]""", """{"metadata":{"name":"b","labels":{"x":"1"}},"spec":{"containers":[{"name":"c","image":"i:1"}]}}""")]
    [InlineData("""[]""", Document)]
    public void Operations_apply_in_order(string patch, string expected)
    {
        var original = JsonNode.Parse(Document);

        var result = JsonPatch.Decode(Encoding.UTF8.GetBytes(patch)).Apply(original);

        Assert.Equal(expected, result!.Text());
        Assert.Equal(Document, original!.Text());
    }

    [Theory]
    [InlineData("""[{"op":"add","path":"/metadata/annotations/a","value":"1"}]""", "add operation does not apply: doc is missing path: \"/metadata/annotations/a\": missing value")]
    [InlineData("""[{"op":"remove","path":"/metadata/annotations"}]""", "remove operation does not apply: doc is missing path: \"/metadata/annotations\": missing value")]
    [InlineData("""[{"op":"replace","path":"/spec/replicas","value":1}]""", "replace operation does not apply: doc is missing key: /spec/replicas: missing value")]
    [InlineData("""[{"op":"replace","path":"/spec/containers/5","value":1}]""", "replace operation does not apply: doc is missing path: \"/spec/containers/5\": invalid index referenced: 5")]
    [InlineData("""[{"op":"test","path":"/metadata/name","value":"b"}]""", "testing value /metadata/name failed: test failed")]
    [InlineData("""[{"op":"frobnicate","path":"/a"}]""", "Unexpected kind: frobnicate")]
    [InlineData("""[{"op":"add","path":"/a"}]""", "add operation missing value field")]
    public void Failures_are_reported_with_the_json_patch_library_wording(string patch, string message)
    {
        var error = Assert.Throws<JsonPatchException>(() => JsonPatch.Decode(Encoding.UTF8.GetBytes(patch)).Apply(JsonNode.Parse(Document)));

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("""{"op":"add"}""", "json: cannot unmarshal object into Go value of type jsonpatch.Patch")]
    [InlineData("""["add"]""", "json: cannot unmarshal string into Go value of type jsonpatch.Operation")]
    public void Only_an_array_of_operations_decodes(string patch, string message)
    {
        Assert.Equal(message, Assert.Throws<JsonPatchException>(() => JsonPatch.Decode(Encoding.UTF8.GetBytes(patch))).Message);
    }
}
