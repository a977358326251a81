using System.Collections.Concurrent;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// Opt-in: puts coverage changes on an EventBridge bus (<c>spec.notify.eventBusName</c>, else the operator's
/// <c>--notify-event-bus</c>) as GuardDuty-shaped events (<see cref="GuardDutyEventBuilder"/>), so the rules that route
/// GuardDuty's own Runtime Protection events can match them too. Same news rule as the webhook: a change of the
/// coverage verdict to Healthy or Unhealthy. Needs <c>events:PutEvents</c> on that bus (docs/aws-access.md).
/// </summary>
/// <param name="clients">The EventBridge client for a Region.</param>
public sealed class EventBridgeNotifier(Func<string, IEventBridgeClient> clients, string? defaultBus, string? defaultRegion)
{
    private readonly ConcurrentDictionary<string, string> _notified = new(StringComparer.Ordinal);

    public void Forget(string name) => _notified.TryRemove(name, out _);

    /// <summary>Returns why putting the event failed, or null (sent, or nothing to send).</summary>
    public async Task<string?> NotifyAsync(
        V1Alpha1GuardDutyCoverage coverage, GuardDutyCoverageStatus? before, GuardDutyCoverageStatus after, CoverageEventOrigin origin, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var bus = coverage.Spec.Notify?.EventBusName ?? defaultBus;
        var name = coverage.Metadata.Name;
        var previous = _notified.TryGetValue(name, out var notified) ? notified : before?.Coverage;
        if (bus is null || after.Coverage is not ("Healthy" or "Unhealthy") || after.Coverage == previous)
        {
            return null;
        }

        var region = coverage.Spec.Region ?? origin.Region ?? defaultRegion;
        if (region is null)
        {
            return $"cannot put the coverage event on EventBridge bus {bus}: the AWS Region is not known";
        }

        var e = GuardDutyEventBuilder.Build(coverage, previous, after, origin, Guid.NewGuid().ToString(), now)!;
        var entry = new PutEventsRequestEntry
        {
            Source = e.Source,
            DetailType = e.DetailType,
            Detail = GuardDutyEventBuilder.EventBridgeDetail(e),
            Resources = e.Resources,
            EventBusName = bus,
        };
        try
        {
            var response = await clients(region).PutEventsAsync(new PutEventsRequest { Entries = [entry] }, cancellationToken).ConfigureAwait(false);
            if (response.FailedEntryCount is > 0 || response.Entries?.FirstOrDefault() is { ErrorCode: not null })
            {
                var failed = response.Entries?.FirstOrDefault();
                return $"EventBridge PutEvents to {bus} rejected the event: {failed?.ErrorCode}: {failed?.ErrorMessage}";
            }

            _notified[name] = after.Coverage!;
            return null;
        }
        catch (AwsException failure)
        {
            return $"cannot put the coverage event on EventBridge bus {bus}: {AwsFailures.StatusMessage(failure)}";
        }
    }
}
