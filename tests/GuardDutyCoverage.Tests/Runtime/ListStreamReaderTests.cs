using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Runtime;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Runtime;

/// <summary>The streaming LIST reader against the whole-document parse it replaced, on streams cut at every size.</summary>
public sealed class ListStreamReaderTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public async Task ItReadsWhatAWholeDocumentParseReadsHoweverTheStreamIsCut(int chunk)
    {
        var json = ListJson(items: 40, metadataFirst: chunk % 2 == 0);
        var items = await ListStreamReader.ReadAsync(new ChunkedStream(json, chunk), KubeResources.Pods, "/api/v1/pods", null, default);

        using var document = JsonDocument.Parse(json);
        var expected = document.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("metadata").GetProperty("name").GetString()).ToList();
        Assert.Equal(expected, items.Items.Select(p => p.Metadata.Name));
        Assert.Equal("12345", items.ResourceVersion);
        Assert.Equal("next-page", items.Continue);
        Assert.Equal(7, items.RemainingItemCount);
        Assert.All(items.Items, p => Assert.Equal(("v1", "Pod"), (p.ApiVersion, p.Kind)));

        // The item larger than the reader's buffer came through whole.
        Assert.Equal(200_000, items.Items[3].Metadata.Annotations["big"].Length);
    }

    [Fact]
    public async Task TheTransformSeesEachItemAsItIsRead()
    {
        var seen = new List<string>();
        var list = await ListStreamReader.ReadAsync(new ChunkedStream(ListJson(5, true), 64), KubeResources.Pods, "/api/v1/pods", p =>
        {
            seen.Add(p.Metadata.Name);
            p.Metadata.Annotations = null;
        }, default);

        Assert.Equal(["pod-0", "pod-1", "pod-2", "pod-3", "pod-4"], seen);
        Assert.All(list.Items, p => Assert.Null(p.Metadata.Annotations));
    }


    [Fact]
    public async Task EachItemIsTransformedBeforeTheRestOfTheResponseIsRead()
    {
        // 200 items of ~2 KiB: the first item's transform runs while most of the response is still unread, so the
        // response never exists whole in memory (the items array is not buffered before its items are read).
        var json = ListJson(items: 200, metadataFirst: false, annotation: new string('y', 2048));
        var stream = new ChunkedStream(json, 4096);
        var positions = new List<long>();
        await ListStreamReader.ReadAsync(stream, KubeResources.Pods, "/api/v1/pods", _ => positions.Add(stream.Position), default);

        Assert.Equal(200, positions.Count);
        Assert.True(positions[0] < json.Length / 10, $"the first item was transformed after {positions[0]} of {json.Length} bytes were read");
        Assert.True(positions[199] > positions[0], "the items were all transformed at the same read position");
    }

    [Theory]
    [InlineData("""{"kind":"PodList","items":null,"metadata":{"resourceVersion":"9"}}""", 0, "9")]
    [InlineData("""{"kind":"PodList","metadata":{"resourceVersion":"9"}}""", 0, "9")]
    [InlineData("""{"kind":"PodList","items":[],"extra":{"nested":[1,2,{"a":"b"}]},"metadata":{}}""", 0, "")]
    public async Task EmptyAndUnusualListsAreRead(string json, int count, string resourceVersion)
    {
        var list = await ListStreamReader.ReadAsync(new ChunkedStream(Encoding.UTF8.GetBytes(json), 3), KubeResources.Pods, "/api/v1/pods", null, default);

        Assert.Equal(count, list.Items.Count);
        Assert.Equal(resourceVersion, list.ResourceVersion);
    }

    [Theory]
    [InlineData("""{"kind":"PodList","items":[{"metadata":{"name":"a"}}""", "Pod list")]
    [InlineData("""{"kind":"PodList","items":[{"metadata":{"name":"a"}]}""", "not a valid Pod list")]
    [InlineData("""[1,2]""", "not a Pod list")]
    [InlineData("""{"items":[null]}""", "null item")]
    [InlineData("""{"kind":"PodList","\uD800x":1,"items":[]}""", "not a valid Pod list")]
    public async Task BrokenListsAreAClearError(string json, string message)
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ListStreamReader.ReadAsync(new ChunkedStream(Encoding.UTF8.GetBytes(json), 5), KubeResources.Pods, "/api/v1/pods", null, default));

        Assert.Contains("GET /api/v1/pods", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    private static byte[] ListJson(int items, bool metadataFirst, string? annotation = null)
    {
        var pods = new JsonArray();
        for (var i = 0; i < items; i++)
        {
            var pod = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["name"] = $"pod-{i}",
                    ["namespace"] = "amazon-guardduty",
                    ["resourceVersion"] = $"{100 + i}",
                    ["annotations"] = new JsonObject { ["big"] = i == 3 ? new string('x', 200_000) : annotation ?? "small \"quoted\" \\ \u00e9" },
                },
                ["spec"] = new JsonObject { ["nodeName"] = $"node-{i}", ["containers"] = new JsonArray(new JsonObject { ["name"] = "agent", ["image"] = "img:1" }) },
                ["status"] = new JsonObject { ["phase"] = "Running" },
            };
            pods.Add(pod);
        }

        var metadata = new JsonObject { ["resourceVersion"] = "12345", ["continue"] = "next-page", ["remainingItemCount"] = 7 };
        var list = metadataFirst
            ? new JsonObject { ["kind"] = "PodList", ["apiVersion"] = "v1", ["metadata"] = metadata, ["items"] = pods }
            : new JsonObject { ["kind"] = "PodList", ["apiVersion"] = "v1", ["items"] = pods, ["metadata"] = metadata };
        return Encoding.UTF8.GetBytes(list.ToJsonString());
    }

    /// <summary>A network stream that hands out at most <c>chunk</c> bytes per read.</summary>
    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
