namespace KubeSandbox.Admission;

/// <summary>A webhook's <c>clientConfig.service</c> (port defaulted to 443, path to "/").</summary>
public sealed record WebhookServiceReference(string Namespace, string Name, int Port, string Path);

/// <summary>How the sandbox reaches webhooks and what it knows about resources beyond the request.</summary>
public sealed record WebhookAdmissionOptions
{
    /// <summary>Clock for webhook timeouts (<c>timeoutSeconds</c>).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Where a Service-referenced webhook actually listens (there is no kube-proxy here), e.g. a test webhook server's
    /// <c>https://127.0.0.1:port</c>; the TLS name checked stays <c>&lt;name&gt;.&lt;namespace&gt;.svc</c>.
    /// Returning null reports the real server's <c>no endpoints available for service "name"</c>. The Service object
    /// itself must exist in the store, or the call fails with <c>service "name" not found</c>.
    /// </summary>
    public Func<WebhookServiceReference, Uri?>? ServiceResolver { get; init; }

    /// <summary>
    /// The other served versions of a resource (for <c>matchPolicy: Equivalent</c>), e.g. the other versions of a
    /// multi-version CRD. Objects are converted by changing <c>apiVersion</c> only (CRD conversion strategy None).
    /// </summary>
    public Func<ResourceInfo, IReadOnlyList<ResourceInfo>>? EquivalentResources { get; init; }
}
