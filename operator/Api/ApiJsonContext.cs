using System.Text.Json.Serialization;
using k8s;

namespace GuardDutyCoverage.Api;

/// <summary>
/// Source-generated JSON contract of the API types. The same contract drives the wire format and the CRD schema
/// (<see cref="CrdGenerator"/>), so the two cannot drift apart.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(Rfc3339TimeConverter), typeof(KubernetesJson.KubernetesDateTimeConverter)])]
[JsonSerializable(typeof(V1Alpha1GuardDutyCoverage))]
[JsonSerializable(typeof(V1Alpha1GuardDutyCoverageList))]
[JsonSerializable(typeof(GuardDutyCoverageStatus))]
[JsonSerializable(typeof(GuardDutyCoverageSpec))]
// managedFields[].fieldsV1 is typed object in KubernetesClient's models: it round-trips as a JsonElement.
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
