using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using GuardDutyCoverage.Runtime;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Runtime;

/// <summary>The Widget custom resource of the k8s-golden recordings (example.com/v1, cluster-scoped).</summary>
public sealed class Widget : IKubernetesObject<V1ObjectMeta>
{
    public static ResourceType<Widget> Type { get; } = new("example.com", "v1", "widgets", "Widget", false, WidgetJsonContext.Default.Widget);

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "example.com/v1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "Widget";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public WidgetSpec? Spec { get; set; }

    [JsonPropertyName("status")]
    public WidgetStatus? Status { get; set; }
}

public sealed record WidgetSpec
{
    [JsonPropertyName("region")]
    public string? Region { get; init; }

    [JsonPropertyName("size")]
    public int Size { get; init; }
}

public sealed record WidgetStatus
{
    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; init; }

    [JsonPropertyName("conditions")]
    public IReadOnlyList<WidgetCondition>? Conditions { get; init; }

    [JsonPropertyName("extra")]
    public JsonObject? Extra { get; init; }
}

public sealed record WidgetCondition
{
    [JsonPropertyName("type")]
    public required string Type { get; init; }

    [JsonPropertyName("status")]
    public required string Status { get; init; }

    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    [JsonPropertyName("lastTransitionTime")]
    public string? LastTransitionTime { get; init; }

    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Converters = [typeof(MicroTimeJsonConverter)])]
[JsonSerializable(typeof(Widget))]
[JsonSerializable(typeof(WidgetStatus))]
public sealed partial class WidgetJsonContext : JsonSerializerContext;

/// <summary>metav1 times inside V1ObjectMeta, read as the runtime reads them.</summary>
public sealed class MicroTimeJsonConverter : JsonConverter<DateTime>
{
    public override DateTime Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        MicroTime.TryParse(reader.GetString(), out var value) ? value : throw new System.Text.Json.JsonException("bad time");

    public override void Write(System.Text.Json.Utf8JsonWriter writer, DateTime value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteStringValue(MicroTime.ToString(value));
}
