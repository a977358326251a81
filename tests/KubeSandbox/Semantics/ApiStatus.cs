using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

/// <summary>
/// The <c>Status</c> bodies kube-apiserver returns for the failures of the semantic modules, built exactly as
/// k8s.io/apimachinery's errors package builds them (member order included), so that the server and the tests share
/// one rendering.
/// </summary>
public static class ApiStatus
{
    /// <summary>
    /// 422 Invalid: <c>Kind.group "name" is invalid: cause</c> for one distinct cause, <c>[cause, cause]</c> for
    /// several, causes in <c>details.causes</c> in order (k8s-golden 12-15, 29).
    /// </summary>
    public static JsonObject Invalid(string kind, string group, string name, IReadOnlyList<FieldError> causes)
    {
        var qualifiedKind = group.Length == 0 ? kind : kind + "." + group;
        var aggregate = InvalidAggregate(causes);
        var message = aggregate is null
            ? $"{qualifiedKind} {GoFormat.Quote(name)} is invalid"
            : $"{qualifiedKind} {GoFormat.Quote(name)} is invalid: {aggregate}";
        var details = new JsonObject
        {
            ["name"] = name,
            ["group"] = group,
            ["kind"] = kind,
            ["causes"] = new JsonArray(causes.Select(c => (JsonNode)new JsonObject
            {
                ["reason"] = c.Reason,
                ["message"] = c.Message,
                ["field"] = c.Field,
            }).ToArray()),
        };
        return Failure(422, message, "Invalid", details);
    }

    /// <summary>The <c>field: message</c> text of causes as an aggregate error prints it (duplicates dropped).</summary>
    public static string? InvalidAggregate(IReadOnlyList<FieldError> causes)
    {
        var distinct = causes.Select(c => $"{c.Field}: {c.Message}").Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count switch
        {
            0 => null,
            1 => distinct[0],
            _ => "[" + string.Join(", ", distinct) + "]",
        };
    }

    /// <summary>409 Conflict of a server-side apply (k8s-golden 43): one cause per conflicting field.</summary>
    public static JsonObject ApplyConflict(IReadOnlyList<ApplyConflict> conflicts)
    {
        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {Describe(conflicts[0])}: {conflicts[0].Field}";
        }
        else
        {
            var lines = new List<string>();
            foreach (var group in conflicts.GroupBy(Describe).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                lines.Add($"conflicts with {group.Key}:");
                lines.AddRange(group.Select(c => "- " + c.Field));
            }

            message = $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
        }

        var details = new JsonObject
        {
            ["causes"] = new JsonArray(conflicts.Select(c => (JsonNode)new JsonObject
            {
                ["reason"] = "FieldManagerConflict",
                ["message"] = "conflict with " + Describe(c),
                ["field"] = c.Field,
            }).ToArray()),
        };
        return Failure(409, message, "Conflict", details);
    }

    /// <summary>How a conflict names the other manager: <c>"kubectl-edit" using apps/v1</c>, <c>"eks"</c> for an applier.</summary>
    private static string Describe(ApplyConflict conflict)
    {
        var text = GoFormat.Quote(conflict.Manager);
        if (!string.IsNullOrEmpty(conflict.Subresource))
        {
            text += $" with subresource {GoFormat.Quote(conflict.Subresource)}";
        }

        return conflict.Operation == "Update" ? $"{text} using {conflict.ApiVersion}" : text;
    }

    /// <summary>400 BadRequest with no details.</summary>
    public static JsonObject BadRequest(string message) => Failure(400, message, "BadRequest", null);

    /// <summary>415 UnsupportedMediaType, what a strategic merge patch of a custom resource gets.</summary>
    public static JsonObject UnsupportedMediaType(string message) => Failure(415, message, "UnsupportedMediaType", null);

    /// <summary>422 Invalid without causes, for patches that cannot be applied (lists of lists, retainKeys mismatches).</summary>
    public static JsonObject UnprocessableEntity(string message) => Failure(422, message, "Invalid", new JsonObject());

    /// <summary>500 InternalError: <c>Internal error occurred: message</c> with the message as the single cause.</summary>
    public static JsonObject InternalError(string message) => Failure(
        500,
        "Internal error occurred: " + message,
        "InternalError",
        new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = message }) });

    /// <summary>
    /// 500 for an error kube-apiserver does not classify (a plain Go error): no reason, no details, the error text as
    /// message, which kubectl prints as <c>Error from server: message</c>.
    /// </summary>
    public static JsonObject ServerError(string message) => Failure(500, message, null, null);

    /// <summary>
    /// metav1.Status of a failure, members in the order kube-apiserver serializes them (kind, apiVersion, metadata,
    /// status, message, reason, details, code) and empty ones omitted. The one builder every part of the sandbox uses.
    /// </summary>
    public static JsonObject Failure(int code, string message, string? reason, JsonObject? details, JsonObject? metadata = null, bool withCode = true)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata ?? new JsonObject(),
            ["status"] = "Failure",
        };
        if (message.Length > 0)
        {
            status["message"] = message;
        }

        if (!string.IsNullOrEmpty(reason))
        {
            status["reason"] = reason;
        }

        if (details is not null)
        {
            status["details"] = details;
        }

        if (withCode)
        {
            status["code"] = code;
        }

        return status;
    }

    /// <summary>apierrors.NewNotFound: <c>namespaces "x" not found</c>, details name/group/kind(=resource).</summary>
    public static JsonObject NotFound(string group, string resource, string name) =>
        Failure(404, $"{Qualified(group, resource)} {GoFormat.Quote(name)} not found", "NotFound", Details(name, group, resource));

    /// <summary>apierrors.NewForbidden, including its three message shapes.</summary>
    public static JsonObject Forbidden(string group, string resource, string name, string error)
    {
        var message = group.Length == 0 && resource.Length == 0 ? "forbidden: " + error
            : name.Length == 0 ? $"{Qualified(group, resource)} is forbidden: {error}"
            : $"{Qualified(group, resource)} {GoFormat.Quote(name)} is forbidden: {error}";
        return Failure(403, message, "Forbidden", Details(name, group, resource));
    }

    /// <summary>schema.GroupResource.String(): <c>resource.group</c>, or just the resource for the core group.</summary>
    public static string Qualified(string group, string resource) => group.Length == 0 ? resource : resource + "." + group;

    /// <summary>metav1.StatusDetails with omitempty members (an all-empty details serializes as <c>{}</c>).</summary>
    public static JsonObject Details(string? name, string? group, string? kind)
    {
        var details = new JsonObject();
        if (!string.IsNullOrEmpty(name))
        {
            details["name"] = name;
        }

        if (!string.IsNullOrEmpty(group))
        {
            details["group"] = group;
        }

        if (!string.IsNullOrEmpty(kind))
        {
            details["kind"] = kind;
        }

        return details;
    }
}

/// <summary>
/// A request the semantic modules refuse (a malformed patch, an apply configuration of the wrong version): the server
/// returns <see cref="Status"/> with <see cref="StatusCode"/> as is.
/// </summary>
public sealed class ApiStatusException : Exception
{
    public ApiStatusException(JsonObject status)
        : base(status["message"]?.GetValue<string>())
    {
        Status = status;
        StatusCode = status["code"]!.GetValue<int>();
    }

    public JsonObject Status { get; }

    public int StatusCode { get; }
}
