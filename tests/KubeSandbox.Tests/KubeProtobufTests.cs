using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Json;

namespace KubeSandbox.Tests;

/// <summary>
/// The protobuf bodies kubectl's typed clients send (the kubectl of a v1.24 server's skew sends Namespaces, ConfigMaps
/// and SelfSubjectAccessReviews this way), encoded here by hand from the generated.proto field numbers.
/// </summary>
public sealed class KubeProtobufTests
{
    [Fact]
    public void DecodesAConfigMapsDataBinaryDataAndImmutable()
    {
        var metadata = Message(Text(1, "settings"), Text(3, "team-a"));
        var body = Envelope("v1", "ConfigMap",
            Bytes(1, metadata),
            Bytes(2, Message(Text(1, "mode"), Text(2, "report"))),
            Bytes(2, Message(Text(1, "empty"))),
            Bytes(3, Message(Text(1, "blob"), Bytes(2, [0, 1, 2]))),
            Varint(4, 1));

        var obj = KubeProtobuf.Decode(body);

        Assert.Equal(
            """{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"settings","namespace":"team-a"},"data":{"mode":"report","empty":""},"binaryData":{"blob":"AAEC"},"immutable":true}""",
            obj.ToJsonString());
    }

    [Fact]
    public void DecodesANamespaceAndASelfSubjectAccessReview()
    {
        var ns = KubeProtobuf.Decode(Envelope("v1", "Namespace", Bytes(1, Message(Text(1, "amazon-guardduty"))), Bytes(2, []), Bytes(3, [])));
        var review = KubeProtobuf.Decode(Envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview",
            Bytes(1, []),
            Bytes(2, Message(Bytes(1, Message(Text(1, "ns"), Text(2, "patch"), Text(3, "apps"), Text(5, "daemonsets")))))));

        Assert.Equal("""{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"amazon-guardduty"},"spec":{},"status":{}}""", ns.ToJsonString());
        Assert.Equal("""{"namespace":"ns","verb":"patch","group":"apps","resource":"daemonsets"}""", review["spec"]!["resourceAttributes"]!.ToJsonString());
    }

    [Fact]
    public void RefusesKindsItCannotDecodeAndBodiesWithoutTheMagic()
    {
        Assert.False(KubeProtobuf.CanDecode("Pod"));
        Assert.Throws<ProtobufFormatException>(() => KubeProtobuf.Decode(Envelope("v1", "Pod", Bytes(1, []))));
        Assert.Throws<ProtobufFormatException>(() => KubeProtobuf.Decode("{}"u8));
    }

    private static byte[] Envelope(string apiVersion, string kind, params byte[][] fields) =>
        [0x6b, 0x38, 0x73, 0x00, .. Message(Bytes(1, Message(Text(1, apiVersion), Text(2, kind))), Bytes(2, Message(fields)))];

    private static byte[] Message(params byte[][] fields) => fields.SelectMany(f => f).ToArray();

    private static byte[] Text(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    private static byte[] Bytes(int field, byte[] value) => [.. Encode((ulong)(field << 3 | 2)), .. Encode((ulong)value.Length), .. value];

    private static byte[] Varint(int field, ulong value) => [.. Encode((ulong)(field << 3)), .. Encode(value)];

    private static byte[] Encode(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var next = (byte)(value & 0x7f);
            value >>= 7;
            bytes.Add(value == 0 ? next : (byte)(next | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }
}
