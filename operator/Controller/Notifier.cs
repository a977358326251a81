using System.Net.Http.Headers;
using System.Text;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// <c>spec.notify.webhookSecretRef</c>: POSTs a JSON notification to the URL stored in a Secret of the operator's own
/// namespace when the coverage verdict or Ready changes. Reading that Secret is opt-in RBAC (by name only). The body is
/// GuardDuty's EventBridge event shape (<see cref="GuardDutyEventBuilder"/>).
/// </summary>
public sealed class Notifier(KubeApiClient client, NotificationTransport transport, string? operatorNamespace)
{
    /// <summary>The last verdict notified per CR, so Healthy → Unknown → Healthy (GuardDuty briefly unreadable) stays quiet.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _notified = new(StringComparer.Ordinal);

    public void Forget(string name) => _notified.TryRemove(name, out _);

    /// <summary>
    /// Sends when the coverage verdict changes to Healthy or Unhealthy (Unknown is not news: it means "cannot tell yet");
    /// returns why sending failed, or null.
    /// </summary>
    public async Task<string?> NotifyAsync(
        V1Alpha1GuardDutyCoverage coverage, GuardDutyCoverageStatus? before, GuardDutyCoverageStatus after, DateTimeOffset now, CancellationToken cancellationToken, CoverageEventOrigin? origin = null)
    {
        var reference = coverage.Spec.Notify?.WebhookSecretRef;
        var name = coverage.Metadata.Name;
        var previous = _notified.TryGetValue(name, out var notified) ? notified : before?.Coverage;
        if (reference is null || after.Coverage is not ("Healthy" or "Unhealthy") || after.Coverage == previous)
        {
            return null;
        }

        if (operatorNamespace is null)
        {
            return "the operator does not know its namespace (POD_NAMESPACE is not set), so it cannot read the notification Secret";
        }

        string url;
        try
        {
            var secret = await client.GetAsync(KubeResources.Secrets, reference.Name, operatorNamespace, cancellationToken).ConfigureAwait(false);
            if (secret?.Data is null || !secret.Data.TryGetValue(reference.Key, out var bytes))
            {
                return $"Secret {operatorNamespace}/{reference.Name} {(secret is null ? "does not exist" : $"has no key \"{reference.Key}\"")}";
            }

            url = Encoding.UTF8.GetString(bytes).Trim();
        }
        catch (KubeApiException e)
        {
            return $"cannot read Secret {operatorNamespace}/{reference.Name}: {e.ServerMessage}";
        }

        // The URL is a secret: messages name the Secret and key, never the URL or its host.
        var problem = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? transport.Check(uri) : "is not an absolute https URL";
        if (problem is not null || uri is null)
        {
            return $"the URL in Secret {operatorNamespace}/{reference.Name} key \"{reference.Key}\" {problem}";
        }

        var notification = GuardDutyEventBuilder.Build(coverage, previous, after, origin ?? new CoverageEventOrigin(null, null), Guid.NewGuid().ToString(), now)!;
        using var content = new ByteArrayContent(GuardDutyEventBuilder.WebhookBody(notification));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        var failure = await transport.PostAsync(uri, content, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return $"{failure} (URL from Secret {operatorNamespace}/{reference.Name} key \"{reference.Key}\")";
        }

        _notified[name] = after.Coverage!;
        return null;
    }
}
