using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KubeSandbox.Json;
using KubeSandbox.Resources;
using KubeSandbox.Semantics;
using KubeSandbox.Storage;

namespace KubeSandbox.Http;

/// <summary>POST: create (generateName, dryRun, fieldValidation) and the decode step every write shares.</summary>
internal sealed partial class ApiHandler
{
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
        if (resource.IsCustomResourceDefinition)
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
