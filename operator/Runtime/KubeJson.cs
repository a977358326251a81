using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using k8s;

namespace GuardDutyCoverage.Runtime;

/// <summary>
/// JSON for the typed models of KubernetesClient, source-generated (NativeAOT-safe), with two deliberate differences
/// from <c>KubernetesJson</c>: every <see cref="DateTime"/> is written with exactly six fractional digits, and
/// <see cref="JsonElement"/> values (managedFields) can be written back.
/// </summary>
/// <remarks>
/// The API server parses <c>metav1.MicroTime</c> (Lease acquireTime/renewTime, Event eventTime and
/// series.lastObservedTime) with the fixed layout <c>2006-01-02T15:04:05.000000Z07:00</c>: KubernetesClient's own
/// converter drops trailing zeros ("12:00:10Z", "12:00:10.1Z"), which the server rejects with 400. Six digits are also
/// valid for <c>metav1.Time</c>, which accepts any RFC 3339 precision, so one format serves both.
/// </remarks>
public static class KubeJson
{
    /// <summary>
    /// Read-only options resolving the <c>k8s.Models</c> types the operator reads and writes
    /// (<see cref="KubeModelJsonContext"/>), plus <see cref="JsonElement"/> (the runtime type of
    /// <c>managedFields[].fieldsV1</c>: without it, writing back any object read from the server fails).
    /// </summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>The contract of <typeparamref name="T"/> (a <c>k8s.Models</c> type) under <see cref="Options"/>.</summary>
    public static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    /// <summary>
    /// The same contract as <paramref name="typeInfo"/>, able to write <see cref="JsonElement"/> values held in
    /// <c>object</c> members (managedFields) even when its own context does not declare them.
    /// </summary>
    public static JsonTypeInfo<T> WithObjectMembers<T>(JsonTypeInfo<T> typeInfo)
    {
        if (typeInfo.Options.TryGetTypeInfo(typeof(JsonElement), out _) || typeInfo.Options.TypeInfoResolver is null)
        {
            return typeInfo;
        }

        var options = new JsonSerializerOptions(typeInfo.Options)
        {
            TypeInfoResolver = JsonTypeInfoResolver.Combine(typeInfo.Options.TypeInfoResolver, RuntimeJsonContext.Default),
        };
        options.MakeReadOnly();
        return (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            TypeInfoResolver = JsonTypeInfoResolver.Combine(KubeModelJsonContext.Default, RuntimeJsonContext.Default),
        };
        options.Converters.Add(new MicroTimeConverter());
        options.Converters.Add(new KubernetesJson.Iso8601TimeSpanConverter());
        options.Converters.Add(new KubernetesJson.KubernetesDateTimeOffsetConverter());
        options.MakeReadOnly();
        return options;
    }
}

/// <summary>
/// The <c>k8s.Models</c> types the operator reads and writes, and (generated with them) the types they contain. Not
/// KubernetesClient's own <c>SourceGenerationContext</c>: resolving through it roots the contract of every model of
/// the Kubernetes API (about 850 types, with their converters and async machinery), which was a third of the NativeAOT
/// image and of its start-up memory (issue 11). The options are KubernetesClient's; <see cref="KubeJson.Options"/> adds
/// the converters. A type missing here fails loudly (<see cref="NotSupportedException"/> naming it), in every test
/// that reaches it, never silently.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(k8s.Models.V1Pod))]
[JsonSerializable(typeof(k8s.Models.V1Namespace))]
[JsonSerializable(typeof(k8s.Models.V1Node))]
[JsonSerializable(typeof(k8s.Models.V1Secret))]
[JsonSerializable(typeof(k8s.Models.V1DaemonSet))]
[JsonSerializable(typeof(k8s.Models.V1PriorityClass))]
[JsonSerializable(typeof(k8s.Models.V1ClusterRole))]
[JsonSerializable(typeof(k8s.Models.V1ClusterRoleBinding))]
[JsonSerializable(typeof(k8s.Models.V1ValidatingWebhookConfiguration))]
[JsonSerializable(typeof(k8s.Models.V1MutatingWebhookConfiguration))]
[JsonSerializable(typeof(k8s.Models.V1SubjectAccessReview))]
[JsonSerializable(typeof(k8s.Models.V1CustomResourceDefinition))]
[JsonSerializable(typeof(k8s.Models.V1Lease))]
[JsonSerializable(typeof(k8s.Models.Eventsv1Event))]
[JsonSerializable(typeof(k8s.Models.Corev1Event))]
[JsonSerializable(typeof(k8s.Models.V1ResourceQuota))]
[JsonSerializable(typeof(k8s.Models.V1LimitRange))]
[JsonSerializable(typeof(k8s.Models.V1NetworkPolicy))]
[JsonSerializable(typeof(k8s.Models.VersionInfo))]
[JsonSerializable(typeof(k8s.Models.V1APIResourceList))]
[JsonSerializable(typeof(k8s.Models.V1ListMeta))]
[JsonSerializable(typeof(k8s.Models.V1DeleteOptions))]
[JsonSerializable(typeof(k8s.Models.V1Status))]
[JsonSerializable(typeof(k8s.Models.V1ResourceRequirements))]
[JsonSerializable(typeof(k8s.Models.V1SecurityContext))]
public sealed partial class KubeModelJsonContext : JsonSerializerContext;

/// <summary>Types the runtime serializes itself, beyond KubernetesClient's models.</summary>
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class RuntimeJsonContext : JsonSerializerContext;

/// <summary>Formats and parses Kubernetes MicroTime (<c>2006-01-02T15:04:05.000000Z</c>).</summary>
public static class MicroTime
{
    public const string Format = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'";

    public static string ToString(DateTime value) =>
        ToUtc(value).ToString(Format, CultureInfo.InvariantCulture);

    public static string ToString(DateTimeOffset value) => ToString(value.UtcDateTime);

    /// <summary>Drops precision below one microsecond, so a value compares equal after a round trip through the API server.</summary>
    public static DateTime Truncate(DateTime value)
    {
        var utc = ToUtc(value);
        return new DateTime(utc.Ticks - (utc.Ticks % 10), DateTimeKind.Utc);
    }

    public static DateTime Truncate(DateTimeOffset value) => Truncate(value.UtcDateTime);

    /// <summary>Parses any RFC 3339 time (MicroTime, Time, nanosecond precision) to UTC.</summary>
    public static bool TryParse(string? text, out DateTime value)
    {
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
        {
            value = DateTime.SpecifyKind(value, DateTimeKind.Utc);
            return true;
        }

        return false;
    }

    private static DateTime ToUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };
}

internal sealed class MicroTimeConverter : JsonConverter<DateTime>
{
    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (!MicroTime.TryParse(text, out var value))
        {
            throw new JsonException($"\"{text}\" is not an RFC 3339 time");
        }

        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
        writer.WriteStringValue(MicroTime.ToString(value));
}
