using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Runtime;

public enum StatusPatchOutcome
{
    /// <summary>The desired status equals the current one: nothing was sent.</summary>
    Unchanged,

    /// <summary>One PATCH to /status was accepted.</summary>
    Patched,

    /// <summary>409: the object changed since it was read. Requeue and reconcile from the fresh object.</summary>
    Conflict,

    /// <summary>404: the object is gone.</summary>
    NotFound,
}

public sealed record StatusPatchResult<T>(StatusPatchOutcome Outcome, T? Object, JsonNode? Patch)
    where T : class;

/// <summary>
/// Writes a resource's status as one JSON merge patch to the status subresource, only when it changed. The patch
/// is computed from the status the caller read to the desired one (removed keys as null, arrays replaced) and carries
/// <c>metadata.resourceVersion</c>, so a concurrent change makes it fail with 409 instead of overwriting newer state.
/// </summary>
public sealed class StatusPatcher(KubeApiClient client, string? fieldManager = null)
{
    /// <summary>
    /// Patches <paramref name="current"/>'s status (as <paramref name="statusOf"/> reads it) to
    /// <paramref name="desired"/> (null removes it). The comparison is semantic: both statuses are serialized with
    /// <paramref name="statusTypeInfo"/> and compared as JSON.
    /// </summary>
    public async Task<StatusPatchResult<T>> PatchStatusAsync<T, TStatus>(ResourceType<T> type, T current, Func<T, TStatus?> statusOf, TStatus? desired, JsonTypeInfo<TStatus> statusTypeInfo, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var patch = ComputePatch(current, statusOf(current), desired, statusTypeInfo);
        if (patch is null)
        {
            return new StatusPatchResult<T>(StatusPatchOutcome.Unchanged, current, null);
        }

        var name = current.Metadata?.Name ?? throw new ArgumentException("the object has no metadata.name", nameof(current));
        try
        {
            var updated = await client.PatchStatusAsync(
                type,
                name,
                type.Namespaced ? current.Metadata.NamespaceProperty : null,
                KubePatch.Merge(patch),
                new WriteOptions { FieldManager = fieldManager },
                cancellationToken).ConfigureAwait(false);
            return new StatusPatchResult<T>(StatusPatchOutcome.Patched, updated, patch);
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            return new StatusPatchResult<T>(StatusPatchOutcome.Conflict, null, patch);
        }
        catch (KubeApiException e) when (e.IsNotFound && e.Reason == "NotFound")
        {
            return new StatusPatchResult<T>(StatusPatchOutcome.NotFound, null, patch);
        }
    }

    /// <summary>The merge patch that would be sent, or null when the status is unchanged.</summary>
    public static JsonObject? ComputePatch<T, TStatus>(T current, TStatus? currentStatus, TStatus? desired, JsonTypeInfo<TStatus> statusTypeInfo)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var observedStatus = currentStatus is null ? null : JsonSerializer.SerializeToNode(currentStatus, statusTypeInfo);
        var desiredStatus = desired is null ? null : JsonSerializer.SerializeToNode(desired, statusTypeInfo);
        if (MergePatch.Create(new JsonObject { ["status"] = observedStatus }, new JsonObject { ["status"] = desiredStatus }) is not JsonObject patch)
        {
            return null;
        }

        if (current.Metadata?.ResourceVersion is { Length: > 0 } resourceVersion)
        {
            patch["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion };
        }

        return patch;
    }
}
