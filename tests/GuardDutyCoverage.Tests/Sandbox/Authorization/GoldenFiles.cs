using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Tests.Sandbox.Authorization;

/// <summary>Reads the k8s-golden exchanges (tests/testdata/k8s-golden/NN-*.json).</summary>
internal static class GoldenFiles
{
    public static JsonObject Exchange(string number)
    {
        var directory = RepoPaths.TestData("k8s-golden");
        var file = Directory.GetFiles(directory, number + "-*.json").Single();
        return JsonNode.Parse(File.ReadAllText(file))!.AsObject();
    }

    public static JsonObject RequestBody(string number) => Exchange(number)["request"]!["body"]!.AsObject();

    public static JsonObject ResponseBody(string number) => Exchange(number)["response"]!["body"]!.AsObject();

    public static int ResponseStatus(string number) => Exchange(number)["response"]!["status"]!.GetValue<int>();

    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Exact comparison including member order, with a readable failure.</summary>
    public static void AssertSameJson(JsonNode? expected, JsonNode? actual)
    {
        Assert.Equal(expected?.Text(), actual?.Text());
    }

    /// <summary>Compact JSON with quotes written as \" (as Go writes them), for readable expectations.</summary>
    public static string Text(this JsonNode node) => node.ToJsonString(Readable);
}
