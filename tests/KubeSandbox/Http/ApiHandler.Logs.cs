using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Json;
using Microsoft.AspNetCore.Http;

namespace KubeSandbox.Http;

/// <summary>
/// <c>GET /api/v1/namespaces/{ns}/pods/{name}/log</c> as kube-apiserver serves it from the kubelet: plain text, the
/// container named by <c>container</c> (required when the pod has several), <c>previous=true</c> for the last
/// terminated instance (400 when there is none), <c>tailLines</c> then <c>limitBytes</c>. The text is what a test put
/// with <see cref="SandboxCluster.SetContainerLog"/>.
/// </summary>
internal sealed partial class ApiHandler
{
    private static bool IsPodLog(SandboxRequest info) =>
        info.Subresource == "log" && info.Group.Length == 0 && info.Resource == "pods" && info.Name is not null && info.Namespace is not null && info.Verb == "get";

    private async Task PodLogAsync(ApiRequest request)
    {
        var name = request.Name!;
        var pod = Store.Get(SandboxCluster.Key(request.Resource, request.Namespace!, name)) ?? throw ApiErrors.NotFound(request.Resource, name);
        var containers = (pod["spec"]?["containers"] as JsonArray ?? []).Select(c => JsonUtil.GetString(c, "name")).OfType<string>().ToList();
        var container = request.Query("container");
        if (string.IsNullOrEmpty(container))
        {
            container = containers.Count == 1
                ? containers[0]
                : throw ApiErrors.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", containers)}]");
        }
        else if (!containers.Contains(container, StringComparer.Ordinal))
        {
            throw ApiErrors.BadRequest($"container {container} is not valid for pod {name}");
        }

        var previous = request.QueryFlag("previous");
        var text = _cluster.ContainerLog(request.Namespace!, name, container, previous);
        if (text is null && previous)
        {
            throw ApiErrors.BadRequest($"previous terminated container \"{container}\" in pod \"{name}\" not found");
        }

        text ??= string.Empty;
        if (int.TryParse(request.Query("tailLines"), NumberStyles.None, CultureInfo.InvariantCulture, out var tail))
        {
            var lines = text.Split('\n');
            var complete = text.EndsWith('\n') ? lines[..^1] : lines;
            text = string.Concat(complete.TakeLast(tail).Select(l => l + "\n"));
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        if (int.TryParse(request.Query("limitBytes"), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit < bytes.Length)
        {
            bytes = bytes[..limit];
        }

        request.Http.Response.StatusCode = 200;
        request.Http.Response.ContentType = "text/plain";
        await request.Http.Response.Body.WriteAsync(bytes, request.Aborted).ConfigureAwait(false);
    }
}
