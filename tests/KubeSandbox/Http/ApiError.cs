using System.Text.Json.Nodes;
using KubeSandbox.Resources;
using KubeSandbox.Semantics;

namespace KubeSandbox.Http;

/// <summary>A failed request: the HTTP status code and the <c>Status</c> body kube-apiserver would send.</summary>
internal sealed class ApiException(int code, JsonObject status, IReadOnlyDictionary<string, string>? headers = null)
    : Exception(status["message"]?.GetValue<string>() ?? $"status {code}")
{
    public int Code { get; } = code;

    public JsonObject Status { get; } = status;

    public IReadOnlyDictionary<string, string>? Headers { get; } = headers;
}

/// <summary>Status bodies worded exactly as kube-apiserver words them (k8s.io/apimachinery/pkg/api/errors).</summary>
internal static class ApiErrors
{
    public static JsonObject Status(int code, string? reason, string message, JsonObject? details, bool withCode = true) =>
        ApiStatus.Failure(code, message, reason, details, withCode: withCode);

    public static JsonObject Details(string? name, string? group, string? kind) => ApiStatus.Details(name, group, kind);

    public static ApiException NotFound(ServedResource resource, string name) => NotFound(resource.Group, resource.Resource, name);

    public static ApiException NotFound(string group, string resource, string name) => new(
        404,
        Status(404, "NotFound", $"{Qualified(group, resource)} \"{name}\" not found", Details(name, group, resource)));

    public static ApiException AlreadyExists(ServedResource resource, string name) => new(
        409,
        Status(409, "AlreadyExists", $"{resource.QualifiedResource} \"{name}\" already exists", Details(name, resource.Group, resource.Resource)));

    public const string ModifiedMessage = "the object has been modified; please apply your changes to the latest version and try again";

    public static ApiException Conflict(ServedResource resource, string name, string detail = ModifiedMessage) => new(
        409,
        Status(409, "Conflict", $"Operation cannot be fulfilled on {resource.QualifiedResource} \"{name}\": {detail}", Details(name, resource.Group, resource.Resource)));

    public static ApiException Invalid(ServedResource resource, string name, IReadOnlyList<FieldError> causes)
    {
        var summary = Semantics.ApiStatus.InvalidAggregate(causes);
        var details = Details(name, resource.Group, resource.Kind);
        details["causes"] = new JsonArray(causes.Select(c => (JsonNode?)new JsonObject
        {
            ["reason"] = c.Reason,
            ["message"] = c.Message,
            ["field"] = c.Field,
        }).ToArray());
        return new ApiException(422, Status(422, "Invalid", $"{resource.QualifiedKind} \"{name}\" is invalid: {summary}", details));
    }

    /// <summary>422 as <c>NewGenericServerResponse</c> words it: a generic message and empty details (k8s-golden 28).</summary>
    public static ApiException GenericInvalid() =>
        new(422, Status(422, "Invalid", "the server rejected our request due to an error in our request", new JsonObject()));

    public static ApiException BadRequest(string message) => new(400, Status(400, "BadRequest", message, null));

    public static ApiException Expired(string message) => new(410, Status(410, "Expired", message, null));

    public static ApiException MethodNotAllowed() =>
        new(405, Status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", new JsonObject()));

    public static ApiException UnsupportedMediaType(IEnumerable<string> accepted) => new(
        415,
        Status(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: " + string.Join(", ", accepted), null));

    public static ApiException NotAcceptable() => new(
        406,
        Status(406, "NotAcceptable", "the server was unable to respond with a content type that the client supports", null));

    public static ApiException Unauthorized() => new(401, Status(401, "Unauthorized", "Unauthorized", null));

    public static ApiException TooManyRequests(int retryAfterSeconds) => new(
        429,
        Status(429, "TooManyRequests", "Too many requests, please try again later.", new JsonObject { ["retryAfterSeconds"] = retryAfterSeconds }),
        new Dictionary<string, string> { ["Retry-After"] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>storage.NewTooLargeResourceVersionError: the watch cache asks to retry after 1 s, the etcd store does not.</summary>
    public static ApiException TooLargeResourceVersion(long requested, long current, int retryAfterSeconds = 1)
    {
        var details = new JsonObject
        {
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ResourceVersionTooLarge", ["message"] = "Too large resource version" }),
        };
        if (retryAfterSeconds > 0)
        {
            details["retryAfterSeconds"] = retryAfterSeconds;
        }

        return new ApiException(504, Status(504, "Timeout", $"Too large resource version: {requested}, current: {current}", details));
    }

    public static string Qualified(string group, string resource) => group.Length == 0 ? resource : $"{resource}.{group}";
}
