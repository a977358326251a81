using System.Text;
using System.Text.Json.Nodes;

namespace KubeSandbox.Testing;

/// <summary>What a webhook behaviour answers.</summary>
public delegate ValueTask<WebhookReply> WebhookBehavior(AdmissionReviewRequest review, CancellationToken cancellationToken);

/// <summary>
/// A webhook's answer: an AdmissionReview response (the server fills in apiVersion, kind and the request's uid),
/// a raw body or HTTP status for misbehaving webhooks, or no answer at all (to make the caller time out).
/// </summary>
public sealed class WebhookReply
{
    private WebhookReply()
    {
    }

    internal JsonObject? Response { get; private init; }

    internal JsonObject? RawReview { get; private init; }

    internal (int StatusCode, string ContentType, string Body)? RawHttp { get; private init; }

    internal bool Hang { get; private init; }

    public static WebhookReply Allow(params string[] warnings) => new() { Response = WithWarnings(new JsonObject { ["allowed"] = true }, warnings) };

    /// <summary>A denial with the given <c>response.status</c> members (k8s-golden 60 denies with code 403 and a message).</summary>
    public static WebhookReply Deny(string message, int? code = 403, string? reason = null)
    {
        var status = new JsonObject();
        if (code is not null)
        {
            status["code"] = code.Value;
        }

        if (reason is not null)
        {
            status["reason"] = reason;
        }

        status["message"] = message;
        return DenyWithStatus(status);
    }

    /// <summary>A denial carrying exactly this metav1.Status as <c>response.status</c>.</summary>
    public static WebhookReply DenyWithStatus(JsonObject status, params string[] warnings) =>
        new() { Response = WithWarnings(new JsonObject { ["allowed"] = false, ["status"] = status }, warnings) };

    /// <summary>Allows with an RFC 6902 patch (<c>patchType: JSONPatch</c>, base64 <c>patch</c>).</summary>
    public static WebhookReply Patch(JsonArray operations, params string[] warnings)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var response = new JsonObject
        {
            ["allowed"] = true,
            ["patchType"] = "JSONPatch",
            ["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(operations.ToJsonString())),
        };
        return new WebhookReply { Response = WithWarnings(response, warnings) };
    }

    /// <summary>An arbitrary <c>response</c> member (uid still filled in unless present), for invalid replies.</summary>
    public static WebhookReply WithResponse(JsonObject response) => new() { Response = response };

    /// <summary>This exact body as the AdmissionReview reply (wrong uid, wrong kind, missing response...).</summary>
    public static WebhookReply Review(JsonObject review) => new() { RawReview = review };

    /// <summary>A non-AdmissionReview HTTP answer.</summary>
    public static WebhookReply Http(int statusCode, string contentType, string body) => new() { RawHttp = (statusCode, contentType, body) };

    /// <summary>Never answers; the request stays open until the caller gives up or the server stops.</summary>
    public static WebhookReply NoAnswer() => new() { Hang = true };

    private static JsonObject WithWarnings(JsonObject response, string[] warnings)
    {
        if (warnings.Length > 0)
        {
            response["warnings"] = new JsonArray([.. warnings.Select(w => (JsonNode?)JsonValue.Create(w))]);
        }

        return response;
    }
}
