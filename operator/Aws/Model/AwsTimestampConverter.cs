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
                return FromEpochSeconds(reader.GetDouble());
            case JsonTokenType.String:
                var text = reader.GetString()!;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var numeric))
                {
                    return FromEpochSeconds(numeric);
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

    // Years 1 to 9999, as DateTimeOffset can hold them: anything else is a malformed answer, not a crash.
    private static readonly double MinSeconds = (DateTimeOffset.MinValue - DateTimeOffset.UnixEpoch).TotalSeconds;
    private static readonly double MaxSeconds = (DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).TotalSeconds;

    private static DateTimeOffset FromEpochSeconds(double seconds)
    {
        if (!double.IsFinite(seconds) || seconds <= MinSeconds || seconds >= MaxSeconds)
        {
            throw new JsonException($"{seconds.ToString(CultureInfo.InvariantCulture)} epoch seconds is not a representable timestamp");
        }

        return DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(Math.Round(value.ToUnixTimeMilliseconds() / 1000d, 3));
}
