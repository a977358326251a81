using System.Text.Json;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Aws.Model;

namespace GuardDutyCoverage.Aws;

/// <summary>EventBridge PutEvents, the one operation notifications need.</summary>
public interface IEventBridgeClient
{
    Task<PutEventsResponse> PutEventsAsync(PutEventsRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// Amazon EventBridge 2015-10-07 over json 1.1 (POST /, <c>X-Amz-Target: AWSEvents.PutEvents</c>,
/// <c>application/x-amz-json-1.1</c>), per botocore's data/events/2015-10-07/service-2.json; SigV4 with the signing
/// name <c>events</c>. Thin, like <see cref="GuardDutyClient"/>: the shared transport does signing, retries and errors.
/// </summary>
public sealed partial class EventBridgeClient(AwsRestJsonClient transport) : IEventBridgeClient
{
    public const string TargetPrefix = "AWSEvents";

    public Task<PutEventsResponse> PutEventsAsync(PutEventsRequest request, CancellationToken cancellationToken)
    {
        const string operation = "PutEvents";
        if (request.Entries.Count is < 1 or > 10)
        {
            throw new AwsConfigurationException($"EventBridge {operation}: Entries has {request.Entries.Count} entries; the model allows 1 to 10");
        }

        foreach (var entry in request.Entries)
        {
            if (entry.EventBusName is { } bus && (bus.Length is < 1 or > 1600 || !BusPattern().IsMatch(bus)))
            {
                throw new AwsConfigurationException($"EventBridge {operation}: EventBusName \"{bus}\" is not an event bus name or ARN");
            }
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(request, AwsJsonContext.Default.PutEventsRequest);
        return transport.SendJsonAsync(operation, TargetPrefix, body, AwsJsonContext.Default.PutEventsResponse, cancellationToken);
    }

    /// <summary>The model's NonPartnerEventBusNameOrArn pattern, anchored (botocore does not validate patterns; AWS does).</summary>
    [GeneratedRegex(@"^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus/)?[\.\-_A-Za-z0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex BusPattern();
}
