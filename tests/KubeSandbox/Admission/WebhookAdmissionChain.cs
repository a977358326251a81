using System.Text.Json;
using System.Text.Json.Nodes;
using KubeSandbox.Authorization;
using KubeSandbox.Semantics;

namespace KubeSandbox.Admission;

/// <summary>
/// kube-apiserver's MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins over the webhook configurations
/// in the store: mutating webhooks one after the other (with <c>reinvocationPolicy: IfNeeded</c> honoured once),
/// then validating webhooks concurrently, each called over HTTPS with an AdmissionReview shaped like the real one
/// (k8s-golden 60/61), and every failure reported with the real Status (k8s-golden 52-56).
/// </summary>
/// <remarks>
/// Not modelled: <c>matchConditions</c> (CEL, newer than the v1.24 the goldens were recorded on), audit annotations and
/// the Warning headers of <c>response.warnings</c> (the <see cref="AdmissionOutcome"/> seam has no place for them).
/// </remarks>
public sealed class WebhookAdmissionChain : IAdmissionChain, IAsyncDisposable, IDisposable
{
    public const string RegistrationGroup = "admissionregistration.k8s.io";

    private static readonly AdmissionOutcome AllowedUnchanged = new(true, null, 200, null);

    private readonly WebhookAdmissionOptions options;
    private readonly WebhookTransport transport;

    public WebhookAdmissionChain(WebhookAdmissionOptions? options = null)
    {
        this.options = options ?? new WebhookAdmissionOptions();
        transport = new WebhookTransport(this.options.TimeProvider);
    }

    /// <summary>
    /// Both phases back to back with nothing in between: <see cref="MutateAsync"/>, then <see cref="ValidateAsync"/> on
    /// the mutated object. (The sandbox server runs its own defaulting and validation between the two, as
    /// kube-apiserver does.) The outcome's <c>MutatedObject</c> is null when no webhook changed the object.
    /// </summary>
    public async Task<AdmissionOutcome> AdmitAsync(AdmissionRequestContext request, IObjectReader cluster, CancellationToken cancellationToken)
    {
        var mutation = await MutateAsync(request, cluster, cancellationToken).ConfigureAwait(false);
        if (!mutation.Allowed)
        {
            return mutation;
        }

        var validated = mutation.MutatedObject is { } mutated ? request with { Object = mutated } : request;
        var validation = await ValidateAsync(validated, cluster, cancellationToken).ConfigureAwait(false);
        return validation.Allowed ? mutation : validation;
    }

    /// <summary>
    /// Mutating admission of one write. <see cref="AdmissionRequestContext.Operation"/> is CREATE, UPDATE (also for
    /// PATCH), DELETE or CONNECT; <see cref="AdmissionRequestContext.Options"/> the request's Create/Update/DeleteOptions
    /// (dryRun, fieldManager, ...; kind and apiVersion are added here). The outcome's <c>MutatedObject</c> is null when
    /// no webhook changed the object; <c>StatusCode</c> and <c>Status</c> are the response to send when not allowed.
    /// </summary>
    public async Task<AdmissionOutcome> MutateAsync(AdmissionRequestContext request, IObjectReader cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cluster);
        if (ExemptFromWebhooks(request))
        {
            return AllowedUnchanged;
        }

        var namespaces = new NamespaceLabelSource(request.NamespaceObject, cluster);
        var equivalents = options.EquivalentResources?.Invoke(request.Resource) ?? [];
        var current = request.Object;
        var mutated = false;

        var mutating = AdmissionWebhook.LoadAll(cluster, mutating: true);
        var previouslyInvoked = new HashSet<string>(StringComparer.Ordinal);
        var reinvoke = new HashSet<string>(StringComparer.Ordinal);
        var reinvocationRequired = false;
        for (var round = 0; round < 2 && (round == 0 || reinvocationRequired); round++)
        {
            foreach (var webhook in mutating)
            {
                var match = WebhookMatcher.Match(webhook, RequestAttributes.From(request, current), namespaces, equivalents);
                if (match.Error is not null)
                {
                    return Denied(match.Error);
                }

                // A reinvocation round only calls webhooks that asked for it and saw the object change after them.
                if (match.Invocation is null || (round == 1 && !reinvoke.Contains(webhook.Id)))
                {
                    continue;
                }

                var call = await CallAsync(match.Invocation, request, current, cluster, cancellationToken).ConfigureAwait(false);
                if (call.Changed)
                {
                    current = call.Object;
                    mutated = true;
                    reinvoke.UnionWith(previouslyInvoked);
                    previouslyInvoked.Clear();
                    reinvocationRequired = true;
                }

                if (webhook.ReinvokeIfNeeded)
                {
                    previouslyInvoked.Add(webhook.Id);
                }

                if (call.Failure is { } failure && !(failure.IsCallingError && webhook.FailOpen))
                {
                    return Denied(failure.Status);
                }
            }
        }

