using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Authorization;
using KubeSandbox.Json;
using KubeSandbox.Resources;
using KubeSandbox.Semantics;
using KubeSandbox.Storage;

namespace KubeSandbox.Http;

/// <summary>The write verbs: create, update, patch (four patch types), delete, deletecollection, and access reviews.</summary>
internal sealed partial class ApiHandler
{
    private const int MaxUpdateAttempts = 8;

    private static readonly string[] PatchTypesBuiltin = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];
    private static readonly string[] PatchTypesCustom = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];

    private async Task<byte[]> ReadBodyAsync(ApiRequest request)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Http.Request.Body.ReadAsync(chunk, request.Aborted).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                throw new ApiException(413, ApiErrors.Status(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728", null));
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a JSON (or YAML) object body; malformed input is a 400 with the parser's message.</summary>
    private async Task<JsonObject> ReadObjectAsync(ApiRequest request)
    {
        var body = await ReadBodyAsync(request).ConfigureAwait(false);
        var mediaType = MediaType(request.Http.Request.ContentType);
        JsonNode? node;
        if (mediaType is "application/yaml" or "application/x-yaml")
        {
            try
            {
                var documents = YamlJson.ParseDocuments(Encoding.UTF8.GetString(body));
                node = documents.Count == 1 ? documents[0] : throw ApiErrors.BadRequest("expected exactly one YAML document");
            }
            catch (FormatException ex)
            {
                throw ApiErrors.BadRequest($"error converting YAML to JSON: {ex.Message}");
            }
        }
        else if (mediaType is "" or "application/json" or "*/*")
        {
            node = JsonUtil.TryParse(body, out var error);
            if (error is not null)
            {
                throw ApiErrors.BadRequest($"couldn't get version/kind; json parse error: {error}");
            }
        }
        else if (mediaType == "application/vnd.kubernetes.protobuf" && KubeProtobuf.CanDecode(request.Resource.Kind))
        {
            try
            {
                node = KubeProtobuf.Decode(body);
            }
            catch (ProtobufFormatException ex)
            {
                throw ApiErrors.BadRequest(ex.Message);
            }
        }
        else
        {
            throw ApiErrors.UnsupportedMediaType(["application/json", "application/yaml"]);
        }

        return node as JsonObject ?? throw ApiErrors.BadRequest("the object provided is unrecognized (must be of type " + request.Resource.Kind + ")");
    }

    private static string MediaType(string? contentType) =>
        (contentType ?? string.Empty).Split(';')[0].Trim().ToLowerInvariant();

    private static void CheckTypeMeta(ServedResource resource, JsonObject obj)
    {
        var apiVersion = JsonUtil.GetString(obj, "apiVersion");
        var kind = JsonUtil.GetString(obj, "kind");
        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != resource.ApiVersion)
        {
            throw ApiErrors.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({resource.ApiVersion})");
        }

        if (!string.IsNullOrEmpty(kind) && kind != resource.Kind)
        {
            throw ApiErrors.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({resource.Kind})");
        }

        obj["apiVersion"] = resource.ApiVersion;
        obj["kind"] = resource.Kind;
    }

    private void CheckNamespace(ApiRequest request, JsonObject obj)
    {
        var metadata = JsonUtil.Metadata(obj);
        if (!request.Resource.Info.Namespaced)
        {
            metadata.Remove("namespace");
            return;
        }

        var bodyNamespace = JsonUtil.GetString(metadata, "namespace");
        if (!string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != request.Namespace)
        {
            throw ApiErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        metadata["namespace"] = request.Namespace;
    }

    private JsonObject? NamespaceObject(string? ns) =>
        string.IsNullOrEmpty(ns) ? null : Store.Get(new ObjectKey(new ResourceKey(string.Empty, "namespaces"), string.Empty, ns));

    private async Task CreateAsync(ApiRequest request)
    {
        _ = request.FieldValidation;
        var resource = request.Resource;
        var obj = await ReadObjectAsync(request).ConfigureAwait(false);
        CheckTypeMeta(resource, obj);
        CheckNamespace(request, obj);
        var metadata = JsonUtil.Metadata(obj);
        var name = JsonUtil.GetString(metadata, "name");
        if (string.IsNullOrEmpty(name) && JsonUtil.GetString(metadata, "generateName") is { Length: > 0 } prefix)
        {
            name = prefix + RandomSuffix();
            metadata["name"] = name;
        }

        if (string.IsNullOrEmpty(name))
        {
            throw ApiErrors.Invalid(resource, string.Empty, [new FieldError("FieldValueRequired", "metadata.name", "Required value: name or generateName is required")]);
        }

        if (!string.IsNullOrEmpty(JsonUtil.GetString(metadata, "resourceVersion")))
        {
            throw ApiErrors.BadRequest("resourceVersion should not be set on objects to be created");
        }

        metadata.Remove("managedFields");
        Decode(request, obj, checkUnknownFields: true);
        if (_options.FieldManager is { } fieldManager)
        {
            JsonUtil.Metadata(obj)["managedFields"] = fieldManager.UpdateManagedFields(null, obj, resource.Info, request.FieldManager, null, Time.GetUtcNow());
        }

        await CreateCoreAsync(request, obj, name, "CreateOptions").ConfigureAwait(false);
    }

    /// <summary>
    /// The create path after decoding and managedFields, in kube-apiserver's order: namespace lifecycle, mutating
    /// admission, the create strategy (system fields, status reset), validation (422), validating admission, storage.
    /// </summary>
    private async Task CreateCoreAsync(ApiRequest request, JsonObject obj, string name, string optionsKind)
    {
        var resource = request.Resource;
        var dryRun = request.DryRun;
        if (resource.Info.Namespaced && NamespaceObject(request.Namespace) is null)
        {
            throw ApiErrors.NotFound(string.Empty, "namespaces", request.Namespace!);
        }

        obj = await MutateAsync(request, "CREATE", name, obj, null, dryRun, optionsKind).ConfigureAwait(false);
        var metadata = JsonUtil.Metadata(obj);
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = JsonUtil.FormatTime(Time.GetUtcNow());
        metadata.Remove("deletionTimestamp");
        metadata.Remove("deletionGracePeriodSeconds");
        metadata.Remove("selfLink");
        if (resource.TracksGeneration)
        {
            metadata["generation"] = 1;
        }
        else
        {
            metadata.Remove("generation");
        }

        BuiltinDefaults.PrepareForCreate(resource, obj);
        ValidateBuiltin(resource, obj, name);
        ValidateCustomResource(resource, obj, name);
        await ValidateAdmissionAsync(request, "CREATE", name, obj, null, dryRun, optionsKind).ConfigureAwait(false);
        obj = SandboxCluster.Normalize(resource, obj);
        var key = SandboxCluster.Key(resource, request.Namespace ?? string.Empty, name);
        if (dryRun)
        {
            if (Store.Get(key) is not null)
            {
                throw ApiErrors.AlreadyExists(resource, name);
            }

            await WriteJsonAsync(request.Http, 201, obj).ConfigureAwait(false);
            return;
        }

        var result = Store.Create(key, resource.ToStorage(obj));
        if (result.Error == CommitError.AlreadyExists)
        {
            throw optionsKind == "PatchOptions" ? ApiErrors.Conflict(resource, name) : ApiErrors.AlreadyExists(resource, name);
        }

        var created = resource.Present(result.Object!);
        if (IsCrd(resource))
        {
            // The response shows the CRD as written; the establishing controller updates it right after (k8s-golden 04, 05).
            _cluster.EstablishCrd(created);
        }

        _cluster.Committed(resource, created);
        await WriteJsonAsync(request.Http, 201, created).ConfigureAwait(false);
    }

    /// <summary>
    /// What decoding a request body does to it: custom resources are pruned (unknown fields refused or reported per
    /// <c>fieldValidation</c>) and defaulted from their schema; built-ins get their API defaults and Go's round trip
    /// (omitempty, always-written fields, the conversion of the DaemonSet template generation).
    /// </summary>
    private void Decode(ApiRequest request, JsonObject obj, bool checkUnknownFields)
    {
        var resource = request.Resource;
        if (!resource.Info.IsCustomResource)
        {
            BuiltinDefaults.Default(resource, obj);
            BuiltinDefaults.Convert(resource, obj);
            BuiltinObjects.Normalize(obj, resource.Info);
            return;
        }

        if (_options.SchemaValidator is not { } validator)
        {
            return;
        }

        var unknown = validator.PruneAndDefault(obj, resource.Info);
        if (!checkUnknownFields || unknown.Count == 0)
        {
            return;
        }

        var errors = unknown.Select(path => $"unknown field {GoFormat.Quote(path)}").ToList();
        switch (request.FieldValidation)
        {
            case "Strict":
                throw ApiErrors.BadRequest("strict decoding error: " + string.Join(", ", errors));
            case "Warn":
                foreach (var error in errors)
                {
                    request.Warn(error);
                }

                break;
        }
    }

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

    private async Task PatchAsync(ApiRequest request)
    {
        _ = request.FieldValidation;
        var resource = request.Resource;
        var mediaType = MediaType(request.Http.Request.ContentType);
        // Strategic merge and apply are structured merges: without a field manager they are not served.
        var supported = (resource.Info.IsCustomResource ? PatchTypesCustom : PatchTypesBuiltin)
            .Where(t => t is not ("application/apply-patch+yaml" or "application/strategic-merge-patch+json") || _options.FieldManager is not null)
            .ToList();
        if (!supported.Contains(mediaType))
        {
            throw ApiErrors.UnsupportedMediaType(supported);
        }

        var body = await ReadBodyAsync(request).ConfigureAwait(false);
        if (mediaType == "application/apply-patch+yaml")
        {
            await ApplyAsync(request, body).ConfigureAwait(false);
            return;
        }

        var patch = JsonUtil.TryParse(body, out var error);
        if (error is not null)
        {
            throw ApiErrors.BadRequest($"error decoding patch: {error}");
        }

        Func<JsonObject, JsonObject> mutate = mediaType switch
        {
            "application/json-patch+json" => current =>
            {
                try
                {
                    return Patches.JsonPatch(current, patch) as JsonObject ?? throw ApiErrors.GenericInvalid();
                }
                catch (PatchFormatException ex)
                {
                    throw ApiErrors.BadRequest(ex.Message);
                }
                catch (PatchApplyException)
                {
                    throw ApiErrors.GenericInvalid();
                }
            },
            "application/strategic-merge-patch+json" => current =>
                _options.FieldManager!.StrategicMergePatch(current, patch as JsonObject ?? throw ApiErrors.BadRequest("the patch is not a JSON object"), resource.Info),
            _ => current => Patches.MergePatch(current, patch) as JsonObject ?? throw ApiErrors.BadRequest("the patch is not a JSON object"),
        };
        await UpdateCoreAsync(request, mutate, "patch").ConfigureAwait(false);
    }

    private async Task ApplyAsync(ApiRequest request, byte[] body)
    {
        var fieldManager = _options.FieldManager!;
        var resource = request.Resource;
        if (string.IsNullOrEmpty(request.Query("fieldManager")))
        {
            throw new ApiException(422, ApiErrors.Status(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch", ApiErrors.Details(null, "meta.k8s.io", "PatchOptions")));
        }

        JsonObject configuration;
        try
        {
            var documents = YamlJson.ParseDocuments(Encoding.UTF8.GetString(body));
            configuration = documents.Count == 1 && documents[0] is JsonObject single ? single : throw ApiErrors.BadRequest("apply patch must be one YAML or JSON object");
        }
        catch (FormatException ex)
        {
            throw ApiErrors.BadRequest($"error decoding YAML: {ex.Message}");
        }

        // apiVersion and kind are checked by the field manager, with its own wording.
        var force = request.QueryFlag("force");
        var key = SandboxCluster.Key(resource, request.Namespace ?? string.Empty, request.Name!);
        if (Store.Get(key) is null)
        {
            if (request.Subresource is not null)
            {
                throw ApiErrors.NotFound(resource, request.Name!);
            }

            CheckNamespace(request, configuration);
            var outcome = fieldManager.Apply(null, configuration, resource.Info, request.FieldManager, force, null, Time.GetUtcNow());
            ThrowOnConflicts(outcome);
            var created = outcome.Result!;
            JsonUtil.Metadata(created)["name"] = request.Name;
            Decode(request, created, checkUnknownFields: false);
            await CreateCoreAsync(request, created, request.Name!, "PatchOptions").ConfigureAwait(false);
            return;
        }

        await UpdateCoreAsync(
            request,
            current =>
            {
                var outcome = fieldManager.Apply(current, configuration, resource.Info, request.FieldManager, force, request.Subresource, Time.GetUtcNow());
                ThrowOnConflicts(outcome);
                return outcome.Result!;
            },
            "apply").ConfigureAwait(false);
    }

    private static void ThrowOnConflicts(ApplyOutcome outcome)
    {
        if (outcome.Conflicts.Count > 0 || outcome.Result is null)
        {
            throw new ApiException(409, ApiStatus.ApplyConflict(outcome.Conflicts));
        }
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

            if (IsCrd(resource) && !finishingDeletion && request.Subresource is null)
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

    /// <summary>The custom resource strategy's validation: ObjectMeta and the CRD schema (422, k8s-golden 12-15, 29).</summary>
    private void ValidateCustomResource(ServedResource resource, JsonObject obj, string name)
    {
        if (resource.Info.IsCustomResource && _options.SchemaValidator is { } validator)
        {
            var causes = validator.Validate(obj, resource.Info);
            if (causes.Count > 0)
            {
                throw new ApiException(422, ApiStatus.Invalid(resource.Kind, resource.Group, name, causes));
            }
        }
    }

    /// <summary>The few built-in validations the sandbox needs to keep its own state consistent.</summary>
    private static void ValidateBuiltin(ServedResource resource, JsonObject obj, string name)
    {
        if (IsCrd(resource))
        {
            var group = JsonUtil.GetString(obj, "spec", "group") ?? string.Empty;
            var plural = JsonUtil.GetString(obj, "spec", "names", "plural") ?? string.Empty;
            var causes = new List<FieldError>();
            if (name != $"{plural}.{group}")
            {
                causes.Add(new FieldError("FieldValueInvalid", "metadata.name", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"));
            }

            if (string.IsNullOrEmpty(JsonUtil.GetString(obj, "spec", "names", "kind")))
            {
                causes.Add(new FieldError("FieldValueRequired", "spec.names.kind", "Required value"));
            }

            var versions = obj["spec"]?["versions"] as JsonArray ?? [];
            if (versions.Count == 0)
            {
                causes.Add(new FieldError("FieldValueInvalid", "spec.versions", "Invalid value: null: must have exactly one version marked as storage version"));
            }

            if (causes.Count > 0)
            {
                throw ApiErrors.Invalid(resource, name, causes);
            }
        }
    }

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

    private async Task DeleteAsync(ApiRequest request)
    {
        var resource = request.Resource;
        var name = request.Name!;
        if (request.Subresource is not null)
        {
            throw ApiErrors.MethodNotAllowed();
        }

        var dryRun = request.DryRun;
        var body = await ReadBodyAsync(request).ConfigureAwait(false);
        JsonObject? options = null;
        if (body.Length > 0)
        {
            options = JsonUtil.TryParse(body, out var error) as JsonObject;
            if (error is not null || options is null)
            {
                throw ApiErrors.BadRequest($"error decoding DeleteOptions: {error ?? "not an object"}");
            }

            dryRun |= options["dryRun"] is JsonArray { Count: > 0 };
        }

        var key = SandboxCluster.Key(resource, request.Namespace ?? string.Empty, name);
        var (stored, currentRv) = Store.GetWithRv(key);
        if (stored is null)
        {
            throw ApiErrors.NotFound(resource, name);
        }

        var current = resource.Present(stored);

        var uid = JsonUtil.GetString(current, "metadata", "uid");
        if (JsonUtil.GetString(options, "preconditions", "uid") is { Length: > 0 } wantedUid && wantedUid != uid)
        {
            throw ApiErrors.Conflict(resource, name, $"Precondition failed: UID in precondition: {wantedUid}, UID in object meta: {uid}");
        }

        var rvText = currentRv.ToString(CultureInfo.InvariantCulture);
        if (JsonUtil.GetString(options, "preconditions", "resourceVersion") is { Length: > 0 } wantedRv && wantedRv != rvText)
        {
            throw ApiErrors.Conflict(resource, name, $"Precondition failed: ResourceVersion in precondition: {wantedRv}, ResourceVersion in object meta: {rvText}");
        }

        await AdmitDeletionAsync(request, name, current, dryRun).ConfigureAwait(false);
        var finalizers = current["metadata"]?["finalizers"] as JsonArray ?? [];
        var now = JsonUtil.FormatTime(Time.GetUtcNow());
        if (IsCrd(resource) || (resource.Group.Length == 0 && resource.Resource == "namespaces"))
        {
            await DeleteWithControllerAsync(request, current, currentRv, dryRun, now).ConfigureAwait(false);
            return;
        }

        if (finalizers.Count > 0)
        {
            // Pending deletion: the object stays, marked, until its finalizers are removed.
            if (JsonUtil.GetString(current, "metadata", "deletionTimestamp") is not null || dryRun)
            {
                await WriteJsonAsync(request.Http, 200, current).ConfigureAwait(false);
                return;
            }

            var marked = JsonUtil.Clone(current);
            JsonUtil.Metadata(marked)["deletionTimestamp"] = now;
            JsonUtil.Metadata(marked)["deletionGracePeriodSeconds"] = 0;
            var updated = Store.Update(key, resource.ToStorage(SandboxCluster.Normalize(resource, marked)), currentRv);
            if (updated.Error != CommitError.None)
            {
                throw updated.Error == CommitError.NotFound ? ApiErrors.NotFound(resource, name) : ApiErrors.Conflict(resource, name);
            }

            await WriteJsonAsync(request.Http, 200, resource.Present(updated.Object!)).ConfigureAwait(false);
            return;
        }

        JsonObject deleted = current;
        if (!dryRun)
        {
            var result = Store.Delete(key, 0);
            if (result.Error == CommitError.NotFound)
            {
                throw ApiErrors.NotFound(resource, name);
            }

            deleted = resource.Present(result.Object!);
            _cluster.Committed(resource);
        }

        if (resource.ReturnsDeletedObject)
        {
            await WriteJsonAsync(request.Http, 200, deleted).ConfigureAwait(false);
            return;
        }

        var details = ApiErrors.Details(name, resource.Group, resource.Resource);
        details["uid"] = uid;
        var success = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
        await WriteJsonAsync(request.Http, 200, success).ConfigureAwait(false);
    }

    /// <summary>
    /// Namespaces and CRDs are deleted by a controller: the object is marked (Terminating), returned, then its contents
    /// are removed and the object goes away (k8s-golden 66, 67). The sandbox runs that controller at once.
    /// </summary>
    private async Task DeleteWithControllerAsync(ApiRequest request, JsonObject current, long currentRv, bool dryRun, string now)
    {
        var resource = request.Resource;
        var name = request.Name!;
        var key = SandboxCluster.Key(resource, string.Empty, name);
        var marked = JsonUtil.Clone(current);
        var metadata = JsonUtil.Metadata(marked);
        metadata["deletionTimestamp"] ??= now;
        if (IsCrd(resource))
        {
            var finalizers = metadata["finalizers"] as JsonArray ?? [];
            if (!finalizers.Any(f => JsonUtil.ScalarText(f) == "customresourcecleanup.apiextensions.k8s.io"))
            {
                finalizers.Add("customresourcecleanup.apiextensions.k8s.io");
            }

            metadata["finalizers"] = finalizers.DeepClone();
            var status = marked["status"] as JsonObject ?? new JsonObject();
            marked["status"] = status;
            var conditions = status["conditions"] as JsonArray ?? [];
            if (!conditions.Any(c => JsonUtil.GetString(c, "type") == "Terminating"))
            {
                conditions.Add(new JsonObject
                {
                    ["type"] = "Terminating",
                    ["status"] = "True",
                    ["lastTransitionTime"] = now,
                    ["reason"] = "InstanceDeletionPending",
                    ["message"] = "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
                });
            }

            status["conditions"] = conditions.DeepClone();
        }
        else
        {
            marked["status"] = new JsonObject { ["phase"] = "Terminating" };
        }

        marked = SandboxCluster.Normalize(resource, marked);
        if (dryRun)
        {
            await WriteJsonAsync(request.Http, 200, marked).ConfigureAwait(false);
            return;
        }

        var result = Store.Update(key, marked, currentRv);
        if (result.Error != CommitError.None)
        {
            throw result.Error == CommitError.NotFound ? ApiErrors.NotFound(resource, name) : ApiErrors.Conflict(resource, name);
        }

        if (IsCrd(resource))
        {
            _cluster.RemoveCustomResources(name);
        }
        else
        {
            _cluster.RemoveNamespaceContents(name);
        }

        Store.Delete(key, 0);
        await WriteJsonAsync(request.Http, 200, result.Object!).ConfigureAwait(false);
    }

    private async Task DeleteCollectionAsync(ApiRequest request)
    {
        var resource = request.Resource;
        var dryRun = request.DryRun;
        var filter = Filter(request);
        var items = Store.List(resource.StorageKey, filter, sorted: true).Items.Select(resource.Present).ToList();
        var deleted = new JsonArray();
        foreach (var item in items)
        {
            var name = JsonUtil.GetString(item, "metadata", "name")!;
            var key = SandboxCluster.Key(resource, JsonUtil.GetString(item, "metadata", "namespace") ?? string.Empty, name);
            if (dryRun)
            {
                deleted.Add(item);
                continue;
            }

            var finalizers = item["metadata"]?["finalizers"] as JsonArray ?? [];
            if (finalizers.Count > 0)
            {
                var marked = JsonUtil.Clone(item);
                JsonUtil.Metadata(marked)["deletionTimestamp"] ??= JsonUtil.FormatTime(Time.GetUtcNow());
                JsonUtil.Metadata(marked)["deletionGracePeriodSeconds"] = 0;
                if (Store.Update(key, resource.ToStorage(marked), 0).Object is { } updated)
                {
                    deleted.Add(resource.Present(updated));
                }
            }
            else if (Store.Delete(key, 0).Object is { } removed)
            {
                deleted.Add(resource.Present(removed));
            }
        }

        if (!dryRun && deleted.Count > 0)
        {
            _cluster.Committed(resource);
        }

        var list = new JsonObject
        {
            ["kind"] = resource.ListKind,
            ["apiVersion"] = resource.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = Store.CurrentRv.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        };
        await WriteJsonAsync(request.Http, 200, list).ConfigureAwait(false);
    }

    /// <summary>Subject/Local/SelfSubjectAccessReview and TokenReview: evaluated, returned with status, never stored (k8s-golden 46, 49).</summary>
    private async Task ReviewAsync(ApiRequest request)
    {
        var review = await ReadObjectAsync(request).ConfigureAwait(false);
        CheckTypeMeta(request.Resource, review);
        if (request.Resource.Resource == "tokenreviews")
        {
            await TokenReviewAsync(request, review["spec"] as JsonObject ?? []).ConfigureAwait(false);
            return;
        }

        var authorizer = _authorizer ?? AllowAll.Instance;
        var result = request.Resource.Resource switch
        {
            "selfsubjectaccessreviews" => SubjectAccessReviews.EvaluateSelf(review, request.User, authorizer),
            "localsubjectaccessreviews" => SubjectAccessReviews.EvaluateLocal(review, request.Namespace ?? string.Empty, authorizer),
            _ => SubjectAccessReviews.Evaluate(review, authorizer),
        };
        if (!result.IsValid)
        {
            throw ApiErrors.Invalid(request.Resource, string.Empty, result.Errors);
        }

        var metadata = new JsonObject { ["creationTimestamp"] = null };
        if (_options.FieldManager is { } fieldManager)
        {
            metadata["managedFields"] = fieldManager.UpdateManagedFields(null, review, request.Resource.Info, request.FieldManager, null, Time.GetUtcNow());
        }

        if (request.Resource.Resource == "localsubjectaccessreviews")
        {
            metadata["namespace"] = request.Namespace;
        }

        var response = new JsonObject
        {
            ["kind"] = request.Resource.Kind,
            ["apiVersion"] = request.Resource.ApiVersion,
            ["metadata"] = metadata,
            ["spec"] = result.Spec,
            ["status"] = result.Status,
        };
        await WriteJsonAsync(request.Http, 201, response).ConfigureAwait(false);
    }

    /// <summary>TokenReview: authenticates the token as the sandbox's authenticator does.</summary>
    private async Task TokenReviewAsync(ApiRequest request, JsonObject spec)
    {
        var token = JsonUtil.GetString(spec, "token") ?? string.Empty;
        var status = new JsonObject();
        if (_tokens.Authenticate(token) is { } user)
        {
            status["authenticated"] = true;
            var userObject = new JsonObject { ["username"] = user.Name };
            if (user.Uid is not null)
            {
                userObject["uid"] = user.Uid;
            }

            userObject["groups"] = new JsonArray(user.Groups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray());
            status["user"] = userObject;
        }
        else
        {
            status["user"] = new JsonObject();
            status["error"] = "invalid bearer token";
        }

        var response = new JsonObject
        {
            ["kind"] = "TokenReview",
            ["apiVersion"] = request.Resource.ApiVersion,
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec.DeepClone(),
            ["status"] = status,
        };
        await WriteJsonAsync(request.Http, 201, response).ConfigureAwait(false);
    }

    /// <summary>What access reviews answer when no authorizer is plugged in (kube-apiserver's AlwaysAllow mode).</summary>
    private sealed class AllowAll : IAuthorizer
    {
        public static readonly AllowAll Instance = new();

        public AuthorizationDecision Authorize(AuthorizationAttributes attributes) => new(true, string.Empty);
    }

    private static bool IsCrd(ServedResource resource) => resource.Group == "apiextensions.k8s.io" && resource.Resource == "customresourcedefinitions";

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        Span<char> chars = stackalloc char[5];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return new string(chars);
    }
}
