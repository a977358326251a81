using System.Net;
using k8s.Models;

namespace GuardDutyCoverage.Runtime;

/// <summary>
/// The API server refused a request. Carries the HTTP status and, when the server sent one, the decoded
/// <see cref="V1Status"/> (reason, message, causes), so callers branch on <see cref="Reason"/> rather than on text.
/// </summary>
public sealed class KubeApiException : Exception
{
    public KubeApiException(string verb, string path, HttpStatusCode statusCode, V1Status? status, string? body, TimeSpan? retryAfter = null)
        : base(Describe(verb, path, statusCode, status, body))
    {
        Verb = verb;
        Path = path;
        StatusCode = statusCode;
        Status = status;
        RetryAfter = retryAfter;
    }

    public string Verb { get; }

    public string Path { get; }

    public HttpStatusCode StatusCode { get; }

    /// <summary>The Status the server returned, or null when the body was not a Status (e.g. text/plain "404 page not found").</summary>
    public V1Status? Status { get; }

    /// <summary>The Retry-After the server asked for (429, 503), if any.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary><c>Conflict</c>, <c>NotFound</c>, <c>Expired</c>, <c>Invalid</c>, … or null (webhook denials carry none).</summary>
    public string? Reason => Status?.Reason;

    public string ServerMessage => Status?.Message ?? "";

    public IReadOnlyList<V1StatusCause> Causes => Status?.Details?.Causes is { } causes ? causes.ToList() : [];

    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;

    public bool IsConflict => StatusCode == HttpStatusCode.Conflict;

    public bool IsAlreadyExists => StatusCode == HttpStatusCode.Conflict && Reason == "AlreadyExists";

    /// <summary>410 Gone / Expired: the resourceVersion is too old; the caller must re-list.</summary>
    public bool IsGone => StatusCode == HttpStatusCode.Gone;

    public bool IsInvalid => StatusCode == HttpStatusCode.UnprocessableEntity;

    public bool IsForbidden => StatusCode == HttpStatusCode.Forbidden;

    public bool IsTooManyRequests => StatusCode == HttpStatusCode.TooManyRequests;

    /// <summary>Worth retrying unchanged: throttling, server errors, timeouts.</summary>
    public bool IsTransient => (int)StatusCode >= 500 || StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;

    private static string Describe(string verb, string path, HttpStatusCode statusCode, V1Status? status, string? body)
    {
        var code = (int)statusCode;
        var reason = status?.Reason is { Length: > 0 } r ? " " + r : "";
        var message = status?.Message is { Length: > 0 } m ? m : Abbreviate(body);
        return $"{verb} {path}: {code}{reason}: {message}";
    }

    private static string Abbreviate(string? body)
    {
        var text = (body ?? "").Trim();
        return text.Length <= 512 ? text : text[..512] + "…";
    }
}
