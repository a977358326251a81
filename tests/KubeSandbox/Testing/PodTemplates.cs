using System.Text.Json.Nodes;
using KubeSandbox.Authorization;

namespace KubeSandbox.Testing;

/// <summary>A container of a pod spec found in an object: its name, image and JSON pointer to its image.</summary>
public sealed record ContainerImage(string Name, string Image, string ImagePointer);

/// <summary>Where the pod spec of a workload lives and which containers it runs (init containers after the others).</summary>
public static class PodTemplates
{
    /// <summary>The JSON pointer of the pod spec in an object of this kind, or null for kinds without one.</summary>
    public static string? PodSpecPointer(string kind) => kind switch
    {
        "Pod" => "/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        "DaemonSet" or "Deployment" or "StatefulSet" or "ReplicaSet" or "Job" or "ReplicationController" => "/spec/template/spec",
        _ => null,
    };

    public static IReadOnlyList<ContainerImage> Containers(JsonObject? obj, string kind)
    {
        var pointer = PodSpecPointer(kind);
        if (obj is null || pointer is null)
        {
            return [];
        }

        JsonNode? spec = obj;
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            spec = (spec as JsonObject)?[segment];
        }

        var result = new List<ContainerImage>();
        foreach (var list in new[] { "containers", "initContainers" })
        {
            if ((spec as JsonObject)?[list] is not JsonArray containers)
            {
                continue;
            }

            for (var i = 0; i < containers.Count; i++)
            {
                if (containers[i] is JsonObject container)
                {
                    result.Add(new ContainerImage(JsonRead.String(container["name"]) ?? "", JsonRead.String(container["image"]) ?? "", $"{pointer}/{list}/{i}/image"));
                }
            }
        }

        return result;
    }
}
