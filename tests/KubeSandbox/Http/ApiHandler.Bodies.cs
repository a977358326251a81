using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Json;
using KubeSandbox.Resources;
using KubeSandbox.Storage;

namespace KubeSandbox.Http;

/// <summary>Reading request bodies: size, media type, JSON/YAML/protobuf decoding, the TypeMeta and namespace every write checks.</summary>
internal sealed partial class ApiHandler
{
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
}
