using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using k8s.Models;

namespace GuardDutyCoverage.Runtime;

/// <summary>Query parameters of a LIST.</summary>
public sealed record ListOptions
{
    public string? LabelSelector { get; init; }

    public string? FieldSelector { get; init; }

    /// <summary>Page size (<c>limit</c>); null or 0 for no paging.</summary>
    public int? Limit { get; init; }

    public string? Continue { get; init; }

    /// <summary>"" (or null) = most recent (quorum read), "0" = any (watch cache), otherwise not older than this RV.</summary>
    public string? ResourceVersion { get; init; }

    /// <summary><c>NotOlderThan</c> or <c>Exact</c>; only with a non-empty <see cref="ResourceVersion"/>.</summary>
    public string? ResourceVersionMatch { get; init; }

    public int? TimeoutSeconds { get; init; }
}

/// <summary>Query parameters of a WATCH.</summary>
public sealed record WatchOptions
{
    public string? LabelSelector { get; init; }

    public string? FieldSelector { get; init; }

    /// <summary>Start after this RV; null starts with synthetic ADDED events for the current state.</summary>
    public string? ResourceVersion { get; init; }

    public bool AllowWatchBookmarks { get; init; }

    /// <summary>The server closes the watch after this many seconds: a guard against silently hung connections.</summary>
    public int? TimeoutSeconds { get; init; }
}

/// <summary>Options of create, update and patch requests.</summary>
public sealed record WriteOptions
{
    public static WriteOptions Default { get; } = new();

    /// <summary><c>dryRun=All</c>: admission (webhooks included) runs, nothing is persisted.</summary>
    public bool DryRun { get; init; }

    public string? FieldManager { get; init; }

    /// <summary><c>Ignore</c>, <c>Warn</c> or <c>Strict</c>.</summary>
    public string? FieldValidation { get; init; }
}

/// <summary>Options of a DELETE.</summary>
public sealed record DeleteOptions
{
    public bool DryRun { get; init; }

    /// <summary><c>Orphan</c>, <c>Background</c> or <c>Foreground</c>.</summary>
    public string? PropagationPolicy { get; init; }

    public long? GracePeriodSeconds { get; init; }

    /// <summary>Delete only while the object still has this UID.</summary>
    public string? PreconditionUid { get; init; }

    /// <summary>Delete only while the object still has this resourceVersion.</summary>
    public string? PreconditionResourceVersion { get; init; }

    internal V1DeleteOptions ToModel() => new()
    {
        ApiVersion = "v1",
        Kind = "DeleteOptions",
        DryRun = DryRun ? ["All"] : null,
        PropagationPolicy = PropagationPolicy,
        GracePeriodSeconds = GracePeriodSeconds,
        Preconditions = PreconditionUid is null && PreconditionResourceVersion is null
            ? null
            : new V1Preconditions { Uid = PreconditionUid, ResourceVersion = PreconditionResourceVersion },
    };
}

/// <summary>A PATCH body with its content type.</summary>
public sealed class KubePatch
{
    public const string MergeContentType = "application/merge-patch+json";
    public const string JsonPatchContentType = "application/json-patch+json";
    public const string StrategicMergeContentType = "application/strategic-merge-patch+json";
    public const string ApplyContentType = "application/apply-patch+yaml";

    private KubePatch(string contentType, string body, bool force)
    {
        ContentType = contentType;
        Body = body;
        Force = force;
    }

    public string ContentType { get; }

    public string Body { get; }

    /// <summary>Server-side apply only: take ownership of conflicting fields (<c>force=true</c>).</summary>
    public bool Force { get; }

    public bool IsApply => ContentType == ApplyContentType;

    /// <summary>RFC 7386 JSON merge patch: null removes a key, arrays are replaced.</summary>
    public static KubePatch Merge(JsonNode patch) => new(MergeContentType, ToJson(patch), false);

    /// <summary>RFC 6902 JSON patch: a list of operations (<c>test</c>, <c>replace</c>, …).</summary>
    public static KubePatch Json(JsonArray operations) => new(JsonPatchContentType, ToJson(operations), false);

    /// <summary>Kubernetes strategic merge patch (built-in kinds only; lists merge by their patch keys).</summary>
    public static KubePatch StrategicMerge(JsonNode patch) => new(StrategicMergeContentType, ToJson(patch), false);

    /// <summary>Server-side apply of a full intent document (JSON is valid YAML). Needs a field manager in <see cref="WriteOptions"/>.</summary>
    public static KubePatch Apply(JsonNode intent, bool force = false) => new(ApplyContentType, ToJson(intent), force);

    public static KubePatch Apply<T>(T intent, JsonTypeInfo<T> typeInfo, bool force = false) =>
        new(ApplyContentType, JsonSerializer.Serialize(intent, typeInfo), force);

    /// <summary>Server-side apply of a YAML document as written.</summary>
    public static KubePatch ApplyYaml(string yaml, bool force = false) => new(ApplyContentType, yaml, force);

    internal HttpContent ToContent()
    {
        // No charset parameter: the content type is matched as a whole by some servers.
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Body));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(ContentType);
        return content;
    }

    private static string ToJson(JsonNode node) => node.ToJsonString();
}
