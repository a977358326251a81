using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GuardDutyCoverage.Api;

/// <summary>metav1.Time: RFC 3339 in UTC with second precision ("2026-11-26T12:00:00Z"), as the API server writes it.</summary>
public sealed class Rfc3339TimeConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? throw new JsonException("expected an RFC 3339 time, got null");
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            throw new JsonException($"\"{text}\" is not an RFC 3339 time");
        }

        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(ToRfc3339(value));

    public static string ToRfc3339(DateTimeOffset value) => value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>Drops sub-second precision, so values compare equal after a round trip through the API server.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
