using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Sandbox.Authorization;

/// <summary>
/// Builds metav1.Status bodies the way apimachinery's StatusError constructors do, with the members in the order
/// kube-apiserver serializes them (kind, apiVersion, metadata, status, message, reason, details, code) and empty
/// members omitted.
/// </summary>
internal static class ApiStatus
{
    public static JsonObject Failure(int code, string message, string? reason, JsonObject? details, JsonObject? metadata = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata ?? new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
        };
        if (!string.IsNullOrEmpty(reason))
        {
            status["reason"] = reason;
        }

        if (details is not null)
        {
            status["details"] = details;
        }

        status["code"] = code;
        return status;
    }

    /// <summary>apierrors.NewInternalError: 500, the error text repeated as the only cause.</summary>
    public static JsonObject InternalError(string error) =>
        Failure(500, "Internal error occurred: " + error, "InternalError", new JsonObject
        {
            ["causes"] = new JsonArray(new JsonObject { ["message"] = error }),
        });

    /// <summary>apierrors.NewBadRequest: 400 with no details.</summary>
    public static JsonObject BadRequest(string message) => Failure(400, message, "BadRequest", null);

    /// <summary>apierrors.NewNotFound: <c>namespaces "x" not found</c>, details name/group/kind(=resource).</summary>
    public static JsonObject NotFound(string group, string resource, string name) =>
        Failure(404, $"{Qualified(group, resource)} {GoString.Quote(name)} not found", "NotFound", Details(group, resource, name));

    /// <summary>apierrors.NewForbidden, including its three message shapes.</summary>
    public static JsonObject Forbidden(string group, string resource, string name, string error)
    {
        string message;
        if (group.Length == 0 && resource.Length == 0)
        {
            message = "forbidden: " + error;
        }
        else if (name.Length == 0)
        {
            message = $"{Qualified(group, resource)} is forbidden: {error}";
        }
        else
        {
            message = $"{Qualified(group, resource)} {GoString.Quote(name)} is forbidden: {error}";
        }

        return Failure(403, message, "Forbidden", Details(group, resource, name));
    }

    /// <summary>schema.GroupResource.String(): <c>resource.group</c>, or just the resource for the core group.</summary>
    public static string Qualified(string group, string resource) => group.Length == 0 ? resource : resource + "." + group;

    /// <summary>metav1.StatusDetails with omitempty members (an all-empty details serializes as <c>{}</c>).</summary>
    private static JsonObject Details(string group, string resource, string name)
    {
        var details = new JsonObject();
        if (name.Length > 0)
        {
            details["name"] = name;
        }

        if (group.Length > 0)
        {
            details["group"] = group;
        }

        if (resource.Length > 0)
        {
            details["kind"] = resource;
        }

        return details;
    }
}

/// <summary>Go's <c>%q</c> (strconv.Quote), which kube-apiserver uses in every message that names something.</summary>
internal static class GoString
{
    public static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('"');
        foreach (var rune in value.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\a': builder.Append("\\a"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\v': builder.Append("\\v"); break;
                default:
                    if (IsPrintable(rune))
                    {
                        builder.Append(rune.ToString());
                    }
                    else if (rune.Value < 0x80)
                    {
                        builder.Append("\\x").Append(rune.Value.ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (rune.Value <= 0xFFFF)
                    {
                        builder.Append("\\u").Append(rune.Value.ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append("\\U").Append(rune.Value.ToString("x8", CultureInfo.InvariantCulture));
                    }

                    break;
            }
        }

        builder.Append('"');
        return builder.ToString();
    }

    private static bool IsPrintable(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        return category is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator)
            && (category != UnicodeCategory.SpaceSeparator || rune.Value == ' ');
    }
}
