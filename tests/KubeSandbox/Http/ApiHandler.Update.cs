using System.Globalization;
using System.Text.Json.Nodes;
using KubeSandbox.Json;
using KubeSandbox.Resources;
using KubeSandbox.Semantics;
using KubeSandbox.Storage;

namespace KubeSandbox.Http;

/// <summary>PUT, and the update path PATCH and apply share: the update strategy, generation, no-op detection, optimistic concurrency.</summary>
internal sealed partial class ApiHandler
{
    private const int MaxUpdateAttempts = 8;

    private async Task UpdateAsync(ApiRequest request)
    {
        _ = request.FieldValidation;
        var body = await ReadObjectAsync(request).ConfigureAwait(false);
        CheckTypeMeta(request.Resource, body);
        CheckNamespace(request, body);
        var bodyName = JsonUtil.GetString(body, "metadata", "name");
        if (bodyName != request.Name)
        {
            throw ApiErrors.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({request.Name})");
        }

        var requestedRv = JsonUtil.GetString(body, "metadata", "resourceVersion");
        if (string.IsNullOrEmpty(requestedRv) && !request.Resource.AllowUnconditionalUpdate)
        {
            throw ApiErrors.Invalid(request.Resource, request.Name!, [new FieldError("FieldValueInvalid", "metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")]);
        }

        await UpdateCoreAsync(request, _ => JsonUtil.Clone(body), "update").ConfigureAwait(false);
    }


    /// <summary>
    /// The update path shared by PUT, PATCH and apply, in kube-apiserver's order: read, mutate (the body or the patch),
    /// decode (defaults, pruning), managedFields, mutating admission, the update strategy (subresource, system fields,
    /// generation), validation (422), validating admission, no-op detection, then commit with optimistic concurrency,
    /// retrying on races unless the client asked for a specific resourceVersion (GuaranteedUpdate).
    /// </summary>
    private async Task UpdateCoreAsync(ApiRequest request, Func<JsonObject, JsonObject> mutate, string operation)
    {
        var resource = request.Resource;
        var name = request.Name!;
        var key = SandboxCluster.Key(resource, request.Namespace ?? string.Empty, name);
        var dryRun = request.DryRun;
        var optionsKind = operation == "update" ? "UpdateOptions" : "PatchOptions";
        for (var attempt = 0; ; attempt++)
        {
            var (stored, currentRv) = Store.GetWithRv(key);
            if (stored is null)
            {
                throw ApiErrors.NotFound(resource, name);
            }

            var current = resource.Present(stored);

            // The client pins a resourceVersion only if its body carries one, so the input has none of its own.
            var input = JsonUtil.Clone(current);
            JsonUtil.Metadata(input).Remove("resourceVersion");
            var updated = mutate(input);
            CheckTypeMeta(resource, updated);
            var metadata = JsonUtil.Metadata(updated);
            var requestedRv = JsonUtil.GetString(metadata, "resourceVersion");
            if (!string.IsNullOrEmpty(requestedRv) && requestedRv != currentRv.ToString(CultureInfo.InvariantCulture))
            {
                throw ApiErrors.Conflict(resource, name);
            }

            var currentUid = JsonUtil.GetString(current, "metadata", "uid");
            var requestedUid = JsonUtil.GetString(metadata, "uid");
            if (!string.IsNullOrEmpty(requestedUid) && requestedUid != currentUid)
            {
                throw ApiErrors.Conflict(resource, name, $"Precondition failed: UID in precondition: {requestedUid}, UID in object meta: {currentUid}");
            }

            if (JsonUtil.GetString(metadata, "name") is { } newName && newName != name)
            {
                throw ApiErrors.BadRequest($"the name of the object ({newName}) does not match the name on the URL ({name})");
            }

            Decode(request, updated, checkUnknownFields: operation != "apply");
            JsonNode? managedFields = null;
            if (_options.FieldManager is { } fieldManager)
            {
                managedFields = operation == "apply"
                    ? updated["metadata"]?["managedFields"]?.DeepClone()
                    : fieldManager.UpdateManagedFields(current, updated, resource.Info, request.FieldManager, request.Subresource, Time.GetUtcNow());
            }

            updated = await MutateAsync(request, "UPDATE", name, updated, current, dryRun, optionsKind).ConfigureAwait(false);
            updated = ApplyUpdateStrategy(request, current, updated);
            if (managedFields is not null)
            {
                JsonUtil.Metadata(updated)["managedFields"] = managedFields;
            }

            ValidateBuiltin(resource, updated, name);
            ValidateCustomResource(resource, updated, name);
            await ValidateAdmissionAsync(request, "UPDATE", name, updated, current, dryRun, optionsKind).ConfigureAwait(false);
            if (SameObject(current, updated))
            {
                // Nothing changed: no write, no new resourceVersion, no event (GuaranteedUpdate short-circuits).
                await WriteJsonAsync(request.Http, 200, current).ConfigureAwait(false);
                return;
            }

            updated = SandboxCluster.Normalize(resource, updated);
            if (dryRun)
            {
                await WriteJsonAsync(request.Http, 200, updated).ConfigureAwait(false);
                return;
            }

            CommitResult result;
            var finishingDeletion = JsonUtil.GetString(updated, "metadata", "deletionTimestamp") is not null
                && (updated["metadata"]?["finalizers"] as JsonArray ?? []).Count == 0;
            result = finishingDeletion ? Store.Delete(key, currentRv) : Store.Update(key, resource.ToStorage(updated), currentRv);
            if (result.Error == CommitError.Conflict)
            {
                if (!string.IsNullOrEmpty(requestedRv) || attempt >= MaxUpdateAttempts)
                {
                    throw ApiErrors.Conflict(resource, name);
                }

                continue;
            }

            if (result.Error == CommitError.NotFound)
            {
                throw ApiErrors.NotFound(resource, name);
            }

            if (resource.IsCustomResourceDefinition && !finishingDeletion && request.Subresource is null)
            {
                _cluster.EstablishCrd(result.Object!);
            }

            _cluster.Committed(resource);
            await WriteJsonAsync(request.Http, 200, resource.Present(result.Object!)).ConfigureAwait(false);
            return;
        }
    }