        return new AdmissionOutcome(true, mutated ? current : null, 200, null);
    }

    /// <summary>
    /// Validating admission of one write, on <see cref="AdmissionRequestContext.Object"/> as it will be stored. The
    /// webhooks run concurrently; of several failures the first in configuration order is returned (the real server
    /// returns whichever came first), so the outcome is deterministic.
    /// </summary>
    public async Task<AdmissionOutcome> ValidateAsync(AdmissionRequestContext request, IObjectReader cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cluster);
        if (ExemptFromWebhooks(request))
        {
            return AllowedUnchanged;
        }

        var namespaces = new NamespaceLabelSource(request.NamespaceObject, cluster);
        var equivalents = options.EquivalentResources?.Invoke(request.Resource) ?? [];
        var current = request.Object;
        var invocations = new List<WebhookInvocation>();
        foreach (var webhook in AdmissionWebhook.LoadAll(cluster, mutating: false))
        {
            var match = WebhookMatcher.Match(webhook, RequestAttributes.From(request, current), namespaces, equivalents);
            if (match.Error is not null)
            {
                return Denied(match.Error);
            }

            if (match.Invocation is not null)
            {
                invocations.Add(match.Invocation);
            }
        }

        var results = await Task.WhenAll(invocations.Select(i => CallAsync(i, request, current, cluster, cancellationToken))).ConfigureAwait(false);
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i].Failure is { } failure && !(failure.IsCallingError && invocations[i].Webhook.FailOpen))
            {
                return Denied(failure.Status);
            }
        }

        return AllowedUnchanged;
    }


    /// <summary>Webhooks never see requests on webhook configurations: a broken webhook could otherwise lock itself in.</summary>
    private static bool ExemptFromWebhooks(AdmissionRequestContext request) =>
        request.Resource.Group == RegistrationGroup
        && request.Resource.Kind is "ValidatingWebhookConfiguration" or "MutatingWebhookConfiguration"
            or "ValidatingAdmissionPolicy" or "ValidatingAdmissionPolicyBinding";

    public ValueTask DisposeAsync() => transport.DisposeAsync();

    public void Dispose() => transport.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static AdmissionOutcome Denied(JsonObject status) =>
        new(false, null, (int)(JsonRead.Integer(status["code"]) ?? 500), status);

    private async Task<CallResult> CallAsync(WebhookInvocation invocation, AdmissionRequestContext request, JsonObject? current, IObjectReader cluster, CancellationToken cancellationToken)
    {
        var webhook = invocation.Webhook;
        if (request.DryRun)
        {
            if (webhook.SideEffects is null)
            {
                return CallingError(webhook, "Webhook SideEffects is nil");
            }

            if (webhook.SideEffects is not ("None" or "NoneOnDryRun"))
            {
                return new CallResult(current, false, new HookFailure(ApiStatus.BadRequest($"admission webhook {GoFormat.Quote(webhook.Name)} does not support dry run"), false));
            }
        }

        if (AdmissionReviews.ChooseVersion(webhook.AdmissionReviewVersions) is not { } version)
        {
            return CallingError(webhook, "could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)");
        }

        var (endpoint, endpointError) = ResolveEndpoint(webhook, cluster);
        if (endpoint is null)
        {
            return CallingError(webhook, endpointError!);
        }

        var uid = Guid.NewGuid().ToString();
        var requested = RequestAttributes.From(request, current);
        var review = AdmissionReviews.Request(version, uid, invocation, request, current, request.OldObject, requested);
        var body = JsonSerializer.SerializeToUtf8Bytes(review, SandboxAdmissionJsonContext.Default.JsonObject);
        var sent = await transport.PostAsync(endpoint, body, TimeSpan.FromSeconds(webhook.TimeoutSeconds), cancellationToken).ConfigureAwait(false);
        if (sent.Failure is not null)
        {
            return CallingError(webhook, "failed to call webhook: " + sent.Failure);
        }

        var (response, problem) = AdmissionReviews.Verify(version, uid, webhook.Mutating, sent.Body!);
        if (problem is not null)
        {
            return CallingError(webhook, (problem.IsDecodingError ? "failed to call webhook: " : "received invalid webhook response: ") + problem.Message);
        }

        if (!response!.Allowed)
        {
            return new CallResult(current, false, new HookFailure(AdmissionReviews.Rejection(webhook.Name, response.Result), false));
        }

        return response.Patch is { Length: > 0 } patch ? ApplyPatch(invocation, current, patch, response) : new CallResult(current, false, null);
    }

    private static CallResult ApplyPatch(WebhookInvocation invocation, JsonObject? current, byte[] patchBytes, VerifiedResponse response)
    {
        var webhook = invocation.Webhook;
        JsonPatch patch;
        try
        {
            patch = JsonPatch.Decode(patchBytes);
        }
        catch (JsonPatchException e)
        {
            return CallingError(webhook, "received undecodable patch in webhook response: " + e.Message);
        }

        if (patch.Count == 0)
        {
            return new CallResult(current, false, null);
        }

        if (current is null)
        {
            return Failed(current, ApiStatus.InternalError($"admission webhook {GoFormat.Quote(webhook.Name)} attempted to modify the object, which is not supported for this operation"));
        }

        if (response.PatchType != "JSONPatch")
        {
            return new CallResult(current, false, new HookFailure(ApiStatus.InternalError($"failed calling webhook {GoFormat.Quote(webhook.Name)}: unsupported patch type {GoFormat.Quote(response.PatchType)}"), true));
        }

        JsonNode? patched;
        var original = current;
        var versioned = current.DeepClone().AsObject();
        if (invocation.ThroughEquivalent)
        {
            var called = invocation.Attributes;
            versioned["apiVersion"] = called.Group.Length == 0 ? called.Version : called.Group + "/" + called.Version;
        }

        try
        {
            patched = patch.Apply(versioned);
        }
        catch (JsonPatchException e)
        {
            return Failed(current, ApiStatus.InternalError(e.Message));
        }

        if (patched is not JsonObject result)
        {
            return Failed(current, ApiStatus.InternalError("json: cannot unmarshal non-object into Go value of type map[string]interface {}"));
        }

        if (invocation.ThroughEquivalent)
        {
            result["apiVersion"] = original["apiVersion"]?.DeepClone();
        }

        return JsonNode.DeepEquals(result, original) ? new CallResult(current, false, null) : new CallResult(result, true, null);
    }

    private (WebhookEndpoint? Endpoint, string? Error) ResolveEndpoint(AdmissionWebhook webhook, IObjectReader cluster)
    {
        var clientConfig = webhook.ClientConfig;
        byte[]? caBundle = null;
        if (JsonRead.String(clientConfig?["caBundle"]) is { Length: > 0 } encoded)
        {
            try
            {
                caBundle = Convert.FromBase64String(encoded);
            }
            catch (FormatException)
            {
                return (null, "could not get REST client: unable to load root certificates: unable to parse bytes as PEM block");
            }
        }

        var timeout = "timeout=" + AdmissionReviews.GoDuration(webhook.TimeoutSeconds);
        if (JsonRead.String(clientConfig?["url"]) is { Length: > 0 } url)
        {
            var display = url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + timeout;
            return Uri.TryCreate(display, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
                ? (new WebhookEndpoint(uri, display, caBundle, null), null)
                : (null, $"could not get REST client: parse {GoFormat.Quote(url)}: invalid URI for request");
        }

        if (clientConfig?["service"] is JsonObject service)
        {
            var ns = JsonRead.String(service["namespace"]) ?? "";
            var name = JsonRead.String(service["name"]) ?? "";
            var port = (int)(JsonRead.Integer(service["port"]) ?? 443);
            var path = JsonRead.String(service["path"]) is { Length: > 0 } p ? p : "/";
            var display = $"https://{name}.{ns}.svc:{port}{path}?{timeout}";
            if (!Uri.TryCreate(display, UriKind.Absolute, out var uri))
            {
                return (null, $"could not get REST client: parse {GoFormat.Quote(display)}: invalid URI for request");
            }

            if (cluster.Get("", "services", ns, name) is null)
            {
                return (null, $"failed to call webhook: Post {GoFormat.Quote(display)}: service {GoFormat.Quote(name)} not found");
            }

            var address = options.ServiceResolver?.Invoke(new WebhookServiceReference(ns, name, port, path));
            if (address is null)
            {
                return (null, $"failed to call webhook: Post {GoFormat.Quote(display)}: no endpoints available for service {GoFormat.Quote(name)}");
            }

            return (new WebhookEndpoint(uri, display, caBundle, new System.Net.DnsEndPoint(address.Host, address.Port)), null);
        }

        return (null, "could not get REST client: webhook clientConfig has neither url nor service");
    }

    private static CallResult CallingError(AdmissionWebhook webhook, string reason) =>
        new(null, false, new HookFailure(ApiStatus.InternalError($"failed calling webhook {GoFormat.Quote(webhook.Name)}: {reason}"), true));

    private static CallResult Failed(JsonObject? current, JsonObject status) => new(current, false, new HookFailure(status, false));

    /// <summary>A failed call: <paramref name="IsCallingError"/> failures (transport, invalid reply) obey failurePolicy; rejections never do.</summary>
    private sealed record HookFailure(JsonObject Status, bool IsCallingError);

    private sealed record CallResult(JsonObject? Object, bool Changed, HookFailure? Failure);
}
