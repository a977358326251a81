using System.Text.Json.Nodes;

namespace KubeSandbox.Http;

/// <summary>Calls into the admission chain from the write paths (mutating, validating, deletion) and turns denials into Status.</summary>
internal sealed partial class ApiHandler
{
    /// <summary>Mutating admission; a changed object is decoded again (defaults, pruning), as the webhook's patch result is.</summary>
    private async Task<JsonObject> MutateAsync(ApiRequest request, string operation, string name, JsonObject obj, JsonObject? old, bool dryRun, string optionsKind)
    {
        if (_admission is null)
        {
            return obj;
        }

        var outcome = await _admission.MutateAsync(AdmissionContext(request, operation, name, obj, old, dryRun, optionsKind), _cluster, request.Aborted).ConfigureAwait(false);
        ThrowIfDenied(request, outcome);
        if (outcome.MutatedObject is { } mutated && !JsonNode.DeepEquals(mutated, obj))
        {
            Decode(request, mutated, checkUnknownFields: false);
            return mutated;
        }

        return obj;
    }

    /// <summary>Both admission phases of a DELETE: webhooks see the stored object as oldObject and no object.</summary>
    private async Task AdmitDeletionAsync(ApiRequest request, string name, JsonObject current, bool dryRun)
    {
        if (_admission is null)
        {
            return;
        }

        var context = AdmissionContext(request, "DELETE", name, null, current, dryRun, "DeleteOptions");
        ThrowIfDenied(request, await _admission.MutateAsync(context, _cluster, request.Aborted).ConfigureAwait(false));
        ThrowIfDenied(request, await _admission.ValidateAsync(context, _cluster, request.Aborted).ConfigureAwait(false));
    }

    /// <summary>Validating admission of the object as it will be stored.</summary>
    private async Task ValidateAdmissionAsync(ApiRequest request, string operation, string name, JsonObject obj, JsonObject? old, bool dryRun, string optionsKind)
    {
        if (_admission is null)
        {
            return;
        }

        var outcome = await _admission.ValidateAsync(AdmissionContext(request, operation, name, obj, old, dryRun, optionsKind), _cluster, request.Aborted).ConfigureAwait(false);
        ThrowIfDenied(request, outcome);
    }

    private AdmissionRequestContext AdmissionContext(ApiRequest request, string operation, string name, JsonObject? obj, JsonObject? old, bool dryRun, string optionsKind) => new(
        request.Resource.Info,
        operation,
        request.Subresource,
        request.Namespace,
        name,
        obj,
        old,
        dryRun,
        request.User,
        request.Options(optionsKind),
        NamespaceObject(request.Namespace));

    /// <summary>Sends the outcome's warnings as Warning headers (a denial keeps them too, k8s-golden 106), then throws a denial.</summary>
    private static void ThrowIfDenied(ApiRequest request, AdmissionOutcome outcome)
    {
        foreach (var warning in outcome.Warnings ?? [])
        {
            request.Warn(warning);
        }

        if (!outcome.Allowed)
        {
            throw new ApiException(outcome.StatusCode, outcome.Status ?? ApiErrors.Status(outcome.StatusCode, null, "admission denied the request", null));
        }
    }
}