    /// <summary>
    /// The registry update strategy: system metadata kept, spec/status split by subresource, the kind's
    /// PrepareForUpdate, generation. (managedFields are the field manager's; without one the stored ones stay.)
    /// </summary>
    private static JsonObject ApplyUpdateStrategy(ApiRequest request, JsonObject current, JsonObject updated)
    {
        var resource = request.Resource;
        var currentMeta = (JsonObject)current["metadata"]!;
        JsonObject result;
        if (request.Subresource == "status")
        {
            // Status writes change only status (and managedFields), whatever else the body says (k8s-golden 20, 25).
            result = JsonUtil.Clone(current);
            if (updated["status"] is { } status)
            {
                result["status"] = status.DeepClone();
            }
            else
            {
                result.Remove("status");
            }
        }
        else
        {
            result = updated;
            if (resource.Info.HasStatusSubresource)
            {
                // Writes to the main resource never change status (k8s-golden 26).
                if (current["status"] is { } status)
                {
                    result["status"] = status.DeepClone();
                }
                else
                {
                    result.Remove("status");
                }
            }
        }

        var metadata = JsonUtil.Metadata(result);
        foreach (var field in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name", "managedFields", "selfLink" })
        {
            if (currentMeta[field] is { } value)
            {
                metadata[field] = value.DeepClone();
            }
            else
            {
                metadata.Remove(field);
            }
        }

        metadata["resourceVersion"] = currentMeta["resourceVersion"]?.DeepClone();
        if (request.Subresource is null)
        {
            BuiltinDefaults.PrepareForUpdate(resource, result, current);
        }

        if (resource.TracksGeneration && SpecChanged(resource, current, result))
        {
            metadata["generation"] = (JsonUtil.GetInt64(current, "metadata", "generation") ?? 0) + 1;
        }

        return result;
    }

    /// <summary>Generation counts changes to anything but metadata (and status, for kinds with a status subresource).</summary>
    private static bool SpecChanged(ServedResource resource, JsonObject before, JsonObject after)
    {
        static JsonObject Strip(JsonObject obj, bool status)
        {
            var copy = JsonUtil.Clone(obj);
            copy.Remove("metadata");
            copy.Remove("kind");
            copy.Remove("apiVersion");
            if (status)
            {
                copy.Remove("status");
            }

            return copy;
        }

        var withStatus = resource.Info.HasStatusSubresource;
        return !JsonNode.DeepEquals(Strip(before, withStatus), Strip(after, withStatus));
    }

    private static bool SameObject(JsonObject a, JsonObject b)
    {
        static JsonNode Comparable(JsonObject obj)
        {
            var copy = JsonUtil.Clone(obj);
            if (copy["metadata"] is JsonObject metadata)
            {
                metadata.Remove("resourceVersion");
                metadata.Remove("managedFields");
            }

            return JsonUtil.SortKeys(copy)!;
        }

        return JsonNode.DeepEquals(Comparable(a), Comparable(b));
    }
}
