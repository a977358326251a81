using System.Text.Json;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Runtime;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed class KubeJsonTests
{
    [Theory]
    [InlineData("2026-11-26T12:00:00Z", "2026-11-26T12:00:00.000000Z")]
    [InlineData("2026-11-26T12:00:10.1Z", "2026-11-26T12:00:10.100000Z")]
    [InlineData("2026-11-26T12:00:10.123456789Z", "2026-11-26T12:00:10.123456Z")]
    [InlineData("2026-11-26T13:00:10.5+01:00", "2026-11-26T12:00:10.500000Z")]
    public void MicroTimeIsAlwaysWrittenWithSixDigits(string input, string expected)
    {
        Assert.True(MicroTime.TryParse(input, out var parsed));
        Assert.Equal(DateTimeKind.Utc, parsed.Kind);
        Assert.Equal(expected, MicroTime.ToString(parsed));
    }

    [Fact]
    public void TheRecordedLeaseRoundTripsWithManagedFields()
    {
        var recorded = Golden.Load("62").ResponseBody!;
        var lease = recorded.Deserialize(KubeJson.TypeInfo<V1Lease>())!;
        Assert.Equal("operator-a", lease.Spec.HolderIdentity);
        Assert.IsType<JsonElement>(lease.Metadata.ManagedFields[0].FieldsV1);

        var written = JsonSerializer.SerializeToNode(lease, KubeJson.TypeInfo<V1Lease>())!;
        Assert.True(JsonNode.DeepEquals(recorded["spec"], written["spec"]));
        Assert.True(JsonNode.DeepEquals(recorded["metadata"]!["managedFields"]![0]!["fieldsV1"], written["metadata"]!["managedFields"]![0]!["fieldsV1"]));
    }

    [Fact]
    public void ACustomResourceContextWithoutJsonElementStillWritesManagedFields()
    {
        // WidgetJsonContext, like any CR context, does not declare JsonElement: the descriptor adds it.
        var recorded = Golden.Load("16").ResponseBody!;
        var widget = recorded.Deserialize(Widget.Type.TypeInfo)!;
        var written = JsonSerializer.SerializeToNode(widget, Widget.Type.TypeInfo)!;
        Assert.True(JsonNode.DeepEquals(recorded["metadata"]!["managedFields"]![0]!["fieldsV1"], written["metadata"]!["managedFields"]![0]!["fieldsV1"]));
        Assert.Throws<NotSupportedException>(() => JsonSerializer.Serialize(widget, WidgetJsonContext.Default.Widget));
    }

    [Fact]
    public void EventsCarryMicroTimeEventTime()
    {
        var ev = new Eventsv1Event { EventTime = new DateTime(2026, 11, 26, 12, 0, 0, DateTimeKind.Utc), Series = new Eventsv1EventSeries { Count = 2, LastObservedTime = new DateTime(2026, 11, 26, 12, 0, 1, DateTimeKind.Utc) } };
        var json = JsonSerializer.SerializeToNode(ev, KubeJson.TypeInfo<Eventsv1Event>())!;
        Assert.Equal("2026-11-26T12:00:00.000000Z", json["eventTime"]!.GetValue<string>());
        Assert.Equal("2026-11-26T12:00:01.000000Z", json["series"]!["lastObservedTime"]!.GetValue<string>());
    }
}
