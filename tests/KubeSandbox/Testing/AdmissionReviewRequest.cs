using System.Text.Json.Nodes;
using KubeSandbox.Authorization;

namespace KubeSandbox.Testing;

/// <summary>An AdmissionReview as a webhook receives it, with typed accessors over its <c>request</c>.</summary>
public sealed class AdmissionReviewRequest(JsonObject review)
{
    /// <summary>The whole AdmissionReview body.</summary>
    public JsonObject Review { get; } = review;

    /// <summary>The <c>request</c> member (empty when the body had none).</summary>
    public JsonObject Request => Review["request"] as JsonObject ?? [];

    public string ApiVersion => JsonRead.String(Review["apiVersion"]) ?? "";

    public string Uid => JsonRead.String(Request["uid"]) ?? "";

    public string Operation => JsonRead.String(Request["operation"]) ?? "";

    public string Kind => JsonRead.String((Request["kind"] as JsonObject)?["kind"]) ?? "";

    public string Group => JsonRead.String((Request["resource"] as JsonObject)?["group"]) ?? "";

    public string Resource => JsonRead.String((Request["resource"] as JsonObject)?["resource"]) ?? "";

    public string SubResource => JsonRead.String(Request["subResource"]) ?? "";

    public string Name => JsonRead.String(Request["name"]) ?? "";

    public string Namespace => JsonRead.String(Request["namespace"]) ?? "";

    public bool DryRun => JsonRead.Boolean(Request["dryRun"]) ?? false;

    public string UserName => JsonRead.String((Request["userInfo"] as JsonObject)?["username"]) ?? "";

    public JsonObject? Object => Request["object"] as JsonObject;

    public JsonObject? OldObject => Request["oldObject"] as JsonObject;
}

/// <summary>One AdmissionReview the test webhook server received, in arrival order.</summary>
public sealed record ReceivedAdmissionReview(
    string Path,
    IReadOnlyDictionary<string, string> Query,
    string? ContentType,
    string? Accept,
    JsonObject Body)
{
    public AdmissionReviewRequest Review => new(Body);
}

/// <summary>One reply the test webhook server sent: HTTP status, body text and, for AdmissionReviews, the body as JSON.</summary>
public sealed record SentWebhookReply(string Path, int StatusCode, string Text, JsonObject? Body);
