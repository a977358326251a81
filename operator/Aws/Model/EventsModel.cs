using System.Text.Json.Serialization;

namespace GuardDutyCoverage.Aws.Model;

// Amazon EventBridge 2015-10-07 (botocore data/events/2015-10-07/service-2.json), protocol json 1.1: member names
// on the wire are the model's own (PascalCase). Only what PutEvents needs.

/// <summary>PutEventsRequest. <c>EndpointId</c> (global endpoints) is not used.</summary>
public sealed record PutEventsRequest
{
    [JsonPropertyName("Entries")]
    public required IReadOnlyList<PutEventsRequestEntry> Entries { get; init; }
}

/// <summary>PutEventsRequestEntry. <c>Time</c> is left to EventBridge (the time of the call).</summary>
public sealed record PutEventsRequestEntry
{
    [JsonPropertyName("Source")]
    public string? Source { get; init; }

    [JsonPropertyName("Resources")]
    public IReadOnlyList<string>? Resources { get; init; }

    [JsonPropertyName("DetailType")]
    public string? DetailType { get; init; }

    /// <summary>The event's <c>detail</c>, as a JSON object in a string.</summary>
    [JsonPropertyName("Detail")]
    public string? Detail { get; init; }

    /// <summary>NonPartnerEventBusNameOrArn; null: the account's default bus.</summary>
    [JsonPropertyName("EventBusName")]
    public string? EventBusName { get; init; }
}

public sealed record PutEventsResponse
{
    [JsonPropertyName("FailedEntryCount")]
    public int? FailedEntryCount { get; init; }

    [JsonPropertyName("Entries")]
    public IReadOnlyList<PutEventsResultEntry>? Entries { get; init; }
}

public sealed record PutEventsResultEntry
{
    [JsonPropertyName("EventId")]
    public string? EventId { get; init; }

    [JsonPropertyName("ErrorCode")]
    public string? ErrorCode { get; init; }

    [JsonPropertyName("ErrorMessage")]
    public string? ErrorMessage { get; init; }
}
