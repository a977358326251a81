using System.Text.Json.Nodes;
using KubeSandbox.Json;
using KubeSandbox.Resources;

namespace KubeSandbox.Http;

/// <summary>
/// The controllers that finish deleting namespaces (kube-controller-manager's namespace controller) and
/// CustomResourceDefinitions (apiextensions' finalizer), run synchronously: the object is marked Terminating as
/// kube-apiserver marks it (k8s-golden 66, 67), its contents are removed, then the object goes.
/// </summary>
internal static class DeletionControllers
{
    private const string CrdCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    /// <summary>Namespaces and CRDs: deleting them is a controller's work, not a plain storage delete.</summary>
    public static bool Handles(ServedResource resource) => resource.IsCustomResourceDefinition || (resource.Group.Length == 0 && resource.Resource == "namespaces");

    /// <summary>
    /// The object as the API server stores it when its deletion starts: a deletionTimestamp, and for a CRD the cleanup
    /// finalizer and a Terminating condition, for a namespace <c>status.phase: Terminating</c>.
    /// </summary>
    public static JsonObject MarkTerminating(ServedResource resource, JsonObject current, string now)
    {
        var marked = JsonUtil.Clone(current);
        var metadata = JsonUtil.Metadata(marked);
        metadata["deletionTimestamp"] ??= now;
        if (!resource.IsCustomResourceDefinition)
        {
            marked["status"] = new JsonObject { ["phase"] = "Terminating" };
            return marked;
        }

        var finalizers = metadata["finalizers"] as JsonArray ?? [];
        if (!finalizers.Any(f => JsonUtil.ScalarText(f) == CrdCleanupFinalizer))
        {
            finalizers.Add(CrdCleanupFinalizer);
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
        return marked;
    }

    /// <summary>What the controller deletes before the object itself: a CRD's custom resources, a namespace's contents.</summary>
    public static void RemoveContents(SandboxCluster cluster, ServedResource resource, string name)
    {
        if (resource.IsCustomResourceDefinition)
        {
            cluster.RemoveCustomResources(name);
        }
        else
        {
            cluster.RemoveNamespaceContents(name);
        }
    }
}
