using System.Globalization;
using System.Text.Json.Nodes;
using KubeSandbox.Json;
using KubeSandbox.Storage;

namespace KubeSandbox.Http;

/// <summary>DELETE and deletecollection: preconditions, finalizers, and the namespace and CRD deletion controllers.</summary>
internal sealed partial class ApiHandler
{
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
        if (DeletionControllers.Handles(resource))
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
    /// are removed and the object goes away (k8s-golden 66, 67). The sandbox runs that controller at once
    /// (<see cref="DeletionControllers"/>).
    /// </summary>
    private async Task DeleteWithControllerAsync(ApiRequest request, JsonObject current, long currentRv, bool dryRun, string now)
    {
        var resource = request.Resource;
        var name = request.Name!;
        var key = SandboxCluster.Key(resource, string.Empty, name);
        var marked = SandboxCluster.Normalize(resource, DeletionControllers.MarkTerminating(resource, current, now));
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

        DeletionControllers.RemoveContents(_cluster, resource, name);
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

}
