using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Json;
using KubeSandbox.Semantics;

namespace KubeSandbox.Http;

/// <summary>PATCH: JSON patch, merge patch, strategic merge patch and server-side apply, each turned into an update.</summary>
internal sealed partial class ApiHandler
{
    private static readonly string[] PatchTypesBuiltin = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];
    private static readonly string[] PatchTypesCustom = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];

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
            _ => current => JsonMergePatch.Apply(current, patch) as JsonObject ?? throw ApiErrors.BadRequest("the patch is not a JSON object"),
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
}
