using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GuardDutyCoverage.Aws.Model;

/// <summary>
/// rest-json timestamps: epoch seconds (possibly fractional) on the wire; ISO 8601 strings are accepted too,
/// as the AWS CLI prints them that way and some services send them.
/// </summary>
public sealed class AwsTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                var seconds = reader.GetDouble();
                return DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
            case JsonTokenType.String:
                var text = reader.GetString()!;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var numeric))
                {
                    return DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(numeric * TimeSpan.TicksPerSecond));
                }

                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                {
                    return parsed;
                }

                throw new JsonException($"\"{text}\" is neither epoch seconds nor an ISO 8601 timestamp");
            default:
                throw new JsonException($"expected a timestamp, got {reader.TokenType}");
        }
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(Math.Round(value.ToUnixTimeMilliseconds() / 1000d, 3));
}
